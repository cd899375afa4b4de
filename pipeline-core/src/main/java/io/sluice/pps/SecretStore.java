package io.sluice.pps;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Secrets for {@code transform.secrets}, as {@code pachctl create secret} takes them: a Kubernetes Secret
 * manifest (JSON or YAML) whose {@code metadata.name} names it and whose {@code data} (base64) and
 * {@code stringData} (plain) hold its keys. Each is kept as {@code <dataDir>/pps/secrets/<name>.json},
 * readable by the daemon's user only (mode 0600, in a 0700 directory); values are never listed.
 */
public final class SecretStore {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
    private static final Pattern KEY = Pattern.compile("[-._a-zA-Z0-9]{1,253}");

    private final Path dir;
    private final ObjectMapper mapper;
    private final SpecReader reader = new SpecReader("the secret manifest");

    public SecretStore(Path dir, ObjectMapper mapper) {
        this.dir = dir;
        this.mapper = mapper;
    }

    /** Creates or replaces the secret in {@code manifest}; returns its name. */
    public synchronized String create(String manifest) {
        List<SpecReader.Doc> docs = reader.read(manifest);
        if (docs.size() != 1) {
            throw SluiceException.invalid("a secret manifest holds one Secret, not " + docs.size());
        }
        JsonNode root = docs.get(0).root();
        String kind = root.path("kind").asText("Secret");
        if (!kind.equals("Secret")) {
            throw SluiceException.invalid("the manifest's kind is '" + kind + "', not Secret");
        }
        String name = root.path("metadata").path("name").asText("");
        if (!NAME.matcher(name).matches()) {
            throw SluiceException.invalid("'metadata.name' must be a Kubernetes name: lower-case letters, digits, "
                    + "'-' and '.' (got '" + name + "')");
        }
        Map<String, String> values = new TreeMap<>();
        JsonNode data = root.path("data");
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            key(e.getKey());
            try {
                values.put(e.getKey(), new String(Base64.getDecoder().decode(e.getValue().asText("")),
                        StandardCharsets.UTF_8));
            } catch (IllegalArgumentException ex) {
                throw SluiceException.invalid("'data." + e.getKey() + "' is not base64");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("stringData").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            key(e.getKey());
            values.put(e.getKey(), e.getValue().asText(""));
        }
        if (values.isEmpty()) {
            throw SluiceException.invalid("the secret '" + name + "' has no data or stringData keys");
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir);
                Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            }
            Path tmp = Files.createTempFile(dir, "." + name, ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.write(tmp, mapper.writeValueAsBytes(values));
            Files.move(tmp, file(name), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot store secret '" + name + "': " + e.getMessage(), e);
        }
        return name;
    }

    /** The names of the stored secrets, sorted. */
    public List<String> list() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json") && !n.startsWith("."))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().forEach(out::add);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot list the secrets in " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Deletes a secret; NOT_FOUND when there is none. */
    public synchronized void delete(String name) {
        try {
            if (!NAME.matcher(name).matches() || !Files.deleteIfExists(file(name))) {
                throw SluiceException.notFound("no secret '" + name + "'");
            }
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot delete secret '" + name + "': " + e.getMessage(), e);
        }
    }

    /** The keys and values of secret {@code name}; NOT_FOUND when there is none. */
    public Map<String, String> get(String name) {
        Path f = NAME.matcher(name).matches() ? file(name) : null;
        if (f == null || !Files.isRegularFile(f)) {
            throw SluiceException.notFound("no secret '" + name + "'; create it with 'sluice create secret -f FILE'");
        }
        try {
            return mapper.readValue(f.toFile(), new TypeReference<TreeMap<String, String>>() { });
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot read secret '" + name + "': " + e.getMessage(), e);
        }
    }

    private Path file(String name) {
        return dir.resolve(name + ".json");
    }

    private static void key(String key) {
        if (!KEY.matcher(key).matches() || key.equals(".") || key.equals("..")) {
            throw SluiceException.invalid("secret key '" + key + "' must be letters, digits, '-', '_' or '.'");
        }
    }
}
