package tandem.services;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A process tandem starts and supervises itself, in the daemon's own namespaces (like a systemd
 * {@code Type=simple} service: it must stay in the foreground - {@code dhcpd -f}, {@code openvpn}
 * without {@code --daemon}).
 *
 * @param argv        the program and its arguments (no shell; argv[0] is looked up on PATH)
 * @param env         variables added to (or replacing) the daemon's environment
 * @param workdir     the working directory (default: /)
 * @param user        run as this user (and its groups) instead of root
 * @param stopSignal  sent to the process group on stop (default TERM)
 * @param stopTimeout how long a stop waits for the group to end before KILL (default 10 s)
 * @param settle      how long a started process must stay alive to count as running, when there is no
 *                    {@code ready} check (default 500 ms)
 * @param ready       a check polled after the start until it exits 0 (then the service runs), e.g.
 *                    a port test; it counts as a start failure if it does not pass within the service's
 *                    start timeout
 */
public record ProcessSpec(List<String> argv, Map<String, String> env, Optional<Path> workdir, Optional<String> user,
                          Signal stopSignal, Duration stopTimeout, Duration settle, Optional<CommandSpec> ready)
    implements ServiceKind {
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_SETTLE = Duration.ofMillis(500);
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern USER = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?");

    public ProcessSpec {
        if (argv == null || argv.isEmpty() || argv.getFirst() == null || argv.getFirst().isBlank()) {
            throw new IllegalArgumentException("argv: got " + (argv == null || argv.isEmpty() ? "nothing" : Text.got(argv.getFirst()))
                + ", expected the program and its arguments, e.g. [/usr/sbin/dhcpd, -f]");
        }
        for (String a : argv) {
            if (a == null || a.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("argv: got " + (a == null ? "a null argument" : "a NUL character in " + Text.got(a.replace('\0', '?')))
                    + ", expected plain strings");
            }
        }
        argv = List.copyOf(argv);
        env = env == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(env));
        for (var e : env.entrySet()) {
            if (!ENV_NAME.matcher(e.getKey()).matches()) {
                throw new IllegalArgumentException("env: got the name " + Text.got(e.getKey()) + ", expected letters, digits and _ (not first a digit)");
            }
            if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
                throw new IllegalArgumentException("env." + e.getKey() + ": got " + (e.getValue() == null ? "nothing" : "a NUL character")
                    + ", expected a string");
            }
        }
        workdir = workdir == null ? Optional.empty() : workdir;
        if (workdir.isPresent() && !workdir.get().isAbsolute()) {
            throw new IllegalArgumentException("workdir: got " + Text.got(workdir.get()) + ", expected an absolute path");
        }
        user = user == null ? Optional.empty() : user;
        if (user.isPresent() && !USER.matcher(user.get()).matches()) {
            throw new IllegalArgumentException("user: got " + Text.got(user.get()) + ", expected a user name");
        }
        stopSignal = stopSignal == null ? Signal.TERM : stopSignal;
        Text.positive("stop-timeout", stopTimeout);
        Text.positive("settle", settle);
        ready = ready == null ? Optional.empty() : ready;
    }

    /** A process with the defaults: TERM, 10 s stop timeout, 500 ms settle, no ready check. */
    public static ProcessSpec of(String... argv) {
        return new ProcessSpec(List.of(argv), Map.of(), Optional.empty(), Optional.empty(), Signal.TERM,
            DEFAULT_STOP_TIMEOUT, DEFAULT_SETTLE, Optional.empty());
    }

    public ProcessSpec withEnv(Map<String, String> env) {
        return new ProcessSpec(argv, env, workdir, user, stopSignal, stopTimeout, settle, ready);
    }

    public ProcessSpec withWorkdir(Path workdir) {
        return new ProcessSpec(argv, env, Optional.of(workdir), user, stopSignal, stopTimeout, settle, ready);
    }

    public ProcessSpec withUser(String user) {
        return new ProcessSpec(argv, env, workdir, Optional.of(user), stopSignal, stopTimeout, settle, ready);
    }

    public ProcessSpec withStop(Signal signal, Duration timeout) {
        return new ProcessSpec(argv, env, workdir, user, signal, timeout, settle, ready);
    }

    public ProcessSpec withSettle(Duration settle) {
        return new ProcessSpec(argv, env, workdir, user, stopSignal, stopTimeout, settle, ready);
    }

    public ProcessSpec withReady(CommandSpec ready) {
        return new ProcessSpec(argv, env, workdir, user, stopSignal, stopTimeout, settle, Optional.of(ready));
    }

    @Override
    public String label() {
        return "process";
    }

    /** argv as one line for logs (arguments with blanks quoted). */
    public String commandLine() {
        List<String> out = new ArrayList<>();
        for (String a : argv) {
            out.add(a.isEmpty() || a.chars().anyMatch(c -> c <= ' ' || c == '\'' || c == '"') ? "'" + a.replace("'", "'\\''") + "'" : a);
        }
        return String.join(" ", out);
    }
}
