package tandem.node.daemon;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix domain control socket (mode 0600). One request line per connection: {@code info} answers
 * with the JSON snapshot. The socket is bound under a temporary name, restricted, then renamed into
 * place so it is never reachable with a wider mode.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tandem");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private volatile boolean open = true;

    private ControlServer(Path path, ServerSocketChannel server, Daemon daemon) {
        this.path = path;
        this.server = server;
        this.acceptor = Thread.ofPlatform().daemon().name("control").start(() -> {
            while (open) {
                try (SocketChannel c = server.accept()) {
                    serve(c, daemon);
                } catch (IOException e) {
                    if (open) {
                        LOG.warn("control socket {}: {}", path, e.getMessage());
                    }
                } catch (RuntimeException e) {
                    LOG.error("control socket {}", path, e);
                }
            }
        });
    }

    /** Fails when another daemon answers on {@code path}; removes a stale socket file. */
    static void checkFree(Path path) throws Daemon.StartupException {
        if (!Files.exists(path)) {
            return;
        }
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new Daemon.StartupException(1, "control socket " + path
                + ": another tandem daemon is running there (expected: a free path; stop it first)");
        } catch (IOException e) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException ex) {
                throw new Daemon.StartupException(1, "control socket " + path + ": stale file cannot be removed: " + ex);
            }
        }
    }

    static ControlServer open(Path path, Daemon daemon) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + path.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            s.bind(UnixDomainSocketAddress.of(tmp));
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            s.close();
            Files.deleteIfExists(tmp);
            throw new IOException("control socket " + path + ": " + e.getMessage(), e);
        }
        return new ControlServer(path, s, daemon);
    }

    private static void serve(SocketChannel c, Daemon daemon) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(256);
        // requests are one short line; replies may be large (the conntrack cache)
        while (in.hasRemaining() && c.read(in) > 0) {
            if (in.get(in.position() - 1) == '\n') {
                break;
            }
        }
        String request = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).trim();
        if (request.equals("conntrack-cache") && daemon.stateSync() != null) {
            streamCache(c, daemon.stateSync());
            return;
        }
        String reply;
        try {
            if (request.equals("info")) {
                Map<String, Object> info = daemon.info().get(5, TimeUnit.SECONDS);
                reply = JSON.writeValueAsString(info);
            } else if (request.equals("conntrack-stats") || request.equals("conntrack-cache")) {
                var sync = daemon.stateSync();
                if (sync == null) {
                    reply = JSON.writeValueAsString(Map.of("error", "state sync is not configured on this node"
                        + " (expected: a statesync section in the configuration)"));
                } else {
                    reply = JSON.writeValueAsString(sync.info().get(5, TimeUnit.SECONDS));
                }
            } else {
                reply = JSON.writeValueAsString(Map.of("error", "request: \"" + request
                    + "\" (expected: info, conntrack-stats or conntrack-cache)"));
            }
        } catch (Exception e) {
            reply = JSON.writeValueAsString(Map.of("error", "daemon did not answer: " + e));
        }
        ByteBuffer out = ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            c.write(out);
        }
    }

    /**
     * {"cache": [entry, ..., expectation, ...]} written as it is formatted: a cache of a million entries
     * would not fit the daemon's heap as one string. Lines are in no particular order.
     */
    private static void streamCache(SocketChannel c, tandem.node.sync.StateSync sync) throws IOException {
        tandem.node.sync.StateSync.CacheSnapshot snap;
        try {
            snap = sync.cacheSnapshot().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            byte[] err = (JSON.writeValueAsString(Map.of("error", "daemon did not answer: " + e)) + "\n")
                .getBytes(StandardCharsets.UTF_8);
            c.write(ByteBuffer.wrap(err));
            return;
        }
        java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(c), 1 << 16);
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("cache");
            for (var e : snap.entries()) {
                g.writeString(e.toString());
            }
            for (var x : snap.expectations()) {
                g.writeString(x.toString());
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    @Override
    public void close() {
        open = false;
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing control socket: {}", e.toString());
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("control socket {}: cannot remove: {}", path, e.getMessage());
        }
        try {
            acceptor.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
