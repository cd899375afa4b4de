package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The pachctl-style CLI driven in process against a real daemon over real HTTP. */
class CliIT {
    private static final ObjectMapper JSON = Json.mapper();

    @RegisterExtension
    static final ClassDaemon daemon = new ClassDaemon();

    @Test
    void reposCommitsFilesAndRefs() throws IOException {
        daemon.ok("create", "repo", "images", "-d", "raw images");
        assertThat(daemon.json("list", "repo", "--output", "json").findValuesAsText("name")).contains("images");
        assertThat(daemon.json("inspect", "repo", "images", "-o", "json").get("description").asText()).isEqualTo("raw images");

        Path local = daemon.dir().resolve("a.txt");
        Files.writeString(local, "first\n");
        daemon.ok("put", "file", "images@master:/a.txt", "-f", local.toString());
        Files.writeString(local, "second\n");
        daemon.ok("put", "file", "images@master:/a.txt", "-f", local.toString());
        Files.writeString(local, "more\n");
        daemon.ok("put", "file", "images@master:/a.txt", "-f", local.toString(), "-a");

        assertThat(daemon.ok("get", "file", "images@master:/a.txt").out()).isEqualTo("second\nmore\n");
        assertThat(daemon.ok("get", "file", "images@master^1:/a.txt").out()).isEqualTo("second\n");
        assertThat(daemon.ok("get", "file", "images@master^2:/a.txt").out()).isEqualTo("first\n");

        JsonNode commits = daemon.json("list", "commit", "images@master", "-o", "json");
        assertThat(commits).hasSize(3);
        String oldest = commits.get(2).get("id").asText();
        assertThat(daemon.ok("get", "file", "images@" + oldest + ":/a.txt").out()).isEqualTo("first\n");
        assertThat(daemon.json("inspect", "commit", "images@master", "-o", "json").get("id").asText())
                .isEqualTo(commits.get(0).get("id").asText());

        Path out = daemon.dir().resolve("copy.txt");
        daemon.ok("get", "file", "images@master:/a.txt", "-o", out.toString());
        assertThat(Files.readString(out)).isEqualTo("second\nmore\n");

        JsonNode diff = daemon.json("diff", "file", "images@master", "images@master^2", "-o", "json");
        assertThat(diff).hasSize(1);
        assertThat(diff.get(0).get("path").asText()).isEqualTo("/a.txt");
    }

    @Test
    void openCommitsBranchesGlobAndDelete() throws IOException {
        daemon.ok("create", "repo", "docs");
        String id = daemon.ok("start", "commit", "docs@master", "-m", "two files").out().strip();
        assertThat(id).matches("[0-9a-f]{32}");
        daemon.ok("put", "file", "docs@master:/x/1.txt", "-f", "-");
        daemon.cli("hello".getBytes(StandardCharsets.UTF_8), "put", "file", "docs@master:/x/2.txt", "-f", "-");
        JsonNode open = daemon.json("inspect", "commit", "docs@master", "-o", "json");
        assertThat(open.get("id").asText()).isEqualTo(id);
        assertThat(open.get("finished").isNull()).as("open until finished: %s", open).isTrue();
        JsonNode listed = daemon.json("list", "commit", "docs@master", "-o", "json");
        assertThat(listed).as("the open commit is listed, as pachctl does").hasSize(1);
        assertThat(listed.get(0).get("id").asText()).isEqualTo(id);
        assertThat(daemon.json("list", "commit", "docs", "-o", "json").get(0).get("id").asText()).isEqualTo(id);
        daemon.ok("finish", "commit", "docs@master");
        assertThat(daemon.json("list", "commit", "docs@master", "-o", "json")).hasSize(1);
        JsonNode commit = daemon.json("wait", "commit", "docs@" + id, "-o", "json");
        assertThat(commit.get("finished").isNull()).isFalse();

        assertThat(daemon.json("list", "file", "docs@master:/x", "-o", "json").findValuesAsText("path"))
                .containsExactly("/x/1.txt", "/x/2.txt");
        assertThat(daemon.json("glob", "file", "docs@master:/x/*", "-o", "json")).hasSize(2);
        assertThat(daemon.json("inspect", "file", "docs@master:/x/2.txt", "-o", "json").get("size").asLong()).isEqualTo(5);

        daemon.ok("create", "branch", "docs@dev", "--head", "master");
        assertThat(daemon.json("list", "branch", "docs", "-o", "json").findValuesAsText("name")).contains("master", "dev");
        daemon.ok("delete", "file", "docs@dev:/x/1.txt");
        assertThat(daemon.json("list", "file", "docs@dev:/x", "-o", "json")).hasSize(1);
        assertThat(daemon.json("list", "file", "docs@master:/x", "-o", "json")).hasSize(2);
        daemon.ok("delete", "branch", "docs@dev");
        daemon.ok("delete", "repo", "docs");
        daemon.fails("inspect", "repo", "docs");
    }

