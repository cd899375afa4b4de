package io.sluice.pfs;

import io.sluice.SluiceException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class GlobTest {

    private static final List<String> PATHS = List.of(
            "/", "/a.txt", "/b.csv", "/dir", "/dir/x.txt", "/dir/sub", "/dir/sub/y.txt", "/e", "/e/z.csv");

    private static List<String> matching(String pattern) {
        Glob g = Glob.compile(pattern);
        return PATHS.stream().filter(g::matches).toList();
    }

    @Test
    void rootMatchesOnlyTheRoot() {
        assertThat(matching("/")).containsExactly("/");
    }

    @Test
    void starStaysWithinOneSegment() {
        assertThat(matching("/*")).containsExactly("/a.txt", "/b.csv", "/dir", "/e");
        assertThat(matching("/*/*")).containsExactly("/dir/x.txt", "/dir/sub", "/e/z.csv");
        assertThat(matching("*.txt")).containsExactly("/a.txt");
    }

    @Test
    void doubleStarCrossesSegments() {
        assertThat(matching("/**")).containsExactlyElementsOf(PATHS.subList(1, PATHS.size()));
        assertThat(matching("/dir/**")).containsExactly("/dir/x.txt", "/dir/sub", "/dir/sub/y.txt");
        assertThat(matching("/**/*.txt")).containsExactly("/a.txt", "/dir/x.txt", "/dir/sub/y.txt");
        assertThat(Glob.compile("/**").maxDepth()).isEqualTo(-1);
        assertThat(Glob.compile("/*/*").maxDepth()).isEqualTo(2);
    }

    @Test
    void questionMarkClassesAndAlternatives() {
        assertThat(matching("/?")).containsExactly("/e");
        assertThat(matching("/[ab]*")).containsExactly("/a.txt", "/b.csv");
        assertThat(matching("/[!ab]*")).containsExactly("/dir", "/e");
        assertThat(matching("/[a-c].*")).containsExactly("/a.txt", "/b.csv");
        assertThat(matching("/*.{txt,csv}")).containsExactly("/a.txt", "/b.csv");
        assertThat(matching("/{dir/sub,e}/*")).containsExactly("/dir/sub/y.txt", "/e/z.csv");
        assertThat(Glob.compile("/a\\*b").matches("/a*b")).isTrue();
        assertThat(Glob.compile("/a\\*b").matches("/axb")).isFalse();
        // parentheses are capture groups, as in Pachyderm's globs; escaped they are literal
        assertThat(Glob.compile("/x+(1)").matches("/x+1")).isTrue();
        assertThat(Glob.compile("/x+\\(1\\)").matches("/x+(1)")).isTrue();
        assertThat(Glob.compile("/(a|b)-*").matches("/b-1")).isTrue();
    }

    @Test
    void captureGroupsFillJoinAndGroupTemplates() {
        Glob g = Glob.compile("/*-CLIA(*).txt");
        assertThat(g.replace("/T1-CLIA24D9871327.txt", "$1")).isEqualTo("24D9871327");
        Glob two = Glob.compile("/(*)_(*).csv");
        assertThat(two.replace("/2024_store7.csv", "$2-${1}")).isEqualTo("store7-2024");
        assertThat(two.replace("/2024_store7.csv", "$3")).isEmpty();
        assertThat(two.replace("/other", "$1")).isEmpty();
        assertThat(two.replace("/2024_store7.csv", "")).isEmpty();
        assertThatThrownBy(() -> Glob.compile("/a(b")).isInstanceOf(SluiceException.class).hasMessageContaining("unclosed '('");
        assertThatThrownBy(() -> Glob.compile("/a)b")).isInstanceOf(SluiceException.class).hasMessageContaining("')' without '('");
    }

    @Test
    void patternsThatMakeBacktrackingExplodeMatchInLinearTime() {
        // a backtracking matcher takes minutes on these (one extra 'a' per '*' multiplies the work); the
        // automaton takes milliseconds, so the bound below only catches the blow-up, not a slow machine
        String path = "/" + "a".repeat(Ref.MAX_PATH - 1);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertThat(Glob.compile("/*a*a*a*a*a*a*a*a*a*a*b").matches(path)).isFalse();
            assertThat(Glob.compile("/**a**a**a**a**a**a**a**a**b").matches(path)).isFalse();
            assertThat(Glob.compile("/{*a,a*}{*a,a*}{*a,a*}{*a,a*}{*a,a*}{*a,a*}b").matches(path)).isFalse();
            assertThat(Glob.compile("/*a*a*a*a*a*a*a*a*a*a").matches(path)).isTrue();
        });
    }

    @Test
    void doubleStarCrossesEveryCharacter() {
        assertThat(Glob.compile("/**").matches("/line\nbreak/x")).isTrue();
        assertThat(Glob.compile("/a/**/b").matches("/a/x\ny/b")).isTrue();
        assertThat(Glob.compile("/[a-c-e]").matches("/-")).isTrue();
        assertThat(Glob.compile("/[a-c-e]").matches("/d")).isFalse();
    }

    @Test
    void malformedPatternsAreInvalid() {
        for (String bad : List.of("", "/[abc", "/[]", "/{a,b", "/a}", "/x\\", "/[a/b]", "/[z-a]",
                "/a//b", "/a/./b", "/./*")) {
            assertThatThrownBy(() -> Glob.compile(bad), bad)
                    .isInstanceOfSatisfying(SluiceException.class,
                            e -> assertThat(e.kind()).isEqualTo(SluiceException.Kind.INVALID));
        }
    }
}
