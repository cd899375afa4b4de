package io.sluice.pfs;

import io.sluice.BlockInputStream;
import io.sluice.SluiceException;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The POSIX tar stream format (ustar headers, PAX extended headers for long paths and large sizes, GNU long
 * names on reading) as the wire format of many-file uploads and downloads: regular files and directories
 * only, streamed in constant memory. A stream that ends before its end-of-archive block is refused, so a
 * body cut off half-way can never pass for a complete upload.
 */
public final class Tar {
    private static final int BLOCK = 512;

    private Tar() {
    }

    /** One archive member: a path relative to the archive root, and for a file its size in bytes. */
    public record Entry(String path, boolean directory, long size) {
    }

    /** Reads members one at a time; {@link #data()} is the current member's bytes. Not thread-safe. */
    public static final class Reader {
        private final InputStream in;
        private final byte[] header = new byte[BLOCK];
        private long left;
        private long padding;
        private boolean done;

        public Reader(InputStream in) {
            this.in = in;
        }

        /** The next regular file or directory, or null after the end-of-archive block. */
        public Entry next() throws IOException {
            skip(left + padding);
            left = 0;
            padding = 0;
            String longPath = null;
            long longSize = -1;
            while (!done) {
                readBlock(header);
                if (isZero(header)) {
                    done = true;
                    return null;
                }
                checkSum(header);
                char type = (char) header[156];
                long size = number(header, 124, 12);
                if (type == 'x' || type == 'L') {
                    byte[] ext = readData(size);
                    if (type == 'L') {
                        longPath = cString(ext, 0, ext.length);
                    } else {
                        String[] pax = pax(ext);
                        longPath = pax[0] != null ? pax[0] : longPath;
                        longSize = pax[1] != null ? Long.parseLong(pax[1]) : longSize;
                    }
                    continue;
                }
                if (type == 'g') {
                    readData(size);
                    continue;
                }
                String path = longPath != null ? longPath : ustarPath(header);
                if (longSize >= 0) {
                    size = longSize;
                }
                if (type == '5') {
                    return new Entry(path, true, 0);
                }
                if (type != '0' && type != '\0' && type != '7') {
                    throw SluiceException.invalid("tar member '" + path + "' is not a regular file or directory"
                            + " (type '" + type + "'): put the files it points to instead");
                }
                left = size;
                padding = (BLOCK - size % BLOCK) % BLOCK;
                return new Entry(path, false, size);
            }
            return null;
        }

        /** The current file's bytes; reading past them gives end of stream. */
        public InputStream data() {
            return new BlockInputStream() {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (left == 0) {
                        return -1;
                    }
                    int n = in.read(b, off, (int) Math.min(len, left));
                    if (n < 0) {
                        throw truncated();
                    }
                    left -= n;
                    return n;
                }
            };
        }

        private byte[] readData(long size) throws IOException {
            if (size > (1 << 20)) {
                throw SluiceException.invalid("tar extended header of " + size + " bytes is too large");
            }
            byte[] b = new byte[(int) size];
            readFully(b, b.length);
            skip((BLOCK - size % BLOCK) % BLOCK);
            return b;
        }

        private void readBlock(byte[] b) throws IOException {
            readFully(b, BLOCK);
        }

        private void readFully(byte[] b, int len) throws IOException {
            int filled = 0;
            while (filled < len) {
                int n = in.read(b, filled, len - filled);
                if (n < 0) {
                    throw truncated();
                }
                filled += n;
            }
        }

        private void skip(long n) throws IOException {
            byte[] sink = new byte[(int) Math.min(n, 8192)];
            while (n > 0) {
                int k = in.read(sink, 0, (int) Math.min(n, sink.length));
                if (k < 0) {
                    throw truncated();
                }
                n -= k;
            }
        }

