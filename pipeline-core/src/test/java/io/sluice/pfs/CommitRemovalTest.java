package io.sluice.pfs;

import io.sluice.SluiceException;
import io.sluice.storage.MemObjectStore;
import io.sluice.storage.ObjectStore;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Squash and drop of commit sets on a real store: what survives a reopen, kept heads, other branches. */
class CommitRemovalTest {
    @TempDir
    Path dir;

    @Test
    void aSquashOnEveryBranchAndKeptHeadSurvivesAReopen() throws IOException {
        ObjectStore store = new MemObjectStore();
        CommitInfo a;
        CommitInfo b;
        CommitInfo c;
        CommitInfo d;
        try (PfsService pfs = new PfsService(dir, store)) {
            pfs.createRepo("r", "");
            a = pfs.putFile("r", "master", "/f", bytes("a"), false);
            b = pfs.putFile("r", "master", "/f", bytes("b"), false);
            c = pfs.putFile("r", "master", "/f", bytes("c"), false);
            // a second branch built on b, then deleted: its head is kept, and it descends from b too
            pfs.createBranch("r", "dev", b.id());
            d = pfs.putFile("r", "dev", "/g", bytes("d"), false);
            pfs.deleteBranch("r", "dev");

            pfs.commitRemoval().remove(b.set(), CommitRemoval.Mode.SQUASH);
            assertThat(ids(pfs.listCommit("r", "master", 0))).containsExactly(c.id(), a.id());
            assertThat(pfs.inspectCommit("r", d.id()).parent()).isEqualTo(a.id());
            assertThat(read(pfs, d.id(), "/f")).isEqualTo("b"); // d holds what b changed
        }
        try (PfsService reopened = new PfsService(dir, store)) {
            assertThat(ids(reopened.listCommit("r", "master", 0))).containsExactly(c.id(), a.id());
            assertThat(read(reopened, d.id(), "/g")).isEqualTo("d");
            assertThat(read(reopened, "master", "/f")).isEqualTo("c");
            assertThatThrownBy(() -> reopened.inspectCommit("r", b.id())).isInstanceOf(SluiceException.class);
            assertThat(reopened.commitsInSet(b.set())).isEmpty();
            assertThat(reopened.fsck()).isEmpty();
        }
    }

    @Test
    void droppingAKeptHeadKeepsItsParentReadable() throws IOException {
        try (PfsService pfs = new PfsService(dir, new MemObjectStore())) {
            pfs.createRepo("r", "");
            CommitInfo a = pfs.putFile("r", "old", "/f", bytes("a"), false);
            CommitInfo b = pfs.putFile("r", "old", "/f", bytes("b"), false);
            pfs.deleteBranch("r", "old");
            CommitRemoval removal = pfs.commitRemoval();
            assertThatThrownBy(() -> removal.remove(a.set(), CommitRemoval.Mode.DROP))
                    .hasMessageContaining("cannot delete a commit that has children: r@" + a.id());
            removal.remove(b.set(), CommitRemoval.Mode.DROP);
            assertThat(read(pfs, a.id(), "/f")).isEqualTo("a");
            assertThat(ids(pfs.listCommit("r", null, 0))).containsExactly(a.id());
            pfs.gc();
            assertThat(read(pfs, a.id(), "/f")).isEqualTo("a");
        }
    }

    @Test
    void droppingAnOpenCommitRemovesOnlyItsOpenRef() throws IOException {
        try (PfsService pfs = new PfsService(dir, new MemObjectStore())) {
            pfs.createRepo("r", "");
            CommitInfo a = pfs.putFile("r", "master", "/f", bytes("a"), false);
            CommitInfo open = pfs.startCommit("r", "master", "", List.of());
            pfs.commitRemoval().remove(open.set(), CommitRemoval.Mode.DROP);
            assertThat(ids(pfs.listCommit("r", "master", 0, true))).containsExactly(a.id());
            assertThatThrownBy(() -> pfs.finishCommit("r", "master")).hasMessageContaining("has no open commit");
            assertThat(read(pfs, "master", "/f")).isEqualTo("a");
        }
    }

    @Test
    void aRefSluiceDoesNotMakeRefusesARemovalBeforeAnythingMoves() throws IOException {
        try (PfsService pfs = new PfsService(dir, new MemObjectStore())) {
            pfs.createRepo("r", "");
            CommitInfo a = pfs.putFile("r", "master", "/f", bytes("a"), false);
            CommitInfo b = pfs.putFile("r", "master", "/f", bytes("b"), false);
            try (Repository git = new FileRepositoryBuilder().setGitDir(dir.resolve("pfs/r.git").toFile()).setBare().build()) {
                RefUpdate u = git.updateRef("refs/tags/by-hand");
                u.setNewObjectId(git.exactRef("refs/heads/master").getObjectId());
                assertThat(u.update()).isEqualTo(RefUpdate.Result.NEW);
            }
            assertThatThrownBy(() -> pfs.commitRemoval().remove(b.set(), CommitRemoval.Mode.DROP))
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("repo r has a ref Sluice does not make: refs/tags/by-hand");
            assertThat(ids(pfs.listCommit("r", "master", 0))).containsExactly(b.id(), a.id());
        }
    }

    private static List<String> ids(List<CommitInfo> commits) {
        return commits.stream().map(CommitInfo::id).toList();
    }

    private static String read(PfsService pfs, String ref, String path) throws IOException {
        try (InputStream in = pfs.getFile("r", ref, path, 0, -1)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
