package io.sluice.runner.exec;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where a datum's file bytes come from: pfs on the daemon, or the object store's chunks in a worker pod
 * (through the locator the daemon sent).
 */
@FunctionalInterface
public interface FileSource {
    InputStream open(InputFile file) throws IOException;
}
