package io.sluice.pfs;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.SluiceException;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
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
 * out and reported), created, looked up by name and deleted.
 */
final class RepoRegistry implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(RepoRegistry.class);

    private final Path root;
    private final ObjectMapper json;
    private final Map<String, DataRepo> repos = new ConcurrentHashMap<>();
    private final Map<String, String> damagedRepos = new TreeMap<>();

    /** Opens every repo under {@code root} (created if missing), removing what an interrupted create or delete left. */
    RepoRegistry(Path root, ObjectMapper json) {
        this.root = root;
        this.json = json;
        try {
            Files.createDirectories(root);
            try (Stream<Path> entries = Files.list(root)) {
                for (Path p : entries.toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith(".tmp-") || name.startsWith(".trash-")) {
                        deleteTree(p);
                    } else if (name.endsWith(".git") && Files.isDirectory(p)) {
                        open(name.substring(0, name.length() - 4));
                    }
                }
            }
        } catch (IOException e) {
            close();
            throw SluiceException.unavailable("cannot open the repos under " + root + ": " + e.getMessage(), e);
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
                    + "pfs/" + repo + ".git for repair");
            LOG.error("pfs: {}", damagedRepos.get(repo));
        }
    }

    /** Repos that could not be opened at start, one readable line each. */
    List<String> damaged() {
        return List.copyOf(damagedRepos.values());
    }

    RepoInfo create(String name, String description) {
        Ref.checkRepoName(name);
        synchronized (repos) {
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
                .sorted(Comparator.comparing(RepoInfo::created).reversed().thenComparing(RepoInfo::name)).toList();
    }

    void delete(String name) {
        synchronized (repos) {
            DataRepo r = get(name);
            repos.remove(name);
            r.close();
            io(() -> {
                Path trash = root.resolve(".trash-" + name + "-" + System.nanoTime());
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
            return new RepoInfo(r.name, r.description(), r.created(), size, branches);
        });
    }

    /** The open repo {@code name}; NOT_FOUND if there is none. */
    DataRepo get(String name) {
        Ref.checkRepoName(name);
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
