package io.sluice.pfs;

import io.sluice.Json;
import io.sluice.storage.MemObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which commit set a commit joins, and how repo@<set id> resolves, on a real store. */
class CommitSetMembershipTest {
    @TempDir
    Path dir;

    @Test
    void anOutputJoinsTheSetOfItsNewestInputAndRepoAtSetNamesIt() throws IOException {
        CommitInfo a;
        CommitInfo b;
        try (PfsService pfs = new PfsService(dir, new MemObjectStore())) {
            pfs.createRepo("a", "");
            pfs.createRepo("b", "");
            pfs.createRepo("out", "");
            a = pfs.putFile("a", "master", "/x", bytes("1"), false);
            b = pfs.putFile("b", "master", "/y", bytes("2"), false);
            assertThat(a.set()).isEqualTo(a.id());
            assertThat(b.set()).isEqualTo(b.id());
            CommitInfo out;
            try (FileBatch batch = pfs.openBatch("out", "master", "job", List.of(a.ref(), b.ref()))) {
                batch.put("/z", bytes("3"), false);
                out = batch.commit();
            }
            assertThat(out.set()).isEqualTo(b.set()); // b finished last: its arrival caused the job
            assertThat(pfs.inspectCommit("out", b.set()).id()).isEqualTo(out.id());
            assertThat(pfs.inspectCommit("b", b.set()).id()).isEqualTo(b.id());
            // a set with no commit in this repo names nothing here
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> pfs.inspectCommit("out", a.set()))
                    .hasMessageContaining("no branch or commit");
        }
        try (PfsService reopened = new PfsService(dir, new MemObjectStore())) {
            assertThat(reopened.inspectCommit("out", "master").set())
                    .isEqualTo(reopened.inspectCommit("b", "master").id());
            // the index by set is rebuilt from the repos: both commits of b's set, in their repos
            assertThat(reopened.commitsInSet(b.set())).extracting(CommitInfo::repo).containsExactlyInAnyOrder("b", "out");
            assertThat(reopened.newestCommitSets(0)).containsExactly(b.set(), a.set());
            assertThat(reopened.newestCommitSets(1)).containsExactly(b.set());
        }
    }

    @Test
    void theIndexBySetFollowsOpenFinishedAndDeletedCommits() throws IOException {
        try (PfsService pfs = new PfsService(dir, new MemObjectStore())) {
            pfs.createRepo("r", "");
            CommitInfo open = pfs.startCommit("r", "dev", "", List.of());
            assertThat(pfs.commitsInSet(open.set())).singleElement().satisfies(c -> assertThat(c.finished()).isNull());
            pfs.finishCommit("r", "dev");
            assertThat(pfs.commitsInSet(open.set())).singleElement().satisfies(c -> assertThat(c.finished()).isNotNull());
            CommitInfo dropped = pfs.startCommit("r", "dev", "", List.of());
            pfs.abandonCommit("r", "dev");
            assertThat(pfs.commitsInSet(dropped.set())).isEmpty();
            // a deleted branch keeps its commits, and so their sets
            pfs.deleteBranch("r", "dev");
            assertThat(pfs.commitsInSet(open.set())).hasSize(1);
        }
    }

    @Test
    void aCommitWrittenBeforeSetsExistedIsASetOfItsOwn() throws IOException {
        String old = "{\"sluice\":1,\"id\":\"0123456789abcdef0123456789abcdef\",\"branch\":\"master\",\"parent\":null,"
                + "\"description\":\"\",\"started\":\"2026-01-01T00:00:00Z\",\"finished\":\"2026-01-01T00:00:01Z\","
                + "\"size\":0,\"provenance\":[]}";
        CommitMeta m = CommitMeta.parse(Json.mapper(), old);
        assertThat(m.info("r").set()).isEqualTo("0123456789abcdef0123456789abcdef");
        // and writing it back keeps the message free of a set field it does not need
        assertThat(new String(m.toJson(Json.mapper()), StandardCharsets.UTF_8)).doesNotContain("\"set\"");
    }

    private static ByteArrayInputStream bytes(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }
}
