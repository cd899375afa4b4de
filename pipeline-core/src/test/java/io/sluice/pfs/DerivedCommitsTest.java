package io.sluice.pfs;

import io.sluice.storage.MemObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The index of what was computed from a commit: kept by commit writes, rebuilt when the store is opened. */
class DerivedCommitsTest {
    @TempDir
    Path dir;

    @Test
    void derivedCommitsAreFoundInEveryRepoNewestFirstAndAgainAfterAReopen() throws IOException {
        CommitInfo a;
        CommitInfo mid;
        CommitInfo top;
        CommitInfo later;
        try (PfsService pfs = new PfsService(dir, new MemObjectStore())) {
            pfs.createRepo("a", "");
            pfs.createRepo("mid", "");
            pfs.createRepo("top", "");
            a = pfs.putFile("a", "master", "/x", bytes("1"), false);
            CommitInfo other = pfs.putFile("a", "master", "/x", bytes("2"), false);
            mid = write(pfs, "mid", List.of(a.ref()));
            // provenance is transitive: top names both the commit of mid and the commit of a it came from
            top = write(pfs, "top", List.of(mid.ref(), a.ref()));
            later = write(pfs, "mid", List.of(a.ref()));
            write(pfs, "mid", List.of(other.ref()));
            assertThat(pfs.derivedFrom("a", a.id())).extracting(CommitInfo::id).containsExactly(later.id(), top.id(), mid.id());
            assertThat(pfs.derivedFrom("mid", mid.id())).extracting(CommitInfo::id).containsExactly(top.id());
            assertThat(pfs.derivedFrom("top", top.id())).isEmpty();
        }
        try (PfsService reopened = new PfsService(dir, new MemObjectStore())) {
            assertThat(reopened.derivedFrom("a", a.id())).extracting(CommitInfo::id).containsExactly(later.id(), top.id(), mid.id());
            reopened.deleteRepo("top");
            assertThat(reopened.derivedFrom("a", a.id())).extracting(CommitInfo::id).containsExactly(later.id(), mid.id());
        }
    }

    @Test
    void anOpenOrAbandonedCommitIsNotListedAFinishedOneIs() throws IOException {
        try (PfsService pfs = new PfsService(dir, new MemObjectStore())) {
            pfs.createRepo("a", "");
            pfs.createRepo("out", "");
            CommitInfo a = pfs.putFile("a", "master", "/x", bytes("1"), false);
            pfs.startCommit("out", "master", "", List.of(a.ref()));
            assertThat(pfs.derivedFrom("a", a.id())).isEmpty();
            CommitInfo finished = pfs.finishCommit("out", "master");
            assertThat(pfs.derivedFrom("a", a.id())).extracting(CommitInfo::id).containsExactly(finished.id());
            pfs.startCommit("out", "dev", "", List.of(a.ref()));
            pfs.abandonCommit("out", "dev");
            assertThat(pfs.derivedFrom("a", a.id())).extracting(CommitInfo::id).containsExactly(finished.id());
        }
    }

    private static CommitInfo write(PfsService pfs, String repo, List<CommitRef> provenance) throws IOException {
        try (FileBatch batch = pfs.openBatch(repo, "master", "job", provenance)) {
            batch.put("/z", bytes(repo + provenance), false);
            return batch.commit();
        }
    }

    private static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
