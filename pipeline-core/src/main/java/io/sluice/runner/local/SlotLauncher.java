package io.sluice.runner.local;

import io.sluice.runner.JobRunner.LogSink;
import io.sluice.runner.exec.DatumCommand;
import io.sluice.runner.exec.Launcher;
import io.sluice.runner.exec.ProcessRun;
import io.sluice.runner.exec.Workspace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * Starts user code in namespace {@link Slot slots}, one per datum running at once, started on demand and
 * reused: each shows its own directory at /pfs, so concurrent datums never see each other, and a datum
 * costs a fork of the helper and an exec or two instead of a JVM process launch, namespaces and mounts
 * (the slot keeps those; between datums its /tmp is emptied and its leftover processes killed). Users
 * named by {@code transform.user} are looked up once, not per datum. Helpers are started
 * from one thread of this launcher that lives as long as it does, because a helper's parent-death signal
 * is tied to the thread that started it: when the daemon dies, even by SIGKILL, every slot and everything
 * running in it dies too.
 */
public final class SlotLauncher implements Launcher {
    private static final Logger LOG = LoggerFactory.getLogger(SlotLauncher.class);
    private final Path root;
    private final Path prevRoot;
    private final List<Path> hidden;
    private final List<Path> programs;
    /** What datums see at {@link HelperScript#PROGRAMS}/N: program directory N's parent. */
    private final List<Path> programParents;
    private final String defaultUser;
    private final String prefix = "slot-" + ProcessHandle.current().pid() + "-";
    private final Deque<Slot> idle = new ArrayDeque<>();
    /** Users looked up so far; an empty value: this machine knows no such user. */
    private final Map<String, Optional<HelperScript.RunAs>> users = new ConcurrentHashMap<>();
    /** PATH as datums see it, by privilege and PATH: the same for every datum of a pipeline, so found once. */
    private final Map<String, String> paths = new ConcurrentHashMap<>();
    private final List<Slot> all = new ArrayList<>();
    private final ExecutorService spawner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "slot-spawner");
        t.setDaemon(true);
        return t;
    });
    private int started;
    private boolean closed;

    /**
     * Slots under {@code workRoot}/slots; slots left there by a daemon that is gone are deleted. The prev
     * directories datums are shown live under {@code workRoot}. Datums never see the
     * directories {@code hidden} (the data dir, a chunk store outside it) but through their own /pfs, and run
     * as {@code defaultUser} (a name or uid; empty: the daemon's own) unless their command names a user. The
     * directories {@code programDirs} (the daemon's stage programs, put first on PATH) are shown to datums with
     * their parent directory (a stage's bin beside its build output) at the slot's own {@link HelperScript#PROGRAMS}, and PATH names
     * them there: a checkout under /tmp, or under a directory the user cannot search (/root, a 0700 temp dir),
     * runs its stages all the same.
     */
    public SlotLauncher(Path workRoot, List<Path> hidden, List<Path> programDirs, String defaultUser) {
        if (programDirs.size() > HelperScript.MAX_PROGRAMS) {
            throw new IllegalArgumentException("at most " + HelperScript.MAX_PROGRAMS + " program directories");
        }
        this.prevRoot = workRoot.toAbsolutePath().normalize();
        this.root = prevRoot.resolve("slots");
        this.hidden = hidden.stream().map(h -> h.toAbsolutePath().normalize()).toList();
        this.programs = programDirs.stream().map(d -> d.toAbsolutePath().normalize()).filter(Files::isDirectory).toList();
        this.programParents = programs.stream().map(d -> d.getParent() == null ? d : d.getParent()).toList();
        this.defaultUser = defaultUser;
        deleteStale();
    }

    /**
     * Whether this machine lets the daemon make the namespaces slots need (root or CAP_SYS_ADMIN), tried
     * for real under {@code scratch}.
     */
    public static boolean permitted(Path scratch) {
        try {
            Workspace.deleteTree(scratch);
            Files.createDirectories(scratch.resolve("pfs"));
            Files.writeString(scratch.resolve("pfs").resolve("probe"), "ok");
            List<String> cmd = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private", "--pid",
                    "--fork", "--mount-proc", "sh", "-c", HelperScript.PROBE, "sluice-pfs",
                    scratch.resolve("pfs").toString(), "test", "-f", "/pfs/probe"));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            boolean ok = p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
            if (!ok) {
                p.destroyForcibly();
            }
            return ok;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            try {
                Workspace.deleteTree(scratch);
            } catch (IOException e) {
                LOG.debug("cannot delete {}", scratch, e);
            }
        }
    }

    @Override
    public String describe() {
        return "/pfs bind-mounted in private mount and PID namespaces per slot (unshare), an emptied /tmp and /var/tmp"
                + " and no process left behind per datum, data dir hidden, user code as " + (defaultUser.isEmpty() ? "the daemon's user" : "uid " + defaultUser)
                + " unless transform.user says otherwise";
    }

    @Override
    public Session open(Path datumDir) throws IOException, InterruptedException {
        Slot slot = acquire();
        return new Session() {
            private boolean healthy;

            @Override
            public Workspace workspace() {
                return slot.workspace();
            }

            @Override
            public Exit run(DatumCommand command, Path prev, LogSink logs) throws IOException, InterruptedException {
                String prevRelative = null;
                if (prev != null) {
                    Path p = prev.toAbsolutePath().normalize();
                    if (!p.startsWith(prevRoot)) {
                        throw new IOException("a prev directory outside " + prevRoot + ": " + p);
                    }
                    prevRelative = prevRoot.relativize(p).toString();
                    Files.createDirectories(workspace().prev());
                }
                String user = command.user().isEmpty() ? defaultUser : command.user();
                HelperScript.RunAs runAs = null;
                String unknown = null;
                if (!user.isEmpty()) {
                    runAs = users.computeIfAbsent(user, SlotLauncher::lookUp).orElse(null);
                    if (runAs == null) {
                        unknown = user;
                    } else {
                        // as the user's own, so that it can write its output
                        UserPrincipalLookupService names = workspace().out().getFileSystem().getUserPrincipalLookupService();
                        PosixFileAttributeView out = Files.getFileAttributeView(workspace().out(), PosixFileAttributeView.class);
                        out.setOwner(names.lookupPrincipalByName(runAs.uid()));
                        out.setGroup(names.lookupPrincipalByGroupName(runAs.gid()));
                    }
                }
                boolean privileged = user.isEmpty() || user.equals("0") || user.equals("root");
                String path = command.env().getOrDefault("PATH", "");
                if (paths.size() > 1000) {
                    paths.clear(); // as many PATHs as pipelines, so in practice never
                }
                DatumCommand c = command.withEnv(Map.of("PATH",
                        paths.computeIfAbsent(privileged + ":" + path, k -> inNamespace(path, privileged))));
                Exit exit = slot.run(c, prevRelative, runAs, unknown, logs);
                healthy = true;
                return exit;
            }

            @Override
            public void close() {
                release(slot, healthy);
            }
        };
    }

    /**
     * {@code path} as a datum sees it: a program directory becomes its place under {@link HelperScript#PROGRAMS},
     * and unless {@code privileged}, any other directory an unprivileged user cannot search is dropped (it would
     * get "Permission denied", exit 126, instead of "not found", 127, from a daemon's PATH entry under /root).
     */
    String inNamespace(String path, boolean privileged) {
        StringBuilder out = new StringBuilder();
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            int n = programs.indexOf(Path.of(dir).toAbsolutePath().normalize());
            String seen = n >= 0 ? HelperScript.PROGRAMS + "/" + n
                    + (programs.get(n).getParent() == null ? "" : "/" + programs.get(n).getFileName())
                    : privileged || searchable(Path.of(dir).toAbsolutePath()) ? dir : null;
            if (seen != null) {
                out.append(out.length() == 0 ? "" : ":").append(seen);
            }
        }
        return out.toString();
    }

    /**
     * {@code user} ("name", "uid", either with ":group") as {@code id} finds it: its uid, the group given or
     * else its own (else the uid), and its name (else the uid); empty when it is neither a known name nor a
     * number.
     */
    private static Optional<HelperScript.RunAs> lookUp(String user) {
        String u = user;
        String g = "";
        int colon = u.indexOf(':');
        if (colon >= 0) {
            g = u.substring(colon + 1);
            u = u.substring(0, colon);
        }
        String uid = id("-u", u);
        if (uid == null) {
            if (!u.matches("[0-9]+")) {
                return Optional.empty();
            }
            uid = u;
        }
        if (g.isEmpty()) {
            g = Optional.ofNullable(id("-g", uid)).orElse(uid);
        }
        return Optional.of(new HelperScript.RunAs(uid, g, Optional.ofNullable(id("-un", uid)).orElse(uid)));
    }

    /** What {@code id option -- user} prints, or null when it fails. */
    private static String id(String option, String user) {
        try {
            Process p = ProcessRun.withBaseEnvironment(new ProcessBuilder("id", option, "--", user))
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && !out.isEmpty() ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static boolean searchable(Path dir) {
        try {
            for (Path p = dir; p != null; p = p.getParent()) {
                if (!Files.getPosixFilePermissions(p).contains(java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private synchronized Slot acquire() throws IOException, InterruptedException {
        while (!idle.isEmpty()) {
            Slot s = idle.pop();
            if (s.alive()) {
                return s;
            }
            discard(s);
        }
        if (closed) {
            throw new IOException("the local runner is closed");
        }
        Path dir = root.resolve(prefix + started++);
        Future<Slot> f = spawner.submit(() -> Slot.start(dir, prevRoot, programParents, hidden));
        Slot s;
        try {
            s = f.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("cannot start a namespace helper for " + dir + ": " + cause, cause);
        }
        all.add(s);
        return s;
    }

    /** Back to idle; a slot whose datum was interrupted or broke is stopped instead. */
    private synchronized void release(Slot s, boolean healthy) {
        if (closed || !healthy || !s.alive()) {
            discard(s);
        } else {
            idle.push(s);
        }
    }

    private void discard(Slot s) {
        all.remove(s);
        s.stop();
    }

    /** Stops every helper; datum processes belong to the jobs, which pps interrupts before this. */
    @Override
    public synchronized void close() {
        closed = true;
        for (Slot s : new ArrayList<>(all)) {
            discard(s);
        }
        idle.clear();
        spawner.shutdownNow();
    }

    /** Slots left by a runner of a process that is gone (a crash): nothing holds their namespaces. */
    private void deleteStale() {
        if (!Files.isDirectory(root)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String[] parts = d.getFileName().toString().split("-");
                boolean alive = parts.length == 3 && parts[1].matches("\\d+")
                        && ProcessHandle.of(Long.parseLong(parts[1])).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    Workspace.deleteTree(d);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot clean {}", root, e);
        }
    }
}
