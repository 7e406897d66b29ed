package tandem.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs setup commands (ip, nft, sysctl). Lab and tests only; the daemon never shells out. */
public final class Sh {
    private Sh() {
    }

    /** Output of a finished command. */
    public record Result(int exit, String out, String err) {
    }

    public static Result exec(List<String> cmd, String stdin) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            Process p = pb.start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            p.getOutputStream().close();
            var outF = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            var errF = java.util.concurrent.CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new LabException(String.join(" ", cmd) + ": no exit within 60 s");
            }
            return new Result(p.exitValue(), outF.join(), errF.join());
        } catch (IOException e) {
            throw new LabException(String.join(" ", cmd) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException(String.join(" ", cmd) + ": interrupted");
        }
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs and requires exit 0; the exception carries the command and its stderr. */
    public static String run(String... cmd) {
        return runIn(null, cmd);
    }

    public static String runIn(String stdin, String... cmd) {
        Result r = exec(Arrays.asList(cmd), stdin);
        if (r.exit() != 0) {
            throw new LabException(String.join(" ", cmd) + ": exit " + r.exit() + ": " + r.err().strip());
        }
        return r.out();
    }

    /** Runs and ignores failure (cleanup paths). */
    public static Result quiet(String... cmd) {
        return exec(Arrays.asList(cmd), null);
    }

    public static List<String> list(String... parts) {
        return new ArrayList<>(Arrays.asList(parts));
    }
}
