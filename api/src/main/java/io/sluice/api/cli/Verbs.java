package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import io.sluice.pps.JobState;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.sluice.api.cli.Output.Column;
import static io.sluice.api.client.SluiceClient.query;
import static io.sluice.api.client.SluiceClient.segment;

/**
 * pachctl's verbs over repos, commits, branches, pipelines and jobs; each noun is a case of its verb's
 * switch, so that a verb reads as one page and only the noun a command line names is built. File verbs live
 * in {@link FileVerbs}.
 */
public final class Verbs {
    private Verbs() {
    }

    private static final long FOLLOW_POLL_MS = 500;

    static final Column[] REPO = {
            Column.field("NAME", "name"), Column.field("CREATED", "created"),
            Column.size("SIZE", "sizeBytes"), Column.field("DESCRIPTION", "description")};
    static final Column[] COMMIT = {
            Column.field("REPO", "repo"), Column.field("BRANCH", "branch"), Column.field("COMMIT", "id"),
            Column.field("FINISHED", "finished"), Column.size("SIZE", "sizeBytes"),
            Column.field("DESCRIPTION", "description")};
    static final Column[] COMMIT_SET = {
            Column.field("SET", "id"), Column.field("STARTED", "started"),
            new Column("COMMITS") {
                @Override
                String value(JsonNode r) {
                    List<String> commits = new ArrayList<>();
                    for (JsonNode c : r.path("commits")) {
                        commits.add(c.path("repo").asText() + "@" + c.path("id").asText());
                    }
                    return String.join(",", commits);
                }
            },
            new Column("PENDING") {
                @Override
                String value(JsonNode r) {
                    List<String> pending = new ArrayList<>();
                    r.path("pending").forEach(p -> pending.add(p.asText()));
                    return r.path("complete").asBoolean() ? "-" : String.join(",", pending);
                }
            }};
    static final Column[] COMMIT_SET_REMOVED = {
            Column.field("SET", "set"),
            new Column("COMMITS REMOVED") {
                @Override
                String value(JsonNode r) {
                    List<String> commits = new ArrayList<>();
                    r.path("commits").forEach(c -> commits.add(c.path("repo").asText() + "@" + c.path("id").asText()));
                    return String.join(",", commits);
                }
            },
            new Column("JOBS REMOVED") {
                @Override
                String value(JsonNode r) {
                    return String.valueOf(r.path("jobs").size());
                }
            }};
    static final Column[] PROJECT = {
            Column.field("NAME", "name"), Column.field("CREATED", "created"), Column.field("DESCRIPTION", "description")};
    static final Column[] BRANCH = {Column.field("BRANCH", "name"), Column.field("HEAD", "head")};
    static final Column[] PIPELINE = {
            Column.field("NAME", "name"), Column.field("VERSION", "version"), Column.field("STATE", "state"),
            Column.field("LAST JOB", "lastJobState"), Column.field("DESCRIPTION", "description")};
    static final Column[] JOB = {
            Column.field("ID", "id"), Column.field("PIPELINE", "pipeline"), Column.field("CREATED", "created"),
            Column.field("STATE", "state"),
            new Column("DATUMS (done/skipped/recovered/failed/total)") {
                @Override
                String value(JsonNode r) {
                    return r.path("datumsProcessed").asText() + "/" + r.path("datumsSkipped").asText() + "/"
                            + r.path("datumsRecovered").asLong() + "/" + r.path("datumsFailed").asText() + "/"
                            + r.path("datumsTotal").asText();
                }
            }};
    static final Column[] DATUM = {
            Column.field("ID", "id"), Column.field("STATE", "state"), Column.field("ATTEMPTS", "attempts"),
            new Column("FILES") {
                @Override
                String value(JsonNode r) {
                    List<String> files = new ArrayList<>();
                    for (JsonNode f : r.path("files")) {
                        files.add(f.asText());
                    }
                    return String.join(",", files);
                }
            },
            Column.field("ERROR", "error")};

    /** create: repo, branch, pipeline, secret. */
    public static final class Create extends Group {
        public Create() {
            super("create", "Create a project, repo, branch or pipeline.", "project", "repo", "branch", "pipeline", "secret");
        }

