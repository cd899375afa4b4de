package io.sluice.api.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.api.Main;
import io.sluice.api.client.SluiceClient;
import io.sluice.pps.JobState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

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
 * pachctl's verbs over repos, commits, branches, pipelines and jobs; each noun is a method so that a verb
 * reads as one page. File verbs live in {@link FileVerbs}.
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

    /** The shared plumbing of a verb: its root command, a client, and printing. */
    abstract static class Verb {
        @ParentCommand
        Main main;

        void print(ClientOptions options, JsonNode node, Column... columns) {
            Output.print(main.out(), node, options.format(), columns);
        }
    }

    @Command(name = "create", addMethodSubcommands = false, description = "Create a project, repo, branch or pipeline.")
    public static final class Create extends Verb {
        @Command(name = "project", description = "Create a project, which holds repos and pipelines of its own.")
        void project(@Parameters(paramLabel = "NAME") String name,
                     @Option(names = {"-d", "--description"}, defaultValue = "", description = "What the project is for.") String description,
                     @Mixin ClientOptions o) {
            o.client(main).post("/api/v1/projects", null, Map.of("name", name, "description", description));
        }

        @Command(name = "repo", description = "Create a repo.")
        void repo(@Parameters(paramLabel = "NAME") String name,
                  @Option(names = {"-d", "--description"}, defaultValue = "", description = "What the repo holds.") String description,
                  @Mixin ClientOptions o) {
            o.client(main).post(o.v1(main) + "/repos", null, Map.of("name", name, "description", description));
        }

        @Command(name = "branch", description = "Create or move a branch: REPO@BRANCH [--head REF].")
        void branch(@Parameters(paramLabel = "REPO@BRANCH") String arg,
                    @Option(names = "--head", paramLabel = "REF", description = "Commit or branch the branch points at (default: a new empty commit).") String head,
                    @Mixin ClientOptions o) {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            JsonNode branch = o.client(main).post(ref.repoPath() + "/branches", null,
                    query("name", ref.branch(), "head", head));
            print(o, branch, BRANCH);
        }

        @Command(name = "pipeline", description = "Create pipelines from a spec file (JSON or YAML, one or several "
                + "specs) or a jsonnet template.")
        void pipeline(@Mixin SpecSource specs, @Mixin ClientOptions o) {
            SpecSource.warn(main, o.client(main).post(o.v1(main) + "/pipelines", null, specs.read(main)));
        }

        @Command(name = "secret", description = "Create or replace a secret from a Kubernetes Secret manifest "
                + "(JSON or YAML; data in base64, stringData plain).")
        void secret(@Option(names = {"-f", "--file"}, required = true, paramLabel = "SECRET", description = "The Secret manifest.") Path file,
                    @Mixin ClientOptions o) {
            o.client(main).post("/api/v1/secrets", null, readSpec(file));
        }
    }

    @Command(name = "update", addMethodSubcommands = false, description = "Update a pipeline to a new spec version.")
    public static final class Update extends Verb {
        @Command(name = "pipeline", description = "Update pipelines (creating missing ones) from a spec file or a "
                + "jsonnet template.")
        void pipeline(@Mixin SpecSource specs,
                      @Option(names = "--reprocess", description = "Process every datum again.") boolean reprocess,
                      @Mixin ClientOptions o) {
            SpecSource.warn(main, o.client(main).post(o.v1(main) + "/pipelines", query("update", true, "reprocess", reprocess),
                    specs.read(main)));
        }
    }

    @Command(name = "run", addMethodSubcommands = false, description = "Run a cron pipeline now.")
    public static final class Run extends Verb {
        @Command(name = "cron", description = "Make one tick now on each cron input of a pipeline, as pachctl run cron.")
        void cron(@Parameters(paramLabel = "PIPELINE") String name, @Mixin ClientOptions o) {
            JsonNode commits = o.client(main).post(o.v1(main) + "/pipelines/" + segment(name) + "/cron", null, Map.of());
            print(o, commits, COMMIT);
        }
    }

    @Command(name = "list", addMethodSubcommands = false, description = "List projects, repos, commits, branches, files, pipelines, jobs or datums.")
    public static final class ListCmd extends Verb {
        @Command(name = "project", description = "List projects.")
        void project(@Mixin ClientOptions o) {
            print(o, o.client(main).get("/api/v1/projects", null), PROJECT);
        }

        @Command(name = "repo", description = "List repos.")
        void repo(@Mixin ClientOptions o) {
            print(o, o.client(main).get(o.v1(main) + "/repos", null), REPO);
        }

        @Command(name = "commit", description = "List commits of REPO[@BRANCH], newest first; with no repo, the newest commit sets with their commits.")
        void commit(@Parameters(paramLabel = "REPO[@BRANCH]", arity = "0..1", description = "The repo (default: commit sets of all repos).") String arg,
                    @Option(names = "--limit", paramLabel = "N", defaultValue = "-1", description = "At most N commits (default: all of one repo), or N commit sets (default 20).") int limit,
                    @Mixin ClientOptions o) {
            SluiceClient client = o.client(main);
            if (arg == null) {
                print(o, client.get("/api/v1/commitsets", query("limit", limit < 0 ? 20 : limit)), COMMIT_SET);
                return;
            }
            RefArg ref = RefArg.parse(arg, o.v1(main));
            String branch = arg.contains("@") ? ref.ref() : null;
            print(o, client.get(ref.repoPath() + "/commits", query("branch", branch, "limit", limit < 0 ? null : limit)),
                    COMMIT);
        }

        @Command(name = "branch", description = "List the branches of REPO.")
        void branch(@Parameters(paramLabel = "REPO") String repo, @Mixin ClientOptions o) {
            print(o, o.client(main).get(RefArg.parse(repo, o.v1(main)).repoPath() + "/branches", null), BRANCH);
        }

        @Command(name = "file", description = "List the files of REPO@REF[:/DIR].")
        void file(@Parameters(paramLabel = "REPO@REF[:/DIR]") String arg,
                  @Option(names = "--limit", paramLabel = "N", description = "Show at most N entries (a page).") Integer limit,
                  @Option(names = "--cursor", paramLabel = "CURSOR", description = "Start after this cursor (from the previous page).") String cursor,
                  @Mixin ClientOptions o) {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            FileVerbs.printPages(this, o, ref.repoPath() + "/files/list", query("ref", ref.ref(), "path", ref.pathOr("/")),
                    limit, cursor, FileVerbs.FILE);
        }

        @Command(name = "pipeline", description = "List pipelines.")
        void pipeline(@Mixin ClientOptions o) {
            print(o, o.client(main).get(o.v1(main) + "/pipelines", null), PIPELINE);
        }

        @Command(name = "secret", description = "List secrets (names only).")
        void secret(@Mixin ClientOptions o) {
            print(o, o.client(main).get("/api/v1/secrets", null), Column.field("NAME", "name"));
        }

        @Command(name = "job", description = "List jobs, newest first; with a commit set id, the jobs of that set.")
        void job(@Parameters(paramLabel = "SET_ID", arity = "0..1", description = "A commit set (its first commit's id).") String set,
                 @Option(names = {"-p", "--pipeline"}, paramLabel = "NAME", description = "Only this pipeline's jobs.") String pipeline, @Mixin ClientOptions o) {
            SluiceClient client = o.client(main);
            if (set != null) {
                if (pipeline != null) {
                    throw new Main.UsageError("give a commit set or --pipeline, not both");
                }
                print(o, client.get("/api/v1/commitsets/" + segment(set) + "/jobs", null), JOB);
                return;
            }
            if (pipeline != null) {
                client.get(o.v1(main) + "/pipelines/" + segment(pipeline), null); // "no pipeline 'x'", not its missing repo
            }
            print(o, client.get(o.v1(main) + "/jobs", query("pipeline", pipeline)), JOB);
        }

        @Command(name = "datum", description = "List the datums of a job.")
        void datum(@Parameters(paramLabel = "JOB_ID") String job, @Mixin ClientOptions o) {
            print(o, o.client(main).get(o.v1(main) + "/jobs/" + segment(job) + "/datums", null), DATUM);
        }
    }

    @Command(name = "inspect", addMethodSubcommands = false, description = "Show a project, repo, commit, file, pipeline or job.")
    public static final class Inspect extends Verb {
        @Command(name = "project", description = "Show a project.")
        void project(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            print(o, o.client(main).get("/api/v1/projects/" + segment(name), null));
        }

        @Command(name = "repo", description = "Show a repo.")
        void repo(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            print(o, o.client(main).get(RefArg.parse(name, o.v1(main)).repoPath(), null));
        }

        @Command(name = "commit", description = "Show a commit, REPO@REF, with its provenance; or a commit set, SET_ID, with its commits.")
        void commit(@Parameters(paramLabel = "REPO@REF|SET_ID") String arg, @Mixin ClientOptions o) {
            if (isSetId(arg)) {
                print(o, o.client(main).get("/api/v1/commitsets/" + arg, null));
                return;
            }
            RefArg ref = RefArg.parse(arg, o.v1(main));
            print(o, o.client(main).get(ref.repoPath() + "/commit", query("ref", ref.ref())));
        }

        @Command(name = "file", description = "Show a file, REPO@REF:/PATH.")
        void file(@Parameters(paramLabel = "REPO@REF:/PATH") String arg, @Mixin ClientOptions o) {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            print(o, o.client(main).get(ref.repoPath() + "/files/inspect",
                    query("ref", ref.ref(), "path", ref.requirePath(arg))));
        }

        @Command(name = "pipeline", description = "Show a pipeline and its current spec.")
        void pipeline(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            print(o, o.client(main).get(o.v1(main) + "/pipelines/" + segment(name), null));
        }

        @Command(name = "job", description = "Show a job.")
        void job(@Parameters(paramLabel = "JOB_ID") String id, @Mixin ClientOptions o) {
            print(o, o.client(main).get(o.v1(main) + "/jobs/" + segment(id), null));
        }
    }

    @Command(name = "delete", addMethodSubcommands = false, description = "Delete a project, repo, commit set, branch, file or pipeline.")
    public static final class Delete extends Verb {
        @Command(name = "commit", description = "Delete commit set SET_ID from every repo, as pachctl does (its drop): only commits nothing builds on; branch heads at them move back to their parents, and the set's jobs go too.")
        void commit(@Parameters(paramLabel = "SET_ID") String id, @Mixin ClientOptions o) {
            print(o, o.client(main).delete("/api/v1/commitsets/" + setId(id, "delete commit"), null), COMMIT_SET_REMOVED);
        }

        @Command(name = "project", description = "Delete an empty project; with --force also its pipelines and repos.")
        void project(@Parameters(paramLabel = "NAME") String name,
                     @Option(names = "--force", description = "Delete the project's pipelines and repos too.") boolean force,
                     @Mixin ClientOptions o) {
            o.client(main).delete("/api/v1/projects/" + segment(name), query("force", force ? true : null));
        }

        @Command(name = "repo", description = "Delete a repo and its history.")
        void repo(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            o.client(main).delete(RefArg.parse(name, o.v1(main)).repoPath(), null);
        }

        @Command(name = "branch", description = "Delete a branch, REPO@BRANCH (its commits stay reachable by id).")
        void branch(@Parameters(paramLabel = "REPO@BRANCH") String arg, @Mixin ClientOptions o) {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            o.client(main).delete(ref.repoPath() + "/branches", query("name", ref.branch()));
        }

        @Command(name = "file", description = "Delete a file in a new commit, REPO@BRANCH:/PATH.")
        void file(@Parameters(paramLabel = "REPO@BRANCH:/PATH") String arg, @Mixin ClientOptions o) {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            o.client(main).delete(ref.repoPath() + "/files", query("branch", ref.branch(), "path", ref.requirePath(arg)));
        }

        @Command(name = "pipeline", description = "Delete a pipeline and its output repo, as pachctl does.")
        void pipeline(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            o.client(main).delete(o.v1(main) + "/pipelines/" + segment(name), null);
        }

        @Command(name = "secret", description = "Delete a secret.")
        void secret(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            o.client(main).delete("/api/v1/secrets/" + segment(name), null);
        }
    }

    @Command(name = "start", addMethodSubcommands = false, description = "Start a commit or a stopped pipeline.")
    public static final class Start extends Verb {
        @Command(name = "commit", description = "Open a commit on REPO@BRANCH and print its id.")
        void commit(@Parameters(paramLabel = "REPO@BRANCH") String arg,
                    @Option(names = {"-m", "--message"}, defaultValue = "", description = "The commit's description.") String message,
                    @Mixin ClientOptions o) {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            JsonNode commit = o.client(main).post(ref.repoPath() + "/commits/start", null,
                    Map.of("branch", ref.branch(), "description", message));
            if (o.json()) {
                o.printDocument(main.out(), commit);
            } else {
                main.out().println(commit.get("id").asText());
            }
        }

        @Command(name = "pipeline", description = "Restart a stopped pipeline.")
        void pipeline(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            o.client(main).post(o.v1(main) + "/pipelines/" + segment(name) + "/start", null, Map.of());
        }
    }

    @Command(name = "finish", addMethodSubcommands = false, description = "Finish the open commit of a branch.")
    public static final class Finish extends Verb {
        @Command(name = "commit", description = "Finish the open commit on REPO@BRANCH.")
        void commit(@Parameters(paramLabel = "REPO@BRANCH") String arg, @Mixin ClientOptions o) {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            o.client(main).post(ref.repoPath() + "/commits/finish", null, Map.of("branch", ref.branch()));
        }
    }

    @Command(name = "wait", addMethodSubcommands = false, description = "Wait for a commit or a job to finish.")
    public static final class Wait extends Verb {
        @Command(name = "commit", description = "Wait until REPO@REF is finished, or until every pipeline downstream of commit set SET_ID has run for it (exit 1 if a job of it failed), and show it.")
        void commit(@Parameters(paramLabel = "REPO@REF|SET_ID") String arg,
                    @Option(names = "--timeout", defaultValue = "3600", description = "Seconds.") long timeout,
                    @Mixin ClientOptions o) {
            if (isSetId(arg)) {
                SluiceClient client = o.client(main);
                JsonNode set = client.get("/api/v1/commitsets/" + arg, query("wait", timeout));
                print(o, set);
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
            RefArg ref = RefArg.parse(arg, o.v1(main));
            JsonNode commit = o.client(main).get(ref.repoPath() + "/commit", query("ref", ref.ref(), "wait", timeout));
            print(o, commit);
            if (!commit.hasNonNull("finished")) {
                throw new Main.UsageError("timed out after " + timeout + " s: commit " + commit.path("id").asText()
                        + " is not finished");
            }
        }

        @Command(name = "job", description = "Wait until a job has ended and show it; exit 1 unless it succeeded.")
        void job(@Parameters(paramLabel = "JOB_ID") String id,
                 @Option(names = "--timeout", defaultValue = "3600", description = "Seconds.") long timeout,
                 @Mixin ClientOptions o) {
            JsonNode job = o.client(main).get(o.v1(main) + "/jobs/" + segment(id), query("wait", timeout));
            print(o, job);
            String state = job.path("state").asText();
            if (!JobState.valueOf(state).terminal()) {
                throw new Main.UsageError("timed out after " + timeout + " s: job " + id + " is " + state);
            }
            if (!"JOB_SUCCESS".equals(state)) {
                throw new Main.UsageError("job " + id + " ended in " + job.path("state").asText()
                        + (job.hasNonNull("reason") ? ": " + job.get("reason").asText() : ""));
            }
        }
    }

    @Command(name = "subscribe", addMethodSubcommands = false, description = "Follow the commits of a branch as they finish.")
    public static final class Subscribe extends Verb {
        @Command(name = "commit", description = "Print the commits of REPO@BRANCH as they finish, oldest first: all of its history first, or those after --from, or (--new) only new ones; until Ctrl-C or --count commits.")
        void commit(@Parameters(paramLabel = "REPO@BRANCH") String arg,
                    @Option(names = "--from", paramLabel = "ID", description = "Start after this commit of the branch.") String from,
                    @Option(names = "--new", description = "Only commits that finish from now on.") boolean onlyNew,
                    @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "Stop after N commits (default: never).") long count,
                    @Mixin ClientOptions o) throws IOException {
            RefArg ref = RefArg.parse(arg, o.v1(main));
            SluiceClient client = o.client(main);
            SluiceClient.Streamed stream = client.getStream(ref.repoPath() + "/subscribe",
                    query("branch", ref.branch(), "from", from, "new", onlyNew ? true : null, "count", count > 0 ? count : null));
            try (java.io.BufferedReader lines = new java.io.BufferedReader(
                    new java.io.InputStreamReader(stream.body(), java.nio.charset.StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.isEmpty()) {
                        continue; // the daemon's heartbeat
                    }
                    JsonNode c = client.json().readTree(line);
                    if (o.format().equals("table")) {
                        main.out().println(c.path("repo").asText() + "@" + c.path("branch").asText() + "\t" + c.path("id").asText()
                                + "\t" + c.path("finished").asText() + "\t" + c.path("description").asText());
                    } else {
                        main.out().println(io.sluice.api.client.JsonTree.compact(c));
                    }
                    main.out().flush();
                }
            }
        }
    }

    @Command(name = "squash", addMethodSubcommands = false, description = "Squash a commit set into its children.")
    public static final class Squash extends Verb {
        @Command(name = "commit", description = "Squash commit set SET_ID, as pachctl does: its commits leave every repo's history, their children keeping what they hold; the set's jobs go too.")
        void commit(@Parameters(paramLabel = "SET_ID") String id, @Mixin ClientOptions o) {
            print(o, o.client(main).post("/api/v1/commitsets/" + setId(id, "squash commit") + "/squash", null, Map.of()),
                    COMMIT_SET_REMOVED);
        }
    }

    @Command(name = "stop", addMethodSubcommands = false, description = "Stop a pipeline or a job.")
    public static final class Stop extends Verb {
        @Command(name = "pipeline", description = "Stop a pipeline: no new jobs until it is started again.")
        void pipeline(@Parameters(paramLabel = "NAME") String name, @Mixin ClientOptions o) {
            o.client(main).post(o.v1(main) + "/pipelines/" + segment(name) + "/stop", null, Map.of());
        }

        @Command(name = "job", description = "Kill a running job.")
        void job(@Parameters(paramLabel = "JOB_ID") String id, @Mixin ClientOptions o) {
            o.client(main).post(o.v1(main) + "/jobs/" + segment(id) + "/stop", null, Map.of());
        }
    }

    @Command(name = "logs", addMethodSubcommands = false, description = "Show the logs of a pipeline's jobs or of one job.")
    public static final class Logs extends Verb implements Runnable {
        @Option(names = {"-p", "--pipeline"}, paramLabel = "NAME", description = "The logs of this pipeline's jobs.") String pipeline;
        @Option(names = {"-j", "--job"}, paramLabel = "JOB_ID", description = "The logs of this job.") String job;
        @Option(names = "--datum", paramLabel = "DATUM_ID", description = "Only this datum's lines.") String datum;
        @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until the job ends (for -p: until Ctrl-C).") boolean follow;
        @Mixin ClientOptions o;

        @Override
        public void run() {
            if (pipeline == null && job == null) {
                throw new Main.UsageError("logs needs -p PIPELINE or -j JOB_ID");
            }
            SluiceClient client = o.client(main);
            if (follow && o.json()) {
                throw new Main.UsageError("logs -f prints lines as they come; it takes no --output");
            }
            int printed = 0;
            while (true) {
                // Read the job's state before its lines: lines logged before it ended are then all in this read.
                boolean ended = follow && job != null
                        && JobState.valueOf(client.get(o.v1(main) + "/jobs/" + segment(job), null).path("state").asText()).terminal();
                JsonNode lines = client.get(o.v1(main) + "/logs", query("pipeline", pipeline, "job", job, "datum", datum));
                if (o.json()) {
                    o.printDocument(main.out(), lines);
                    return;
                }
                for (int i = printed; i < lines.size(); i++) {
                    JsonNode line = lines.get(i);
                    main.out().println(line.path("time").asText() + " " + line.path("jobId").asText() + " "
                            + line.path("stream").asText() + ": " + line.path("message").asText());
                }
                main.out().flush();
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
