package io.sluice.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;
import io.sluice.SluiceException;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.CommitRef;
import io.sluice.pfs.FileBatch;
import io.sluice.pfs.PfsService;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The movie recommender's original API: {@code POST /train} and {@code POST /predict} each write one new
 * request file (one commit) into the {@code training} or {@code streaming} repo, and {@code POST /result}
 * answers a prediction file from the {@code predict} repo once its job has committed it. It reads its own
 * writes: {@code /train} names the commit (its commit set) it wrote, and a prediction is ready only when the
 * model it was made with includes every training commit acknowledged before its {@code /predict}; the request
 * commit's description records which training commit that was, so the rule holds across restarts.
 */
public final class RecommenderController {
    public static final String TRAINING_REPO = "training";
    public static final String STREAMING_REPO = "streaming";
    public static final String PREDICT_REPO = "predict";
    public static final String MODEL_REPO = "train";
    public static final String BRANCH = "master";
    public static final int MAX_LINES = 100_000;
    private static final int MAX_BODY_BYTES = 16 << 20;
    private static final int MAX_CACHED_RESULTS = 10_000;
    private static final Pattern FILENAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,254}");
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    /** How a request commit names the training head at its {@code /predict}: "predict request after training ID". */
    private static final Pattern AFTER = Pattern.compile("after training ([0-9a-f]{32})");
    private static final long WAIT_POLL_MS = 20;
    private static final long MAX_WAIT_SECONDS = 3600;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS");

    private final PfsService pfs;
    private final ObjectMapper json;
    private final Clock clock;
    private final AtomicLong lastStampMicros = new AtomicLong();
    /** Finished prediction files by (predict commit, filename): a commit never changes, so no invalidation. */
    private final Map<String, byte[]> results = new ConcurrentHashMap<>();
    /** The training commit each request file must see in its model ("" for none); facts that never change. */
    private final Map<String, String> requiredTraining = new ConcurrentHashMap<>();
    /** (model's training commit, required training commit) pairs known to be one the other's descendant. */
    private final Map<String, Boolean> includes = new ConcurrentHashMap<>();

    public RecommenderController(PfsService pfs, ObjectMapper json, Clock clock) {
        this.pfs = pfs;
        this.json = json;
        this.clock = clock;
    }

    /** POST /train: one training file; answers its name and its commit (the id of the set it starts). */
    public void train(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_BODY_BYTES, "data");
        String filename = "train-" + nextStamp() + ".txt";
        CommitInfo c = pfs.putFile(TRAINING_REPO, BRANCH, "/" + filename,
                new ByteArrayInputStream(requestFile(body, 4)), false);
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("filename", filename);
        answer.put("commit", c.set());
        ctx.json(answer);
    }

    /**
     * POST /predict: one request file, committed with the training head of this moment; with {@code "wait":
     * SECONDS} the answer comes once its prediction is ready (as /result would answer it), or at the timeout
     * with {@code "ready": false}.
     */
    public void predict(Context ctx) {
        JsonNode body = Requests.jsonObject(ctx, json, MAX_BODY_BYTES, "data", "wait");
        JsonNode waitNode = body.get("wait");
        if (waitNode != null && (!waitNode.canConvertToLong() || waitNode.asLong() < 0
                || waitNode.asLong() > MAX_WAIT_SECONDS)) {
            throw SluiceException.invalid("'wait' must be a whole number of seconds from 0 to " + MAX_WAIT_SECONDS);
        }
        byte[] bytes = requestFile(body, 2);
        String filename = "predict-" + nextStamp() + ".txt";
        // what /train acknowledged so far: every finished training commit, the newest one naming them all
        CommitInfo training = headOrNull(TRAINING_REPO);
        String after = training == null ? "" : training.id();
        try (FileBatch batch = pfs.openBatch(STREAMING_REPO, BRANCH, filename
                + (after.isEmpty() ? "" : " after training " + after), List.of())) {
            batch.put("/" + filename, new ByteArrayInputStream(bytes), false);
            batch.commit();
        }
        requiredTraining.put(filename, after);
        if (waitNode == null) {
            ctx.json(Map.of("filename", filename));
            return;
        }
        long deadline = System.nanoTime() + waitNode.asLong() * 1_000_000_000L;
        CompletableFuture<Map<String, Object>> ready = new CompletableFuture<>();
        Executor later = CompletableFuture.delayedExecutor(WAIT_POLL_MS, TimeUnit.MILLISECONDS);
        Runnable[] look = new Runnable[1];
        look[0] = () -> {
            try {
                Map<String, Object> answer = answer(filename);
                if (Boolean.TRUE.equals(answer.get("ready")) || System.nanoTime() >= deadline) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    out.put("filename", filename);
                    out.putAll(answer);
                    ready.complete(out);
                } else {
                    later.execute(look[0]);
                }
            } catch (IOException | RuntimeException e) {
                ready.completeExceptionally(e);
            }
        };
        look[0].run();
        Requests.longPoll(ctx, ready);
    }

    public void result(Context ctx) throws IOException {
        JsonNode body = Requests.jsonObject(ctx, json, 64 << 10, "filename");
        JsonNode node = body.get("filename");
        if (node == null || !node.isTextual() || node.asText().isEmpty()) {
            throw SluiceException.invalid("'filename' must be a non-empty string");
        }
        String filename = node.asText();
        if (!FILENAME.matcher(filename).matches() || filename.contains("..")) {
            throw SluiceException.invalid("'filename' must be a plain file name such as predict-2019-05-09T16:33:25.613314.txt, not '"
                    + printable(filename) + "'");
        }
        ctx.json(answer(filename));
    }

    /**
     * /result's answer: the prediction in the newest predict commit, ready only if that commit's model was
     * trained on the request's required training commit or a later one; NOT_FOUND for an unknown request.
     */
    private Map<String, Object> answer(String filename) throws IOException {
        Map<String, Object> answer = new LinkedHashMap<>();
        CommitInfo head = headOrNull(PREDICT_REPO);
        byte[] data = head == null ? null : predictionOrNull(head, filename);
        String required = requiredTraining(filename);
        String model = head == null ? null : provenanceIn(head, MODEL_REPO);
        String trainedOn = head == null ? null : provenanceIn(head, TRAINING_REPO);
        if (data == null || !(required.isEmpty() || (trainedOn != null && includes(trainedOn, required)))) {
            answer.put("data", "");
            answer.put("ready", false);
        } else {
            answer.put("data", new String(data, StandardCharsets.UTF_8));
            answer.put("ready", true);
            answer.put("commit", head.id());
            answer.put("model", model);
            answer.put("training", trainedOn);
        }
        return answer;
    }

    private static String provenanceIn(CommitInfo c, String repo) {
        return c.provenance().stream().filter(p -> p.repo().equals(repo)).findFirst().map(CommitRef::id).orElse(null);
    }

    /**
     * The training commit the request's prediction must include ("" for none), from the request commit's
     * description; NOT_FOUND when no request file has that name.
     */
    private String requiredTraining(String filename) {
        String known = requiredTraining.get(filename);
        if (known != null) {
            return known;
        }
        if (!exists(STREAMING_REPO, filename)) {
            throw SluiceException.notFound("no prediction request named '" + filename + "'");
        }
        String found = "";
        for (CommitInfo c : pfs.listCommit(STREAMING_REPO, BRANCH, 0)) {
            if (c.description().startsWith(filename)) {
                java.util.regex.Matcher m = AFTER.matcher(c.description());
                found = m.find() ? m.group(1) : "";
                break;
            }
        }
        if (requiredTraining.size() >= MAX_CACHED_RESULTS) {
            requiredTraining.clear();
        }
        requiredTraining.put(filename, found);
        return found;
    }

    /** Whether training commit {@code newer} is {@code older} or one of its descendants on the branch. */
    private boolean includes(String newer, String older) {
        String key = newer + "/" + older;
        if (includes.containsKey(key)) {
            return true;
        }
        CommitInfo c;
        CommitInfo target;
        try {
            c = pfs.inspectCommit(TRAINING_REPO, newer);
            target = pfs.inspectCommit(TRAINING_REPO, older);
        } catch (SluiceException e) {
            return false;
        }
        // a parent finished before its child: below the target's finish time it cannot be found any more
        while (c != null && !c.id().equals(older) && !c.finished().isBefore(target.finished())) {
            c = c.parent() == null ? null : pfs.inspectCommit(TRAINING_REPO, c.parent());
        }
        if (c == null || !c.id().equals(older)) {
            return false;
        }
        if (includes.size() >= MAX_CACHED_RESULTS) {
            includes.clear();
        }
        includes.put(key, true);
        return true;
    }

    /** The request's lines checked and normalised, one per line, as the file to commit. */
    private static byte[] requestFile(JsonNode body, int fields) {
        JsonNode data = body.get("data");
        if (data == null || !data.isArray() || data.isEmpty()) {
            throw SluiceException.invalid("'data' must be a non-empty array of lines");
        }
        if (data.size() > MAX_LINES) {
            throw new SluiceException(SluiceException.Kind.TOO_LARGE,
                    "'data' has " + data.size() + " lines; at most " + MAX_LINES + " are accepted per request");
        }
        StringBuilder file = new StringBuilder(data.size() * 24);
        for (int i = 0; i < data.size(); i++) {
            JsonNode line = data.get(i);
            if (!line.isTextual()) {
                throw SluiceException.invalid("line " + (i + 1) + " of 'data' must be a string");
            }
            file.append(validLine(line.asText(), i + 1, fields)).append('\n');
        }
        return file.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** "user movie" (fields = 2) or "user movie rating timestamp" (fields = 4), normalised to single spaces. */
    static String validLine(String line, int number, int fields) {
        String[] parts = line.trim().split("[ \\t]+");
        String shape = fields == 2 ? "'user_id movie_id'" : "'user_id movie_id rating timestamp'";
        if (parts.length != fields || parts[0].isEmpty()) {
            throw SluiceException.invalid("line " + number + " of 'data' must be " + shape + " (" + fields
                    + " numbers), not '" + printable(line) + "'");
        }
        for (int f = 0; f < fields; f++) {
            boolean rating = f == 2;
            boolean ok = rating ? NUMBER.matcher(parts[f]).matches() : INTEGER.matcher(parts[f]).matches();
            if (ok && rating && !Double.isFinite(Double.parseDouble(parts[f]))) {
                ok = false; // "1e999" is a number to the pattern but infinite to every model
            }
            String what = rating ? "rating" : (f == 0 ? "user_id" : f == 1 ? "movie_id" : "timestamp");
            if (!ok) {
                throw SluiceException.invalid("line " + number + " of 'data': " + what + " '" + printable(parts[f])
                        + "' is not " + (rating ? "a number" : "a whole number"));
            }
            if (!rating && !fitsInLong(parts[f])) {
                // the stages read ids and timestamps as 64-bit integers; one they cannot read fails every job
                throw SluiceException.invalid("line " + number + " of 'data': " + what + " '" + printable(parts[f])
                        + "' is out of range (at most " + Long.MAX_VALUE + " in magnitude)");
            }
        }
        return String.join(" ", parts);
    }

    private static boolean fitsInLong(String integer) {
        try {
            Long.parseLong(integer);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** "2019-05-09T16:33:25.613314" from the clock, strictly increasing so that names never collide. */
    private String nextStamp() {
        Instant now = clock.instant();
        long micros = now.getEpochSecond() * 1_000_000 + now.getNano() / 1_000;
        long stamp = lastStampMicros.accumulateAndGet(micros, (last, t) -> Math.max(last + 1, t));
        LocalDateTime time = LocalDateTime.ofEpochSecond(Math.floorDiv(stamp, 1_000_000),
                (int) Math.floorMod(stamp, 1_000_000) * 1_000, ZoneOffset.UTC);
        return STAMP.format(time);
    }

    /** The newest finished commit of the repo's branch (never an open one), or null if there is none. */
    private CommitInfo headOrNull(String repo) {
        try {
            List<CommitInfo> head = pfs.listCommit(repo, BRANCH, 1);
            return head.isEmpty() ? null : head.get(0);
        } catch (SluiceException e) {
            if (e.kind() == SluiceException.Kind.NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    private byte[] predictionOrNull(CommitInfo head, String filename) throws IOException {
        String key = head.id() + "/" + filename;
        byte[] cached = results.get(key);
        if (cached != null) {
            return cached;
        }
        if (!exists(head, filename)) {
            return null;
        }
        byte[] data;
        try (InputStream in = pfs.getFile(PREDICT_REPO, head.id(), "/" + filename, 0, -1)) {
            data = in.readAllBytes();
        }
        if (results.size() >= MAX_CACHED_RESULTS) {
            results.clear();
        }
        results.put(key, data);
        return data;
    }

    private boolean exists(CommitInfo commit, String filename) {
        try {
            pfs.inspectFile(commit.repo(), commit.id(), "/" + filename);
            return true;
        } catch (SluiceException e) {
            if (e.kind() == SluiceException.Kind.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    private boolean exists(String repo, String filename) {
        CommitInfo head = headOrNull(repo);
        return head != null && exists(head, filename);
    }

    /** Echoes user input in an error message without control characters or unbounded length. */
    static String printable(String s) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > 80 ? clean.substring(0, 80) + "..." : clean;
    }
}