        @Override
        protected Cmd subcommand(String noun) {
            switch (noun) {
                case "project": return new ClientCmd("project", "Create a project, which holds repos and pipelines of its own.") {
                    {
                        param("NAME", "The project's name.");
                        option("-d,--description", "TEXT", String.class, "", "What the project is for.");
                    }

                    @Override
                    protected void run() {
                        client().post("/api/v1/projects", null, Map.of("name", positional(0), "description", value("--description")));
                    }
                };
                case "repo": return new ClientCmd("repo", "Create a repo.") {
                    {
                        param("NAME", "The repo's name.");
                        option("-d,--description", "TEXT", String.class, "", "What the repo holds.");
                    }

                    @Override
                    protected void run() {
                        client().post(v1() + "/repos", null, Map.of("name", positional(0), "description", value("--description")));
                    }
                };
                case "branch": return new ClientCmd("branch", "Create or move a branch: REPO@BRANCH [--head REF].") {
                    {
                        param("REPO@BRANCH", "The branch to create or move.");
                        option("--head", "REF", "Commit or branch the branch points at (default: a new empty commit).");
                    }

                    @Override
                    protected void run() {
                        RefArg ref = RefArg.parse(positional(0), v1());
                        JsonNode branch = client().post(ref.repoPath() + "/branches", null,
                                query("name", ref.branch(), "head", value("--head")));
                        print(branch, BRANCH);
                    }
                };
                case "pipeline": return new ClientCmd("pipeline", "Create pipelines from a spec file (JSON or YAML, one "
                        + "or several specs) or a jsonnet template.") {
                    {
                        SpecSource.options(this);
                    }

                    @Override
                    protected void run() {
                        SpecSource.warn(main(), client().post(v1() + "/pipelines", null, SpecSource.read(this)));
                    }
                };
                case "secret": return new ClientCmd("secret", "Create or replace a secret from a Kubernetes Secret "
                        + "manifest (JSON or YAML; data in base64, stringData plain).") {
                    {
                        requiredOption("-f,--file", "SECRET", Path.class, "The Secret manifest.");
                    }

                    @Override
                    protected void run() {
                        client().post("/api/v1/secrets", null, readSpec(value("--file")));
                    }
                };
                default: throw new IllegalArgumentException(noun);
            }
        }
    }

    /** update pipeline. */
    public static final class Update extends Group {
        public Update() {
            super("update", "Update a pipeline to a new spec version.", "pipeline");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("pipeline", "Update pipelines (creating missing ones) from a spec file or a jsonnet "
                    + "template.") {
                {
                    SpecSource.options(this);
                    flag("--reprocess", "Process every datum again.");
                }

                @Override
                protected void run() {
                    SpecSource.warn(main(), client().post(v1() + "/pipelines",
                            query("update", true, "reprocess", isSet("--reprocess")), SpecSource.read(this)));
                }
            };
        }
    }

    /** run cron. */
    public static final class Run extends Group {
        public Run() {
            super("run", "Run a cron pipeline now.", "cron");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("cron", "Make one tick now on each cron input of a pipeline, as pachctl run cron.") {
                {
                    param("PIPELINE", "The pipeline.");
                }

                @Override
                protected void run() {
                    JsonNode commits = client().post(v1() + "/pipelines/" + segment(positional(0)) + "/cron", null, Map.of());
                    print(commits, COMMIT);
                }
            };
        }
    }

    /** list: repo, commit, branch, file, pipeline, secret, job, datum. */
    public static final class ListCmd extends Group {
        public ListCmd() {
            super("list", "List projects, repos, commits, branches, files, pipelines, jobs or datums.",
                    "project", "repo", "commit", "branch", "file", "pipeline", "secret", "job", "datum");
        }

