package io.sluice.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process killed with SIGKILL while putting: every finished put is there, and no object is a prefix. */
class FileObjectStoreCrashIT {
    @TempDir
    Path dir;

    @Test
    void killDashNineLosesNoFinishedPutAndExposesNoPartialObject() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                FilePutLoop.class.getName(), dir.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<String> finished = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while (finished.size() < 150 && (line = out.readLine()) != null) {
                finished.add(line);
            }
            child.destroyForcibly(); // SIGKILL, most likely in the middle of the next put
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(finished).hasSize(150);

        FileObjectStore store = new FileObjectStore(dir);
        List<String> stored = store.list("chunks/");
        assertThat(stored).containsAll(finished);
        for (String key : stored) {
            assertThat(FilePutLoop.keyOf(store.getBytes(key))).as("content of %s", key).isEqualTo(key);
        }
    }
}
