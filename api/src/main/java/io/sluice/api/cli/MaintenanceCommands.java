package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Main;

import java.util.Map;

/** Store maintenance: {@code fsck} verifies every reachable chunk, {@code gc} deletes unreferenced ones. */
public final class MaintenanceCommands {
    private MaintenanceCommands() {
    }

    /** fsck: every reachable chunk read back and checked. */
    public static final class Fsck extends ClientCmd {
        public Fsck() {
            super("fsck", "Re-read every chunk any commit references and check its hash; exit 1 on problems.");
        }

        @Override
        protected void run() {
            JsonNode report = client().post("/api/v1/fsck", null, Map.of());
            if (json()) {
                print(report);
            } else {
                for (JsonNode p : report.path("problems")) {
                    out().println(p.asText());
                }
            }
            if (!report.path("ok").asBoolean()) {
                throw new Main.UsageError("fsck found " + report.path("problems").size() + " problem(s)");
            }
            if (!json()) {
                out().println("ok: every reachable chunk is present and intact");
            }
        }
    }

    /** gc: unreferenced chunks deleted. */
    public static final class Gc extends ClientCmd {
        public Gc() {
            super("gc", "Delete chunks that no commit references.");
        }

        @Override
        protected void run() {
            JsonNode report = client().post("/api/v1/gc", null, Map.of());
            if (json()) {
                print(report);
            } else {
                out().println("deleted " + report.path("deletedChunks").asLong() + " unreferenced chunk(s)");
            }
        }
    }
}
