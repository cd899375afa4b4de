package io.sluice.pfs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static io.sluice.pfs.Io.io;

/**
 * The data repos under one directory, one bare Git repository each: opened at start (a damaged one is left
 * out and reported), created, looked up by qualified name ({@link Projects}) and deleted; and the projects
 * they belong to, each but {@code default} recorded as {@code projects/<name>.json} beside them.
 */
final class RepoRegistry implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(RepoRegistry.class);

    private final Path root;
    private final ObjectMapper json;
    private final Map<String, DataRepo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> damagedRepos = new TreeMap<>();
    private final Path projectsDir;
    private final Map<String, ProjectInfo> projects = new ConcurrentHashMap<>();

    /** Opens every repo under {@code root} (created if missing), removing what an interrupted create or delete left. */
    RepoRegistry(Path root, ObjectMapper json) {
        this.root = root;
        this.json = json;
        this.projectsDir = root.resolve("projects");
        try {
            Files.createDirectories(root);
            loadProjects();
            try (Stream<Path> entries = Files.list(root)) {
                for (Path p : entries.toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".tmp-") || name.startsWith(".trash-")) {
                        deleteTree(p);
                    } else if (name.endsWith(".git") && Files.isDirectory(p)) {
                        String stem = name.substring(0, name.length() - 4);
                        String repo = Projects.fromFileName(stem);
                        if (isRepoFileName(stem)) {
                            open(repo);
                        } else {
                            damagedRepos.put(repo, "pfs/" + name + " is not a repo Sluice made (its name is not "
                                    + "repo.git or project.repo.git) and was left out");
                            LOG.error("pfs: {}", damagedRepos.get(repo));
                        }
                    }
                }
            }
        } catch (IOException e) {
            close();
            throw SluiceException.unavailable("cannot open the repos under " + root + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code stem}.git is how {@link Projects#fileName} names some repo: else no route could reach it. */
    private static boolean isRepoFileName(String stem) {
        try {
            return Projects.fileName(Projects.checkQualified(Projects.fromFileName(stem))).equals(stem);
        } catch (SluiceException e) {
            return false;
        }
    }

    /**
     * Opens one repo; a damaged one (an empty or cut-short Git object or ref a crash or the disk left) is left
     * out and reported in {@link #damaged()} instead of keeping the daemon from starting.
     */
    private void open(String repo) {
        try {
            repos.put(repo, DataRepo.open(root, repo, json));
        } catch (IOException | RuntimeException e) {
            String why = String.valueOf(e.getMessage()).replace(root.toAbsolutePath().toString(), "pfs").lines()
                    .findFirst().orElse("");
            damagedRepos.put(repo, "repo " + repo + " is damaged and was left out (" + why + "); its data stays in "
                    + "pfs/" + Projects.fileName(repo) + ".git for repair");
            LOG.error("pfs: {}", damagedRepos.get(repo));
        }
    }

    /** Repos that could not be opened at start, one readable line each. */
    List<String> damaged() {
        return List.copyOf(damagedRepos.values());
    }

    RepoInfo create(String qualified, String description) {
        String name = Projects.checkQualified(qualified);
        synchronized (repos) {
            project(Projects.of(name));
            if (repos.containsKey(name)) {
                throw SluiceException.conflict("repo '" + name + "' already exists");
            }
            if (damagedRepos.containsKey(name)) {
                throw SluiceException.conflict("repo '" + name + "' exists but is damaged; see fsck");
            }
            DataRepo r = io(() -> DataRepo.create(root, name, description, json));
            repos.put(name, r);
            return info(r);
        }
    }

    /** Every repo, newest first (as pachctl lists them). */
    List<RepoInfo> list() {
        return repos.values().stream().map(this::info)
                .sorted(Comparator.comparing(RepoInfo::created).reversed().thenComparing(RepoInfo::qualified)).toList();
    }

    void delete(String name) {
        synchronized (repos) {
            DataRepo r = get(name);
            repos.remove(r.name);
            r.close();
            io(() -> {
                Path trash = root.resolve(".trash-" + Projects.fileName(name) + "-" + System.nanoTime());
                Files.move(r.dir, trash);
                DataRepo.fsync(root);
                deleteTree(trash);
                return null;
            });
        }
    }

    RepoInfo info(DataRepo r) {
        return io(() -> {
            List<String> branches = r.branchNames();
            long size = 0;
            ObjectId master = r.head(Ref.DEFAULT_BRANCH);
            if (master != null) {
                size = r.atCommit(master).meta().size();
            } else {
                for (String b : branches) {
                    ObjectId head = r.head(b);
                    size = Math.max(size, head == null ? 0 : r.atCommit(head).meta().size());
                }
            }
            return new RepoInfo(Projects.local(r.name), Projects.of(r.name), r.description(), r.created(), size,
                    branches);
        });
    }

    /** The open repo {@code name}; NOT_FOUND if there is none. */
    DataRepo get(String qualified) {
        String name = Projects.checkQualified(qualified);
        DataRepo r = repos.get(name);
        if (r == null) {
            throw SluiceException.notFound("no repo '" + name + "'");
        }
        return r;
    }

    /** False once {@code r} was deleted (a repo of the same name created since is another one). */
    boolean isCurrent(DataRepo r) {
        return repos.get(r.name) == r;
    }

    /** The open repos, in no order. */
    Collection<DataRepo> all() {
        return repos.values();
    }

    /** The open repos by name. */
    List<DataRepo> sorted() {
        return repos.values().stream().sorted(Comparator.comparing(r -> r.name)).toList();
    }

    // ---- projects

    private void loadProjects() throws IOException {
        if (!Files.isDirectory(projectsDir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(projectsDir)) {
            for (Path p : entries.toList()) {
                String file = p.getFileName().toString();
                if (file.startsWith(".")) {
                    Files.deleteIfExists(p); // a temp file of a write a crash cut short
                } else if (file.endsWith(".json")) {
                    try {
                        com.fasterxml.jackson.databind.JsonNode n = json.readTree(p.toFile());
                        String created = n.path("created").asText("");
                        if (created.isEmpty()) {
                            throw new IOException("it has no 'created' time"); // said in words, not as a Java null
                        }
                        String name = n.path("name").asText("");
                        String stem = file.substring(0, file.length() - ".json".length());
                        if (!name.equals(stem)) { // its routes and its repos' files go by the file's name
                            throw new IOException("it names project '" + name + "', not '" + stem + "'");
                        }
                        ProjectInfo info = new ProjectInfo(Projects.checkName(name), n.path("description").asText(""),
                                Instant.parse(created));
                        projects.put(info.name(), info);
                    } catch (IOException | RuntimeException e) {
                        damagedRepos.put("project:" + file, "the record of project " + file + " is damaged and was "
                                + "left out (" + e.getMessage().lines().findFirst().orElse("") + ")");
                        LOG.error("pfs: {}", damagedRepos.get("project:" + file));
                    }
                }
            }
        }
    }

    ProjectInfo createProject(String name, String description) {
        Projects.checkName(name);
        synchronized (repos) {
            if (name.equals(Projects.DEFAULT) || projects.containsKey(name)) {
                throw SluiceException.conflict("project '" + name + "' already exists");
            }
            ProjectInfo info = new ProjectInfo(name, description == null ? "" : description, Instant.now());
            io(() -> {
                Files.createDirectories(projectsDir);
                Path tmp = projectsDir.resolve("." + name + ".json.tmp");
                try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
                    out.write(ByteBuffer.wrap(json.writeValueAsBytes(Map.of("name", name, "description",
                            info.description(), "created", info.created().toString()))));
                    out.force(true);
                }
                Files.move(tmp, projectsDir.resolve(name + ".json"), StandardCopyOption.ATOMIC_MOVE);
                DataRepo.fsync(projectsDir);
                return null;
            });
            projects.put(name, info);
            return info;
        }
    }

    /** Every project, {@code default} first, then by name. */
    List<ProjectInfo> projects() {
        List<ProjectInfo> out = new ArrayList<>();
        out.add(project(Projects.DEFAULT));
        projects.values().stream().sorted(Comparator.comparing(ProjectInfo::name)).forEach(out::add);
        return out;
    }

    /** Project {@code name}; NOT_FOUND if there is none. */
    ProjectInfo project(String name) {
        if (Projects.checkName(name).equals(Projects.DEFAULT)) {
            return new ProjectInfo(Projects.DEFAULT, "the default project", null);
        }
        ProjectInfo p = projects.get(name);
        if (p == null) {
            throw SluiceException.notFound("no project '" + name + "'");
        }
        return p;
    }

    /** Deletes an empty project; CONFLICT for {@code default} or while a repo is in it. */
    void deleteProject(String name) {
        synchronized (repos) {
            project(name);
            if (name.equals(Projects.DEFAULT)) {
                throw SluiceException.conflict("the default project cannot be deleted");
            }
            List<String> left = repos.keySet().stream().filter(r -> Projects.of(r).equals(name)).sorted().toList();
            if (!left.isEmpty()) {
                throw SluiceException.conflict("project '" + name + "' still holds repo '" + left.get(0) + "'");
            }
            io(() -> {
                Files.deleteIfExists(projectsDir.resolve(name + ".json"));
                DataRepo.fsync(projectsDir);
                return null;
            });
            projects.remove(name);
        }
    }

    @Override
    public void close() {
        synchronized (repos) {
            repos.values().forEach(DataRepo::close);
            repos.clear();
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
