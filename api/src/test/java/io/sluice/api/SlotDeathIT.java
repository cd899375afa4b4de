package io.sluice.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * A daemon killed by SIGKILL takes its namespace slots with it: the slot helper is started under
 * {@code setpriv --pdeathsig KILL}, so no helper shell and no user code outlives the daemon.
 */
class SlotDeathIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void killNineOfTheDaemonLeavesNoProcessOfItsSlots(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("daemon.log");
        try (DaemonProcess daemon = DaemonProcess.start(dir.resolve("data"), log)) {
            assumeFalse(Files.readString(log).contains("cannot make namespaces"), "no namespace slots on this machine");
            ok(daemon, daemon.request("/api/v1/repos").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"name\": \"in\"}")));
            ok(daemon, daemon.request("/api/v1/pipelines").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("""
                            {"pipeline": {"name": "sleeper"}, "transform": {"cmd": ["sh", "-c", "sleep 600"]},
                             "input": {"pfs": {"repo": "in", "glob": "/"}}}""")));
            ok(daemon, daemon.request("/api/v1/repos/in/files?path=/x").PUT(HttpRequest.BodyPublishers.ofString("x\n")));

            // the datum's sleep, with the helper and unshare processes above it, all descendants of the daemon
            ProcessHandle jvm = ProcessHandle.of(daemon.pid()).orElseThrow();
            List<ProcessHandle> slot = List.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < deadline) {
                slot = jvm.descendants().toList();
                if (slot.stream().anyMatch(p -> p.info().commandLine().orElse("").contains("sleep 600"))) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(slot).as("the datum's process").anyMatch(p -> p.info().commandLine().orElse("").contains("sleep 600"));

            daemon.kill();
            deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline && slot.stream().anyMatch(ProcessHandle::isAlive)) {
                Thread.sleep(50);
            }
            assertThat(slot.stream().filter(ProcessHandle::isAlive)
                    .map(p -> p.pid() + " " + p.info().commandLine().orElse("?")).toList())
                    .as("processes of the slot still running after the daemon's kill -9").isEmpty();
        }
    }

    private static void ok(DaemonProcess daemon, HttpRequest.Builder request) throws Exception {
        HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isBetween(200, 299);
    }
}
