package io.sluice.pps;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Pipelines on disk under {@code pps/pipelines/<name>/}: every spec version as given
 * ({@code spec-<version>.json}), a small {@code state.json}, and the datums that succeeded under each
 * salt ({@code datums-<salt>.jsonl}, append-only: datum id, the output commit holding its outputs, their
 * paths). A salt changes only on {@code update pipeline --reprocess}, so datums skip across plain updates.
 */
final class PipelineStore {

    /** A pipeline's mutable record; {@code salts} maps each spec version to the salt its jobs use. */
    record State(String name, int version, String state, Instant created, Instant updated,
                 Map<Integer, Integer> salts) {
        int salt(int version) {
            return salts.getOrDefault(version, 1);
        }
    }

    /** One datum that succeeded: its outputs live in {@code commit} of the pipeline's output repo. */
    record DatumRecord(String datum, String commit, List<String> outputs) {
    }

    private final Path root;
    private final ObjectMapper mapper;

    PipelineStore(Path root, ObjectMapper mapper) {
        this.root = root;
        this.mapper = mapper;
    }

    List<State> loadAll() {
        List<State> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                Path state = dir.resolve("state.json");
                if (Files.isRegularFile(state)) {
                    out.add(mapper.readValue(state.toFile(), State.class));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read pipelines under " + root, e);
        }
        return out;
    }

    void saveSpec(String name, int version, String specJson) {
        AtomicFiles.write(root.resolve(name).resolve("spec-" + version + ".json"),
                specJson.getBytes(StandardCharsets.UTF_8));
    }

    String spec(String name, int version) {
        try {
            return Files.readString(root.resolve(name).resolve("spec-" + version + ".json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read spec version " + version + " of pipeline " + name, e);
        }
    }

    void saveState(State state) {
        AtomicFiles.write(root.resolve(state.name()).resolve("state.json"), json(state));
    }

    void delete(String name) {
        AtomicFiles.deleteTree(root.resolve(name));
    }

    Map<String, DatumRecord> datumResults(String name, int salt) {
        Map<String, DatumRecord> out = new HashMap<>();
        Path file = root.resolve(name).resolve("datums-" + salt + ".jsonl");
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try (BufferedReader r = Files.newBufferedReader(file)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                if (!line.isBlank()) {
                    DatumRecord d = mapper.readValue(line, DatumRecord.class);
                    out.put(d.datum(), d);
                }
            }
        } catch (JsonProcessingException e) {
            // a torn last line from a crash mid-append: the records before it are intact
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return out;
    }

    void appendDatumResults(String name, int salt, List<DatumRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        for (DatumRecord d : records) {
            sb.append(new String(json(d), StandardCharsets.UTF_8)).append('\n');
        }
        AtomicFiles.append(root.resolve(name).resolve("datums-" + salt + ".jsonl"),
                sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    private byte[] json(Object o) {
        try {
            return mapper.writeValueAsBytes(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
