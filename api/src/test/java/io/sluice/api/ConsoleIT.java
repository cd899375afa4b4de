package io.sluice.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.Json;
import io.sluice.api.demo.Demo;
import io.sluice.pfs.CommitInfo;
import io.sluice.pfs.PfsService;
import io.sluice.pps.JobInfo;
import io.sluice.pps.JobState;
import io.sluice.train.RatingGenerator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The web console end to end in the system's headless Chromium, over a daemon running the recommender demo
 * with real train and predict processes: the DAG, live jobs and models, logs, files at an older commit, a
 * prediction's lineage, errors, the token prompt, a phone-width window, paging through more commits than
 * a page, and another project's nodes. Screenshots land in target/console/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {
    private static final ObjectMapper JSON = Json.mapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Path SHOTS = Path.of("target", "console");
    private static final Duration JOB_WAIT = Duration.ofMinutes(3);
    private static final int PAGE = 50;

    @TempDir
    static Path dir;
    static TestDaemon daemon;
    static ChromeDriver browser;

    @BeforeAll
    static void start() throws IOException {
        Path chromium = onPath("chromium");
        Path driver = onPath("chromedriver");
        if (System.getenv("CI") != null) {
            assertThat(chromium).as("CI installs chromium and chromium-driver (.ci/run)").isNotNull();
            assertThat(driver).as("CI installs chromium and chromium-driver (.ci/run)").isNotNull();
        }
        assumeTrue(chromium != null && driver != null, "no chromium/chromedriver on PATH (apt-get install chromium chromium-driver)");
        daemon = new TestDaemon(dir.resolve("data"));
        Path dataset = dir.resolve("ratings.txt");
        // a small base set keeps each train job to seconds; the code path is the demo's own
        RatingGenerator.write(new RatingGenerator(new RatingGenerator.Shape(300, 400, 20_000, 5, 0.6, 42L)).generate(), dataset);
        new Demo(daemon.daemon, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(dataset, daemon.address);
        Files.createDirectories(SHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--no-first-run", "--disable-component-update", "--disable-sync", "--window-size=1280,800",
                "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    @Test
    @Order(1)
    void theDagShowsTheFourReposAndTwoPipelinesAndOpensAPanelFromTheKeyboard() throws IOException {
        load("/");
        List<WebElement> nodes = waitFor(Duration.ofSeconds(30), b -> {
            List<WebElement> found = b.findElements(By.cssSelector("#dag-nodes button[data-node]"));
            return found.size() == 6 ? found : null;
        });
        assertThat(nodes.stream().map(n -> n.getDomAttribute("data-node")).collect(Collectors.toSet())).containsExactlyInAnyOrder(
                "repo:training", "repo:streaming", "repo:train", "repo:predict", "pipeline:train", "pipeline:predict");
        assertThat(browser.findElement(By.cssSelector("#dag-nodes [data-node='pipeline:train']")).getDomAttribute("data-state"))
                .isEqualTo("JOB_SUCCESS");
        assertThat(browser.findElements(By.cssSelector("#dag-chart canvas"))).isNotEmpty();
        shot("dag");

        WebElement train = browser.findElement(By.cssSelector("#dag-nodes [data-node='pipeline:train']"));
        train.sendKeys(Keys.ENTER);
        WebElement panel = waitFor(Duration.ofSeconds(20), b -> {
            WebElement p = b.findElement(By.id("panel"));
            return p.isDisplayed() && p.getText().contains("Pipeline train") ? p : null;
        });
        assertThat(panel.getText()).contains("Latest jobs").contains("training");
        shot("dag-panel");
        browser.switchTo().activeElement().sendKeys(Keys.ESCAPE);
        waitFor(Duration.ofSeconds(10), b -> !b.findElement(By.id("panel")).isDisplayed());
    }

    @Test
    @Order(2)
    void newTrainingDataShowsANewJobAndModelWithoutAReload() throws Exception {
        load("/jobs");
        waitFor(Duration.ofSeconds(30), b -> !b.findElements(By.cssSelector("#job-list [data-job]")).isEmpty());
        Set<String> jobsBefore = attributes("#job-list [data-job]", "data-job");
        js("window.sluiceMarker = 'jobs'");
        String jobsTab = browser.getWindowHandle();
        browser.switchTo().newWindow(WindowType.TAB);
        load("/models");
        waitFor(Duration.ofSeconds(30), b -> !b.findElements(By.cssSelector("#models [data-model]")).isEmpty());
        Set<String> modelsBefore = attributes("#models [data-model]", "data-model");
        js("window.sluiceMarker = 'models'");

        JsonNode posted = post("/train", "{\"data\": [\"1 2 4 880606923\", \"2 3 5 880606924\", \"3 4 1 880606925\"]}");
        assertThat(posted.get("filename").asText()).startsWith("train-");

        String newModel = waitFor(JOB_WAIT, b -> {
            Set<String> now = attributes("#models [data-model]", "data-model");
            now.removeAll(modelsBefore);
            return now.size() == 1 ? now.iterator().next() : null;
        });
        assertThat(js("return window.sluiceMarker")).isEqualTo("models");
        assertThat(browser.findElement(By.id("models")).getText()).contains("incremental");
        assertThat(browser.findElement(By.cssSelector("#metrics-chart canvas")).isDisplayed()).isTrue();
        CommitInfo model = daemon.daemon.pfs().inspectCommit("train", "master");
        assertThat(newModel).isEqualTo(model.id());
        shot("models");

        browser.close();
        browser.switchTo().window(jobsTab);
        String newJob = waitFor(Duration.ofSeconds(30), b -> {
            Set<String> now = attributes("#job-list [data-job]", "data-job");
            now.removeAll(jobsBefore);
            return now.stream().filter(id -> daemon.daemon.pps().inspectJob(id).pipeline().equals("train")).findFirst().orElse(null);
        });
        assertThat(js("return window.sluiceMarker")).isEqualTo("jobs");
        assertThat(daemon.daemon.pps().inspectJob(newJob).output().id()).isEqualTo(model.id());
        shot("jobs");
    }

    @Test
    @Order(3)
    void aJobsLogsShowTheTrainStagesOutput() throws IOException {
        load("/jobs?pipeline=train");
        String id = waitFor(Duration.ofSeconds(30), b -> {
            WebElement first = b.findElements(By.cssSelector("#job-list a code[data-job]")).stream().findFirst().orElse(null);
            if (first == null) {
                return null;
            }
            String job = first.getDomAttribute("data-job");
            first.click();
            return job;
        });
        WebElement logs = waitFor(Duration.ofSeconds(30), b -> {
            WebElement l = b.findElement(By.id("job-logs"));
            return l.getText().contains("sluice-train:") ? l : null;
        });
        assertThat(logs.getText()).contains("RMSE");
        assertThat(browser.findElement(By.id("job-facts")).getText()).contains("1 processed");
        assertThat(browser.getCurrentUrl()).endsWith("#/jobs/" + id);
        WebElement datumLogs = browser.findElement(By.cssSelector("#job-datums a"));
        datumLogs.click();
        waitFor(Duration.ofSeconds(30), b -> b.getCurrentUrl().contains("datum=")
                && b.findElement(By.id("job-logs")).getText().contains("sluice-train:"));
        shot("job-logs");
    }

    @Test
    @Order(4)
    void aFileCanBeBrowsedAtAnOlderCommit() throws IOException {
        List<CommitInfo> commits = daemon.daemon.pfs().listCommit("training", "master", 0);
        assertThat(commits).hasSizeGreaterThanOrEqualTo(2);
        CommitInfo oldest = commits.get(commits.size() - 1);
        load("/repos/training");
        WebElement link = waitFor(Duration.ofSeconds(30), b -> b.findElements(By.cssSelector("a[href$='/commit/" + oldest.id() + "']"))
                .stream().findFirst().orElse(null));
        link.click();
        waitFor(Duration.ofSeconds(30), b -> b.getPageSource().contains("base-ratings.txt"));
        String listing = browser.findElement(By.id("view")).getText();
        assertThat(listing).contains("base-ratings.txt").doesNotContain("train-");
        browser.findElement(By.linkText("base-ratings.txt")).click();
        WebElement text = waitFor(Duration.ofSeconds(30), b -> b.findElements(By.cssSelector("pre.text")).stream().findFirst().orElse(null));
        String firstLine = new String(daemon.daemon.pfs().getFile("training", oldest.id(), "/base-ratings.txt", 0, 200).readAllBytes(),
                StandardCharsets.UTF_8).split("\n")[0];
        assertThat((String) js("return arguments[0].textContent", text)).startsWith(firstLine + "\n");
        assertThat(browser.findElement(By.id("view")).getText()).contains("First 64.0 KiB");
        shot("file-at-older-commit");
    }

    @Test
    @Order(5)
    void aPredictionsLineageLeadsBackToItsTrainingCommit() throws Exception {
        String filename = post("/predict", "{\"data\": [\"1 2\", \"3 4\"]}").get("filename").asText();
        JsonNode result = null;
        Instant deadline = Instant.now().plus(JOB_WAIT);
        while (Instant.now().isBefore(deadline)) {
            result = post("/result", "{\"filename\": \"" + filename + "\"}");
            if (result.get("ready").asBoolean()) {
                break;
            }
            Thread.sleep(200);
        }
        assertThat(result.get("ready").asBoolean()).as("prediction %s ready", filename).isTrue();
        String model = result.get("model").asText();
        String training = daemon.daemon.pfs().inspectCommit("train", model).provenance().stream()
                .filter(p -> p.repo().equals("training")).findFirst().orElseThrow().id();

        load("/models");
        waitFor(Duration.ofSeconds(30), b -> {
            b.findElement(By.cssSelector("[data-lineage='/" + filename + "']")).click();
            return true;
        });
        WebElement summary = waitFor(Duration.ofSeconds(30), b -> b.findElements(By.id("lineage-summary")).stream().findFirst().orElse(null));
        assertThat(summary.findElement(By.cssSelector("[data-repo='train']")).getDomAttribute("data-commit")).isEqualTo(model);
        assertThat(summary.findElement(By.cssSelector("[data-repo='training']")).getDomAttribute("data-commit")).isEqualTo(training);
        assertThat(summary.findElement(By.cssSelector("[data-repo='streaming']"))).isNotNull();
        assertThat(summary.getText()).contains(filename);
        waitFor(Duration.ofSeconds(20), b -> !b.findElements(By.cssSelector("#lineage-chart canvas")).isEmpty());
        shot("prediction-lineage");

        // and the model's own lineage names the training commit it came from
        summary.findElement(By.cssSelector("[data-repo='train']")).click();
        WebElement modelSummary = waitFor(Duration.ofSeconds(30), b -> b.getCurrentUrl().contains("/lineage/train/")
                ? b.findElements(By.id("lineage-summary")).stream().findFirst().orElse(null) : null);
        assertThat(modelSummary.getText()).contains("trained on");
        assertThat(modelSummary.findElement(By.cssSelector("[data-repo='training']")).getDomAttribute("data-commit")).isEqualTo(training);
    }

    @Test
    @Order(6)
    void everyApiErrorShowsAsItsOneLineMessage() throws Exception {
        String expected = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/repos/nosuchrepo")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).get("error").asText();
        load("/repos/nosuchrepo");
        WebElement bar = waitFor(Duration.ofSeconds(20), b -> b.findElement(By.id("error")).isDisplayed() ? b.findElement(By.id("error")) : null);
        assertThat(bar.getText()).startsWith(expected);
        assertThat(browser.findElement(By.id("view")).getText()).contains("Could not load this page: " + expected);

        String badSpec = "{\"pipeline\": {\"name\": \"bad\"}, \"transform\": {\"cmd\": [\"true\"]},"
                + " \"input\": {\"pfs\": {\"repo\": \"training\", \"glob\": \"/\"}}, \"bogus_field\": 1}";
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + "/api/v1/pipelines"))
                .POST(HttpRequest.BodyPublishers.ofString(badSpec)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(400);
        load("/pipelines");
        WebElement editor = waitFor(Duration.ofSeconds(20), b -> b.findElement(By.id("spec-editor-create")));
        js("arguments[0].value = arguments[1]", editor, badSpec);
        browser.findElement(By.cssSelector(".editor-form button[type='submit']")).click();
        WebElement problem = waitFor(Duration.ofSeconds(20), b -> {
            WebElement p = b.findElement(By.id("spec-editor-create-problem"));
            return p.getText().isEmpty() ? null : p;
        });
        assertThat(problem.getText()).isEqualTo(JSON.readTree(refused.body()).get("error").asText().split("\n")[0]);
        shot("pipeline-editor-error");
        editor.clear();
        editor.sendKeys("{\"pipeline\": ");
        waitFor(Duration.ofSeconds(10), b -> b.findElement(By.id("spec-editor-create-problem")).getText().startsWith("Not valid JSON"));
        assertThat(daemon.daemon.pps().listPipeline()).hasSize(2);
    }

    @Test
    @Order(7)
    void aPhoneWidthWindowNeedsNoSidewaysScrolling() throws IOException {
        browser.manage().window().setSize(new Dimension(390, 844));
        try {
            for (String route : List.of("/", "/models", "/jobs", "/repos/training")) {
                load(route);
                Object overflow = js("return document.documentElement.scrollWidth - window.innerWidth");
                assertThat(((Number) overflow).longValue()).as("sideways overflow of %s", route).isLessThanOrEqualTo(1);
                shot("phone" + route.replace('/', '-'));
            }
        } finally {
            browser.manage().window().setSize(new Dimension(1280, 800));
        }
    }

    @Test
    @Order(8)
    void aDaemonWithATokenGetsItFromTheUserOnce() throws IOException {
        try (TestDaemon locked = new TestDaemon(dir.resolve("locked"), null, "s3cret")) {
            browser.get("about:blank");
            browser.get(locked.address + "/#/");
            WebElement input = waitFor(Duration.ofSeconds(20), b -> {
                WebElement i = b.findElement(By.id("token-input"));
                return i.isDisplayed() ? i : null;
            });
            shot("token-prompt");
            input.sendKeys("wrong", Keys.ENTER);
            waitFor(Duration.ofSeconds(20), b -> b.findElement(By.id("token-error")).isDisplayed()
                    && b.findElement(By.id("token-error")).getText().contains("bearer token"));
            browser.findElement(By.id("token-input")).sendKeys("s3cret", Keys.ENTER);
            waitFor(Duration.ofSeconds(20), b -> "/".equals(b.findElement(By.tagName("body")).getDomAttribute("data-rendered")));
            assertThat(browser.findElement(By.id("token-dialog")).isDisplayed()).isFalse();
            assertThat(browser.findElement(By.id("view")).getText()).doesNotContain("Could not load");
            // once: a reload uses the kept token without asking
            browser.navigate().refresh();
            waitFor(Duration.ofSeconds(20), b -> "/".equals(b.findElement(By.tagName("body")).getDomAttribute("data-rendered")));
            assertThat(browser.findElement(By.id("token-dialog")).isDisplayed()).isFalse();

            // the address `sluice up` prints carries the token: no prompt, and the address bar drops it
            js("localStorage.clear()");
            browser.get("about:blank");
            browser.get(locked.address + "/#token=s3cret");
            waitFor(Duration.ofSeconds(20), b -> "/".equals(b.findElement(By.tagName("body")).getDomAttribute("data-rendered")));
            assertThat(browser.findElement(By.id("token-dialog")).isDisplayed()).isFalse();
            assertThat(browser.findElement(By.id("view")).getText()).doesNotContain("Could not load");
            assertThat(browser.getCurrentUrl()).isEqualTo(locked.address + "/#/");
            assertThat(js("return localStorage.getItem('sluice.token')")).isEqualTo("s3cret");
        }
    }

    /**
     * More commits than a page: the repo page shows one page (50) and pages on to the rest, and no page asks the
     * API for more than one page of commits or jobs. (How fast pages render with 1,000 commits and 200 jobs is
     * {@code sluice bench console}'s to measure, not a test's.)
     */
    @Test
    @Order(9)
    void moreCommitsOrFilesThanAPageAreReadOnePageAtATime() throws Exception {
        PfsService pfs = daemon.daemon.pfs();
        int commits = PAGE + 12;
        pfs.createRepo("paged", commits + " commits");
        for (int i = 0; i < commits - 3; i++) {
            pfs.putFile("paged", "master", "/f" + i + ".txt", bytes("file " + i), false);
        }
        daemon.daemon.pps().createPipeline("""
                {"pipeline": {"name": "paged-copy"}, "transform": {"cmd": ["true"]},
                 "input": {"pfs": {"repo": "paged", "glob": "/"}}}""");
        for (int i = commits - 3; i < commits; i++) {
            pfs.putFile("paged", "master", "/f0.txt", bytes("file 0"), false);
        }
        Instant deadline = Instant.now().plus(JOB_WAIT);
        List<JobInfo> jobs = daemon.daemon.pps().listJob("paged-copy");
        while (Instant.now().isBefore(deadline) && (jobs.size() < 4 || !jobs.stream().allMatch(j -> j.state().terminal()))) {
            Thread.sleep(200);
            jobs = daemon.daemon.pps().listJob("paged-copy");
        }
        assertThat(jobs).hasSize(4).allMatch(j -> j.state() == JobState.JOB_SUCCESS);
        String head = pfs.inspectCommit("paged", "master").id();

        for (String route : List.of("/", "/repos/paged", "/jobs", "/jobs?pipeline=paged-copy", "/pipelines/paged-copy",
                "/lineage/paged/" + head, "/models")) {
            load(route);
            @SuppressWarnings("unchecked")
            List<String> calls = (List<String>) js("return performance.getEntriesByType('resource').map(e => e.name)");
            for (String call : calls) {
                if (call.contains("/commits") || call.matches(".*/api/v1/jobs(\\?.*)?$")) {
                    assertThat(call).as("%s loads one page at a time", route).containsPattern("limit=(\\d|[1-4]\\d|50)(&|$)");
                }
            }
        }
        load("/repos/paged");
        assertThat(browser.findElements(By.cssSelector("#view tbody tr"))).hasSize(PAGE);
        assertThat(browser.findElement(By.cssSelector("#view tbody tr code")).getText()).isEqualTo(head.substring(0, 10));
        browser.findElement(By.linkText("Older →")).click();
        waitFor(Duration.ofSeconds(30), b -> b.findElements(By.cssSelector("#view tbody tr")).size() == commits - PAGE);
        assertThat(browser.findElement(By.cssSelector(".pager")).getText()).contains((PAGE + 1) + "–" + commits);
        shot("paged-commits");

        // a directory of more entries than a page of the file browser: read a page at a time, by cursor
        pfs.createRepo("wide", "one commit of many files");
        pfs.startCommit("wide", "master", "many files", List.of());
        for (int i = 0; i < 230; i++) {
            pfs.putFile("wide", "master", String.format("/d/%03d.txt", i), bytes("file " + i), false);
        }
        String wide = pfs.finishCommit("wide", "master").id();
        load("/repos/wide/commit/" + wide + "?path=/d");
        for (int[] page : new int[][] {{0, 100}, {100, 100}, {200, 30}}) {
            int first = page[0];
            waitFor(Duration.ofSeconds(30), b -> {
                List<WebElement> rows = b.findElements(By.cssSelector("#view tbody tr"));
                return rows.size() == page[1] && rows.get(0).getText().startsWith(String.format("%03d.txt", first));
            });
            @SuppressWarnings("unchecked")
            List<String> calls = (List<String>) js("return performance.getEntriesByType('resource').map(e => e.name)"
                    + ".filter(n => n.includes('/files/list'))");
            assertThat(calls).isNotEmpty().allMatch(c -> c.contains("limit=100"));
            if (first < 200) {
                browser.findElement(By.linkText("Next →")).click();
            }
        }
        assertThat(browser.findElements(By.linkText("Next →"))).isEmpty();
        shot("paged-files");
        browser.findElement(By.linkText("← First")).click();
        waitFor(Duration.ofSeconds(30), b -> b.findElements(By.cssSelector("#view tbody tr")).size() == 100
                && b.findElement(By.cssSelector("#view tbody tr")).getText().startsWith("000.txt"));
    }

    /**
     * A repo and a pipeline of another project, named project/name in the DAG as everywhere else: the pipeline's
     * node, its job, the repo's node, its commits, a file, and the lineage both ways open without an error line
     * (each view asks the API's /projects/{project}/... routes, and the console's own routes keep the '/' encoded).
     */
    @Test
    @Order(10)
    void anotherProjectsNodesReposFilesJobsAndLineageOpenFromTheDag() throws Exception {
        PfsService pfs = daemon.daemon.pfs();
        pfs.createProject("staging", "");
        pfs.createRepo("staging/images", "staged images");
        CommitInfo input = pfs.putFile("staging/images", "master", "/a.txt", bytes("staged line\n"), false);
        daemon.daemon.pps().createPipelines("""
                {"pipeline": {"name": "edges"}, "transform": {"cmd": ["sh", "-c", "cp -r /pfs/images/. /pfs/out/"]},
                 "input": {"pfs": {"repo": "images", "glob": "/"}}}""", "staging", false, false);
        Instant deadline = Instant.now().plus(JOB_WAIT);
        List<JobInfo> jobs = daemon.daemon.pps().listJob("staging/edges");
        while (Instant.now().isBefore(deadline) && (jobs.isEmpty() || !jobs.get(0).state().terminal())) {
            Thread.sleep(200);
            jobs = daemon.daemon.pps().listJob("staging/edges");
        }
        assertThat(jobs).hasSize(1).allMatch(j -> j.state() == JobState.JOB_SUCCESS);
        JobInfo job = jobs.get(0);

        load("/");
        WebElement pipeline = waitFor(Duration.ofSeconds(30), b -> b.findElements(
                By.cssSelector("#dag-nodes [data-node='pipeline:staging/edges'][data-state='JOB_SUCCESS']")).stream().findFirst().orElse(null));
        assertThat(pipeline.getText()).contains("pipeline staging/edges");
        assertThat(attributes("#dag-nodes button[data-node]", "data-node")).contains("repo:staging/images", "repo:staging/edges");
        pipeline.click();
        WebElement panel = waitFor(Duration.ofSeconds(20), b -> {
            WebElement p = b.findElement(By.id("panel"));
            return p.isDisplayed() && p.getText().contains("Latest jobs") ? p : null;
        });
        assertThat(panel.getText()).contains("Pipeline staging/edges").contains("staging/images").contains(job.id().substring(0, 10));
        assertNoError();
        panel.findElement(By.linkText(job.id().substring(0, 10))).click();
        WebElement facts = waitFor(Duration.ofSeconds(30), b -> b.findElement(By.id("job-facts")).getText().contains("staging/images@")
                ? b.findElement(By.id("job-facts")) : null);
        assertThat(facts.getText()).contains("staging/edges").contains(job.output().id().substring(0, 10));
        assertNoError();

        // the output commit's lineage lists the input as staging/images@id, which leads to the input's own lineage
        facts.findElement(By.linkText("lineage")).click();
        WebElement upstream = waitFor(Duration.ofSeconds(30), b -> b.findElements(
                By.cssSelector("#lineage-upstream [data-commit='" + input.id() + "']")).stream().findFirst().orElse(null));
        assertThat(upstream.getText()).isEqualTo("staging/images@" + input.id().substring(0, 10));
        assertNoError();
        upstream.click();
        waitFor(Duration.ofSeconds(30), b -> b.getCurrentUrl().contains("/lineage/staging%2Fimages/" + input.id())
                && !b.findElements(By.cssSelector("#lineage-downstream [data-commit='" + job.output().id() + "']")).isEmpty());
        assertNoError();

        // the repo's node, its commits (with the output's provenance linked), a file
        load("/");
        waitFor(Duration.ofSeconds(30), b -> b.findElements(By.cssSelector("#dag-nodes [data-node='repo:staging/images']")).stream()
                .findFirst().orElse(null)).click();
        panel = waitFor(Duration.ofSeconds(20), b -> {
            WebElement p = b.findElement(By.id("panel"));
            return p.isDisplayed() && p.getText().contains("Latest commits") ? p : null;
        });
        assertThat(panel.getText()).contains("Repo staging/images").contains("staged images").contains(input.id().substring(0, 10));
        assertNoError();
        panel.findElement(By.linkText("All commits and branches →")).click();
        waitFor(Duration.ofSeconds(30), b -> b.findElement(By.id("view")).getText().contains("Repo staging/images"));
        browser.findElement(By.cssSelector("#view a[href$='/commit/" + input.id() + "']")).click();
        waitFor(Duration.ofSeconds(30), b -> !b.findElements(By.linkText("a.txt")).isEmpty());
        browser.findElement(By.linkText("a.txt")).click();
        WebElement text = waitFor(Duration.ofSeconds(30), b -> b.findElements(By.cssSelector("pre.text")).stream().findFirst().orElse(null));
        assertThat(text.getText()).isEqualTo("staged line");
        assertNoError();
        load("/repos/staging%2Fedges");
        assertThat(attributes("#view td a.chip", "href")).containsExactly("#/repos/staging%2Fimages/commit/" + input.id());
        assertNoError();

        // the pipeline's own page and its jobs, and the lists, which hold every project's
        load("/pipelines/staging%2Fedges");
        assertThat(browser.findElement(By.id("spec")).getText()).contains("cp -r /pfs/images/. /pfs/out/");
        assertThat(attributes("#view [data-job]", "data-job")).containsExactly(job.id());
        assertNoError();
        load("/jobs?pipeline=staging%2Fedges");
        waitFor(Duration.ofSeconds(30), b -> attributes("#job-list [data-job]", "data-job").equals(Set.of(job.id())));
        assertNoError();
        load("/repos");
        assertThat(attributes("#view td a", "href")).contains("#/repos/staging%2Fimages", "#/repos/training");
        load("/pipelines");
        assertThat(attributes("#view td a", "href")).contains("#/pipelines/staging%2Fedges", "#/pipelines/train");
        assertNoError();
        shot("project-repo");
    }

    /** Neither the error bar nor a view's own error line is showing. */
    private static void assertNoError() {
        assertThat(browser.findElement(By.id("error")).isDisplayed()).as(browser.findElement(By.id("error")).getText()).isFalse();
        assertThat(browser.findElement(By.id("view")).getText()).doesNotContain("Could not load");
    }

    private static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A full page load of {@code route}; answers the milliseconds from navigation start to the view drawn. */
    private static double load(String route) {
        browser.get("about:blank");
        browser.get(daemon.address + "/#" + route);
        String path = route.contains("?") ? route.substring(0, route.indexOf('?')) : route;
        waitFor(Duration.ofSeconds(60), b -> path.equals(b.findElement(By.tagName("body")).getDomAttribute("data-rendered")));
        return ((Number) js("return window.sluiceRendered.sinceNavigation")).doubleValue();
    }

    private static <T> T waitFor(Duration timeout, Function<ChromeDriver, T> condition) {
        // a live refresh may re-draw what a condition holds: such a condition is simply tried again
        return new WebDriverWait(browser, timeout, Duration.ofMillis(100)).ignoring(StaleElementReferenceException.class).until(d -> {
            T value = condition.apply((ChromeDriver) d);
            return value instanceof Boolean ok ? (ok ? value : null) : value;
        });
    }

    /** Read in one script, so that a live refresh re-drawing the rows in between cannot leave a stale element. */
    @SuppressWarnings("unchecked")
    private static Set<String> attributes(String css, String attribute) {
        return new HashSet<>((List<String>) js("return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]))",
                css, attribute));
    }

    private static Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    private static void shot(String name) throws IOException {
        File png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(png.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }

    private static JsonNode post(String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(daemon.address + path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s: %s", path, r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    private static Path onPath(String name) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
