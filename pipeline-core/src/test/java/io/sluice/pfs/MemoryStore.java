package io.sluice.pfs;

import io.sluice.storage.ObjectStore;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** A minimal in-memory {@link ObjectStore} for pfs tests until the storage backends land on main. */
final class MemoryStore implements ObjectStore {

    final ConcurrentSkipListMap<String, byte[]> objects = new ConcurrentSkipListMap<>();

    @Override
    public void put(String key, InputStream data, long length) throws IOException {
        byte[] bytes = data.readNBytes((int) length);
        if (bytes.length != length) {
            throw new IOException("short put: " + bytes.length + " of " + length);
        }
        objects.put(key, bytes);
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        byte[] b = objects.get(key);
        if (b == null) {
            throw new NoSuchFileException(key);
        }
        int from = (int) Math.min(offset, b.length);
        int len = length < 0 ? b.length - from : (int) Math.min(length, b.length - from);
        return new ByteArrayInputStream(b, from, len);
    }

    @Override
    public boolean exists(String key) {
        return objects.containsKey(key);
    }

    @Override
    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : objects.tailMap(prefix).entrySet()) {
            if (!e.getKey().startsWith(prefix)) {
                break;
            }
            keys.add(e.getKey());
        }
        return keys;
    }

    @Override
    public void delete(String key) {
        objects.remove(key);
    }

    @Override
    public String uri() {
        return "mem:";
    }

    long totalBytes() {
        return objects.values().stream().mapToLong(b -> b.length).sum();
    }
}
