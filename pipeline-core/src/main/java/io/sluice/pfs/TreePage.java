package io.sluice.pfs;

import java.util.function.Consumer;

/**
 * One page of a walk over tree entries in tree order (list, glob, diff), filled after a cursor: at most
 * {@code limit} items, and at most {@value #SCAN_PER_ITEM} entries looked at per item asked for (never more
 * than {@value #MAX_SCAN}), so a page that finds little still ends soon; it then ends short, with a cursor.
 */
final class TreePage<T> {
    /** Entries a page may look at per item it may hold: a walk that matches almost nothing stops early. */
    static final long SCAN_PER_ITEM = 100;
    /** Entries any one page may look at, whatever its size. */
    static final long MAX_SCAN = 1_000_000;

    private final String after;
    private final int limit;
    private final long budget;
    private final Consumer<T> out;
    private int given;
    private long looked;
    private String last;
    private boolean more;

    /** A page after cursor {@code after} (null: from the first entry) of at most {@code limit} items ({@code <= 0}: all, no scan bound). */
    TreePage(String after, int limit, Consumer<T> out) {
        this.after = after;
        this.limit = limit;
        this.budget = limit > 0 ? Math.min(SCAN_PER_ITEM * limit, MAX_SCAN) : Long.MAX_VALUE;
        this.out = out;
    }

    /** The paging key of an entry: its path, with '/' after a directory's, so keys sort in tree order. */
    static String key(String path, boolean dir) {
        return dir ? path + "/" : path;
    }

    /** The cursor this page continues after (null: from the first entry). */
    String after() {
        return after;
    }

    /** Whether the entry with this key lies at or before the cursor (then it was on an earlier page). */
    boolean before(String key) {
        return after != null && key.compareTo(after) <= 0;
    }

    /** Whether a directory before the cursor holds it, so the walk must enter it to get there. */
    boolean leadsToCursor(String dirKey) {
        return after != null && after.startsWith(dirKey);
    }

    /** Counts one entry after the cursor looked at; false, ending the page, once its scan budget is spent. */
    boolean look() {
        if (looked == budget) {
            more = true;
            return false;
        }
        looked++;
        return true;
    }

    /**
     * Marks the entry {@code key} done, giving {@code item} first unless it is null (the entry is not part of
     * the answer); false, ending the page before this entry, when the page already holds {@code limit} items.
     */
    boolean done(String key, T item) {
        if (item != null) {
            if (limit > 0 && given == limit) {
                more = true;
                return false;
            }
            out.accept(item);
            given++;
        }
        last = key;
        return true;
    }

    /** The cursor to continue after when the page ended early, else null (the walk reached the end). */
    String next() {
        return more ? last : null;
    }
}
