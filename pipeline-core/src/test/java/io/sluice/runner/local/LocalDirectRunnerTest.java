package io.sluice.runner.local;

import io.sluice.runner.JobRunner;
import io.sluice.runner.JobRunnerContract;
import io.sluice.runner.exec.FileSource;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The local runner without namespaces: /pfs rewritten in cmd and stdin to each datum's directory. */
class LocalDirectRunnerTest extends JobRunnerContract {

    @Override
    protected JobRunner create(Path dataDir, FileSource source) {
        return new LocalJobRunner(dataDir, List.of(), LocalJobRunner.Isolation.PATH_REWRITE);
    }

    @Override
    protected boolean readOnlyPrev() {
        // file modes only, which do not stop root
        return false;
    }

    @Override
    protected boolean killsOnInterrupt() {
        return true;
    }

    @Override
    protected boolean privatePfs() {
        return false;
    }

    @Test
    void saysWhatItCannotIsolate() throws Exception {
        assertThat(runner().isolationGap()).contains("cannot make namespaces").contains("/tmp").contains("data dir");
    }
}
