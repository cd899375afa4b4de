package io.sluice.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class RatingGeneratorTest {

    @TempDir
    Path tmp;

    @Test
    void generatesMovieLensShapedDataDeterministically() throws Exception {
        RatingGenerator.Shape shape = RatingGenerator.Shape.MOVIELENS_100K;
        RatingSet a = new RatingGenerator(shape).generate();

        assertThat(a.size()).isEqualTo(100_000);
        Set<Long> pairs = new HashSet<>();
        Set<Long> users = new HashSet<>();
        for (int j = 0; j < a.size(); j++) {
            assertThat(a.user(j)).isBetween(1L, 943L);
            assertThat(a.item(j)).isBetween(1L, 1682L);
            assertThat(a.rating(j)).isIn(1.0, 2.0, 3.0, 4.0, 5.0);
            assertThat(pairs.add(a.user(j) * 10_000 + a.item(j))).isTrue();
            users.add(a.user(j));
            if (j > 0) {
                assertThat(a.timestamp(j)).isGreaterThan(a.timestamp(j - 1));
            }
        }
        assertThat(users.size()).isGreaterThan(900);
        assertThat(a.meanRating()).isBetween(3.0, 4.0);

        RatingGenerator.write(a, tmp.resolve("a.data"));
        RatingGenerator.write(new RatingGenerator(shape).generate(), tmp.resolve("b.data"));
        RatingGenerator.write(new RatingGenerator(shape.withSeed(43)).generate(), tmp.resolve("c.data"));
        assertThat(Files.readAllBytes(tmp.resolve("b.data"))).isEqualTo(Files.readAllBytes(tmp.resolve("a.data")));
        assertThat(Files.readAllBytes(tmp.resolve("c.data"))).isNotEqualTo(Files.readAllBytes(tmp.resolve("a.data")));
        assertThat(Files.readAllLines(tmp.resolve("a.data")).get(0)).matches("\\d+\t\\d+\t[1-5]\t\\d+");
        RatingSet back = RatingReader.unbounded().readRatings(tmp.resolve("a.data"));
        assertThat(back.size()).isEqualTo(a.size());
        assertThat(back.rating(99_999)).isEqualTo(a.rating(99_999));
    }
}
