package io.sluice.api.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The jar and libraries of one checkout's build, for benchmarks that measure another build beside this one. */
record Build(Path home) {
    Build {
        if (!Files.isRegularFile(home.resolve("api/target/api.jar"))) {
            throw new IllegalArgumentException("no build at " + home + " (api/target/api.jar is missing: run mvn -DskipTests package there)");
        }
    }

    /** The class path of its {@code io.sluice.api.Main}. */
    String classpath() throws IOException {
        StringBuilder cp = new StringBuilder(home.resolve("api/target/api.jar").toString());
        try (var jars = Files.list(home.resolve("api/target/lib"))) {
            jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> cp.append(':').append(p));
        }
        return cp.toString();
    }

    /** The builds a before/after benchmark measures, by name: {@code before} (when given) and {@code after}. */
    static Map<String, Build> sideBySide(Path before, Path after) {
        Map<String, Build> builds = new LinkedHashMap<>();
        if (before != null) {
            builds.put("before", new Build(before.toAbsolutePath().normalize()));
        }
        builds.put("after", new Build(after.toAbsolutePath().normalize()));
        return builds;
    }

    /** Starts this build's daemon on a data dir of {@code name} under {@code dir}, logging beside it. */
    DaemonProcess start(Path dir, String name, List<String> upArgs) throws IOException, InterruptedException {
        return DaemonProcess.start(classpath(), Map.of("SLUICE_HOME", home.toString()), dir.resolve(name),
                dir.resolve(name + ".log"), upArgs);
    }
}