    @Test
    void directoriesGoInOneCommit() throws IOException {
        daemon.ok("create", "repo", "tree");
        Path src = daemon.dir().resolve("src");
        Files.createDirectories(src.resolve("sub"));
        Files.writeString(src.resolve("top.txt"), "t");
        Files.writeString(src.resolve("sub/inner.txt"), "i");
        daemon.ok("put", "file", "tree@master:/", "-f", src.toString(), "-r");
        assertThat(daemon.json("list", "commit", "tree", "-o", "json")).hasSize(1);
        assertThat(daemon.json("glob", "file", "tree@master:/**", "-o", "json").findValuesAsText("path"))
                .contains("/top.txt", "/sub/inner.txt");
    }

    @Test
    void fsckAndGc() throws IOException {
        daemon.ok("create", "repo", "blobs");
        byte[] data = new byte[3 << 20];
        new Random(7).nextBytes(data);
        Path local = daemon.dir().resolve("blob.bin");
        Files.write(local, data);
        daemon.ok("put", "file", "blobs@master:/blob.bin", "-f", local.toString());
        assertThat(daemon.ok("fsck").out()).contains("ok");
        daemon.ok("delete", "repo", "blobs");
        assertThat(daemon.json("gc", "-o", "json").get("deletedChunks").asLong()).isPositive();
    }

    @Test
    void mistakesGiveOneLineAndWriteNothing() throws IOException {
        daemon.fails("create", "repo", "bad name!");
        daemon.fails("create", "repo", "../etc");
        daemon.fails("put", "file", "nosuchrepo@master:/a", "-f", "-");
        daemon.ok("create", "repo", "safe");
        daemon.fails("put", "file", "safe@master:/../escape", "-f", "-");
        daemon.fails("get", "file", "safe@master:/missing.txt");
        daemon.fails("inspect", "commit", "safe@nosuchbranch");
        daemon.fails("inspect", "commit", "safe@master^5");
        assertThat(daemon.fails("put", "file", "safe@master~1:/a", "-f", "-").err())
                .contains("'safe@master^1' is an ancestor of a branch");
        daemon.fails("put", "file", "safe@master:/a", "-f", daemon.dir().resolve("does-not-exist").toString());
        daemon.fails("list", "repo", "--output", "xml");
        daemon.fails("create", "repo");
        assertThat(daemon.cli("list", "commit", "safe", "-o", "json").out().strip()).isEqualTo("[ ]");
        daemon.ok("create", "branch", "safe@empty"); // --head is optional: a branch with one empty commit
        assertThat(daemon.json("list", "commit", "safe@empty", "-o", "json")).hasSize(1);
    }

