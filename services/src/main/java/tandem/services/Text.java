package tandem.services;

import java.time.Duration;
import java.util.Locale;

/** Formatting shared by the messages of this module: durations the way an admin writes them. */
final class Text {
    private Text() {
    }

    /** "250 ms", "10 s", "1.5 s", "5 min", "2 h". */
    static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000 && ms > -1000) {
            return ms + " ms";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + " h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + " min";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + " s";
        }
        return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** A value in single quotes for "got ..." in error messages (null shows as "nothing"). */
    static String got(Object value) {
        return value == null ? "nothing" : "'" + value + "'";
    }

    static Duration positive(String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(key + ": got " + (d == null ? "nothing" : duration(d))
                + ", expected a positive duration");
        }
        return d;
    }
}
