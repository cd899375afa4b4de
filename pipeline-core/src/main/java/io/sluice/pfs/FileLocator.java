package io.sluice.pfs;

import com.fasterxml.jackson.core.JsonFactory;
import io.sluice.storage.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.List;

/**
 * An opaque, self-contained reference to one file's bytes in the object store, for readers outside the
 * daemon (worker pods): the daemon {@link #of makes} it from the file's manifest, a pod {@link #open opens}
 * it against the same store. What is inside (today the manifest, base64) is pfs's business alone, so the
 * chunk layout is not part of any protocol.
 */
public final class FileLocator {
    private static final JsonFactory JSON = new JsonFactory();

    private FileLocator() {
    }

    /** The locator of the file made of {@code chunks}. */
    public static String of(List<FileManifest.Chunk> chunks) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(FileManifest.of(chunks).toJson());
    }

    /** The bytes {@code locator} names, read from {@code store}. */
    public static InputStream open(ObjectStore store, String locator) throws IOException {
        byte[] manifest;
        try {
            manifest = Base64.getUrlDecoder().decode(locator);
        } catch (IllegalArgumentException e) {
            throw new IOException("not a file locator: " + e.getMessage());
        }
        return new ChunkStream(store, FileManifest.parse(JSON, manifest).chunks(), 0, -1);
    }
}