        @Override
        protected Cmd subcommand(String noun) {
            switch (noun) {
                case "project": return new ClientCmd("project", "List projects.") {
                    @Override
                    protected void run() {
                        print(client().get("/api/v1/projects", null), PROJECT);
                    }
                };
                case "repo": return new ClientCmd("repo", "List repos.") {
                    @Override
                    protected void run() {
                        print(client().get(v1() + "/repos", null), REPO);
                    }
                };
                case "commit": return new ClientCmd("commit", "List commits of REPO[@BRANCH], newest first; with no "
                        + "repo, the newest commit sets with their commits.") {
                    {
                        optionalParam("REPO[@BRANCH]", "The repo (default: commit sets of all repos).");
                        option("--limit", "N", int.class, "-1", "At most N commits (default: all of one repo), or N "
                                + "commit sets (default 20).");
                    }

                    @Override
                    protected void run() {
                        String arg = positional(0);
                        int limit = value("--limit");
                        SluiceClient client = client();
                        if (arg == null) {
                            print(client.get("/api/v1/commitsets", query("limit", limit < 0 ? 20 : limit)), COMMIT_SET);
                            return;
                        }
                        RefArg ref = RefArg.parse(arg, v1());
                        String branch = arg.contains("@") ? ref.ref() : null;
                        print(client.get(ref.repoPath() + "/commits", query("branch", branch, "limit", limit < 0 ? null : limit)),
                                COMMIT);
                    }
                };
                case "branch": return new ClientCmd("branch", "List the branches of REPO.") {
                    {
                        param("REPO", "The repo.");
                    }

                    @Override
                    protected void run() {
                        print(client().get(RefArg.parse(positional(0), v1()).repoPath() + "/branches", null), BRANCH);
                    }
                };
                case "file": return new ClientCmd("file", "List the files of REPO@REF[:/DIR].") {
                    {
                        param("REPO@REF[:/DIR]", "The directory (default: the commit's root).");
                        FileVerbs.pageOptions(this, "Show at most N entries (a page).");
                    }

                    @Override
                    protected void run() {
                        RefArg ref = RefArg.parse(positional(0), v1());
                        FileVerbs.printPages(this, ref.repoPath() + "/files/list", query("ref", ref.ref(), "path", ref.pathOr("/")),
                                FileVerbs.FILE);
                    }
                };
                case "pipeline": return new ClientCmd("pipeline", "List pipelines.") {
                    @Override
                    protected void run() {
                        print(client().get(v1() + "/pipelines", null), PIPELINE);
                    }
                };
                case "secret": return new ClientCmd("secret", "List secrets (names only).") {
                    @Override
                    protected void run() {
                        print(client().get("/api/v1/secrets", null), Column.field("NAME", "name"));
                    }
                };
                case "job": return new ClientCmd("job", "List jobs, newest first; with a commit set id, the jobs of "
                        + "that set.") {
                    {
                        optionalParam("SET_ID", "A commit set (its first commit's id).");
                        option("-p,--pipeline", "NAME", "Only this pipeline's jobs.");
                    }

                    @Override
                    protected void run() {
                        String set = positional(0);
                        String pipeline = value("--pipeline");
                        SluiceClient client = client();
                        if (set != null) {
                            if (pipeline != null) {
                                throw new Main.UsageError("give a commit set or --pipeline, not both");
                            }
                            print(client.get("/api/v1/commitsets/" + segment(set) + "/jobs", null), JOB);
                            return;
                        }
                        if (pipeline != null) {
                            client.get(v1() + "/pipelines/" + segment(pipeline), null); // "no pipeline 'x'", not its missing repo
                        }
                        print(client.get(v1() + "/jobs", query("pipeline", pipeline)), JOB);
                    }
                };
                case "datum": return new ClientCmd("datum", "List the datums of a job.") {
                    {
                        param("JOB_ID", "The job.");
                    }

                    @Override
                    protected void run() {
                        print(client().get(v1() + "/jobs/" + segment(positional(0)) + "/datums", null), DATUM);
                    }
                };
                default: throw new IllegalArgumentException(noun);
            }
        }
    }

    /** inspect: repo, commit, file, pipeline, job. */
    public static final class Inspect extends Group {
        public Inspect() {
            super("inspect", "Show a project, repo, commit, file, pipeline or job.",
                    "project", "repo", "commit", "file", "pipeline", "job");
        }

