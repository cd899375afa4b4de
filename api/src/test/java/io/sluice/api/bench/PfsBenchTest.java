package io.sluice.api.bench;

import io.sluice.storage.FileObjectStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PfsBenchTest {

    @Test
    void aSmallRunMeasuresEveryPartAndChecksItsResults(@TempDir Path dir) throws Exception {
        PfsBench.Sizes small = new PfsBench.Sizes(8L << 20, 64 << 10, 100, 1000);
        Map<String, Object> r = new PfsBench(small).run(dir, new FileObjectStore(dir.resolve("objects")));
        assertThat(r).containsEntry("list_commit_count_ok", true).containsEntry("list_file_count_ok", true)
                .containsEntry("append_size_ok", true).containsEntry("reput_new_chunk_bytes", 0L);
        if (r.get("sha256sum_mib_s") != null) {
            assertThat(r).containsEntry("get_matches_sha256sum", true);
        }
        // an append re-chunks from the old last chunk only: at most one max-size chunk plus the new bytes
        assertThat((long) r.get("append_new_chunk_bytes")).isLessThanOrEqualTo((4L << 20) + (64 << 10));
        assertThat((long) r.get("put_stored_bytes")).isEqualTo(8L << 20);
        assertThat((double) r.get("put_mib_s")).isPositive();
        assertThat(r).containsKeys("list_commit_ms", "list_file_ms", "list_commit_cold_ms", "list_file_cold_ms");
    }
}
