package io.sluice;

import java.io.IOException;
import java.io.InputStream;

/**
 * An input stream that only implements {@link #read(byte[], int, int)}: the single-byte {@link #read()} goes
 * through it, so a stream whose reads check, count or pause has that logic in one place.
 */
public abstract class BlockInputStream extends InputStream {

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] b, int off, int len) throws IOException;
}
