package io.sluice.pps;

import io.sluice.Json;
import io.sluice.SluiceException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Secret manifests as pachctl create secret takes them, and the keys that can become file names. */
class SecretStoreTest {
    @TempDir
    Path dir;

    @Test
    void keepsDataAndStringDataAndRefusesKeysThatAreNoFileName() {
        SecretStore store = new SecretStore(dir.resolve("secrets"), Json.mapper());
        store.create("{\"kind\": \"Secret\", \"metadata\": {\"name\": \"db\"}, \"data\": {\"user\": \"cmVwb3J0ZXI=\"},"
                + " \"stringData\": {\"host\": \"h:1\"}}");
        assertThat(store.get("db")).isEqualTo(Map.of("user", "reporter", "host", "h:1"));
        // each key becomes a file under a secret's mount_path: "." and ".." would be the directory and its parent
        for (String key : new String[]{".", "..", "a/b"}) {
            assertThatThrownBy(() -> store.create("{\"metadata\": {\"name\": \"bad\"}, \"stringData\": {\"" + key
                    + "\": \"x\"}}")).isInstanceOf(SluiceException.class).hasMessageContaining("secret key '" + key + "'");
        }
        assertThat(store.list()).containsExactly("db");
    }
}
