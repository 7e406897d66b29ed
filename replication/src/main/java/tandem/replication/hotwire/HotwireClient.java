package tandem.replication.hotwire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketAddress;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.password.PasswordIdentityProvider;
import org.apache.sshd.client.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.global.KeepAliveHandler;
import org.apache.sshd.common.kex.KexState;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.core.CoreModuleProperties;
import tandem.replication.apply.ApplyResult;
import tandem.replication.apply.Bundle;
import tandem.replication.apply.Contents;
import tandem.replication.apply.NodeStatus;
import tandem.replication.model.Manifest;

/**
 * The hotwire's SSH client: STATUS, PUSH and FETCH to a peer, each on a session of its own. The peer's
 * host key must be the key trusted for its node (no trust on first use, no known_hosts, no ~/.ssh); this
 * node authenticates with its own key only. Every call is bounded: connect ({@link Limits#connectTimeout},
 * a peer that is down fails within it), handshake and authentication ({@link Limits#authTimeout}), the
 * request ({@link Limits#requestTimeout} or {@link Limits#pushTimeout}: the session is closed at the
 * deadline), and a connection lost meanwhile is noticed by unanswered keepalives. Calls block the calling
 * thread; concurrent calls are fine. Failures are {@link HotwireException}s with a {@link HotwireException.Kind}.
 */
public final class HotwireClient implements AutoCloseable {
    private static final AttributeRepository.AttributeKey<HostKeyCheck> CHECK = new AttributeRepository.AttributeKey<>();

    /** What the server key verifier needs to know of a connection, and what it found. */
    private static final class HostKeyCheck {
        final Peer peer;
        final PublicKey expected;
        volatile String mismatch;

        HostKeyCheck(Peer peer, PublicKey expected) {
            this.peer = peer;
            this.expected = expected;
        }
    }

    /** One request's exchange of frames on the subsystem channel. */
    @FunctionalInterface
    private interface Exchange<T> {
        T run(InputStream in, OutputStream out) throws IOException, ProtocolException, HotwireException;
    }

    /** Receives the fetched files, one at a time, in order. */
    @FunctionalInterface
    public interface FetchSink {
        /** {@code content} has exactly {@code entry.size()} octets; what the sink leaves unread is skipped. */
        void file(Manifest.Entry entry, InputStream content) throws IOException;
    }

    private final Keys keys;
    private final TrustedKeys trusted;
    private final Limits limits;
    private final SshClient client;
    private final ScheduledExecutorService deadlines;

