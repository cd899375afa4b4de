package io.sluice.storage;

import java.io.IOException;
import java.nio.file.Path;

/** Opens the {@link ObjectStore} a URI names: {@code file:DIR}, {@code mem:} or {@code s3://BUCKET[/PREFIX]}. */
public final class ObjectStores {
    private ObjectStores() {
    }

    /**
     * Resolves {@code uri} to a backend; a relative {@code file:} path is taken relative to {@code dataDir}.
     * A null or blank URI means the embedded default, {@code file:objects} under the data dir.
     */
    public static ObjectStore open(String uri, Path dataDir) throws IOException {
        throw new UnsupportedOperationException("storage backends are not written yet");
    }
}
