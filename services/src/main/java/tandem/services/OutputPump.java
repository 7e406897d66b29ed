package tandem.services;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a child's output pipe to its end on a virtual thread and hands it to the {@link OutputSink}
 * line by line: rate-limited ({@link LineLimiter}), long lines cut, control characters replaced. It
 * reads all the time, whatever the sink and the limiter do, so the child never blocks on a full
 * pipe. The last few lines are kept for error messages ("last output: ...").
 */
final class OutputPump {
    static final int MAX_LINE = 2000;
    private static final int KEEP = 3;
    private final String service;
    private final String source;
    private final OutputSink sink;
    private final LineLimiter limiter = new LineLimiter(200, 20);
    private final ArrayDeque<String> last = new ArrayDeque<>();
    private final Thread thread;

    private OutputPump(String service, String source, OutputSink sink, InputStream in) {
        this.service = service;
        this.source = source;
        this.sink = sink;
        this.thread = Thread.ofVirtual().name("service-" + service + "-" + source + "-output").unstarted(() -> pump(in));
    }

    static OutputPump start(String service, String source, OutputSink sink, InputStream in) {
        OutputPump p = new OutputPump(service, source, sink, in);
        p.thread.start();
        return p;
    }

    /** The last lines read (at most 3), oldest first. */
    synchronized List<String> lastLines() {
        return new ArrayList<>(last);
    }

    /** "; last output: a | b" or "" - for failure messages. */
    String lastOutput() {
        List<String> l = lastLines();
        return l.isEmpty() ? "" : "; last output: " + String.join(" | ", l);
    }

    /** Waits up to {@code millis} for the pipe to reach its end (all writers closed it). */
    boolean awaitEnd(long millis) throws InterruptedException {
        return thread.join(java.time.Duration.ofMillis(millis));
    }

    private void pump(InputStream in) {
        byte[] buf = new byte[8192];
        byte[] line = new byte[MAX_LINE];
        int len = 0;
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b == '\n') {
                        emit(line, len);
                        len = 0;
                    } else if (len < MAX_LINE) {
                        line[len++] = b;
                    } else {
                        emit(line, len);
                        len = 0;
                        line[len++] = b;
                    }
                }
            }
        } catch (IOException e) {
            // the pipe was closed under us (the process was destroyed): nothing more to read
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger("tandem.service").warn("{}: output of {} no longer logged: {}", service, source, e.toString());
        } finally {
            if (len > 0) {
                emit(line, len);
            }
            long s = limiter.takeSuppressed();
            if (s > 0) {
                deliver("(" + s + " more lines not logged: more than 20 lines/s)");
            }
        }
    }

    private void emit(byte[] bytes, int len) {
        if (len > 0 && bytes[len - 1] == '\r') {
            len--;
        }
        String s = clean(new String(bytes, 0, len, StandardCharsets.UTF_8));
        synchronized (this) {
            last.addLast(s);
            if (last.size() > KEEP) {
                last.removeFirst();
            }
        }
        if (limiter.allow(System.nanoTime())) {
            long s2 = limiter.takeSuppressed();
            if (s2 > 0) {
                deliver("(" + s2 + " lines not logged: more than 20 lines/s)");
            }
            deliver(s);
        }
    }

    private void deliver(String s) {
        try {
            sink.line(service, source, s);
        } catch (RuntimeException e) {
            // a failing sink must not stop the reading
        }
    }

    private static String clean(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < ' ' && c != '\t' || c == 0x7f) {
                if (b == null) {
                    b = new StringBuilder(s.substring(0, i));
                }
                b.append('?');
            } else if (b != null) {
                b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }
}
