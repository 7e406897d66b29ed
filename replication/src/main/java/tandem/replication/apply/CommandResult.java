package tandem.replication.apply;

/**
 * What a check or apply command did.
 *
 * @param command  the command line as run by /bin/sh -c
 * @param exitCode its exit code (-1 when it timed out or could not start)
 * @param output   standard output and error, interleaved, bounded (the first and last octets kept, the
 *                 middle cut with a note saying how much)
 * @param timedOut true when it ran out of time and was killed (with its descendants)
 * @param elapsedMillis how long it ran
 */
public record CommandResult(String command, int exitCode, String output, boolean timedOut, long elapsedMillis) {
    public CommandResult {
        command = command == null ? "" : command;
        output = output == null ? "" : output;
    }

    public boolean ok() {
        return exitCode == 0 && !timedOut;
    }

    /** "'nft -c -f /x' exited with 1: output" or "... timed out after 60 s (killed): output". */
    public String describe() {
        String what = timedOut ? "timed out after " + elapsedMillis / 1000 + " s (killed)" : "exited with " + exitCode;
        String out = output.isBlank() ? " (no output)" : ": " + output.strip();
        return "'" + command + "' " + what + out;
    }
}
