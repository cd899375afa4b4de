package io.sluice.runner.local;

import io.sluice.runner.DatumResult;
import io.sluice.runner.DatumTask;
import io.sluice.runner.JobRunner;
import io.sluice.runner.JobRunnerContract;
import io.sluice.runner.exec.FileSource;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** The local runner with namespace slots (needs root or CAP_SYS_ADMIN; skipped without). */
class LocalSlotRunnerTest extends JobRunnerContract {

    @Override
    protected JobRunner create(Path dataDir, FileSource source) {
        LocalJobRunner r = new LocalJobRunner(dataDir, List.of());
        assumeThat(r.isolation()).as("mount namespaces permitted (root)").isEqualTo(LocalJobRunner.Isolation.MOUNT_NAMESPACE);
        return r;
    }

    @Override
    protected boolean readOnlyPrev() {
        return true;
    }

    @Override
    protected boolean killsOnInterrupt() {
        return true;
    }

    @Override
    protected boolean privatePfs() {
        return true;
    }

    @Test
    void reusesOneHelperPerConcurrentDatumAndStopsThemOnClose() throws Exception {
        JobRunner runner = runner();
        int before = helpers().size();
        for (int i = 0; i < 3; i++) {
            DatumResult r = run(task("r" + i, List.of("sh", "-c", "ls /pfs/in > /pfs/out/seen"), List.of(), Map.of(),
                    List.of(file("in", "r", "c", "/only" + i, "x")), null));
            assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
            assertThat(read(r, "/seen")).isEqualTo("only" + i + "\n");
        }
        assertThat(helpers()).hasSize(before + 1);
        runner.close();
        assertThat(helpers()).hasSize(before);
    }

    @Test
    void aReusedSlotGivesEachDatumItsOwnStdinLogsAndStderrTail() throws Exception {
        JobRunner runner = runner();
        for (int i = 0; i < 4; i++) {
            List<String> lines = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
            // even datums read stdin lines; odd ones have none, so they must read nothing (not the last datum's)
            List<String> stdin = i % 2 == 0 ? List.of("echo line " + i, "echo more " + i) : List.of();
            DatumResult r = runner.run(task("l" + i, sh("cat > /pfs/out/stdin; echo out " + i + "; echo err " + i
                    + " >&2; exit " + (i % 2)), stdin, Map.of(), List.of(file("in", "r", "c", "/a", "a")), null),
                    (stream, line) -> lines.add(stream + ":" + line));
            assertThat(r.exitCode()).isEqualTo(i % 2);
            assertThat(lines).containsExactlyInAnyOrder("stdout:out " + i, "stderr:err " + i);
            if (i % 2 == 0) {
                assertThat(read(r, "/stdin")).isEqualTo("echo line " + i + "\necho more " + i + "\n");
            } else {
                assertThat(r.error()).endsWith(": err " + i);
            }
        }
    }

