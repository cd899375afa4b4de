package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Main;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.Map;

/** Store maintenance: {@code fsck} verifies every reachable chunk, {@code gc} deletes unreferenced ones. */
public final class MaintenanceCommands {
    private MaintenanceCommands() {
    }

    @Command(name = "fsck", description = "Re-read every chunk any commit references and check its hash; exit 1 on problems.")
    public static final class Fsck extends Verbs.Verb implements Runnable {
        @Mixin ClientOptions o;

        @Override
        public void run() {
            JsonNode report = o.client(main).post("/api/v1/fsck", null, Map.of());
            if (o.json()) {
                o.printDocument(main.out(), report);
            } else {
                report.path("problems").forEach(p -> main.out().println(p.asText()));
            }
            if (!report.path("ok").asBoolean()) {
                throw new Main.UsageError("fsck found " + report.path("problems").size() + " problem(s)");
            }
            if (!o.json()) {
                main.out().println("ok: every reachable chunk is present and intact");
            }
        }
    }

    @Command(name = "gc", description = "Delete chunks that no commit references.")
    public static final class Gc extends Verbs.Verb implements Runnable {
        @Mixin ClientOptions o;

        @Override
        public void run() {
            JsonNode report = o.client(main).post("/api/v1/gc", null, Map.of());
            if (o.json()) {
                o.printDocument(main.out(), report);
            } else {
                main.out().println("deleted " + report.path("deletedChunks").asLong() + " unreferenced chunk(s)");
            }
        }
    }
}
