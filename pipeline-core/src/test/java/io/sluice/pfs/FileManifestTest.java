package io.sluice.pfs;

import com.fasterxml.jackson.core.JsonFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Manifests round-trip loose and packed chunks, still read the older forms, and hash by chunk ids only. */
class FileManifestTest {
    private static final JsonFactory JSON = new JsonFactory();
    private static final String A = "a".repeat(64);
    private static final String B = "b".repeat(64);
    private static final String PACK = "0123456789abcdef0123456789abcdef";

    @Test
    void looseAndPackedChunksRoundTripAndHashTheSame() throws IOException {
        FileManifest.Chunk loose = new FileManifest.Chunk(A, 10, 7);
        FileManifest.Chunk packed = new FileManifest.Chunk(B, 20, 8, PACK, 4096);
        FileManifest m = FileManifest.of(List.of(loose, packed));
        assertThat(new String(m.toJson(), StandardCharsets.US_ASCII))
                .contains("[\"" + A + "\",10,7]").contains("[\"" + B + "\",20,8,\"" + PACK + "\",4096]");
        assertThat(FileManifest.parse(JSON, m.toJson())).isEqualTo(m);
        assertThat(packed.key()).isEqualTo("packs/01/" + PACK);
        assertThat(packed.pinName()).isEqualTo("pack:" + PACK);
        assertThat(loose.key()).isEqualTo("chunks/aa/" + A);
        assertThat(loose.pinName()).isEqualTo(A);
        assertThat(FileManifest.of(List.of(new FileManifest.Chunk(A, 10, 7, PACK, 0), new FileManifest.Chunk(B, 20, 8))).hash())
                .as("where a chunk is stored does not change the content hash").isEqualTo(m.hash());
    }

    @Test
    void manifestsWithoutCrcsStillParseAndBadPackLocatorsAreRefused() throws IOException {
        String old = "{\"size\":10,\"hash\":\"h\",\"chunks\":[[\"" + A + "\",10]]}";
        assertThat(FileManifest.parse(JSON, old.getBytes(StandardCharsets.US_ASCII)).chunks())
                .containsExactly(new FileManifest.Chunk(A, 10));
        String bad = "{\"size\":10,\"hash\":\"h\",\"chunks\":[[\"" + A + "\",10,7,\"../x\",0]]}";
        assertThatThrownBy(() -> FileManifest.parse(JSON, bad.getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IOException.class).hasMessageContaining("bad pack locator");
    }
}
