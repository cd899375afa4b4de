package io.sluice.runner.local;

import io.sluice.runner.DatumResult;
import io.sluice.runner.JobRunner;
import io.sluice.runner.JobRunnerContract;
import io.sluice.runner.exec.FileSource;
import org.junit.jupiter.api.Test;

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
    void releaseDeletesTheJobsWorkDirectory() throws Exception {
        DatumResult r = run(task("d1", List.of("sh", "-c", "echo x > /pfs/out/x"), List.of(), Map.of(),
                List.of(file("in", "r", "c", "/a", "a")), null));
        assertThat(r.success()).isTrue();
        assertThat(tmp.resolve("data/pps/work/job1")).exists();
        runner().release("job1");
        assertThat(tmp.resolve("data/pps/work/job1")).doesNotExist();
    }

    /** A helper is a descendant of this JVM: the shell named sluice-slot. */
    private static List<ProcessHandle> helpers() {
        return ProcessHandle.current().children().filter(p -> p.isAlive()
                && p.info().arguments().map(a -> List.of(a).contains("sluice-slot")).orElse(false)).toList();
    }
}
