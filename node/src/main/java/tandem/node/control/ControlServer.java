package tandem.node.control;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Unix domain control socket (mode 0600). One request line per connection (see
 * {@link ControlRequest}), answered with JSON. Every answer is built from snapshots the node's loops
 * published: nothing here waits on the VRRP loop. Connections are served on virtual threads, at most
 * {@value #MAX_CLIENTS} at once. The socket is bound under a temporary name, restricted, then renamed
 * into place so it is never reachable with a wider mode.
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("tandem.control");
    static final ObjectMapper JSON = new ObjectMapper()
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);
    static final int MAX_CLIENTS = 16;

    /** What the server answers from. */
    public interface Backend {
        /** The node's state: published snapshots composed, never waiting for a loop. */
        Map<String, Object> info();

        /** The state-sync counters, or null when state sync is not configured. */
        Map<String, Object> conntrackStats();

        /**
         * The replicated connections (entries and expectations, each listed as its toString), or null
         * without state sync.
         */
        CompletableFuture<List<?>> conntrackCache();

        /** A configuration-replication request (config-sync, -diff, -files, -rollback); blocks until done. */
        default Map<String, Object> config(ControlRequest.Verb verb) throws IOException {
            throw new IOException("configuration replication is not configured on this node");
        }
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private final Semaphore clients = new Semaphore(MAX_CLIENTS);
    private volatile boolean open = true;

    private ControlServer(Path path, ServerSocketChannel server, Backend backend) {
        this.path = path;
        this.server = server;
        this.acceptor = Thread.ofPlatform().daemon().name("control").start(() -> {
            while (open) {
                try {
                    SocketChannel c = server.accept();
                    if (!clients.tryAcquire()) {
                        reply(c, error("busy: " + MAX_CLIENTS + " requests are being served (expected: fewer at once)"));
                        c.close();
                        continue;
                    }
                    Thread.ofVirtual().name("control-client").start(() -> {
                        try (c) {
                            serve(c, backend);
                        } catch (IOException e) {
                            LOG.debug("control socket {}: {}", path, e.getMessage());
                        } catch (RuntimeException e) {
                            LOG.error("control socket {}: serving a request failed", path, e);
                        } finally {
                            clients.release();
                        }
                    });
                } catch (IOException e) {
                    if (open) {
                        LOG.warn("control socket {}: {}", path, e.getMessage());
                    }
                }
            }
        });
    }

    /**
     * Checks that {@code path} can be bound: nothing there, or a stale socket (removed). Another
     * daemon answering there, or a file that is not a socket, is an error: tandem never deletes what
     * it did not create.
     */
    public static void checkFree(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return;
        }
        if (!a.isOther()) {
            String kind = a.isDirectory() ? "a directory" : a.isSymbolicLink() ? "a symbolic link" : "a regular file";
            throw new IOException("control socket " + path + ": exists and is " + kind
                + ", not a socket (expected: a free path or a stale tandem socket; tandem removes neither files nor links)");
        }
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            throw new IOException("control socket " + path
                + ": another tandem daemon is running there (expected: a free path; stop it first)");
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().contains("another tandem daemon")) {
                throw e;
            }
            Files.deleteIfExists(path);
            LOG.info("control socket {}: removed the stale socket of an earlier run", path);
        }
    }

    public static ControlServer open(Path path, Backend backend) throws IOException {
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
        return new ControlServer(path, s, backend);
    }

    private static void serve(SocketChannel c, Backend backend) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(ControlRequest.MAX_LENGTH + 1);
        while (in.hasRemaining() && c.read(in) > 0) {
            if (in.get(in.position() - 1) == '\n') {
                break;
            }
        }
        ControlRequest request;
        try {
            request = ControlRequest.parse(in.array(), in.position());
        } catch (ControlRequestException e) {
            reply(c, error(e.getMessage()));
            return;
        }
        switch (request.verb()) {
            case INFO -> reply(c, JSON.writeValueAsString(backend.info()));
            case CONNTRACK_STATS -> {
                Map<String, Object> stats = backend.conntrackStats();
                reply(c, stats == null ? noStateSync() : JSON.writeValueAsString(stats));
            }
            case CONFIG_SYNC, CONFIG_DIFF, CONFIG_FILES, CONFIG_ROLLBACK -> {
                Map<String, Object> r;
                try {
                    r = backend.config(request.verb());
                } catch (IOException e) {
                    reply(c, error(e.getMessage()));
                    return;
                }
                reply(c, JSON.writeValueAsString(r));
            }
            case CONNTRACK_CACHE -> {
                CompletableFuture<List<?>> cache = backend.conntrackCache();
                if (cache == null) {
                    reply(c, noStateSync());
                } else {
                    streamCache(c, cache);
                }
            }
        }
    }

    private static String noStateSync() {
        return error("state sync is not configured on this node (expected: a statesync section in the configuration)");
    }

    private static String error(String message) {
        try {
            return JSON.writeValueAsString(Map.of("error", message));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void reply(SocketChannel c, String json) throws IOException {
        ByteBuffer out = ByteBuffer.wrap((json + "\n").getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) {
            c.write(out);
        }
    }

    /**
     * {"cache": [line, ...]} written as it is formatted: a cache of a million entries would not fit the
     * daemon's heap as one string. Lines are in no particular order.
     */
    private static void streamCache(SocketChannel c, CompletableFuture<List<?>> cache) throws IOException {
        List<?> lines;
        try {
            lines = cache.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            reply(c, error("state sync did not answer: " + e));
            return;
        }
        java.io.OutputStream out = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(c), 1 << 16);
        try (com.fasterxml.jackson.core.JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("cache");
            for (Object l : lines) {
                g.writeString(String.valueOf(l));
            }
            g.writeEndArray();
            g.writeEndObject();
            g.writeRaw('\n');
        }
    }

    /** A snapshot record as the map the socket sends (snake_case keys, in component order). */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> toMap(Object record) {
        return JSON.convertValue(record, java.util.LinkedHashMap.class);
    }

    /** Serializes a snapshot (records with snake_case keys) as the socket would. */
    public static String json(Object o) throws IOException {
        return JSON.writeValueAsString(o);
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
