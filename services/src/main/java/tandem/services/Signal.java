package tandem.services;

import java.util.Locale;

/**
 * The signals a service may be stopped with (the numbers are Linux's, the same on x86-64 and
 * arm64). KILL is what follows when the stop timeout runs out.
 */
public enum Signal {
    HUP(1), INT(2), QUIT(3), KILL(9), USR1(10), USR2(12), TERM(15);

    private final int number;

    Signal(int number) {
        this.number = number;
    }

    public int number() {
        return number;
    }

    /** The signal with this number, or null. */
    public static Signal of(int number) {
        for (Signal s : values()) {
            if (s.number == number) {
                return s;
            }
        }
        return null;
    }

    /** "TERM", "SIGTERM" or "term". */
    public static Signal parse(String s) {
        String n = s == null ? "" : s.trim().toUpperCase(Locale.ROOT);
        if (n.startsWith("SIG")) {
            n = n.substring(3);
        }
        for (Signal sig : values()) {
            if (sig.name().equals(n)) {
                return sig;
            }
        }
        throw new IllegalArgumentException("stop-signal: got " + Text.got(s) + ", expected one of TERM, INT, QUIT, HUP, USR1, USR2, KILL");
    }
}
