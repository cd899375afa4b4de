package io.sluice.runner;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * How one run of user code over a datum ended: {@code success}, the exit code, an error saying why it
 * failed (with the end of its stderr), and on success the files it wrote to /pfs/out.
 */
public record DatumResult(boolean success, int exitCode, String error, Output output) {

    /** A failed run; it wrote nothing that counts. */
    public static DatumResult failed(int exitCode, String error) {
        return new DatumResult(false, exitCode, error, null);
    }

    /** The files a datum wrote to /pfs/out. */
    public interface Output {
        /** Paths relative to /pfs/out, as absolute repo paths ("/model/a.bin"), sorted. */
        List<String> paths();

        InputStream open(String path) throws IOException;

        /** The input file output {@code path} is (user code linked it from /pfs/<input>), or null. */
        default io.sluice.runner.exec.InputFile source(String path) {
            return null;
        }
    }
}