        private static SluiceException truncated() {
            return SluiceException.invalid("the tar stream ended before its end-of-archive block: nothing was put");
        }
    }

    /** Writes members to a stream; call {@link #finish()} to write the end-of-archive blocks. Not thread-safe. */
    public static final class Writer {
        private final OutputStream out;
        private final byte[] header = new byte[BLOCK];

        public Writer(OutputStream out) {
            this.out = out;
        }

        /** Writes a regular file of exactly {@code size} bytes read from {@code data}. */
        public void file(String path, long size, InputStream data) throws IOException {
            header(path, '0', size);
            byte[] buf = new byte[(int) Math.min(Math.max(size, 1), 1 << 16)];
            long left = size;
            while (left > 0) {
                int n = data.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) {
                    throw new EOFException(path + " shrank while it was being sent");
                }
                out.write(buf, 0, n);
                left -= n;
            }
            pad(size);
        }

        public void directory(String path) throws IOException {
            header(path.endsWith("/") ? path : path + "/", '5', 0);
        }

        /** The end-of-archive marker: two zero blocks. */
        public void finish() throws IOException {
            out.write(new byte[2 * BLOCK]);
            out.flush();
        }

        private void header(String path, char type, long size) throws IOException {
            byte[] name = path.getBytes(StandardCharsets.UTF_8);
            boolean longName = name.length > 100;
            boolean bigSize = size > 077777777777L;
            if (longName || bigSize) {
                StringBuilder pax = new StringBuilder();
                if (longName) {
                    pax.append(record("path", path));
                }
                if (bigSize) {
                    pax.append(record("size", Long.toString(size)));
                }
                byte[] ext = pax.toString().getBytes(StandardCharsets.UTF_8);
                fill("PaxHeader", 'x', ext.length);
                out.write(ext);
                pad(ext.length);
            }
            fill(longName ? path.substring(Math.max(0, path.length() - 90)) : path, type, bigSize ? 0 : size);
        }

        private void fill(String path, char type, long size) throws IOException {
            Arrays.fill(header, (byte) 0);
            byte[] name = path.getBytes(StandardCharsets.UTF_8);
            System.arraycopy(name, 0, header, 0, Math.min(100, name.length));
            octal(type == '5' ? 0755 : 0644, 100, 8);
            octal(0, 108, 8);
            octal(0, 116, 8);
            octal(size, 124, 12);
            octal(0, 136, 12);
            header[156] = (byte) type;
            System.arraycopy("ustar\0".getBytes(StandardCharsets.US_ASCII), 0, header, 257, 6);
            header[263] = '0';
            header[264] = '0';
            Arrays.fill(header, 148, 156, (byte) ' ');
            long sum = 0;
            for (byte b : header) {
                sum += b & 0xff;
            }
            octal(sum, 148, 7);
            out.write(header);
        }

        private void octal(long value, int off, int len) {
            String s = Long.toOctalString(value);
            int digits = len - 1;
            for (int i = 0; i < digits; i++) {
                int from = s.length() - digits + i;
                header[off + i] = (byte) (from < 0 ? '0' : s.charAt(from));
            }
            header[off + digits] = 0;
        }

        private void pad(long size) throws IOException {
            int n = (int) ((BLOCK - size % BLOCK) % BLOCK);
            if (n > 0) {
                out.write(new byte[n]);
            }
        }

        /** A PAX record "LEN key=value\n" whose LEN counts itself. */
        private static String record(String key, String value) {
            int body = (" " + key + "=" + value + "\n").getBytes(StandardCharsets.UTF_8).length;
            int len = body + Integer.toString(body).length();
            if (Integer.toString(len).length() != Integer.toString(body).length()) {
                len++;
            }
            return len + " " + key + "=" + value + "\n";
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static void checkSum(byte[] h) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= 148 && i < 156) ? ' ' : h[i] & 0xff;
        }
        if (sum != number(h, 148, 8)) {
            throw SluiceException.invalid("the body is not a tar stream (a header checksum does not match)");
        }
    }

    /** An octal field, or a base-256 one (high bit set) as GNU tar writes large sizes. */
    private static long number(byte[] h, int off, int len) {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x7f;
            for (int i = 1; i < len; i++) {
                v = (v << 8) | (h[off + i] & 0xff);
            }
            return v;
        }
        int i = off;
        int end = off + len;
        while (i < end && h[i] == ' ') {
            i++;
        }
        long v = 0;
        for (; i < end && h[i] >= '0' && h[i] <= '7'; i++) {
            v = v * 8 + (h[i] - '0');
        }
        if (i < end && h[i] != 0 && h[i] != ' ') {
            throw SluiceException.invalid("the body is not a tar stream (a header number is not octal)");
        }
        return v;
    }

    private static String ustarPath(byte[] h) {
        String name = cString(h, 0, 100);
        boolean ustar = h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r';
        String prefix = ustar ? cString(h, 345, 155) : "";
        return prefix.isEmpty() ? name : prefix + "/" + name;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** The path and size records of a PAX extended header (null where absent). */
    private static String[] pax(byte[] ext) {
        String[] out = new String[2];
        String s = new String(ext, StandardCharsets.UTF_8);
        int i = 0;
        while (i < s.length()) {
            int sp = s.indexOf(' ', i);
            int nl = s.indexOf('\n', sp + 1);
            if (sp < 0 || nl < 0) {
                throw SluiceException.invalid("the body is not a tar stream (a broken PAX header)");
            }
            String kv = s.substring(sp + 1, nl);
            int eq = kv.indexOf('=');
            if (eq > 0) {
                String k = kv.substring(0, eq);
                if (k.equals("path")) {
                    out[0] = kv.substring(eq + 1);
                } else if (k.equals("size")) {
                    out[1] = kv.substring(eq + 1);
                }
            }
            i = nl + 1;
        }
        return out;
    }
}
