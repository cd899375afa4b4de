package io.sluice.api.demo;

import io.sluice.SluiceException;
import io.sluice.api.server.Daemon;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.PfsService;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import io.sluice.pps.PpsService;

import io.sluice.train.RatingGenerator;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static io.sluice.api.server.RecommenderController.BRANCH;
import static io.sluice.api.server.RecommenderController.MODEL_REPO;
import static io.sluice.api.server.RecommenderController.STREAMING_REPO;
import static io.sluice.api.server.RecommenderController.TRAINING_REPO;

/**
 * The recommender demo that {@code sluice up} sets up: repos {@code training} and {@code streaming}, the
 * {@code train} and {@code predict} pipelines from {@code pipelines/}, and a base dataset; idempotent, so a
 * second run on the same data dir creates nothing twice.
 */
public final class Demo {
    private static final Duration FIRST_MODEL_TIMEOUT = Duration.ofMinutes(10);

    private final PfsService pfs;
    private final PpsService pps;
    private final PrintStream out;

    public Demo(Daemon daemon, PrintStream out) {
        this.pfs = daemon.pfs();
        this.pps = daemon.pps();
        this.out = out;
    }

    /** Sets everything up, then blocks until the first model is committed and prints the ready line. */
    public void run(Path dataset, String address) {
        ensureRepo(TRAINING_REPO, "Rating files: 'user_id movie_id rating timestamp' lines.");
        ensureRepo(STREAMING_REPO, "Prediction requests: 'user_id movie_id' lines.");
        ensurePipeline("train");
        ensurePipeline("predict");
        if (pfs.listCommit(TRAINING_REPO, null, 1).isEmpty()) {
            try (InputStream data = dataset != null ? Files.newInputStream(dataset) : generated()) {
                pfs.putFile(TRAINING_REPO, BRANCH, "/base-ratings.txt", data, false);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        CommitInfo model = awaitFirstModel();
        if (model != null) {
            out.println("sluice is ready: model " + model.id() + " committed; the recommender API answers on " + address);
        }
    }

    private void ensureRepo(String name, String description) {
        if (pfs.listRepos().stream().noneMatch(r -> r.name().equals(name))) {
            pfs.createRepo(name, description);
        }
    }

    private void ensurePipeline(String name) {
        if (pps.listPipeline().stream().anyMatch(p -> p.name().equals(name))) {
            return;
        }
        try (InputStream spec = Demo.class.getResourceAsStream("/pipelines/" + name + ".json")) {
            if (spec == null) {
                throw new IllegalStateException("pipelines/" + name + ".json is missing from the build");
            }
            pps.createPipeline(new String(spec.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest model, waiting for the first; null (after saying why) if the train job failed. */
    private CommitInfo awaitFirstModel() {
        Instant deadline = Instant.now().plus(FIRST_MODEL_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            try {
                return pfs.inspectCommit(MODEL_REPO, BRANCH);
            } catch (SluiceException e) {
                if (e.kind() != SluiceException.Kind.NOT_FOUND) {
                    throw e;
                }
            }
            List<JobInfo> jobs = pps.listJob(MODEL_REPO);
            if (!jobs.isEmpty() && jobs.get(0).state() == JobState.JOB_FAILURE) {
                out.println("sluice: the first train job failed: " + jobs.get(0).reason()
                        + " (see: sluice logs -j " + jobs.get(0).id() + ")");
                return null;
            }
            sleep();
        }
        out.println("sluice: no model after " + FIRST_MODEL_TIMEOUT.toMinutes() + " minutes; see: sluice list job");
        return null;
    }

    /** MovieLens 100K's shape (943 users, 1,682 movies, 100,000 ratings) with learnable structure; same every time. */
    private static InputStream generated() throws IOException {
        StringWriter text = new StringWriter(2 << 20);
        RatingGenerator.write(new RatingGenerator(RatingGenerator.Shape.MOVIELENS_100K).generate(), text);
        return new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private static void sleep() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
