package io.sluice.pfs;

import io.sluice.SluiceException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RefTest {

    @Test
    void parsesRepoBranchAncestryAndPath() {
        Ref r = Ref.parse("training@master^2:/a/b.txt");
        assertThat(r.repo()).isEqualTo("training");
        assertThat(r.name()).isEqualTo("master");
        assertThat(r.ancestry()).isEqualTo(2);
        assertThat(r.path()).isEqualTo("/a/b.txt");
        assertThat(r.revision()).isEqualTo("master^2");
        assertThat(r).hasToString("training@master^2:/a/b.txt");
    }

    @Test
    void parsesTheOtherForms() {
        assertThat(Ref.parse("training")).isEqualTo(new Ref("training", null, 0, null));
        assertThat(Ref.parse("training@dev")).isEqualTo(new Ref("training", "dev", 0, null));
        assertThat(Ref.parse("t@master^^^").ancestry()).isEqualTo(3);
        assertThat(Ref.parse("t@master~4").ancestry()).isEqualTo(4);
        assertThat(Ref.parse("t@master^1^1").ancestry()).isEqualTo(2);
        assertThat(Ref.parse("t@master~2^").ancestry()).isEqualTo(3);
        assertThat(Ref.parse("t@master~").ancestry()).isEqualTo(1);
        String id = "0123456789abcdef0123456789abcdef";
        assertThat(Ref.parse("t@" + id + "^1")).isEqualTo(new Ref("t", id, 1, null));
        assertThat(Ref.parse("t@master:a//b/./c/").path()).isEqualTo("/a/b/c");
        assertThat(Ref.parse("t@master:/").path()).isEqualTo("/");
        assertThat(Ref.parse("t@v1.2_x-y").name()).isEqualTo("v1.2_x-y");
    }

    @Test
    void rejectsBadNamesAndPaths() {
        assertInvalid("", "empty reference");
        assertInvalid("bad repo@master", "invalid repo name");
        assertInvalid("repo@", "empty branch");
        assertInvalid("repo@ma ster", "invalid branch name");
        assertInvalid("repo@a..b", "invalid branch name");
        assertInvalid("repo@.hidden", "invalid branch name");
        assertInvalid("repo@master^x", "bad ancestry");
        assertInvalid("repo@master:/a/../b", "contains '..'");
        assertInvalid("repo@master:/a\\b", "backslash");
        assertInvalid("repo@master:/a\0b", "NUL");
        assertInvalid("repo@master:/" + "a".repeat(Ref.MAX_PATH), "longer than");
    }

    private static void assertInvalid(String text, String message) {
        assertThatThrownBy(() -> Ref.parse(text))
                .isInstanceOfSatisfying(SluiceException.class,
                        e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID))
                .hasMessageContaining(message);
    }
}
