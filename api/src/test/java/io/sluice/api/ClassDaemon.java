package io.sluice.api;

import io.sluice.api.server.Daemon;
import io.sluice.runner.exec.Workspace;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One {@link TestDaemon} for a whole test class, over a fresh temp dir: register it as a static field with
 * {@code @RegisterExtension}; it starts before the class's first test and is closed, its dir deleted, after the last.
 */
final class ClassDaemon implements RunningDaemon, BeforeAllCallback, AfterAllCallback {
    private Path dir;
    private TestDaemon running;

    /** A scratch directory of the class's own (the daemon's data dir is {@code data} inside it). */
    Path dir() {
        return dir;
    }

    @Override
    public Daemon daemon() {
        return running.daemon;
    }

    @Override
    public String address() {
        return running.address;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("sluice-" + context.getRequiredTestClass().getSimpleName() + "-");
        running = new TestDaemon(dir.resolve("data"));
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (running != null) {
                running.close();
            }
        } finally {
            Workspace.deleteTree(dir);
        }
    }
}
