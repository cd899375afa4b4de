package io.sluice.runner;

import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.FileSource;
import io.sluice.runner.exec.InputFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * What every {@link JobRunner} does with one datum, whatever runs it: a subclass per runner flavour says
 * how to build one and which capabilities it has. Input files live in a real directory, one
 * subdirectory per (repo, commit); every check goes through user code's view of {@code /pfs}.
 */
public abstract class JobRunnerContract {

    @TempDir
    protected Path tmp;

    private JobRunner runner;

    /** A fresh runner working under {@code dataDir}; input bytes come from {@code source}. */
    protected abstract JobRunner create(Path dataDir, FileSource source) throws Exception;

    /** Whether /pfs/prev is protected by the kernel (a read-only mount), not only by file modes. */
    protected abstract boolean readOnlyPrev();

    /** Whether interrupting {@link JobRunner#run} kills user code and everything it started. */
    protected abstract boolean killsOnInterrupt();

    /** Whether user code sees /pfs in its own mount namespace (not a rewritten path). */
    protected abstract boolean privatePfs();

    /** Whether an output linked to an input file is reported as that file (not only as its bytes). */
    protected boolean keepsInputLinks() {
        return true;
    }

    protected final JobRunner runner() throws Exception {
        if (runner == null) {
            runner = create(tmp.resolve("data"), source());
        }
        return runner;
    }

    @AfterEach
    void closeRunner() throws Exception {
        if (runner != null) {
            runner.close();
            closed();
        }
    }

    /** Called once the runner is closed (to wait for what a flavour started around it). */
    protected void closed() throws Exception {
    }

    protected final FileSource source() {
        return f -> Files.newInputStream(src(f));
    }

    private Path src(InputFile f) {
        return tmp.resolve("src").resolve(f.repo()).resolve(f.commit()).resolve(f.path().substring(1));
    }

    protected final InputFile file(String input, String repo, String commit, String path, String content)
            throws IOException {
        InputFile f = new InputFile(input, repo, commit, path, content.length());
        Files.createDirectories(src(f).getParent());
        Files.writeString(src(f), content);
        return f;
    }

    protected final DatumTask task(String datum, List<String> cmd, List<String> stdin, Map<String, String> env,
                                   List<InputFile> files, List<InputFile> prev) {
        Map<String, String> commits = new TreeMap<>();
        files.forEach(f -> commits.put(f.input(), f.commit()));
        return new DatumTask("job1", "p", datum, 1, DatumCommand.of(cmd, stdin, env, "job1", datum, commits),
                commits, files, prev, source(), new DatumTask.JobShape("registry.local/sluice:test", env, Map.of(),
                Map.of(), 4, 3));
    }

    protected final DatumResult run(DatumTask task) throws Exception {
        return runner().run(task, (s, m) -> { });
    }

