package tandem.services;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line that starts a child: {@code setpriv --pdeathsig KILL [--reuid --regid
 * --init-groups] -- setsid -- argv...}. setpriv makes the kernel KILL the child when the JVM dies
 * (the signal is set after the user change, which would clear it) and setsid makes it the leader of
 * a new session and process group, whose id is its pid: a stop signals the whole group, and a Ctrl-C
 * in tandem's terminal does not reach it. Both exec in place (a child of the JVM is no group
 * leader, so setsid does not fork): the pid the JVM sees is the service's.
 */
final class Launch {
    static final String SETPRIV = find("setpriv");
    static final String SETSID = find("setsid");

    private Launch() {
    }

    static List<String> wrap(List<String> argv, Optional<String> user, Optional<String> group) {
        List<String> cmd = new ArrayList<>(List.of(SETPRIV, "--pdeathsig", "KILL"));
        if (user.isPresent()) {
            cmd.add("--reuid=" + user.get());
            cmd.add("--regid=" + group.orElseThrow());
            cmd.add("--init-groups");
        }
        cmd.add("--");
        cmd.add(SETSID);
        cmd.add("--");
        cmd.addAll(argv);
        return cmd;
    }

    /** The tools that are missing ("setpriv", "setsid"), for the preflight. */
    static List<String> missingTools() {
        List<String> out = new ArrayList<>();
        for (String t : List.of(SETPRIV, SETSID)) {
            if (!Files.isExecutable(Path.of(t))) {
                out.add(Path.of(t).getFileName().toString());
            }
        }
        return out;
    }

    private static String find(String tool) {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return "/usr/bin/" + tool;
    }
}
