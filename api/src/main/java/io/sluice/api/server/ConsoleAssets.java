package io.sluice.api.server;

import io.javalin.http.Context;
import io.sluice.SluiceException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The console's static files, held in memory at URLs that name their content: the console's own files under
 * {@code /console/<hash of them all>/}, the WebJar files it uses under their versioned {@code /webjars/} path.
 * So every one is served "immutable" (a repeat visit asks for none of them) and gzipped once, on first request,
 * for browsers that accept it.
 */
final class ConsoleAssets {
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    /** One file: its bytes, its media type, and its gzipped bytes once someone asked for them. */
    private static final class Asset {
        final byte[] bytes;
        final String type;
        volatile byte[] gzipped;

        Asset(byte[] bytes, String type) {
            this.bytes = bytes;
            this.type = type;
        }
    }

    private final Map<String, Asset> byPath = new ConcurrentHashMap<>();
    private final String consolePrefix;
    private final List<String> modules;

    /** Reads every file of the classpath directory {@code dir} (flat) and the given classpath files ({@code url -> resource}). */
    ConsoleAssets(String dir, Map<String, String> libraries) {
        Map<String, byte[]> own = list(dir);
        MessageDigest sha = sha256();
        own.forEach((name, bytes) -> {
            sha.update(name.getBytes(StandardCharsets.UTF_8));
            sha.update(bytes);
        });
        consolePrefix = dir + "/" + HexFormat.of().formatHex(sha.digest()).substring(0, 12) + "/";
        own.forEach((name, bytes) -> byPath.put(consolePrefix + name, new Asset(bytes, type(name))));
        libraries.forEach((url, resource) -> byPath.put(url, new Asset(read(resource), type(url))));
        modules = own.keySet().stream().filter(n -> n.endsWith(".js")).map(n -> consolePrefix + n).toList();
    }

    /** The URL of one of the console's own files. */
    String url(String name) {
        return consolePrefix + name;
    }

    /** The URLs of the console's own modules, to preload them all at once rather than import by import. */
    List<String> modules() {
        return modules;
    }

    /** GET of any asset path: the bytes (gzipped when accepted), or a 404. */
    void serve(Context ctx) {
        Asset asset = byPath.get(ctx.path());
        if (asset == null) {
            throw SluiceException.notFound("no console file " + ctx.path() + " (an older page? reload it)");
        }
        ctx.header("Cache-Control", IMMUTABLE);
        ctx.header("Vary", "Accept-Encoding");
        ctx.contentType(asset.type);
        String accepted = ctx.header("Accept-Encoding");
        if (accepted != null && accepted.contains("gzip")) {
            ctx.header("Content-Encoding", "gzip");
            ctx.result(gzipped(asset));
        } else {
            ctx.result(asset.bytes);
        }
    }

    private static byte[] gzipped(Asset asset) {
        byte[] z = asset.gzipped;
        if (z == null) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(asset.bytes.length / 3 + 64);
            try (GZIPOutputStream gz = new GZIPOutputStream(out) {
                {
                    def.setLevel(Deflater.BEST_COMPRESSION);
                }
            }) {
                gz.write(asset.bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            z = out.toByteArray();
            asset.gzipped = z; // two first requests at once may both compress: same bytes, no harm
        }
        return z;
    }

    /** The files of a classpath directory, by name, sorted (in the build's classes dir or inside the jar). */
    private static Map<String, byte[]> list(String dir) {
        Map<String, byte[]> files = new TreeMap<>();
        try {
            URI uri = ConsoleAssets.class.getResource(dir).toURI();
            if (uri.getScheme().equals("jar")) {
                try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
                    collect(jar.provider().getPath(uri), files);
                } catch (FileSystemAlreadyExistsException open) {
                    collect(FileSystems.getFileSystem(uri).provider().getPath(uri), files); // another server's: left open
                }
            } else {
                collect(Path.of(uri), files);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("the console's files (" + dir + ") are missing from the build", e);
        }
        return files;
    }

    private static void collect(Path dir, Map<String, byte[]> files) throws IOException {
        try (Stream<Path> children = Files.list(dir)) {
            for (Path p : children.toList()) {
                if (Files.isRegularFile(p)) {
                    files.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        }
    }

    /** A classpath file's bytes; a missing one is a broken build. */
    static byte[] read(String resource) {
        try (InputStream in = ConsoleAssets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the classpath");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String type(String name) {
        if (name.endsWith(".js") || name.endsWith(".mjs")) {
            return "text/javascript; charset=utf-8";
        }
        if (name.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        if (name.endsWith(".html")) {
            return "text/html; charset=utf-8";
        }
        if (name.endsWith(".png")) {
            return "image/png";
        }
        return "application/octet-stream";
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
