package io.sluice.api.cli;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;

/** A progress bar on stderr for large transfers, redrawn at most ten times a second. */
final class Progress extends FilterInputStream {
    private final long total;
    private final String label;
    private final PrintStream err;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw;

    private Progress(InputStream in, long total, String label, PrintStream err) {
        super(in);
        this.total = total;
        this.label = label;
        this.err = err;
    }

    static InputStream wrap(InputStream in, long total, String label, PrintStream err, boolean show) {
        return show ? new Progress(in, total, label, err) : in;
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
            advance(1);
        }
        return b;
    }

    @Override
    public int read(byte[] buf, int off, int len) throws IOException {
        int n = super.read(buf, off, len);
        if (n > 0) {
            advance(n);
        } else if (n < 0) {
            draw(true);
        }
        return n;
    }

    private void advance(long n) {
        done += n;
        draw(false);
    }

    private void draw(boolean last) {
        long now = System.nanoTime();
        if (!last && now - lastDraw < 100_000_000L) {
            return;
        }
        lastDraw = now;
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        double mib = done / 1048576.0;
        String bar;
        if (total > 0) {
            int width = 30;
            int filled = (int) (width * Math.min(1.0, (double) done / total));
            bar = "[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + (100 * done / total) + "%";
        } else {
            bar = "";
        }
        err.printf("\r%s %s %.1f MiB %.1f MiB/s%s", label, bar, mib, mib / seconds, last ? "\n" : "");
        err.flush();
    }
}