        @Override
        protected Cmd subcommand(String noun) {
            switch (noun) {
                case "project": return new ClientCmd("project", "Show a project.") {
                    {
                        param("NAME", "The project.");
                    }

                    @Override
                    protected void run() {
                        print(client().get("/api/v1/projects/" + segment(positional(0)), null));
                    }
                };
                case "repo": return new ClientCmd("repo", "Show a repo.") {
                    {
                        param("NAME", "The repo.");
                    }

                    @Override
                    protected void run() {
                        print(client().get(RefArg.parse(positional(0), v1()).repoPath(), null));
                    }
                };
                case "commit": return new ClientCmd("commit", "Show a commit, REPO@REF, with its provenance; or a "
                        + "commit set, SET_ID, with its commits.") {
                    {
                        param("REPO@REF|SET_ID", "The commit, or the commit set.");
                    }

                    @Override
                    protected void run() {
                        String arg = positional(0);
                        if (isSetId(arg)) {
                            print(client().get("/api/v1/commitsets/" + arg, null));
                            return;
                        }
                        RefArg ref = RefArg.parse(arg, v1());
                        print(client().get(ref.repoPath() + "/commit", query("ref", ref.ref())));
                    }
                };
                case "file": return new ClientCmd("file", "Show a file, REPO@REF:/PATH.") {
                    {
                        param("REPO@REF:/PATH", "The file.");
                    }

                    @Override
                    protected void run() {
                        String arg = positional(0);
                        RefArg ref = RefArg.parse(arg, v1());
                        print(client().get(ref.repoPath() + "/files/inspect",
                                query("ref", ref.ref(), "path", ref.requirePath(arg))));
                    }
                };
                case "pipeline": return new ClientCmd("pipeline", "Show a pipeline and its current spec.") {
                    {
                        param("NAME", "The pipeline.");
                    }

                    @Override
                    protected void run() {
                        print(client().get(v1() + "/pipelines/" + segment(positional(0)), null));
                    }
                };
                case "job": return new ClientCmd("job", "Show a job.") {
                    {
                        param("JOB_ID", "The job.");
                    }

                    @Override
                    protected void run() {
                        print(client().get(v1() + "/jobs/" + segment(positional(0)), null));
                    }
                };
                default: throw new IllegalArgumentException(noun);
            }
        }
    }

    /** delete: commit, repo, branch, file, pipeline, secret. */
    public static final class Delete extends Group {
        public Delete() {
            super("delete", "Delete a project, repo, commit set, branch, file or pipeline.",
                    "commit", "project", "repo", "branch", "file", "pipeline", "secret");
        }

        @Override
        protected Cmd subcommand(String noun) {
            switch (noun) {
                case "commit": return new ClientCmd("commit", "Delete commit set SET_ID from every repo, as pachctl "
                        + "does (its drop): only commits nothing builds on; branch heads at them move back to their "
                        + "parents, and the set's jobs go too.") {
                    {
                        param("SET_ID", "The commit set.");
                    }

                    @Override
                    protected void run() {
                        print(client().delete("/api/v1/commitsets/" + setId(positional(0), "delete commit"), null),
                                COMMIT_SET_REMOVED);
                    }
                };
                case "project": return new ClientCmd("project", "Delete an empty project; with --force also its pipelines and repos.") {
                    {
                        param("NAME", "The project.");
                        flag("--force", "Delete the project's pipelines and repos too.");
                    }

                    @Override
                    protected void run() {
                        client().delete("/api/v1/projects/" + segment(positional(0)), query("force", isSet("--force") ? true : null));
                    }
                };
                case "repo": return new ClientCmd("repo", "Delete a repo and its history.") {
                    {
                        param("NAME", "The repo.");
                    }

                    @Override
                    protected void run() {
                        client().delete(RefArg.parse(positional(0), v1()).repoPath(), null);
                    }
                };
                case "branch": return new ClientCmd("branch", "Delete a branch, REPO@BRANCH (its commits stay reachable by id).") {
                    {
                        param("REPO@BRANCH", "The branch.");
                    }

                    @Override
                    protected void run() {
                        RefArg ref = RefArg.parse(positional(0), v1());
                        client().delete(ref.repoPath() + "/branches", query("name", ref.branch()));
                    }
                };
                case "file": return new ClientCmd("file", "Delete a file in a new commit, REPO@BRANCH:/PATH.") {
                    {
                        param("REPO@BRANCH:/PATH", "The file.");
                    }

                    @Override
                    protected void run() {
                        String arg = positional(0);
                        RefArg ref = RefArg.parse(arg, v1());
                        client().delete(ref.repoPath() + "/files", query("branch", ref.branch(), "path", ref.requirePath(arg)));
                    }
                };
                case "pipeline": return new ClientCmd("pipeline", "Delete a pipeline and its output repo, as pachctl does.") {
                    {
                        param("NAME", "The pipeline.");
                    }

                    @Override
                    protected void run() {
                        client().delete(v1() + "/pipelines/" + segment(positional(0)), null);
                    }
                };
                case "secret": return new ClientCmd("secret", "Delete a secret.") {
                    {
                        param("NAME", "The secret.");
                    }

                    @Override
                    protected void run() {
                        client().delete("/api/v1/secrets/" + segment(positional(0)), null);
                    }
                };
                default: throw new IllegalArgumentException(noun);
            }
        }
    }

