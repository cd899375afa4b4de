package io.sluice.storage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentSkipListMap;

/** An {@link ObjectStore} held in memory ({@code mem:}), for tests: everything is lost when it is dropped. */
public final class MemObjectStore implements ObjectStore {
    private final ConcurrentSkipListMap<String, byte[]> objects = new ConcurrentSkipListMap<>();

    @Override
    public void put(String key, InputStream data, long length) throws IOException {
        Keys.check(key);
        Keys.checkNotNegative(length, "length");
        if (length > Integer.MAX_VALUE - 8) {
            throw new IOException("object " + key + " of " + length + " bytes is too large for the memory store");
        }
        byte[] bytes = data.readNBytes((int) length);
        if (bytes.length != length) {
            throw new IOException("object " + key + ": expected " + length + " bytes, stream ended after " + bytes.length);
        }
        objects.put(key, bytes);
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        byte[] bytes = objects.get(Keys.check(key));
        if (bytes == null) {
            throw new NoSuchFileException(key);
        }
        int from = (int) Math.min(Keys.checkNotNegative(offset, "offset"), bytes.length);
        int count = length < 0 ? bytes.length - from : (int) Math.min(length, bytes.length - from);
        return new ByteArrayInputStream(bytes, from, count);
    }

    @Override
    public boolean exists(String key) {
        return objects.containsKey(Keys.check(key));
    }

    @Override
    public List<String> list(String prefix) {
        Keys.checkPrefix(prefix);
        List<String> keys = new ArrayList<>();
        for (String key : objects.tailMap(prefix).keySet()) {
            if (!key.startsWith(prefix)) {
                break;
            }
            keys.add(key);
        }
        return keys;
    }

    @Override
    public void delete(String key) {
        objects.remove(Keys.check(key));
    }

    @Override
    public String uri() {
        return "mem:";
    }
}
