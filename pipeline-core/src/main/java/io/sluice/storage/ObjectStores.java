package io.sluice.storage;

import io.sluice.SluiceException;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;

/** Opens the {@link ObjectStore} a URI names: {@code file:DIR}, {@code mem:} or {@code s3://BUCKET[/PREFIX]}. */
public final class ObjectStores {
    private ObjectStores() {
    }

    /**
     * Resolves {@code uri} to a backend; a relative {@code file:} path is taken relative to {@code dataDir}.
     * A null or blank URI means the embedded default, {@code file:objects} under the data dir.
     */
    public static ObjectStore open(String uri, Path dataDir) throws IOException {
        return open(uri, dataDir, System.getenv());
    }

    /** As {@link #open(String, Path)}, with the S3 endpoint and credentials taken from {@code env}. */
    public static ObjectStore open(String uri, Path dataDir, Map<String, String> env) throws IOException {
        String spec = uri == null || uri.isBlank() ? "file:objects" : uri.trim();
        if (spec.equals("mem:")) {
            return new MemObjectStore();
        }
        if (spec.startsWith("file:") && spec.length() > "file:".length()) {
            // Accept file:///abs as well as file:/abs and file:rel.
            String path = spec.substring("file:".length()).replaceFirst("^//(?=/)", "");
            try {
                return new FileObjectStore(dataDir.resolve(Path.of(path)));
            } catch (InvalidPathException e) {
                throw SluiceException.invalid("invalid object store path in '" + uri + "': " + e.getReason());
            }
        }
        throw SluiceException.invalid("unknown object store '" + uri
                + "': expected file:DIR, s3://BUCKET[/PREFIX] or mem:");
    }
}
