package io.sluice.pps;

import io.sluice.SluiceException;
import io.sluice.pfs.Projects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The tick repos pps made for cron inputs, one file per repo in pps's own directory, which only pps writes:
 * what tells them from a user's repo of the same name or description. A record is written before its repo is
 * made (so a crash right after leaves one) and then names the repo's creation time (so a later repo of that
 * name, made after this one was deleted, is not taken for it).
 */
final class TickRepoRecords {
    private static final Logger LOG = LoggerFactory.getLogger(TickRepoRecords.class);
    private final Path dir;

    TickRepoRecords(Path dir) {
        this.dir = dir;
    }

    /** Durably records that pps is about to make tick repo {@code repo}, before it does. */
    void making(String repo) {
        AtomicFiles.write(dir.resolve(Projects.fileName(repo)), new byte[0]);
    }

    /** Records when tick repo {@code repo} was made, which tells it apart from any later repo of its name. */
    void made(String repo, Instant created) {
        AtomicFiles.write(dir.resolve(Projects.fileName(repo)), created.toString().getBytes(StandardCharsets.UTF_8));
    }

    void forget(String repo) {
        try {
            Files.deleteIfExists(dir.resolve(Projects.fileName(repo)));
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot delete the record of tick repo " + repo + ": " + e.getMessage(), e);
        }
    }

    /**
     * Every recorded tick repo and its creation time; empty when a crash came before that was recorded (then
     * the repo, if it exists, is the one pps had just made: nothing else makes repos while the daemon is down).
     */
    Map<String, Optional<Instant>> all() {
        Map<String, Optional<Instant>> out = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String name = f.getFileName().toString();
                if (name.startsWith(".")) {
                    continue; // a temp file of a write a crash cut short
                }
                try {
                    String text = Files.readString(f, StandardCharsets.UTF_8).strip();
                    out.put(Projects.fromFileName(name), text.isEmpty() ? Optional.empty() : Optional.of(Instant.parse(text)));
                } catch (IOException | RuntimeException e) {
                    // written atomically, so only a damaged disk gets here: leaving the repo alone is safe
                    LOG.warn("pps: the record of tick repo {} is unreadable, so that repo is kept: {}", name, e.getMessage());
                }
            }
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot read the records of tick repos in " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }
}
