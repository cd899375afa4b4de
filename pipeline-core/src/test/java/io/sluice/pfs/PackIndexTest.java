package io.sluice.pfs;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The pack index finds what was added, forgets deleted packs, keeps entries across growth. */
class PackIndexTest {
    private static String id(int i) {
        return String.format("%016x", (long) i * 0x9E3779B97F4A7C15L) + "0".repeat(48);
    }

    @Test
    void findsAddedChunksForgetsDroppedPacksAndSurvivesGrowth() {
        PackIndex index = new PackIndex(1 << 20);
        String p1 = "1".repeat(32);
        String p2 = "2".repeat(32);
        for (int i = 0; i < 10_000; i++) {
            index.add(i % 2 == 0 ? p1 : p2, id(i), 100L * i, 50 + i % 3);
        }
        assertThat(index.find(id(42), 50, 9)).isEqualTo(new FileManifest.Chunk(id(42), 50, 9, p1, 4200));
        assertThat(index.find(id(43), 51, 9)).isEqualTo(new FileManifest.Chunk(id(43), 51, 9, p2, 4300));
        assertThat(index.find(id(43), 52, 9)).as("another size: not that chunk").isNull();
        assertThat(index.find(id(20_000), 50, 9)).isNull();

        index.dropPack(p1);
        assertThat(index.find(id(42), 50, 9)).isNull();
        assertThat(index.find(id(43), 51, 9)).isNotNull();
        for (int i = 10_000; i < 40_000; i++) {
            index.add(p2, id(i), i, 1);
        }
        assertThat(index.size()).as("entries of the dropped pack went at a resize").isEqualTo(35_000);
        assertThat(index.find(id(39_999), 1, 0)).isNotNull();
        assertThat(index.find(id(43), 51, 9)).isNotNull();
        // a chunk re-packed after its pack was deleted is found in its new pack
        index.add(p1, id(42), 7, 50);
        assertThat(index.find(id(42), 50, 9).pack()).isEqualTo(p1);
    }

    @Test
    void atItsBoundTheIndexKeepsTheHintsItHasAndTakesNewOnesOnceAPackGoes() {
        PackIndex index = new PackIndex(1024);
        String p1 = "1".repeat(32);
        String p2 = "2".repeat(32);
        for (int i = 0; i < 10_000; i++) {
            index.add(p1, id(i), i, 1);
        }
        assertThat(index.size()).isBetween(300, 512);
        assertThat(index.find(id(0), 1, 0)).isNotNull();
        assertThat(index.find(id(9_999), 1, 0)).as("past the bound: not kept").isNull();
        index.dropPack(p1);
        for (int i = 10_000; i < 10_100; i++) {
            index.add(p2, id(i), i, 1);
        }
        assertThat(index.find(id(10_099), 1, 0)).isNotNull();
        assertThat(index.size()).isEqualTo(100);
        assertThatThrownBy(() -> new PackIndex(1000)).isInstanceOf(IllegalArgumentException.class);
    }
}
