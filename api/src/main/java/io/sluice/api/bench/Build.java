package io.sluice.api.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