    public HotwireClient(Keys keys, TrustedKeys trusted, Limits limits) {
        this.keys = keys;
        this.trusted = trusted;
        this.limits = limits;
        client = ClientBuilder.builder()
            .serverKeyVerifier(HotwireClient::verifyServerKey)
            .hostConfigEntryResolver(HostConfigEntryResolver.EMPTY)
            .channelFactories(List.of())
            .globalRequestHandlers(List.of(KeepAliveHandler.INSTANCE))
            .build();
        client.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        client.setKeyIdentityProvider(KeyIdentityProvider.wrapKeyPairs(keys.keyPair()));
        client.setPasswordIdentityProvider(PasswordIdentityProvider.EMPTY_PASSWORDS_PROVIDER);
        CoreModuleProperties.HEARTBEAT_INTERVAL.set(client, limits.heartbeat());
        CoreModuleProperties.HEARTBEAT_NO_REPLY_MAX.set(client, 3);
        CoreModuleProperties.IO_CONNECT_TIMEOUT.set(client, limits.connectTimeout());
        CoreModuleProperties.CLIENT_IDENTIFICATION.set(client, "tandem");
        client.start();
        deadlines = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("hotwire-deadlines").factory());
    }

    public Limits limits() {
        return limits;
    }

    private static boolean verifyServerKey(ClientSession session, SocketAddress remote, PublicKey key) {
        AttributeRepository ctx = session.getConnectionContext();
        HostKeyCheck c = ctx == null ? null : ctx.getAttribute(CHECK);
        if (c == null) {
            return false;
        }
        if (KeyUtils.compareKeys(c.expected, key)) {
            return true;
        }
        c.mismatch = c.peer + " presented host key " + Keys.fingerprint(key) + ", not the key trusted for " + c.peer.node()
            + " (" + Keys.fingerprint(c.expected) + "): another machine at that address, or a new key (compare with "
            + "`tandem cluster key` on " + c.peer.node() + " and trust it again)";
        return false;
    }

    // ------------------------------------------------------------------------------------ requests

    /** The peer's state. */
    public NodeStatus status(Peer peer) throws HotwireException {
        return exchange(peer, "STATUS", limits.requestTimeout(), (in, out) -> {
            Frames.write(out, new Message.Status());
            Message m = Frames.readMessage(in, limits.maxFrame());
            if (m instanceof Message.StatusReply r) {
                if (!r.status().node().equals(peer.node())) {
                    throw new ProtocolException("status of " + peer + ": it says it is " + r.status().node()
                        + " (expected: " + peer.node() + ")");
                }
                return r.status();
            }
            throw unexpected(peer, m, "STATUS_REPLY");
        });
    }

    /**
     * Pushes {@code bundle}, the contents of its files read from {@code contents}; answers when the
     * peer's transaction ended (its result, including refusals), within {@link Limits#pushTimeout}.
     */
    public ApplyResult push(Peer peer, Bundle bundle, Contents contents) throws HotwireException {
        return exchange(peer, "PUSH", limits.pushTimeout(), (in, out) -> {
            Frames.write(out, new Message.Push(bundle));
            Message m = Frames.readMessage(in, limits.maxFrame());
            if (m instanceof Message.PushReply r) {
                return r.result();
            }
            if (!(m instanceof Message.PushReady)) {
                throw unexpected(peer, m, "PUSH_READY or PUSH_REPLY");
            }
            for (String f : bundle.files()) {
                Manifest.Entry e = bundle.manifest().entry(f);
                DataOut d = new DataOut(out, e.size());
                contents.copy(e, d);
                d.finish();
                if (d.count != e.size()) {
                    throw new HotwireException(HotwireException.Kind.PROTOCOL, f + " changed while it was sent ("
                        + d.count + " octets, its manifest entry says " + e.size() + "): push again");
                }
            }
            out.flush();
            m = Frames.readMessage(in, limits.maxFrame());
            if (m instanceof Message.PushReply r) {
                return r.result();
            }
            throw unexpected(peer, m, "PUSH_REPLY");
        });
    }

    /**
     * The peer's manifest and shared configuration, and the contents of {@code paths} (empty: every
     * replicated file) handed to {@code sink} one by one.
     */
    public Message.FetchReply fetch(Peer peer, List<String> paths, FetchSink sink) throws HotwireException {
        return exchange(peer, "FETCH", limits.requestTimeout(), (in, out) -> {
            Frames.write(out, new Message.Fetch(paths));
            Message m = Frames.readMessage(in, limits.maxFrame());
            if (!(m instanceof Message.FetchReply r)) {
                throw unexpected(peer, m, "FETCH_REPLY");
            }
            long total = 0;
            for (String f : r.files()) {
                total += r.manifest().entry(f).size();
            }
            if (total > limits.maxBundle()) {
                throw new ProtocolException("fetch reply of " + peer + ": " + total + " octets (expected: at most "
                    + limits.maxBundle() + ")");
            }
            for (String f : r.files()) {
                Manifest.Entry e = r.manifest().entry(f);
                DataStream content = new DataStream(in, limits.maxFrame(), e);
                sink.file(e, content);
                content.skipRest();
            }
            return r;
        });
    }

    private HotwireException unexpected(Peer peer, Message m, String expected) {
        if (m instanceof Message.Error e) {
            return new HotwireException(e.kind().equals(Message.Error.LIMIT) ? HotwireException.Kind.PROTOCOL
                : HotwireException.Kind.REMOTE, peer + ": " + e.message());
        }
        return new HotwireException(HotwireException.Kind.PROTOCOL, peer + ": answered " + m.getClass().getSimpleName()
            + " (expected: " + expected + ")");
    }

    // ------------------------------------------------------------------------------------ sessions

    private <T> T exchange(Peer peer, String what, Duration deadline, Exchange<T> x) throws HotwireException {
        PublicKey expected;
        try {
            expected = trusted.keyOf(peer.node());
        } catch (IOException e) {
            throw new HotwireException(HotwireException.Kind.NOT_TRUSTED, "the trusted keys cannot be read: " + e.getMessage(), e);
        }
        if (expected == null) {
            throw new HotwireException(HotwireException.Kind.NOT_TRUSTED, "no key trusted for " + peer.node() + " on "
                + keys.node() + " (trust it: tandem cluster trust " + peer.node() + " '<the line `tandem cluster key` prints on "
                + peer.node() + ">')");
        }
        HostKeyCheck check = new HostKeyCheck(peer, expected);
        ConnectFuture cf;
        ClientSession session;
        try {
            cf = client.connect(keys.node(), peer.host(), peer.port(), AttributeRepository.ofKeyValuePair(CHECK, check));
        } catch (IOException | RuntimeException e) {
            throw new HotwireException(HotwireException.Kind.UNREACHABLE, peer + ": " + e.getMessage(), e);
        }
        try {
            cf.verify(limits.connectTimeout());
            session = cf.getSession();
        } catch (IOException e) {
            cf.cancel();
            throw new HotwireException(HotwireException.Kind.UNREACHABLE, peer + ": not reachable within "
                + seconds(limits.connectTimeout()) + " (" + rootMessage(e) + ")", e);
        }
        AtomicBoolean expired = new AtomicBoolean();
        ScheduledFuture<?> timer = deadlines.schedule(() -> {
            expired.set(true);
            session.close(true);
        }, deadline.toMillis(), TimeUnit.MILLISECONDS);
        try {
            try {
                session.auth().verify(limits.authTimeout());
            } catch (IOException e) {
                if (check.mismatch != null) {
                    throw new HotwireException(HotwireException.Kind.HOST_KEY, check.mismatch, e);
                }
                if (session.getKexState() != KexState.DONE) {
                    throw new HotwireException(HotwireException.Kind.UNREACHABLE, peer + ": no SSH handshake within "
                        + seconds(limits.authTimeout()) + " (" + rootMessage(e) + ")", e);
                }
                throw new HotwireException(HotwireException.Kind.AUTH, peer + " refused the key of " + keys.node() + " ("
                    + keys.fingerprint() + "): trust it there with: tandem cluster trust " + keys.node() + " '"
                    + keys.publicKeyLine() + "'", e);
            }
            ChannelSubsystem channel = session.createSubsystemChannel(HotwireServer.SUBSYSTEM);
            try (channel) {
                try {
                    channel.open().verify(limits.authTimeout());
                } catch (IOException e) {
                    throw new HotwireException(HotwireException.Kind.PROTOCOL, peer + " refused the " + HotwireServer.SUBSYSTEM
                        + " subsystem (" + rootMessage(e) + ")", e);
                }
                return x.run(channel.getInvertedOut(), channel.getInvertedIn());
            }
        } catch (ProtocolException e) {
            throw new HotwireException(HotwireException.Kind.PROTOCOL, peer + ": " + e.getMessage(), e);
        } catch (IOException e) {
            if (expired.get()) {
                throw new HotwireException(HotwireException.Kind.TIMEOUT, peer + ": no answer to " + what + " within "
                    + seconds(deadline), e);
            }
            throw new HotwireException(HotwireException.Kind.TIMEOUT, peer + ": connection lost during " + what + " ("
                + rootMessage(e) + ")", e);
        } finally {
            timer.cancel(false);
            session.close(true);
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : m;
    }

    @Override
    public void close() throws IOException {
        deadlines.shutdownNow();
        client.stop();
    }

    // ------------------------------------------------------------------------------------ DATA frames

    /** Writes a file's content as DATA frames of at most {@link Frames#CHUNK} octets; counts the octets. */
    private static final class DataOut extends OutputStream {
        private final OutputStream out;
        private final long limit;
        private final byte[] buf;
        private int used;
        long count;

        DataOut(OutputStream out, long limit) {
            this.out = out;
            this.limit = limit;
            this.buf = new byte[(int) Math.max(1, Math.min(Frames.CHUNK, limit))];
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (count + len > limit) {
                count += len;
                return; // counted, never sent: the caller reports the change
            }
            count += len;
            while (len > 0) {
                int n = Math.min(len, buf.length - used);
                System.arraycopy(b, off, buf, used, n);
                used += n;
                off += n;
                len -= n;
                if (used == buf.length) {
                    flushChunk();
                }
            }
        }

        private void flushChunk() throws IOException {
            if (used > 0) {
                Frames.writeData(out, buf, 0, used);
                used = 0;
            }
        }

        void finish() throws IOException {
            if (count == limit) {
                flushChunk();
            }
        }
    }

    /** A fetched file's content: exactly its size in octets, from DATA frames. */
    private static final class DataStream extends InputStream {
        private final InputStream in;
        private final int maxFrame;
        private final Manifest.Entry entry;
        private long left;
        private byte[] frame = new byte[0];
        private int pos;

        DataStream(InputStream in, int maxFrame, Manifest.Entry entry) {
            this.in = in;
            this.maxFrame = maxFrame;
            this.entry = entry;
            this.left = entry.size();
        }

        @Override
        public int read() throws IOException {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (pos == frame.length) {
                if (left == 0) {
                    return -1;
                }
                Frames.Frame f;
                try {
                    f = Frames.read(in, maxFrame);
                } catch (ProtocolException e) {
                    throw new IOException(e.getMessage(), e);
                }
                if (f == null) {
                    throw new EOFException(entry.path() + ": the peer closed with " + left + " octets missing");
                }
                if (f.type() != Frames.DATA || f.payload().length == 0 || f.payload().length > left) {
                    throw new IOException(entry.path() + ": not a DATA frame of at most " + left + " octets"
                        + (f.type() == Frames.JSON ? ": " + new String(f.payload(), java.nio.charset.StandardCharsets.UTF_8) : ""));
                }
                frame = f.payload();
                pos = 0;
                left -= frame.length;
            }
            int n = Math.min(len, frame.length - pos);
            System.arraycopy(frame, pos, b, off, n);
            pos += n;
            return n;
        }

        void skipRest() throws IOException {
            byte[] sink = new byte[64 * 1024];
            while (read(sink, 0, sink.length) >= 0) {
                // skip
            }
        }
    }
}