    /** start: commit, pipeline. */
    public static final class Start extends Group {
        public Start() {
            super("start", "Start a commit or a stopped pipeline.", "commit", "pipeline");
        }

        @Override
        protected Cmd subcommand(String noun) {
            switch (noun) {
                case "commit": return new ClientCmd("commit", "Open a commit on REPO@BRANCH and print its id.") {
                    {
                        param("REPO@BRANCH", "The branch.");
                        option("-m,--message", "TEXT", String.class, "", "The commit's description.");
                    }

                    @Override
                    protected void run() {
                        RefArg ref = RefArg.parse(positional(0), v1());
                        JsonNode commit = client().post(ref.repoPath() + "/commits/start", null,
                                Map.of("branch", ref.branch(), "description", value("--message")));
                        if (json()) {
                            print(commit);
                        } else {
                            out().println(commit.get("id").asText());
                        }
                    }
                };
                case "pipeline": return new ClientCmd("pipeline", "Restart a stopped pipeline.") {
                    {
                        param("NAME", "The pipeline.");
                    }

                    @Override
                    protected void run() {
                        client().post(v1() + "/pipelines/" + segment(positional(0)) + "/start", null, Map.of());
                    }
                };
                default: throw new IllegalArgumentException(noun);
            }
        }
    }

    /** finish commit. */
    public static final class Finish extends Group {
        public Finish() {
            super("finish", "Finish the open commit of a branch.", "commit");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("commit", "Finish the open commit on REPO@BRANCH.") {
                {
                    param("REPO@BRANCH", "The branch.");
                }

                @Override
                protected void run() {
                    RefArg ref = RefArg.parse(positional(0), v1());
                    client().post(ref.repoPath() + "/commits/finish", null, Map.of("branch", ref.branch()));
                }
            };
        }
    }

    /** wait: commit, job. */
    public static final class Wait extends Group {
        public Wait() {
            super("wait", "Wait for a commit or a job to finish.", "commit", "job");
        }

