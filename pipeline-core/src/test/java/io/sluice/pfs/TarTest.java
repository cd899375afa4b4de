package io.sluice.pfs;

import io.sluice.SluiceException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TarTest {

    private static byte[] archive(Map<String, byte[]> files, boolean finish) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Tar.Writer w = new Tar.Writer(out);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            w.file(f.getKey(), f.getValue().length, new ByteArrayInputStream(f.getValue()));
        }
        if (finish) {
            w.finish();
        }
        return out.toByteArray();
    }

    private static Map<String, byte[]> read(byte[] tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        Tar.Reader r = new Tar.Reader(new ByteArrayInputStream(tar));
        for (Tar.Entry e; (e = r.next()) != null; ) {
            byte[] data = r.data().readAllBytes();
            assertThat(data).hasSize((int) e.size());
            out.put(e.path(), data);
        }
        return out;
    }

    @Test
    void roundTripsFilesWithLongAndUnicodePaths() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("a.txt", "hello".getBytes(StandardCharsets.UTF_8));
        files.put("empty", new byte[0]);
        files.put("dir/" + "x".repeat(150) + "/ünï.bin", new byte[1000]);
        files.put("exact", new byte[512]);
        Map<String, byte[]> back = read(archive(files, true));
        assertThat(back.keySet()).containsExactlyElementsOf(files.keySet());
        files.forEach((k, v) -> assertThat(back.get(k)).isEqualTo(v));
    }

    @Test
    void readsWhatGnuTarWrites() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("tar-test");
        java.nio.file.Path sub = java.nio.file.Files.createDirectories(dir.resolve("src/" + "long".repeat(30)));
        java.nio.file.Files.writeString(sub.resolve("f.txt"), "gnu");
        Process p = new ProcessBuilder("tar", "-c", "-C", dir.toString(), "src").redirectErrorStream(false).start();
        byte[] tar = p.getInputStream().readAllBytes();
        assertThat(p.waitFor()).isZero();
        Map<String, byte[]> back = read(tar);
        assertThat(back).containsKey("src/" + "long".repeat(30) + "/f.txt");
        assertThat(new String(back.get("src/" + "long".repeat(30) + "/f.txt"), StandardCharsets.UTF_8)).isEqualTo("gnu");
    }

    @Test
    void aStreamCutOffAnywhereIsRefused() throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            files.put("f" + i, new byte[700]);
        }
        byte[] whole = archive(files, true);
        for (int cut : new int[]{100, 512, 1500, 2048, archive(files, false).length}) {
            byte[] part = Arrays.copyOf(whole, cut);
            assertThatThrownBy(() -> read(part)).isInstanceOf(SluiceException.class)
                    .hasMessageContaining("ended before its end-of-archive block");
        }
        assertThatThrownBy(() -> read("not a tar at all".repeat(64).getBytes(StandardCharsets.US_ASCII)))
                .hasMessageContaining("not a tar stream");
    }
}