    @Test
    void releaseDeletesTheJobsWorkDirectory() throws Exception {
        DatumResult r = run(task("d1", List.of("sh", "-c", "echo x > /pfs/out/x"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(r.success()).isTrue();
        assertThat(tmp.resolve("data/pps/work/job1")).exists();
        runner().release("job1");
        assertThat(tmp.resolve("data/pps/work/job1")).doesNotExist();
    }

    @Test
    void hasNoIsolationGap() throws Exception {
        assertThat(runner().isolationGap()).isEmpty();
    }

    @Test
    void eachDatumGetsAnEmptyTmpOfItsOwn() throws Exception {
        String marker = "sluice-tmp-" + System.nanoTime();
        for (int i = 0; i < 2; i++) {
            // the shape of Pachyderm's word-count reduce: append into /tmp, then copy out
            DatumResult r = run(task("t" + i, sh("mkdir -p /tmp/out /var/tmp/out; cat /pfs/in/* >> /tmp/out/" + marker
                    + "; cat /pfs/in/* >> /var/tmp/out/v; cat /tmp/out/" + marker + " /var/tmp/out/v > /pfs/out/seen"),
                    List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "x\n")), null));
            assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
            assertThat(read(r, "/seen")).isEqualTo("x\nx\n");
        }
        assertThat(Path.of("/tmp", "out", marker)).doesNotExist();
    }

    @Test
    void nothingADatumStartsOutlivesIt() throws Exception {
        String seconds = "1000." + (System.nanoTime() % 1_000_000);
        DatumResult r = run(task("bg", sh("sleep " + seconds + " & echo started > /pfs/out/x"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!sleepers(seconds).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(sleepers(seconds)).isEmpty();
    }

    @Test
    void theDataDirIsOutOfReachButThroughPfs() throws Exception {
        Path data = tmp.resolve("data");
        runner();
        Files.writeString(data.resolve("marker"), "secret");
        String script = "pwd > /pfs/out/pwd; ls -A " + data + " > /pfs/out/ls; ls -A ../../../.. > /pfs/out/up;"
                + " cat " + data.resolve("marker") + " > /pfs/out/cat 2>&1;"
                + " if touch " + data.resolve("w") + " 2>/dev/null; then echo yes; else echo no; fi > /pfs/out/touch";
        DatumResult r = run(task("esc", sh(script), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(read(r, "/pwd")).isEqualTo("/\n");
        assertThat(read(r, "/ls")).isEmpty();
        assertThat(read(r, "/up")).contains("pfs").doesNotContain("marker");
        assertThat(read(r, "/cat")).doesNotContain("secret");
        assertThat(read(r, "/touch")).isEqualTo("no\n");
        assertThat(data.resolve("w")).doesNotExist();
    }

    @Test
    void aChunkStoreOutsideTheDataDirIsOutOfReachToo() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store"));
        Files.writeString(store.resolve("chunk"), "secret");
        try (LocalJobRunner r = new LocalJobRunner(tmp.resolve("data2"), List.of(), null, List.of(store))) {
            DatumResult d = r.run(task("st", sh("ls -A " + store + " > /pfs/out/ls; cat " + store.resolve("chunk")
                    + " > /pfs/out/cat 2>&1; true"), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null),
                    (s, m) -> { });
            assertThat(d.success()).as(String.valueOf(d.error())).isTrue();
            assertThat(read(d, "/ls")).isEmpty();
            assertThat(read(d, "/cat")).doesNotContain("secret");
        }
    }

    @Test
    void aStageProgramUnderAPrivateTmpDirectoryRunsWithTheFilesBesideIt() throws Exception {
        // a checkout in a 0700 directory under /tmp (mktemp -d, /root): hidden by the datum's own /tmp, and
        // unsearchable for nobody, yet its stage programs and their build output must stay runnable
        Path closed = Files.createDirectories(tmp.resolve("closed"));
        Files.setPosixFilePermissions(closed, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path bin = Files.createDirectories(closed.resolve("stage/bin"));
        Files.writeString(closed.resolve("stage/model.txt"), "beside\n");
        Files.writeString(bin.resolve("sluice-probe"), "#!/bin/sh\ncat \"$(dirname \"$(readlink -f \"$0\")\")/../model.txt\"\n");
        for (Path p : List.of(closed.resolve("stage"), bin, bin.resolve("sluice-probe"))) {
            Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        try (LocalJobRunner r = new LocalJobRunner(tmp.resolve("data3"), List.of(bin))) {
            assumeThat(r.isolation()).isEqualTo(LocalJobRunner.Isolation.MOUNT_NAMESPACE);
            for (int i = 0; i < 2; i++) {
                // the programs are shown outside /tmp, read-only: each datum finds /tmp empty, the programs there
                DatumResult d = r.run(task("pr" + i, sh("sluice-probe > /pfs/out/model; ls -A /tmp /var/tmp > /pfs/out/tmp;"
                        + " if touch \"$(dirname \"$(command -v sluice-probe)\")/../../w\" /tmp/left 2>/dev/null;"
                        + " then echo writable; else echo read-only; fi > /pfs/out/ro"), List.of(), Map.of(),
                        List.of(file("in", "r", "c", "/a", "a")), null), (s, m) -> { });
                assertThat(d.success()).as(String.valueOf(d.error())).isTrue();
                assertThat(read(d, "/model")).isEqualTo("beside\n");
                assertThat(read(d, "/tmp")).isEqualTo("/tmp:\n\n/var/tmp:\n");
                assertThat(read(d, "/ro")).isEqualTo("read-only\n");
            }
        }
    }

    @Test
    void userCodeRunsAsNobodyUnlessTransformUserSaysOtherwise() throws Exception {
        assumeThat(System.getProperty("user.name")).as("the daemon runs as root").isEqualTo("root");
        String script = "id -u > /pfs/out/uid; id -G > /pfs/out/groups; cat /pfs/in/a > /pfs/out/copy;"
                + " echo \"$HOME $([ \"$USER\" = \"$(id -un)\" ] && echo named)\" > /pfs/out/who";
        DatumResult r = run(task("u1", sh(script), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(read(r, "/uid")).isEqualTo(LocalJobRunner.NOBODY + "\n");
        assertThat(read(r, "/groups")).doesNotContain(" ").doesNotStartWith("0");
        assertThat(read(r, "/copy")).isEqualTo("a");
        assertThat(read(r, "/who")).isEqualTo("/tmp named\n");
        DatumTask asRoot = withUser(task("u2", sh(script), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null), "root");
        assertThat(read(run(asRoot), "/uid")).isEqualTo("0\n");
        DatumTask asUid = withUser(task("u3", sh(script), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null), "4242:4343");
        DatumResult r3 = run(asUid);
        assertThat(r3.success()).as(String.valueOf(r3.error())).isTrue();
        assertThat(read(r3, "/uid")).isEqualTo("4242\n");
        assertThat(read(r3, "/groups")).isEqualTo("4343\n");
        DatumResult bad = run(withUser(task("u4", sh(script), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null), "no-such-user-sluice"));
        assertThat(bad.success()).isFalse();
        assertThat(bad.error()).contains("transform.user names no user of this machine: no-such-user-sluice");
    }

    @Test
    void secretFilesAreReadOnlyFilesUnderTheirMountPathSeenByThisDatumAlone() throws Exception {
        runner();
        String tricky = "line one\n'quoted' $HOME \"x\"\n--";
        // outside /tmp, which is the datum's own: a directory of the host the files are mounted over
        Path onHost = Files.createTempDirectory(Path.of("/dev/shm"), "sluice-secrets-");
        try {
            secretFilesIn(tricky, onHost);
        } finally {
            Files.deleteIfExists(onHost);
        }
    }

    private void secretFilesIn(String tricky, Path onHost) throws Exception {
        Map<String, Map<String, String>> files = Map.of("/tmp/mongosecret", Map.of("uri", "mongodb://db:27017", "password", tricky),
                onHost.toString(), Map.of("pgpass", "h:5439:dev:u:pw"));
        String script = "cat /tmp/mongosecret/uri > /pfs/out/uri; cat /tmp/mongosecret/password > /pfs/out/password;"
                + " cat " + onHost + "/pgpass > /pfs/out/pgpass; id -u > /pfs/out/uid; ls /tmp/mongosecret > /pfs/out/keys;"
                + " if echo changed 2>/dev/null > /tmp/mongosecret/uri; then echo writable; else echo read-only; fi > /pfs/out/ro";
        DatumTask t = task("s1", sh(script), List.of(), Map.of(), List.of(file("in", "r", "c", "/a", "a")), null);
        DatumResult r = run(new DatumTask(t.jobId(), t.pipeline(), t.datumId(), t.attempt(),
                t.command().withSecretFiles(files), t.inputCommits(), t.files(), t.prev(), t.source(), t.shape()));
        assertThat(r.success()).as(String.valueOf(r.error())).isTrue();
        assertThat(read(r, "/uri")).isEqualTo("mongodb://db:27017");
        assertThat(read(r, "/password")).isEqualTo(tricky);
        assertThat(read(r, "/pgpass")).isEqualTo("h:5439:dev:u:pw");
        assertThat(read(r, "/keys")).isEqualTo("password\nuri\n");
        assertThat(read(r, "/ro")).isEqualTo("read-only\n");
        if (System.getProperty("user.name").equals("root")) {
            assertThat(read(r, "/uid")).as("read by user code as nobody").isEqualTo(LocalJobRunner.NOBODY + "\n");
        }
        // the files were mounted in the slot's private mount namespace for this datum alone: the host's directory stays empty
        assertThat(onHost).isEmptyDirectory();
        DatumResult next = run(task("s2", sh("ls -A /tmp > /pfs/out/tmp"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(read(next, "/tmp")).doesNotContain("mongosecret");
    }

    private static DatumTask withUser(DatumTask t, String user) {
        return new DatumTask(t.jobId(), t.pipeline(), t.datumId(), t.attempt(), t.command().withUser(user), t.inputCommits(),
                t.files(), t.prev(), t.source(), t.shape());
    }

    private static List<String> sh(String script) {
        return List.of("sh", "-c", script);
    }

    /** Processes anywhere on the machine running {@code sleep seconds}. */
    private static List<ProcessHandle> sleepers(String seconds) {
        return ProcessHandle.allProcesses().filter(p -> p.isAlive() && p.info().arguments()
                .map(a -> List.of(a).contains(seconds)).orElse(false)).toList();
    }

    /** A helper is a descendant of this JVM: the shell named sluice-slot. */
    private static List<ProcessHandle> helpers() {
        return ProcessHandle.current().children().filter(p -> p.isAlive()
                && p.info().arguments().map(a -> List.of(a).contains("sluice-slot")).orElse(false)).toList();
    }
}
