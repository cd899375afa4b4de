package io.sluice.pfs;

import io.sluice.SluiceException;

import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Pachyderm's {@code SubscribeCommit} on one branch: the branch's finished commits oldest first (all of them,
 * those after {@code from}, or none with {@code onlyNew}), then every commit finished on it from now on, each
 * exactly once. Listening starts before the history is read, so no commit falls between the two. One reader.
 */
public final class BranchFeed implements Closeable {
    private final String repo;
    private final String branch;
    private final Deque<CommitInfo> backlog = new ArrayDeque<>();
    private final LinkedBlockingQueue<CommitInfo> arrived = new LinkedBlockingQueue<>();
    private final Set<String> delivered = new HashSet<>();
    private final Closeable subscription;

    public BranchFeed(PfsService pfs, String repo, String branch, String from, boolean onlyNew) {
        this.repo = repo;
        this.branch = branch;
        Ref.checkBranchSyntax(branch);
        pfs.inspectRepo(repo);
        this.subscription = pfs.subscribe(c -> {
            if (c.repo().equals(repo) && branch.equals(c.branch())) {
                arrived.add(c);
            }
        });
        try {
            List<CommitInfo> history = history(pfs);
            String fromId = from == null ? null : pfs.inspectCommit(repo, from).id();
            List<CommitInfo> oldestFirst = new ArrayList<>(history);
            java.util.Collections.reverse(oldestFirst);
            boolean after = fromId == null;
            for (CommitInfo c : oldestFirst) {
                if (onlyNew) {
                    delivered.add(c.id());
                } else if (after) {
                    backlog.add(c);
                } else {
                    delivered.add(c.id());
                    after = c.id().equals(fromId);
                }
            }
            if (!after && !onlyNew) {
                throw SluiceException.notFound("commit " + from + " is not in the history of " + repo + "@" + branch);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private List<CommitInfo> history(PfsService pfs) {
        try {
            return pfs.listCommit(repo, branch, 0);
        } catch (SluiceException e) {
            if (e.kind() == SluiceException.Kind.NOT_FOUND) {
                return List.of(); // a branch that does not exist yet: its first commit will come
            }
            throw e;
        }
    }

    /** The next commit, or null when none finished within {@code timeout}; InterruptedException when interrupted. */
    public CommitInfo next(Duration timeout) throws InterruptedException {
        while (!backlog.isEmpty()) {
            CommitInfo c = backlog.poll();
            if (delivered.add(c.id())) {
                return c;
            }
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            CommitInfo c = left <= 0 ? arrived.poll() : arrived.poll(left, TimeUnit.NANOSECONDS);
            if (c == null || delivered.add(c.id())) {
                return c;
            }
        }
    }

    @Override
    public void close() {
        try {
            subscription.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