    @Test
    void aLargePutIntoAMissingRepoIsRefusedByName() throws Exception {
        Path big = daemon.dir().resolve("big.bin");
        Files.write(big, new byte[16 << 20]);
        assertThat(daemon.fails("put", "file", "absent@master:/big.bin", "-f", big.toString()).err())
                .isEqualTo("sluice: no repo 'absent'\n");
        // a client that sends the whole body without waiting reads the answer too, not a reset connection
        HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(daemon.address() + "/api/v1/repos/absent/files?path=/big.bin"))
                .PUT(HttpRequest.BodyPublishers.ofFile(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(raw.statusCode()).isEqualTo(404);
        assertThat(raw.body()).isEqualTo("{\"error\":\"no repo 'absent'\"}");
    }

    @Test
    void aDirectoryIsNotAFileAndAWaitThatTimesOutSaysSo() throws IOException {
        daemon.ok("create", "repo", "waits");
        Path f = daemon.dir().resolve("w.txt");
        Files.writeString(f, "w\n");
        daemon.ok("put", "file", "waits@master:/d/w.txt", "-f", f.toString());
        assertThat(daemon.fails("get", "file", "waits@master:/d").err()).contains("'/d' is a directory");
        daemon.ok("start", "commit", "waits@master");
        assertThat(daemon.fails("wait", "commit", "waits@master", "--timeout", "1").err()).contains("timed out after 1 s");
        daemon.ok("finish", "commit", "waits@master");
        daemon.ok("wait", "commit", "waits@master", "--timeout", "1");
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] cmd : new String[][]{{"list", "--help"}, {"put", "file", "-h"}, {"up", "--help"},
                {"logs", "--help"}, {"create", "branch", "--help"}}) {
            TestDaemon.Run run = daemon.cli(cmd);
            assertThat(run.code()).as(String.join(" ", cmd) + ": " + run.err()).isZero();
            assertThat(run.out()).startsWith("Usage: sluice " + cmd[0]);
        }
    }

    @Test
    void noDaemonSaysHowToStartOne() {
        TestDaemon.Run run = TestDaemon.cli("http://127.0.0.1:1", new byte[0], "list", "repo");
        assertThat(run.code()).isEqualTo(1);
        assertThat(run.err()).contains("no Sluice daemon").contains("./sluice up");
    }

    @Test
    void theLauncherRunsClientsOnTheirOwnClassPath() throws Exception {
        daemon.ok("create", "repo", "launched");
        // this reactor run built the jars the launcher runs: it must not build again inside the test
        Path stamp = TestDaemon.HOME.resolve("api/target/.sluice-built");
        Files.write(stamp, new byte[0]);
        // Twice: the first client run after a build writes the class-data archive the second one maps.
        for (int run = 0; run < 2; run++) {
            Path classes = daemon.dir().resolve("classes-" + run + ".log");
            ProcessBuilder pb = new ProcessBuilder(TestDaemon.HOME.resolve("sluice").toString(), "list", "repo", "-o", "json")
                    .redirectError(ProcessBuilder.Redirect.INHERIT);
            pb.environment().put("SLUICE_ADDRESS", daemon.address());
            pb.environment().put("SLUICE_JAVA_OPTS", "-Xlog:class+load:file=" + classes);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(out).isZero();
            assertThat(JSON.readTree(out).findValuesAsText("name")).contains("launched");
            String loaded = Files.readString(classes);
            assertThat(loaded).contains("io.sluice.api.client.SluiceClient")
                    .doesNotContain("io.javalin").doesNotContain("org.eclipse.jgit").doesNotContain("net.librec")
                    .doesNotContain("sun.security.ssl").doesNotContain("jdk.internal.net.http")
                    .doesNotContain("/api/target/lib/");
            if (run == 1) {
                // picocli's own jar holds Java 5 class files, which the archive refuses; the build upgrades them.
                assertThat(loaded).as("picocli from the class-data archive")
                        .containsPattern("picocli\\.CommandLine source: shared objects file")
                        .doesNotContainPattern("picocli\\.CommandLine(\\$\\S+)? source: (file|jar):");
            }
        }
    }

    @Test
    void addressesWithoutSchemeAndNamesThatNeedEncoding() throws IOException {
        daemon.ok("create", "repo", "addr");
        String hostPort = daemon.address().substring("http://".length());
        TestDaemon.Run plain = TestDaemon.cli(Map.of("SLUICE_ADDRESS", hostPort), new byte[0], "list", "repo", "-o", "json");
        assertThat(plain.code()).as(plain.err()).isZero();
        assertThat(JSON.readTree(plain.out()).findValuesAsText("name")).contains("addr");
        TestDaemon.Run bad = TestDaemon.cli(Map.of("SLUICE_ADDRESS", "ftp://x:1"), new byte[0], "list", "repo");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).startsWith("sluice: 'ftp://x:1' is not a daemon address").doesNotContain("\tat ");
        assertThat(daemon.fails("inspect", "pipeline", "x y").err()).contains("no pipeline 'x y'");
        assertThat(daemon.fails("list", "job", "-p", "nosuch").err()).contains("no pipeline 'nosuch'");
        assertThat(daemon.fails("create", "pipeline", "-f", "/nonexistent.json").err())
                .isEqualTo("sluice: no such file: /nonexistent.json\n");
    }

    @Test
    void typosGetTheNearestNameAndShellsGetCompletion() {
        assertThat(daemon.fails("list", "jobs").err()).contains("did you mean 'list job'?");
        assertThat(daemon.fails("lsit", "repo").err()).contains("did you mean 'list'?");
        for (String shell : new String[]{"bash", "zsh"}) {
            String script = daemon.ok("completion", shell).out();
            assertThat(script).contains("complete -F").contains("inspect").contains("--output");
        }
        daemon.fails("completion", "fish");
    }

    @Test
    void everyOptionAndParameterHasAHelpLine() {
        Main main = new Main(System.out, System.err, System.in, Map.of());
        List<String> missing = new ArrayList<>();
        Deque<picocli.CommandLine> todo = new ArrayDeque<>(List.of(main.tree(Main.COMMANDS)));
        while (!todo.isEmpty()) {
            picocli.CommandLine cli = todo.pop();
            for (picocli.CommandLine.Model.OptionSpec option : cli.getCommandSpec().options()) {
                if (String.join("", option.description()).isBlank()) {
                    missing.add(cli.getCommandSpec().qualifiedName() + " " + option.longestName());
                }
            }
            for (picocli.CommandLine.Model.PositionalParamSpec param : cli.getCommandSpec().positionalParameters()) {
                if (String.join("", param.description()).isBlank()) {
                    missing.add(cli.getCommandSpec().qualifiedName() + " " + param.paramLabel());
                }
            }
            todo.addAll(cli.getSubcommands().values());
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void yamlOutputAndStdoutAndDirectories() throws IOException {
        daemon.ok("create", "repo", "fmt", "-d", "yes: a tricky description");
        Path local = daemon.dir().resolve("fmt.txt");
        Files.writeString(local, "x\n");
        daemon.ok("put", "file", "fmt@master:/d/one.txt", "-f", local.toString());
        daemon.ok("put", "file", "fmt@master:/d/sub/two.txt", "-f", local.toString());
        tools.jackson.databind.ObjectMapper yaml = new tools.jackson.dataformat.yaml.YAMLMapper();
        tools.jackson.databind.ObjectMapper json = new tools.jackson.databind.json.JsonMapper();
        for (String[] cmd : new String[][]{{"inspect", "repo", "fmt"}, {"list", "file", "fmt@master:/d"},
                {"inspect", "commit", "fmt@master"}, {"list", "repo"}}) {
            String asYaml = daemon.ok(concat(cmd, "-o", "yaml")).out();
            String asJson = daemon.ok(concat(cmd, "-o", "json")).out();
            assertThat(yaml.readTree(asYaml)).as(asYaml).isEqualTo(json.readTree(asJson));
        }
        assertThat(daemon.ok("get", "file", "fmt@master:/d/one.txt", "-o", "-").out()).isEqualTo("x\n");
        Path into = daemon.dir().resolve("got");
        daemon.ok("get", "file", "fmt@master:/d", "-r", "-o", into.toString());
        assertThat(Files.readString(into.resolve("one.txt"))).isEqualTo("x\n");
        assertThat(Files.readString(into.resolve("sub/two.txt"))).isEqualTo("x\n");
        daemon.fails("get", "file", "fmt@master:/d", "-r");
    }

    @Test
    void listCommitWithNoRepoShowsTheNewestOfAll() throws IOException, InterruptedException {
        daemon.ok("create", "repo", "older");
        daemon.ok("start", "commit", "older@master");
        daemon.ok("finish", "commit", "older@master");
        Thread.sleep(20); // distinct finish times, even on a coarse clock
        daemon.ok("create", "repo", "newer");
        daemon.ok("start", "commit", "newer@master");
        daemon.ok("finish", "commit", "newer@master");
        JsonNode all = daemon.json("list", "commit", "-o", "json");
        List<String> repos = all.findValuesAsText("repo");
        assertThat(repos).contains("older", "newer");
        assertThat(repos.indexOf("newer")).isLessThan(repos.indexOf("older"));
        assertThat(daemon.json("list", "commit", "--limit", "1", "-o", "json")).hasSize(1);
    }

    @Test
    void logsFollowAJobUntilItEnds() throws Exception {
        daemon.ok("create", "repo", "followed");
        Path spec = daemon.dir().resolve("follow.json");
        Files.writeString(spec, "{\"pipeline\": {\"name\": \"follow\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                + " \"echo first; sleep 2; echo last\"]}, \"input\": {\"pfs\": {\"repo\": \"followed\", \"glob\": \"/\"}}}");
        daemon.ok("create", "pipeline", "-f", spec.toString());
        Path local = daemon.dir().resolve("in.txt");
        Files.writeString(local, "in\n");
        daemon.ok("put", "file", "followed@master:/in.txt", "-f", local.toString());
        String job = null;
        for (long deadline = System.nanoTime() + 60_000_000_000L; job == null && System.nanoTime() < deadline; ) {
            JsonNode jobs = daemon.json("list", "job", "-p", "follow", "-o", "json");
            job = jobs.isEmpty() ? null : jobs.get(0).get("id").asText();
            Thread.sleep(100);
        }
        assertThat(job).as("a job for the new commit").isNotNull();
        String followed = daemon.ok("logs", "-j", job, "-f").out();
        assertThat(followed).contains("first").contains("last");
        assertThat(daemon.json("inspect", "job", job, "-o", "json").get("state").asText()).isEqualTo("JOB_SUCCESS");
    }

    @Test
    void upSaysWhichAddressToExport() throws Exception {
        Path log = daemon.dir().resolve("up.log");
        // A data dir a shell would split, expand and unquote: the pasted line must still set exactly it.
        Path data = daemon.dir().resolve("odd data $HOME `x` 'q' \"d\" \\ ; & *");
        try (DaemonProcess up = DaemonProcess.start(data, log)) {
            String line = Files.readString(log).lines().filter(l -> l.startsWith("export ")).findFirst().orElseThrow();
            assertThat(line).startsWith("export SLUICE_ADDRESS=" + up.address + " SLUICE_DATA=");
            assertThat(Files.readString(log)).contains("web console: " + up.address + "/#token=" + up.token + "\n");
            Process sh = new ProcessBuilder("sh", "-c", line + "\nprintf '%s\\n%s' \"$SLUICE_ADDRESS\" \"$SLUICE_DATA\"")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String set = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(sh.waitFor()).isZero();
            assertThat(set).isEqualTo(up.address + "\n" + data.toAbsolutePath().normalize());
        }
    }

    @Test
    void upOnABusyPortSaysSoInOneLine() throws Exception {
        try (java.net.ServerSocket busy = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Path data = Files.createDirectories(daemon.dir().resolve("busy-port-data"));
            Files.write(TestDaemon.HOME.resolve("api/target/.sluice-built"), new byte[0]); // this reactor run built the jars
            Process up = new ProcessBuilder(TestDaemon.HOME.resolve("sluice").toString(), "up", "--no-demo",
                    "--port", String.valueOf(busy.getLocalPort()), "--data-dir", data.toString())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String err = new String(up.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(up.waitFor()).as(err).isEqualTo(1);
            assertThat(err.lines().toList()).as(err).hasSize(1);
            assertThat(err).startsWith("sluice: cannot listen on 127.0.0.1:" + busy.getLocalPort());
        }
    }

    @Test
    void transfersDrawAProgressBarOnATerminalOnly() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "script (util-linux) runs the CLI on a terminal");
        daemon.ok("create", "repo", "bars");
        Files.write(TestDaemon.HOME.resolve("api/target/.sluice-built"), new byte[0]);
        Path big = daemon.dir().resolve("big.bin");
        byte[] bytes = new byte[5 << 20]; // over the 4 MiB from which a transfer draws a bar
        new Random(7).nextBytes(bytes);
        Files.write(big, bytes);
        String sluice = TestDaemon.HOME.resolve("sluice").toString();
        // On a terminal (script gives the command a pseudo-terminal and copies what it shows to its stdout)...
        String put = onTerminal(sluice + " put file bars@master:/big.bin -f " + big);
        assertThat(put).contains("put /big.bin [").contains("100%").contains("MiB/s");
        Path back = daemon.dir().resolve("back.bin");
        String get = onTerminal(sluice + " get file bars@master:/big.bin -o " + back);
        assertThat(get).contains("get /big.bin [").contains("100%");
        assertThat(Files.readAllBytes(back)).isEqualTo(bytes);
        // ... and not when stderr is a pipe.
        ProcessBuilder piped = new ProcessBuilder(sluice, "get", "file", "bars@master:/big.bin", "-o", back.toString());
        piped.environment().put("SLUICE_ADDRESS", daemon.address());
        Process p = piped.start();
        p.getInputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(err).isZero();
        assertThat(err).isEmpty();
        assertThat(Files.readAllBytes(back)).isEqualTo(bytes);
    }

    /** What the terminal shows while {@code command} runs on one, as script(1) records it; it must exit 0. */
    private static String onTerminal(String command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("script", "-q", "-e", "-c", command, "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.PIPE).redirectErrorStream(true);
        pb.environment().put("SLUICE_ADDRESS", daemon.address());
        Process p = pb.start();
        p.getOutputStream().close();
        String shown = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(shown).isZero();
        return shown;
    }

    @Test
    void logsFollowAPipelineAcrossItsJobsUntilStopped() throws Exception {
        daemon.ok("create", "repo", "tailed");
        Path spec = daemon.dir().resolve("tail.json");
        Files.writeString(spec, "{\"pipeline\": {\"name\": \"tail\"}, \"transform\": {\"cmd\": [\"sh\", \"-c\","
                + " \"echo begin-$(cat /pfs/tailed/*); sleep 8; echo end-$(cat /pfs/tailed/*)\"]},"
                + " \"input\": {\"pfs\": {\"repo\": \"tailed\", \"glob\": \"/\"}}}");
        daemon.ok("create", "pipeline", "-f", spec.toString());
        Files.write(TestDaemon.HOME.resolve("api/target/.sluice-built"), new byte[0]);
        // Started before any job exists: -p follows the pipeline, not one job.
        ProcessBuilder pb = new ProcessBuilder(TestDaemon.HOME.resolve("sluice").toString(), "logs", "-p", "tail", "-f")
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("SLUICE_ADDRESS", daemon.address());
        Process logs = pb.start();
        java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(logs.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = in.readLine()) != null; ) {
                    lines.add(l);
                }
            } catch (IOException ignored) {
                // the process was stopped
            }
        });
        reader.start();
        try {
            Path local = daemon.dir().resolve("one.txt");
            Files.writeString(local, "one\n");
            daemon.ok("put", "file", "tailed@master:/in.txt", "-f", local.toString());
            awaitLine(lines, "begin-one");
            // The line came while its job still runs (it sleeps 8 s before its last line).
            JsonNode job = daemon.json("list", "job", "-p", "tail", "-o", "json").get(0);
            assertThat(job.get("state").asText()).isEqualTo("JOB_RUNNING");
            awaitLine(lines, "end-one");
            Files.writeString(local, "two\n");
            daemon.ok("put", "file", "tailed@master:/in.txt", "-f", local.toString());
            awaitLine(lines, "begin-two");
            assertThat(logs.isAlive()).as("still following after a job ended").isTrue();
        } finally {
            logs.destroy(); // what Ctrl-C does to it
            logs.waitFor();
            reader.join(10_000);
            daemon.ok("delete", "pipeline", "tail");
        }
    }

    private static void awaitLine(java.util.concurrent.BlockingQueue<String> lines, String text) throws InterruptedException {
        for (long deadline = System.nanoTime() + 90_000_000_000L; System.nanoTime() < deadline; ) {
            String line = lines.poll(1, java.util.concurrent.TimeUnit.SECONDS);
            if (line != null && line.endsWith("stdout: " + text)) {
                return;
            }
        }
        throw new AssertionError("no log line '" + text + "' within 90 s");
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
