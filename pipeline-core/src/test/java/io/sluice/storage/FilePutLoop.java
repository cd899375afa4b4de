package io.sluice.storage;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * A child process for {@link FileObjectStoreCrashIT}: puts random objects named by their SHA-256 into a
 * file store forever, printing each key once its put has returned, until it is killed.
 */
public final class FilePutLoop {
    private FilePutLoop() {
    }

    public static void main(String[] args) throws Exception {
        FileObjectStore store = new FileObjectStore(Path.of(args[0]));
        SplittableRandom random = new SplittableRandom();
        while (true) {
            byte[] data = new byte[random.nextInt(512 * 1024)];
            random.nextBytes(data);
            String key = keyOf(data);
            store.put(key, data);
            System.out.println(key);
            System.out.flush();
        }
    }

    /** {@code chunks/<first two hex digits>/<sha-256 hex>}, the way content-addressed chunks are named. */
    static String keyOf(byte[] data) throws Exception {
        String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        return "chunks/" + hex.substring(0, 2) + "/" + hex;
    }
}