    protected static String read(DatumResult r, String path) throws IOException {
        try (InputStream in = r.output().open(path)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> sh(String script) {
        return List.of("sh", "-c", script);
    }

    @Test
    void copiesInputToOutputThroughPfsPaths() throws Exception {
        DatumResult r = run(task("d1", sh("cp /pfs/in/* /pfs/out/"), List.of(), Map.of(),
                List.of(file("in", "repo", "c1", "/a.txt", "alpha"), file("in", "repo", "c1", "/b.txt", "beta")), null));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(r.output().paths()).containsExactly("/a.txt", "/b.txt");
        assertThat(read(r, "/a.txt")).isEqualTo("alpha");
        assertThat(read(r, "/b.txt")).isEqualTo("beta");
    }

    @Test
    void feedsStdinScriptAndSetsEnvironment() throws Exception {
        // not under /tmp (a datum gets a /tmp of its own) nor under the checkout (which may sit in a directory
        // an unprivileged datum cannot search, such as /root or a mktemp -d one): /dev/shm where there is one
        Path shm = Path.of("/dev/shm");
        Path bin = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                        : Files.createDirectories(Path.of("target").toAbsolutePath()), "sluice-contract-bin",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.writeString(bin.resolve("sluice-hello"), "#!/bin/sh\necho hello from path\n");
        bin.resolve("sluice-hello").toFile().setExecutable(true, false);
        List<String> stdin = List.of(
                "set -e",
                "echo \"$PACH_JOB_ID $PACH_DATUM_ID $words_COMMIT $GREETING\" > /pfs/out/env",
                "sluice-hello > /pfs/out/path",
                "mkdir -p /pfs/out/sub && wc -w < /pfs/words/dir/w.txt > /pfs/out/sub/count");
        DatumResult r = run(task("d2", List.of("sh"), stdin,
                Map.of("GREETING", "hi", "PATH", bin + ":" + System.getenv("PATH")),
                List.of(file("words", "text", "c9", "/dir/w.txt", "one two three")), null));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(r.output().paths()).containsExactly("/env", "/path", "/sub/count");
        assertThat(read(r, "/env")).isEqualTo("job1 d2 c9 hi\n");
        assertThat(read(r, "/path")).isEqualTo("hello from path\n");
        assertThat(read(r, "/sub/count").trim()).isEqualTo("3");
        Files.delete(bin.resolve("sluice-hello"));
        Files.delete(bin);
    }

    @Test
    void concurrentDatumsSeeOnlyTheirOwnFiles() throws Exception {
        JobRunner r0 = runner();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<DatumResult>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                DatumTask t = task("d" + i, sh("sleep 0.05; ls /pfs/in > /pfs/out/seen; cat /pfs/in/* > /pfs/out/value"),
                        List.of(), Map.of(), List.of(file("in", "r", "c", "/f" + i, "v" + i)), null);
                results.add(pool.submit(() -> r0.run(t, (s, m) -> { })));
            }
            for (int i = 0; i < 8; i++) {
                DatumResult r = results.get(i).get(60, TimeUnit.SECONDS);
                assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
                assertThat(read(r, "/seen")).isEqualTo("f" + i + "\n");
                assertThat(read(r, "/value")).isEqualTo("v" + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void failingCommandReportsExitCodeAndStderrTailAndLogsBothStreams() throws Exception {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        DatumResult r = runner().run(task("d4", sh("echo working; echo 'cannot open /pfs/in/missing' >&2; exit 3"),
                List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> lines.add(s + ":" + m));
        assertThat(r.success()).isFalse();
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.error()).contains("exited with code 3").contains("cannot open");
        assertThat(lines).contains("stdout:working").anyMatch(l -> l.startsWith("stderr:cannot open"));
    }

    @Test
    void argumentsAndEnvironmentReachTheCommandVerbatim() throws Exception {
        String tricky = "it's \"$HOME\" `id` \\ $(true)\nsecond line";
        for (String name : List.of("TRICKY", "not-a-shell-name")) {
            DatumResult r = run(task("v-" + name, List.of("sh", "-c",
                            "printf '%s' \"$1\" > /pfs/out/arg; tr '\\0' '\\n' < /proc/$$/environ | grep -c '^" + name + "='"
                                    + " > /pfs/out/env", "sh", tricky), List.of(), Map.of(name, tricky),
                    List.of(file("in", "r", "c", "/a", "a")), null));
            assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
            assertThat(read(r, "/arg")).isEqualTo(tricky);
            assertThat(read(r, "/env")).isEqualTo("1\n");
        }
        DatumResult r = run(task("v-value", sh("printf '%s' \"$TRICKY\" > /pfs/out/v"), List.of(),
                Map.of("TRICKY", tricky), List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(read(r, "/v")).isEqualTo(tricky);
    }

    @Test
    void missingCommandFailsWith127() throws Exception {
        DatumResult r = run(task("d5", List.of("no-such-command-sluice"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(r.success()).isFalse();
        assertThat(r.exitCode()).isEqualTo(127);
        assertThat(r.error()).contains("no-such-command-sluice");
    }

    @Test
    void refusesSymlinkOutOfPfsAndFollowsOneInsideOut() throws Exception {
        DatumResult r = run(task("d6", sh("ln -s /etc/passwd /pfs/out/leak"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(r.success()).isFalse();
        assertThat(r.error()).contains("/leak").contains("symlink");

        DatumResult inside = run(task("d7", sh("echo x > /pfs/out/real && ln -s real /pfs/out/alias"
                        + " && mkdir /pfs/out/d && ln -s /pfs/out/real /pfs/out/d/abs"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(inside.success()).as(String.valueOf(inside.error())).isTrue();
        assertThat(read(inside, "/alias")).isEqualTo("x\n");
        assertThat(read(inside, "/d/abs")).isEqualTo("x\n");
    }

    @Test
    void keepsLinksToInputFilesAsThoseFilesAndRefusesOtherLinks() throws Exception {
        InputFile a = file("in", "r", "c", "/a", "alpha");
        InputFile b = file("in", "r", "c", "/dir/b", "beta");
        DatumResult r = run(task("l1", sh("mkdir /pfs/out/x && ln -s /pfs/in/a /pfs/out/x/img && ln -s ../in/dir/b /pfs/out/rel"
                        + " && { ln /pfs/in/a /pfs/out/hard || cp /pfs/in/a /pfs/out/hard; } && echo own > /pfs/out/own"), List.of(), Map.of(), List.of(a, b), null));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(r.output().paths()).containsExactly("/hard", "/own", "/rel", "/x/img");
        if (keepsInputLinks()) {
            assertThat(r.output().source("/x/img")).isEqualTo(a);
            assertThat(r.output().source("/rel")).isEqualTo(b);
        }
        assertThat(r.output().source("/own")).isNull();
        assertThat(read(r, "/x/img")).isEqualTo("alpha");
        assertThat(read(r, "/rel")).isEqualTo("beta");
        // an unprivileged user may not hard-link a root-owned input (protected_hardlinks): then it copies
        if (r.output().source("/hard") != null) {
            assertThat(r.output().source("/hard")).isEqualTo(a);
        }
        assertThat(read(r, "/hard")).isEqualTo("alpha");

        Path outside = Files.writeString(tmp.resolve("outside"), "host file");
        DatumResult hard = run(task("l2", sh("ln " + outside + " /pfs/out/h"), List.of(), Map.of(), List.of(a), null));
        assertThat(hard.success()).isFalse();
        if (!privatePfs()) {
            assertThat(hard.error()).contains("/h").contains("hard link");
        }
        DatumResult dir = run(task("l3", sh("ln -s /pfs/in /pfs/out/all"), List.of(), Map.of(), List.of(a), null));
        assertThat(dir.success()).isFalse();
        assertThat(dir.error()).contains("/all").contains("symlink");
    }

    @Test
    void offersPreviousOutputAtPfsPrev() throws Exception {
        List<InputFile> prev = List.of(file("prev", "p", "old", "/model", "m1"));
        // without a read-only mount root could write through file modes, so only then is it tried
        String tryWrite = readOnlyPrev() ? " if echo x > /pfs/prev/model 2>/dev/null; then echo rw; else echo ro; fi"
                + " > /pfs/out/mode" : " true";
        for (String datum : List.of("d8", "d9")) {
            DatumResult r = run(task(datum, sh("cat /pfs/prev/model > /pfs/out/seen;" + tryWrite),
                    List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), prev));
            assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
            assertThat(read(r, "/seen")).isEqualTo("m1");
            if (readOnlyPrev()) {
                assertThat(read(r, "/mode")).isEqualTo("ro\n");
            }
        }
    }

    @Test
    void pfsIsPrivateToTheDatum() throws Exception {
        assumeThat(privatePfs()).as("a private mount namespace").isTrue();
        DatumResult r = run(task("d3", sh("grep -c ' /pfs ' /proc/self/mountinfo > /pfs/out/mounts;"
                + " cat /pfs/in/x > /pfs/out/x"), List.of(), Map.of(), List.of(file("in", "r", "c", "/x", "content")), null));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(Integer.parseInt(read(r, "/mounts").trim())).isPositive();
        assertThat(read(r, "/x")).isEqualTo("content");
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(" /pfs ");
    }

    @Test
    void interruptKillsTheWholeProcessTree() throws Exception {
        assumeThat(killsOnInterrupt()).as("the runner kills user code on interrupt").isTrue();
        JobRunner r0 = runner();
        String marker = "sluice-tree-" + System.nanoTime();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        // a grandchild in the background and one in the foreground, both holding the marker in argv
        DatumTask t = task("d10", List.of("sh", "-c", "sh -c 'sleep 60' " + marker + " & sleep 61; echo never > /pfs/out/x",
                marker), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null);
        Thread th = new Thread(() -> {
            try {
                r0.run(t, (s, m) -> { });
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        th.start();
        List<ProcessHandle> tree = awaitTree(marker);
        th.interrupt();
        th.join(30_000);
        assertThat(th.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(InterruptedException.class);
        for (ProcessHandle p : tree) {
            p.onExit().get(30, TimeUnit.SECONDS);
        }
        assertThat(ProcessHandle.current().descendants().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().commandLine().orElse("").contains("sleep 6"))).isEmpty();
    }

    /** This JVM's descendants started by the datum (the shells holding {@code marker} and their sleeps). */
    private static List<ProcessHandle> awaitTree(String marker) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            List<ProcessHandle> sleeps = ProcessHandle.current().descendants()
                    .filter(p -> p.info().commandLine().orElse("").matches(".*sleep 6[01].*")).toList();
            if (sleeps.size() >= 2) {
                return sleeps;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the datum's processes did not start");
    }
}