        @Override
        protected Cmd subcommand(String noun) {
            switch (noun) {
                case "commit": return new ClientCmd("commit", "Wait until REPO@REF is finished, or until every "
                        + "pipeline downstream of commit set SET_ID has run for it (exit 1 if a job of it failed), and show it.") {
                    {
                        param("REPO@REF|SET_ID", "The commit, or the commit set.");
                        option("--timeout", "SECONDS", long.class, "3600", "Give up after this many seconds (default 3600).");
                    }

                    @Override
                    protected void run() {
                        String arg = positional(0);
                        long timeout = value("--timeout");
                        if (isSetId(arg)) {
                            SluiceClient client = client();
                            JsonNode set = client.get("/api/v1/commitsets/" + arg, query("wait", timeout));
                            print(set);
                            if (!set.path("complete").asBoolean()) {
                                throw new Main.UsageError("timed out after " + timeout + " s: commit set " + arg
                                        + " still waits for " + pendingOf(set));
                            }
                            for (JsonNode job : client.get("/api/v1/commitsets/" + arg + "/jobs", null)) {
                                String state = job.path("state").asText();
                                if (!"JOB_SUCCESS".equals(state)) {
                                    throw new Main.UsageError("job " + job.path("id").asText() + " of pipeline "
                                            + job.path("pipeline").asText() + " ended in " + state);
                                }
                            }
                            return;
                        }
                        RefArg ref = RefArg.parse(arg, v1());
                        JsonNode commit = client().get(ref.repoPath() + "/commit", query("ref", ref.ref(), "wait", timeout));
                        print(commit);
                        if (!commit.hasNonNull("finished")) {
                            throw new Main.UsageError("timed out after " + timeout + " s: commit " + commit.path("id").asText()
                                    + " is not finished");
                        }
                    }
                };
                case "job": return new ClientCmd("job", "Wait until a job has ended and show it; exit 1 unless it succeeded.") {
                    {
                        param("JOB_ID", "The job.");
                        option("--timeout", "SECONDS", long.class, "3600", "Give up after this many seconds (default 3600).");
                    }

                    @Override
                    protected void run() {
                        String id = positional(0);
                        long timeout = value("--timeout");
                        JsonNode job = client().get(v1() + "/jobs/" + segment(id), query("wait", timeout));
                        print(job);
                        String state = job.path("state").asText();
                        if (!JobState.valueOf(state).terminal()) {
                            throw new Main.UsageError("timed out after " + timeout + " s: job " + id + " is " + state);
                        }
                        if (!"JOB_SUCCESS".equals(state)) {
                            throw new Main.UsageError("job " + id + " ended in " + job.path("state").asText()
                                    + (job.hasNonNull("reason") ? ": " + job.get("reason").asText() : ""));
                        }
                    }
                };
                default: throw new IllegalArgumentException(noun);
            }
        }
    }

