package io.sluice.runner;

import io.sluice.runner.DatumTask.InputFile;
import io.sluice.runner.LocalJobRunner.Isolation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

class LocalJobRunnerTest {

    @TempDir
    Path tmp;

    /** Input files live in a real directory, one subdirectory per (repo, commit). */
    private DatumTask.FileSource source() {
        return (repo, commit, path) -> Files.newInputStream(tmp.resolve("src").resolve(repo).resolve(commit)
                .resolve(path.substring(1)));
    }

    private InputFile file(String input, String repo, String commit, String path, String content) throws IOException {
        Path p = tmp.resolve("src").resolve(repo).resolve(commit).resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        return new InputFile(input, repo, commit, path, content.length());
    }

    private DatumTask task(String datum, List<String> cmd, List<String> stdin, Map<String, String> env,
                           List<InputFile> files, List<InputFile> prev) {
        Map<String, String> commits = new java.util.TreeMap<>();
        files.forEach(f -> commits.put(f.input(), f.commit()));
        return new DatumTask("job1", "p", datum, 1, cmd, stdin, env, "", Map.of(), Map.of(), files, commits, prev,
                source());
    }

    private static String read(DatumResult r, String path) throws IOException {
        try (InputStream in = r.output().open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private LocalJobRunner runner(Isolation isolation) {
        if (isolation == Isolation.MOUNT_NAMESPACE) {
            LocalJobRunner detected = new LocalJobRunner(tmp.resolve("data"), List.of());
            assumeThat(detected.isolation()).as("mount namespaces permitted (root)").isEqualTo(isolation);
            return detected;
        }
        return new LocalJobRunner(tmp.resolve("data"), List.of(), isolation);
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void copiesInputToOutputThroughPfsPaths(Isolation isolation) throws Exception {
        LocalJobRunner runner = runner(isolation);
        DatumResult r = runner.run(task("d1", List.of("sh", "-c", "cp /pfs/in/* /pfs/out/"), List.of(), Map.of(),
                List.of(file("in", "repo", "c1", "/a.txt", "alpha"), file("in", "repo", "c1", "/b.txt", "beta")),
                null), (s, m) -> { });
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(r.output().paths()).containsExactly("/a.txt", "/b.txt");
        assertThat(read(r, "/a.txt")).isEqualTo("alpha");
        assertThat(read(r, "/b.txt")).isEqualTo("beta");
        runner.release("job1");
        assertThat(tmp.resolve("data/pps/work/job1")).doesNotExist();
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void feedsStdinScriptAndSetsEnvironment(Isolation isolation) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Files.writeString(bin.resolve("sluice-hello"), "#!/bin/sh\necho hello from path\n");
        bin.resolve("sluice-hello").toFile().setExecutable(true);
        LocalJobRunner runner = new LocalJobRunner(tmp.resolve("data"), List.of(bin),
                isolation == Isolation.PATH_REWRITE ? isolation : null);
        assumeThat(runner.isolation()).isEqualTo(isolation);
        List<String> stdin = List.of(
                "set -e",
                "echo \"$PACH_JOB_ID $PACH_DATUM_ID $words_COMMIT $GREETING\" > /pfs/out/env",
                "sluice-hello > /pfs/out/path",
                "mkdir -p /pfs/out/sub && wc -w < /pfs/words/dir/w.txt > /pfs/out/sub/count");
        DatumResult r = runner.run(task("d2", List.of("sh"), stdin, Map.of("GREETING", "hi"),
                List.of(file("words", "text", "c9", "/dir/w.txt", "one two three")), null), (s, m) -> { });
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(r.output().paths()).containsExactly("/env", "/path", "/sub/count");
        assertThat(read(r, "/env")).isEqualTo("job1 d2 c9 hi\n");
        assertThat(read(r, "/path")).isEqualTo("hello from path\n");
        assertThat(read(r, "/sub/count").trim()).isEqualTo("3");
    }

    @Test
    void mountsPfsPrivatelyPerProcess() throws Exception {
        LocalJobRunner runner = runner(Isolation.MOUNT_NAMESPACE);
        DatumResult r = runner.run(task("d3", List.of("sh", "-c",
                        "grep -c ' /pfs ' /proc/self/mountinfo > /pfs/out/mounts; cat /pfs/in/x > /pfs/out/x"),
                List.of(), Map.of(), List.of(file("in", "r", "c", "/x", "content")), null), (s, m) -> { });
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(read(r, "/mounts").trim()).isEqualTo("1");
        assertThat(read(r, "/x")).isEqualTo("content");
        // the bind mount lived only in the process's namespace
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(" /pfs ");
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void concurrentDatumsSeeOnlyTheirOwnFiles(Isolation isolation) throws Exception {
        LocalJobRunner runner = runner(isolation);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<DatumResult>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                InputFile f = file("in", "r", "c", "/f" + i, "v" + i);
                String datum = "d" + i;
                results.add(pool.submit(() -> runner.run(task(datum, List.of("sh", "-c",
                                "sleep 0.05; ls /pfs/in > /pfs/out/seen; cat /pfs/in/* > /pfs/out/value"),
                        List.of(), Map.of(), List.of(f), null), (s, m) -> { })));
            }
            for (int i = 0; i < 8; i++) {
                DatumResult r = results.get(i).get();
                assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
                assertThat(read(r, "/seen")).isEqualTo("f" + i + "\n");
                assertThat(read(r, "/value")).isEqualTo("v" + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void failingCommandReportsExitCodeAndStderrAndLogsBothStreams(Isolation isolation) throws Exception {
        LocalJobRunner runner = runner(isolation);
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        DatumResult r = runner.run(task("d4", List.of("sh", "-c",
                        "echo working; echo 'cannot open /pfs/in/missing' >&2; exit 3"),
                List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> lines.add(s + ":" + m));
        assertThat(r.success()).isFalse();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.error()).contains("exited with code 3").contains("cannot open");
        assertThat(lines).contains("stdout:working").anyMatch(l -> l.startsWith("stderr:cannot open"));
    }

    @Test
    void reusesOneNamespaceHelperPerConcurrentDatumAndStopsThemOnClose() throws Exception {
        LocalJobRunner runner = runner(Isolation.MOUNT_NAMESPACE);
        int before = helpers().size();
        for (int i = 0; i < 3; i++) {
            DatumResult r = runner.run(task("r" + i, List.of("sh", "-c", "ls /pfs/in > /pfs/out/seen"), List.of(),
                    Map.of(), List.of(file("in", "r", "c", "/only" + i, "x")), null), (s, m) -> { });
            assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
            assertThat(read(r, "/seen")).isEqualTo("only" + i + "\n");
        }
        assertThat(helpers()).hasSize(before + 1);
        runner.close();
        assertThat(helpers()).hasSize(before);
    }

    /** A helper is a child of this JVM: the shell named sluice-slot. */
    private static List<ProcessHandle> helpers() {
        return ProcessHandle.current().children().filter(p -> p.isAlive()
                && p.info().arguments().map(a -> List.of(a).contains("sluice-slot")).orElse(false)).toList();
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void argumentsAndEnvironmentReachTheCommandVerbatim(Isolation isolation) throws Exception {
        LocalJobRunner runner = runner(isolation);
        String tricky = "it's \"$HOME\" `id` \\ $(true)\nsecond line";
        for (String name : List.of("TRICKY", "not-a-shell-name")) {
            DatumResult r = runner.run(task("v-" + name, List.of("sh", "-c",
                            "printf '%s' \"$1\" > /pfs/out/arg; tr '\\0' '\\n' < /proc/$$/environ | grep -c '^" + name + "='"
                                    + " > /pfs/out/env",
                            "sh", tricky), List.of(), Map.of(name, tricky),
                    List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> { });
            assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
            assertThat(read(r, "/arg")).isEqualTo(tricky);
            assertThat(read(r, "/env")).isEqualTo("1\n");
        }
        DatumResult r = runner.run(task("v-value", List.of("sh", "-c", "printf '%s' \"$TRICKY\" > /pfs/out/v"),
                List.of(), Map.of("TRICKY", tricky), List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> { });
        assertThat(read(r, "/v")).isEqualTo(tricky);
    }

    @Test
    void missingCommandFails() throws Exception {
        LocalJobRunner runner = new LocalJobRunner(tmp.resolve("data"), List.of());
        DatumResult r = runner.run(task("d5", List.of("no-such-command-sluice"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> { });
        assertThat(r.success()).isFalse();
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.error()).contains("no-such-command-sluice");
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void refusesSymlinkOutOfPfsOut(Isolation isolation) throws Exception {
        LocalJobRunner runner = runner(isolation);
        DatumResult r = runner.run(task("d6", List.of("sh", "-c", "ln -s /etc/passwd /pfs/out/leak"), List.of(),
                Map.of(), List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> { });
        assertThat(r.success()).isFalse();
        assertThat(r.error()).contains("/leak").contains("symlink");

        DatumResult inside = runner.run(task("d7", List.of("sh", "-c",
                        "echo x > /pfs/out/real && ln -s real /pfs/out/alias"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> { });
        assertThat(inside.success()).as(String.valueOf(inside.error())).isTrue();
        assertThat(read(inside, "/alias")).isEqualTo("x\n");
    }

    @Test
    void offersPreviousOutputReadOnlyAtPfsPrev() throws Exception {
        LocalJobRunner runner = runner(Isolation.MOUNT_NAMESPACE);
        List<InputFile> prev = List.of(file("prev", "p", "old", "/model", "m1"));
        DatumResult r = runner.run(task("d8", List.of("sh", "-c",
                        "cat /pfs/prev/model > /pfs/out/seen; if echo x > /pfs/prev/model; then echo rw; else echo ro; fi"
                                + " > /pfs/out/mode"),
                List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), prev), (s, m) -> { });
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(read(r, "/seen")).isEqualTo("m1");
        assertThat(read(r, "/mode")).isEqualTo("ro\n");
    }

    @ParameterizedTest
    @EnumSource(Isolation.class)
    void interruptKillsTheProcessTree(Isolation isolation) throws Exception {
        LocalJobRunner runner = runner(isolation);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                runner.run(task("d9", List.of("sh", "-c", "sleep 30; echo never > /pfs/out/x"), List.of(), Map.of(),
                        List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> { });
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        long start = System.nanoTime();
        t.start();
        Thread.sleep(300);
        t.interrupt();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(10_000);
        assertThat(ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains("sleep 30"))
                .filter(p -> p.parent().map(pp -> pp.pid() == ProcessHandle.current().pid()).orElse(false)))
                .isEmpty();
    }
}
