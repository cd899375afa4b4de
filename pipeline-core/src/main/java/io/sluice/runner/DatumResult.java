package io.sluice.runner;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * How one run of user code over a datum ended: {@code success}, the exit code, an error saying why it
 * failed (with the end of its stderr), on success the files it wrote to /pfs/out, and for a failed run
 * whether {@code transform.err_cmd} then exited 0 ({@code recovered}: Pachyderm's RECOVERED datum, which
 * neither fails its job nor contributes output).
 */
public record DatumResult(boolean success, int exitCode, String error, Output output, boolean recovered) {

    /** A finished run: a success with {@code output}, or a failure that was not recovered. */
    public DatumResult(boolean success, int exitCode, String error, Output output) {
        this(success, exitCode, error, output, false);
    }

    /** A failed run; it wrote nothing that counts. */
    public static DatumResult failed(int exitCode, String error) {
        return new DatumResult(false, exitCode, error, null, false);
    }

    /** A failed run whose err_cmd exited 0. */
    public static DatumResult recovered(int exitCode, String error) {
        return new DatumResult(false, exitCode, error, null, true);
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