    /** subscribe commit. */
    public static final class Subscribe extends Group {
        public Subscribe() {
            super("subscribe", "Follow the commits of a branch as they finish.", "commit");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("commit", "Print the commits of REPO@BRANCH as they finish, oldest first: all of its "
                    + "history first, or those after --from, or (--new) only new ones; until Ctrl-C or --count commits.") {
                {
                    param("REPO@BRANCH", "The branch.");
                    option("--from", "ID", "Start after this commit of the branch.");
                    flag("--new", "Only commits that finish from now on.");
                    option("--count", "N", long.class, "0", "Stop after N commits (default: never).");
                }

                @Override
                protected void run() throws IOException {
                    RefArg ref = RefArg.parse(positional(0), v1());
                    long count = value("--count");
                    SluiceClient client = client();
                    SluiceClient.Streamed stream = client.getStream(ref.repoPath() + "/subscribe", query("branch", ref.branch(),
                            "from", value("--from"), "new", isSet("--new") ? true : null, "count", count > 0 ? count : null));
                    try (java.io.BufferedReader lines = new java.io.BufferedReader(
                            new java.io.InputStreamReader(stream.body(), java.nio.charset.StandardCharsets.UTF_8))) {
                        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                            if (line.isEmpty()) {
                                continue; // the daemon's heartbeat
                            }
                            JsonNode c = client.json().readTree(line);
                            if (format().equals("table")) {
                                out().println(c.path("repo").asText() + "@" + c.path("branch").asText() + "\t"
                                        + c.path("id").asText() + "\t" + c.path("finished").asText() + "\t"
                                        + c.path("description").asText());
                            } else {
                                out().println(io.sluice.api.client.JsonTree.compact(c));
                            }
                            out().flush();
                        }
                    }
                }
            };
        }
    }

    /** squash commit. */
    public static final class Squash extends Group {
        public Squash() {
            super("squash", "Squash a commit set into its children.", "commit");
        }

        @Override
        protected Cmd subcommand(String noun) {
            return new ClientCmd("commit", "Squash commit set SET_ID, as pachctl does: its commits leave every repo's "
                    + "history, their children keeping what they hold; the set's jobs go too.") {
                {
                    param("SET_ID", "The commit set.");
                }

                @Override
                protected void run() {
                    print(client().post("/api/v1/commitsets/" + setId(positional(0), "squash commit") + "/squash", null,
                            Map.of()), COMMIT_SET_REMOVED);
                }
            };
        }
    }

    /** stop: pipeline, job. */
    public static final class Stop extends Group {
        public Stop() {
            super("stop", "Stop a pipeline or a job.", "pipeline", "job");
        }

        @Override
        protected Cmd subcommand(String noun) {
            switch (noun) {
                case "pipeline": return new ClientCmd("pipeline", "Stop a pipeline: no new jobs until it is started again.") {
                    {
                        param("NAME", "The pipeline.");
                    }

                    @Override
                    protected void run() {
                        client().post(v1() + "/pipelines/" + segment(positional(0)) + "/stop", null, Map.of());
                    }
                };
                case "job": return new ClientCmd("job", "Kill a running job.") {
                    {
                        param("JOB_ID", "The job.");
                    }

                    @Override
                    protected void run() {
                        client().post(v1() + "/jobs/" + segment(positional(0)) + "/stop", null, Map.of());
                    }
                };
                default: throw new IllegalArgumentException(noun);
            }
        }
    }

    /** logs of a pipeline's jobs or of one job, optionally followed. */
    public static final class Logs extends ClientCmd {
        public Logs() {
            super("logs", "Show the logs of a pipeline's jobs or of one job.");
            option("-p,--pipeline", "NAME", "The logs of this pipeline's jobs.");
            option("-j,--job", "JOB_ID", "The logs of this job.");
            option("--datum", "DATUM_ID", "Only this datum's lines.");
            flag("-f,--follow", "Keep printing new lines until the job ends (for -p: until Ctrl-C).");
        }

        @Override
        protected void run() {
            String pipeline = value("--pipeline");
            String job = value("--job");
            boolean follow = isSet("--follow");
            if (pipeline == null && job == null) {
                throw new Main.UsageError("logs needs -p PIPELINE or -j JOB_ID");
            }
            SluiceClient client = client();
            if (follow && json()) {
                throw new Main.UsageError("logs -f prints lines as they come; it takes no --output");
            }
            int printed = 0;
            while (true) {
                // Read the job's state before its lines: lines logged before it ended are then all in this read.
                boolean ended = follow && job != null
                        && JobState.valueOf(client.get(v1() + "/jobs/" + segment(job), null).path("state").asText()).terminal();
                JsonNode lines = client.get(v1() + "/logs", query("pipeline", pipeline, "job", job, "datum", value("--datum")));
                if (json()) {
                    print(lines);
                    return;
                }
                for (int i = printed; i < lines.size(); i++) {
                    JsonNode line = lines.get(i);
                    out().println(line.path("time").asText() + " " + line.path("jobId").asText() + " "
                            + line.path("stream").asText() + ": " + line.path("message").asText());
                }
                out().flush();
                printed = Math.max(printed, lines.size());
                if (!follow || ended) {
                    return;
                }
                try {
                    Thread.sleep(FOLLOW_POLL_MS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static String pendingOf(JsonNode set) {
        List<String> pending = new ArrayList<>();
        set.path("pending").forEach(p -> pending.add(p.asText()));
        return pending.isEmpty() ? "its open commits" : "pipelines " + String.join(", ", pending);
    }

    /** A bare id (no {@code @}) names a commit set, as pachctl reads {@code inspect commit <id>}. */
    /** {@code arg} if it is a commit set id, else a usage error: these verbs act on whole sets only, as in pachctl. */
    private static String setId(String arg, String verb) {
        if (!isSetId(arg)) {
            throw new Main.UsageError(verb + " takes a commit set id (32 hex digits, the \"set\" of any of its "
                    + "commits), not '" + arg + "'");
        }
        return arg;
    }

    private static boolean isSetId(String arg) {
        return !arg.contains("@") && io.sluice.pfs.Ref.looksLikeCommitId(arg);
    }


    /** Reads a spec or manifest file as UTF-8. */
    static String readSpec(Path spec) {
        try {
            return Files.readString(spec);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new Main.UsageError("no such file: " + spec);
        } catch (IOException e) {
            throw new Main.UsageError("cannot read " + spec + ": " + e.getMessage());
        }
    }
}
