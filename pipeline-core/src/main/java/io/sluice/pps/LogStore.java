package io.sluice.pps;

import io.sluice.SluiceException;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Job logs on disk: {@code pps/logs/<job>/<datum>.jsonl} holds the lines a datum's user code printed
 * (every attempt), {@code pps/logs/<job>/job.jsonl} what Sluice itself says about the job.
 */
final class LogStore {

    static final String JOB_LOG = "job";

    private final Path root;
    private final ObjectMapper mapper;

    LogStore(Path root, ObjectMapper mapper) {
        this.root = root;
        this.mapper = mapper;
    }

    /** An appender for one datum's (or, with {@link #JOB_LOG}, the job's) lines; close it to flush. */
    Appender open(String jobId, String datumId) {
        return new Appender(root.resolve(jobId).resolve(datumId + ".jsonl"));
    }

    /** Lines of one job, optionally of one datum, oldest first. */
    List<LogLine> read(String jobId, String datumId) {
        Path dir = root.resolve(jobId);
        List<LogLine> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String n = f.getFileName().toString();
                if (n.endsWith(".jsonl") && (datumId == null || n.equals(datumId + ".jsonl"))) {
                    readInto(f, out);
                }
            }
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot read the logs of job " + jobId + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(LogLine::time));
        return out;
    }

    private void readInto(Path f, List<LogLine> out) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                try {
                    out.add(mapper.readValue(line, LogLine.class));
                } catch (JsonProcessingException e) {
                    // a line torn by a crash: skip it, keep the rest
                }
            }
        }
    }

    void delete(String jobId) {
        AtomicFiles.deleteTree(root.resolve(jobId));
    }

    /** Appends log lines as JSON, one per line; thread-safe (stdout and stderr pump concurrently). */
    final class Appender implements Closeable {
        private final Path file;
        private BufferedWriter writer;

        /** The file is created with the first line: most datums print nothing. */
        private Appender(Path file) {
            this.file = file;
        }

        synchronized void add(LogLine line) {
            try {
                if (writer == null) {
                    Files.createDirectories(file.getParent());
                    writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                }
                writer.write(mapper.writeValueAsString(line));
                writer.write('\n');
                // Readers (logs -f, the console) see a running datum's lines as they come, not when it ends.
                writer.flush();
            } catch (IOException e) {
                throw SluiceException.unavailable("cannot write a log line" + ": " + e.getMessage(), e);
            }
        }

        @Override
        public synchronized void close() {
            if (writer == null) {
                return;
            }
            try {
                writer.close();
            } catch (IOException e) {
                throw SluiceException.unavailable("cannot write a log" + ": " + e.getMessage(), e);
            }
        }
    }
}
