package io.sluice.pps;

import io.sluice.SluiceException;
import io.sluice.pfs.Projects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Pipelines on disk under {@code pps/pipelines/<name>/} (the file name of the qualified name, {@link Projects}:
 * {@code <project>.<name>} outside the default project): every spec version as given
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

    private static final String INTENT = "intent";
    private static final String TRASH = ".trash-";

    private final Path root;
    private final ObjectMapper mapper;

    PipelineStore(Path root, ObjectMapper mapper) {
        this.root = root;
        this.mapper = mapper;
    }

    /**
     * What a crash may have interrupted: a create (rolled back at start unless its state was saved, which
     * is when it became a pipeline) or a delete (finished at start).
     */
    enum Intent { CREATE, DELETE }

    private Path dir(String name) {
        return root.resolve(Projects.fileName(name));
    }

    /** The names of the pipelines on disk (directories; interrupted creates and deletes included). */
    List<String> names() {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path dir : (Iterable<Path>) dirs::iterator) {
                String name = dir.getFileName().toString();
                if (name.startsWith(TRASH)) {
                    AtomicFiles.deleteTree(dir); // a delete that a crash cut short after its rename
                } else if (Files.isDirectory(dir) && !name.startsWith(".")) {
                    out.add(Projects.fromFileName(name));
                }
            }
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot list the pipelines under " + root + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** The pipeline's state; empty when there is none (an interrupted create). Throws if the file is damaged. */
    Optional<State> state(String name) {
        Path state = dir(name).resolve("state.json");
        if (!Files.isRegularFile(state)) {
            return Optional.empty();
        }
        try {
            State s = mapper.readValue(state.toFile(), State.class);
            if (s == null || s.name() == null || !s.name().equals(name) || s.version() < 1 || s.state() == null) {
                throw new IOException("fields missing");
            }
            return Optional.of(s);
        } catch (IOException e) {
            throw SluiceException.unavailable("damaged " + state.getFileName() + " of pipeline " + name + ": " + e.getMessage(), e);
        }
    }

    /** The versions with a non-empty spec file, newest first. */
    List<Integer> specVersions(String name) {
        List<Integer> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir(name))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (n.matches("spec-[0-9]{1,9}\\.json") && Files.size(f) > 0) {
                    out.add(Integer.parseInt(n.substring(5, n.length() - 5)));
                }
            }
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot list the specs of pipeline " + name + ": " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.reverseOrder());
        return out;
    }

    /** The highest salt with stored datum results up to {@code version}, or 1: what an unreadable state meant. */
    int latestSalt(String name, int version) {
        int salt = 1;
        for (int s = 2; s <= version; s++) {
            if (Files.isRegularFile(dir(name).resolve("datums-" + s + ".jsonl"))) {
                salt = s;
            }
        }
        return salt;
    }

    /** An operation under way and the repos besides the output repo (cron ticks) that go if it is undone. */
    record IntentRecord(Intent op, List<String> repos) {
    }

    Optional<IntentRecord> intent(String name) {
        Path f = dir(name).resolve(INTENT);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(f);
            return Optional.of(new IntentRecord(Intent.valueOf(lines.get(0).strip()), lines.subList(1, lines.size())));
        } catch (IOException | RuntimeException e) {
            // written atomically, so only a damaged disk gets here: the safe reading is "nothing acknowledged"
            return Optional.of(new IntentRecord(Intent.CREATE, List.of()));
        }
    }

    /** Durably records that {@code intent} is under way for {@code name}, before its first step. */
    void saveIntent(String name, Intent intent, List<String> repos) {
        StringBuilder text = new StringBuilder(intent.name()).append('\n');
        repos.forEach(r -> text.append(r).append('\n'));
        AtomicFiles.write(dir(name).resolve(INTENT), text.toString().getBytes(StandardCharsets.UTF_8));
    }

    void clearIntent(String name) {
        try {
            Files.deleteIfExists(dir(name).resolve(INTENT));
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot delete the intent record of pipeline " + name + ": " + e.getMessage(), e);
        }
    }

    void saveSpec(String name, int version, String specJson) {
        AtomicFiles.write(dir(name).resolve("spec-" + version + ".json"),
                specJson.getBytes(StandardCharsets.UTF_8));
    }

    String spec(String name, int version) {
        try {
            return Files.readString(dir(name).resolve("spec-" + version + ".json"));
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot read spec version " + version + " of pipeline " + name + ": " + e.getMessage(), e);
        }
    }

    void saveState(State state) {
        AtomicFiles.write(dir(state.name()).resolve("state.json"), json(state));
    }

    /**
     * Deletes the pipeline's directory, first renamed away in one step: a crash never leaves part of it (old
     * datum results a new pipeline of the same name would take for its own).
     */
    void delete(String name) {
        Path dir = dir(name);
        if (!Files.exists(dir)) {
            return;
        }
        Path trash = root.resolve(TRASH + Projects.fileName(name) + "-" + System.nanoTime());
        try {
            Files.move(dir, trash, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot delete pipeline " + name + ": " + e.getMessage(), e);
        }
        AtomicFiles.deleteTree(trash);
    }

    Map<String, DatumRecord> datumResults(String name, int salt) {
        Map<String, DatumRecord> out = new HashMap<>();
        Path file = dir(name).resolve("datums-" + salt + ".jsonl");
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
            throw SluiceException.unavailable("cannot read " + file + ": " + e.getMessage(), e);
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
        AtomicFiles.append(dir(name).resolve("datums-" + salt + ".jsonl"),
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
