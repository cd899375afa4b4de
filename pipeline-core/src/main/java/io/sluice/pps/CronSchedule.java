package io.sluice.pps;

import io.sluice.SluiceException;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;

/**
 * A cron input's schedule as Pachyderm reads {@code cron.spec} (robfig/cron's standard parser): five fields
 * (minute, hour, day of month, month, day of week) with {@code *}, lists, ranges, steps and month/day
 * names, the descriptors {@code @yearly}, {@code @annually}, {@code @monthly}, {@code @weekly},
 * {@code @daily}, {@code @midnight}, {@code @hourly}, {@code @every <duration>}, and {@code @never}.
 * Times are UTC. Immutable.
 */
public final class CronSchedule {

    private static final List<String> MONTHS = List.of("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
            "sep", "oct", "nov", "dec");
    private static final List<String> DAYS = List.of("sun", "mon", "tue", "wed", "thu", "fri", "sat");

    private final Duration every;
    private final boolean never;
    private final BitSet minutes;
    private final BitSet hours;
    private final BitSet days;
    private final BitSet months;
    private final BitSet weekdays;
    private final boolean anyDay;
    private final boolean anyWeekday;

    private CronSchedule(Duration every, boolean never, BitSet[] fields, boolean anyDay, boolean anyWeekday) {
        this.every = every;
        this.never = never;
        this.minutes = fields == null ? null : fields[0];
        this.hours = fields == null ? null : fields[1];
        this.days = fields == null ? null : fields[2];
        this.months = fields == null ? null : fields[3];
        this.weekdays = fields == null ? null : fields[4];
        this.anyDay = anyDay;
        this.anyWeekday = anyWeekday;
    }

    /** Parses {@code spec}; refuses (INVALID) what robfig/cron's standard parser refuses. */
    public static CronSchedule parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        if (s.isEmpty()) {
            throw SluiceException.invalid("empty cron schedule");
        }
        if (s.startsWith("@")) {
            String lower = s.toLowerCase(Locale.ROOT);
            if (lower.startsWith("@every ") || lower.startsWith("@every\t")) {
                Duration d = SpecParser.parseDuration(s.substring(6).strip());
                if (d == null || d.compareTo(Duration.ofSeconds(1)) < 0) {
                    throw SluiceException.invalid("'" + s + "' needs a duration of at least 1s, such as "
                            + "\"@every 30s\" or \"@every 1h30m\"");
                }
                return new CronSchedule(d.truncatedTo(ChronoUnit.SECONDS), false, null, true, true);
            }
            String fields = switch (lower) {
                case "@yearly", "@annually" -> "0 0 1 1 *";
                case "@monthly" -> "0 0 1 * *";
                case "@weekly" -> "0 0 * * 0";
                case "@daily", "@midnight" -> "0 0 * * *";
                case "@hourly" -> "0 * * * *";
                case "@never" -> null;
                default -> throw SluiceException.invalid("unknown cron descriptor '" + s + "'");
            };
            if (fields == null) {
                return new CronSchedule(null, true, null, true, true);
            }
            s = fields;
        }
        String[] f = s.split("\\s+");
        if (f.length != 5) {
            throw SluiceException.invalid("cron schedule '" + s + "' must have 5 fields (minute hour day-of-month "
                    + "month day-of-week), or be a descriptor such as @every 1m or @daily");
        }
        BitSet[] sets = {
                field(f[0], 0, 59, null, "minute"), field(f[1], 0, 23, null, "hour"),
                field(f[2], 1, 31, null, "day of month"), field(f[3], 1, 12, MONTHS, "month"),
                field(f[4], 0, 7, DAYS, "day of week")};
        if (sets[4].get(7)) {
            sets[4].set(0);
        }
        return new CronSchedule(null, false, sets, star(f[2]), star(f[4]));
    }

    private static boolean star(String f) {
        return f.equals("*") || f.equals("?");
    }

    private static BitSet field(String text, int min, int max, List<String> names, String what) {
        BitSet out = new BitSet(max + 1);
        for (String part : text.split(",", -1)) {
            int step = 1;
            String range = part;
            int slash = part.indexOf('/');
            if (slash >= 0) {
                step = number(part.substring(slash + 1), 1, max, null, what, text);
                range = part.substring(0, slash);
            }
            int lo;
            int hi;
            if (range.equals("*") || range.equals("?")) {
                lo = min;
                hi = max;
            } else {
                int dash = range.indexOf('-');
                lo = number(dash >= 0 ? range.substring(0, dash) : range, min, max, names, what, text);
                hi = dash >= 0 ? number(range.substring(dash + 1), min, max, names, what, text)
                        : (slash >= 0 ? max : lo);
            }
            if (lo > hi) {
                throw SluiceException.invalid("cron " + what + " range '" + part + "' runs backwards");
            }
            for (int v = lo; v <= hi; v += step) {
                out.set(v);
            }
        }
        return out;
    }

    private static int number(String s, int min, int max, List<String> names, String what, String field) {
        if (names != null) {
            int i = names.indexOf(s.toLowerCase(Locale.ROOT));
            if (i >= 0) {
                return i + (min == 1 ? 1 : 0);
            }
        }
        if (!s.matches("\\d{1,2}")) {
            throw SluiceException.invalid("cron " + what + " field '" + field + "' is not valid");
        }
        int v = Integer.parseInt(s);
        if (v < min || v > max) {
            throw SluiceException.invalid("cron " + what + " " + v + " is out of range " + min + "-" + max);
        }
        return v;
    }

    /** The first tick strictly after {@code after}, or null when there is none ({@code @never}). */
    public Instant next(Instant after) {
        if (never) {
            return null;
        }
        if (every != null) {
            // robfig/cron's @every: the next whole second after adding the interval
            return after.plus(every).truncatedTo(ChronoUnit.SECONDS);
        }
        ZonedDateTime t = after.atZone(ZoneOffset.UTC).truncatedTo(ChronoUnit.MINUTES).plusMinutes(1);
        ZonedDateTime limit = t.plusYears(5);
        while (t.isBefore(limit)) {
            if (!months.get(t.getMonthValue())) {
                t = t.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).plusMonths(1);
            } else if (!dayMatches(t)) {
                t = t.truncatedTo(ChronoUnit.DAYS).plusDays(1);
            } else if (!hours.get(t.getHour())) {
                t = t.truncatedTo(ChronoUnit.HOURS).plusHours(1);
            } else if (!minutes.get(t.getMinute())) {
                t = t.plusMinutes(1);
            } else {
                return t.toInstant();
            }
        }
        return null;
    }

    private boolean dayMatches(ZonedDateTime t) {
        boolean dom = days.get(t.getDayOfMonth());
        boolean dow = weekdays.get(t.getDayOfWeek().getValue() % 7);
        if (anyDay || anyWeekday) {
            return dom && dow;
        }
        return dom || dow;
    }
}
