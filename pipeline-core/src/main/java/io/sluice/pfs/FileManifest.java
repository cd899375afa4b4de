package io.sluice.pfs;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * What a commit's tree stores for one file: its size, its content hash (SHA-256 over the concatenated
 * binary chunk ids, so equal bytes give equal hashes without a second pass over the data) and its
 * ordered chunks, each with the CRC32C that reads check it against. Serialized as compact JSON with a
 * fixed field order, so equal content gives an equal git blob.
 */
public record FileManifest(long size, String hash, List<Chunk> chunks) {

    /**
     * One chunk: its id (hex SHA-256 of its bytes), its length, the CRC32C of its bytes, which every read
     * checks ({@link #NO_CRC} in manifests written before it was kept: those reads check the SHA-256), and
     * where it is stored: a loose object of its own ({@code pack} null), or {@code size} bytes at
     * {@code offset} of the pack object {@code pack}, which holds many small chunks of one upload.
     */
    public record Chunk(String id, long size, long crc, String pack, long offset) {
        /** A loose chunk, stored as an object of its own. */
        public Chunk(String id, long size, long crc) {
            this(id, size, crc, null, 0);
        }

        /** A loose chunk without a recorded CRC32C, as manifests written before it was kept describe one. */
        public Chunk(String id, long size) {
            this(id, size, NO_CRC);
        }

        /** Whether this chunk is a range of a pack object rather than an object of its own. */
        public boolean packed() {
            return pack != null;
        }

        /** The object store key of the object holding this chunk: its pack's, else {@code chunks/<first 2 hex>/<id>}. */
        public String key() {
            return pack != null ? packKey(pack) : chunkKey(id);
        }

        /** What a write pins to keep this chunk from gc: the object holding it ({@code pack:<id>} for a pack). */
        public String pinName() {
            return pack != null ? PACK_PIN + pack : id;
        }

        /** This chunk stored at {@code offset} of pack {@code pack}. */
        Chunk inPack(String pack, long offset) {
            return new Chunk(id, size, crc, pack, offset);
        }
    }

    /** A pack id: 32 random hex digits, chosen when the pack is opened. */
    static final java.util.regex.Pattern PACK_ID = java.util.regex.Pattern.compile("[0-9a-f]{32}");

    /** The prefix of a pack's name among the pins, which otherwise are chunk ids. */
    static final String PACK_PIN = "pack:";

    /** The object store key of pack {@code pack}. */
    public static String packKey(String pack) {
        return "packs/" + pack.substring(0, 2) + "/" + pack;
    }

    /** The {@link Chunk#crc()} of a chunk whose manifest predates CRC32Cs. */
    public static final long NO_CRC = -1;

    /** The object store key of chunk {@code id}. */
    public static String chunkKey(String id) {
        return "chunks/" + id.substring(0, 2) + "/" + id;
    }

    public FileManifest {
        chunks = List.copyOf(chunks);
    }

    /** The manifest of a file made of {@code chunks}, with its size and content hash computed. */
    public static FileManifest of(List<Chunk> chunks) {
        MessageDigest md = sha256();
        long size = 0;
        HexFormat hex = HexFormat.of();
        for (Chunk c : chunks) {
            md.update(hex.parseHex(c.id()));
            size += c.size();
        }
        return new FileManifest(size, hex.formatHex(md.digest()), chunks);
    }

    /** The compact JSON form stored as the file's git blob. */
    public byte[] toJson() {
        StringBuilder s = new StringBuilder(64 + chunks.size() * 84);
        s.append("{\"size\":").append(size).append(",\"hash\":\"").append(hash).append("\",\"chunks\":[");
        for (int i = 0; i < chunks.size(); i++) {
            Chunk c = chunks.get(i);
            s.append(i == 0 ? "" : ",").append("[\"").append(c.id()).append("\",").append(c.size());
            if (c.crc() != NO_CRC || c.packed()) {
                s.append(',').append(c.crc());
            }
            if (c.packed()) {
                s.append(",\"").append(c.pack()).append("\",").append(c.offset());
            }
            s.append(']');
        }
        return s.append("]}").toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** Parses what {@link #toJson()} wrote. */
    public static FileManifest parse(JsonFactory json, byte[] bytes) throws IOException {
        long size = -1;
        String hash = null;
        List<Chunk> chunks = new ArrayList<>();
        try (JsonParser p = json.createParser(bytes)) {
            expect(p.nextToken(), JsonToken.START_OBJECT);
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "size" -> size = p.getLongValue();
                    case "hash" -> hash = p.getText();
                    case "chunks" -> {
                        expect(value, JsonToken.START_ARRAY);
                        while (p.nextToken() == JsonToken.START_ARRAY) {
                            expect(p.nextToken(), JsonToken.VALUE_STRING);
                            String id = p.getText();
                            expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
                            long length = p.getLongValue();
                            long crc = NO_CRC;
                            JsonToken t = p.nextToken();
                            if (t == JsonToken.VALUE_NUMBER_INT) { // absent in manifests from before CRC32Cs
                                crc = p.getLongValue();
                                t = p.nextToken();
                            }
                            String pack = null;
                            long offset = 0;
                            if (t == JsonToken.VALUE_STRING) { // a packed chunk: its pack and offset
                                pack = p.getText();
                                expect(p.nextToken(), JsonToken.VALUE_NUMBER_INT);
                                offset = p.getLongValue();
                                t = p.nextToken();
                                if (!PACK_ID.matcher(pack).matches() || offset < 0) {
                                    throw new IOException("not a file manifest: bad pack locator " + pack + "@" + offset);
                                }
                            }
                            expect(t, JsonToken.END_ARRAY);
                            chunks.add(new Chunk(id, length, crc, pack, offset));
                        }
                    }
                    default -> p.skipChildren();
                }
            }
        }
        if (size < 0 || hash == null) {
            throw new IOException("not a file manifest");
        }
        return new FileManifest(size, hash, chunks);
    }

    private static void expect(JsonToken got, JsonToken want) throws IOException {
        if (got != want) {
            throw new IOException("not a file manifest: expected " + want + " but found " + got);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }
}
