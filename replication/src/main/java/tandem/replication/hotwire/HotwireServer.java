package tandem.replication.hotwire;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.security.PublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.channel.ChannelFactory;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.compression.BuiltinCompressions;
import org.apache.sshd.common.global.KeepAliveHandler;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.server.subsystem.SubsystemFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tandem.replication.apply.ApplyResult;
import tandem.replication.apply.Bundle;
import tandem.replication.apply.Contents;
import tandem.replication.apply.NodeStatus;
import tandem.replication.apply.Receiver;
import tandem.replication.model.Manifest;

/**
 * The hotwire's SSH server (Apache MINA SSHD, on its own I/O threads; each channel's requests on a
 * virtual thread of its own). It binds to the hotwire address and port (default 3781/tcp) and allows
 * exactly one thing: a client whose public key is in the trusted keys file, logging in as the node that
 * key is trusted for, opening a session channel with the {@value #SUBSYSTEM} subsystem. No password,
 * keyboard-interactive, host-based or GSSAPI authentication; no shell, exec, PTY, environment, agent
 * or X11 forwarding, no TCP/IP forwarding either way, no other subsystem, no compression. A refused
 * channel request is answered with a failure and the channel closed; {@link #refusals()} keeps the
 * newest refusals for `tandem info`.
 */
public final class HotwireServer implements AutoCloseable {
    public static final int DEFAULT_PORT = 3781;
    public static final String SUBSYSTEM = "tandem-sync";
    private static final Logger LOG = LoggerFactory.getLogger(HotwireServer.class);
    private static final AttributeRepository.AttributeKey<String> PEER = new AttributeRepository.AttributeKey<>();
    private static final int KEPT_REFUSALS = 64;

    private final SshServer sshd;
    private final Receiver receiver;
    private final Limits limits;
    private final Deque<String> refusals = new ArrayDeque<>();

    private HotwireServer(SshServer sshd, Receiver receiver, Limits limits) {
        this.sshd = sshd;
        this.receiver = receiver;
        this.limits = limits;
    }

    /** Binds and starts; returns at once (the server runs on its own threads). */
    public static HotwireServer start(InetSocketAddress bind, Keys keys, TrustedKeys trusted, Receiver receiver, Limits limits)
        throws IOException {
        SshServer sshd = ServerBuilder.builder()
            .channelFactories(List.of())
            .globalRequestHandlers(List.of(KeepAliveHandler.INSTANCE))
            .compressionFactories(List.of(BuiltinCompressions.none))
            .build();
        HotwireServer server = new HotwireServer(sshd, receiver, limits);
        sshd.setChannelFactories(List.of(server.new SessionChannels()));
        sshd.setHost(bind.getAddress().getHostAddress());
        sshd.setPort(bind.getPort());
        sshd.setKeyPairProvider(KeyPairProvider.wrap(keys.keyPair()));
        sshd.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        sshd.setPasswordAuthenticator(null);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setGSSAuthenticator(null);
        sshd.setHostBasedAuthenticator(null);
        sshd.setPublickeyAuthenticator((user, key, session) -> server.authenticate(trusted, user, key, session));
        sshd.setShellFactory(null);
        sshd.setCommandFactory(null);
        sshd.setAgentFactory(null);
        sshd.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        sshd.setSubsystemFactories(List.of(server.new SyncSubsystem()));
        CoreModuleProperties.AUTH_TIMEOUT.set(sshd, limits.authTimeout().multipliedBy(2));
        CoreModuleProperties.MAX_AUTH_REQUESTS.set(sshd, 4);
        CoreModuleProperties.MAX_CONCURRENT_CHANNELS.set(sshd, 4);
        CoreModuleProperties.IDLE_TIMEOUT.set(sshd, Duration.ofMinutes(2));
        CoreModuleProperties.SERVER_IDENTIFICATION.set(sshd, "tandem");
        sshd.start();
        LOG.info("hotwire: listening on {} (host key {})", server.address(), keys.fingerprint());
        return server;
    }

    /** Where it listens (the port chosen when 0 was asked for). */
    public InetSocketAddress address() {
        SocketAddress a = sshd.getBoundAddresses().iterator().next();
        return (InetSocketAddress) a;
    }

    /** The newest refusals (what, from whom, when), oldest first. */
    public List<String> refusals() {
        synchronized (refusals) {
            return new ArrayList<>(refusals);
        }
    }

    private void refuse(String what) {
        LOG.warn("hotwire: refused {}", what);
        synchronized (refusals) {
            if (refusals.size() == KEPT_REFUSALS) {
                refusals.removeFirst();
            }
            refusals.addLast(Instant.now() + " " + what);
        }
    }

    private boolean authenticate(TrustedKeys trusted, String user, PublicKey key, ServerSession session) {
        String node;
        try {
            node = trusted.nodeOf(key);
        } catch (IOException e) {
            refuse("key " + Keys.fingerprint(key) + " of user " + user + " from " + session.getClientAddress()
                + ": the trusted keys cannot be read: " + e.getMessage());
            return false;
        }
        if (node == null) {
            refuse("key " + Keys.fingerprint(key) + " of user " + user + " from " + session.getClientAddress()
                + ": not trusted (trust it with: tandem cluster trust " + user + " '<its key>')");
            return false;
        }
        if (!node.equals(user)) {
            refuse("key " + Keys.fingerprint(key) + " from " + session.getClientAddress() + ": trusted for " + node
                + " but offered by user " + user + " (expected: a node logs in under its own name)");
            return false;
        }
        session.setAttribute(PEER, node);
        return true;
    }

    @Override
    public void close() throws IOException {
        sshd.stop(true);
    }

    // -------------------------------------------------------------------------------- channels

    /** Session channels, and nothing else (no direct-tcpip: no local port forwarding). */
    private final class SessionChannels implements ChannelFactory {
        @Override
        public String getName() {
            return "session";
        }

        @Override
        public Channel createChannel(Session session) {
            return new SyncChannel();
        }
    }

    /** A session channel that allows the tandem-sync subsystem and refuses (and closes on) any other request. */
    private final class SyncChannel extends ChannelSession {
        private volatile boolean refused;

        @Override
        protected RequestHandler.Result handleInternalRequest(String type, boolean wantReply, Buffer buffer) throws IOException {
            if (Channel.CHANNEL_SUBSYSTEM.equals(type)) {
                return super.handleInternalRequest(type, wantReply, buffer);
            }
            if (type.startsWith("keepalive@")) {
                return RequestHandler.Result.ReplyFailure;
            }
            refuse("channel request '" + type + "' of " + peerOf(this) + ": not allowed (expected: subsystem " + SUBSYSTEM + ")");
            refused = true;
            return RequestHandler.Result.ReplyFailure;
        }

        @Override
        protected RequestHandler.Result handleSubsystemParsed(String request, String subsystem) throws IOException {
            if (!SUBSYSTEM.equals(subsystem)) {
                refuse("subsystem '" + subsystem + "' of " + peerOf(this) + ": unknown (expected: " + SUBSYSTEM + ")");
                refused = true;
                return RequestHandler.Result.ReplyFailure;
            }
            return super.handleSubsystemParsed(request, subsystem);
        }

        @Override
        protected IoWriteFuture sendResponse(Buffer buffer, String req, RequestHandler.Result result, boolean wantReply)
            throws IOException {
            IoWriteFuture f = super.sendResponse(buffer, req, result, wantReply);
            if (refused) {
                if (f == null) {
                    close(false);
                } else {
                    f.addListener(done -> close(false));
                }
            }
            return f;
        }
    }

    private static String peerOf(ChannelSession channel) {
        ServerSession s = channel.getServerSession();
        String node = s == null ? null : s.getAttribute(PEER);
        return (node == null ? "?" : node) + " (" + (s == null ? "?" : s.getClientAddress()) + ")";
    }

    private final class SyncSubsystem implements SubsystemFactory {
        @Override
        public String getName() {
            return SUBSYSTEM;
        }

        @Override
        public Command createSubsystem(ChannelSession channel) {
            return new SyncCommand();
        }
    }

    // -------------------------------------------------------------------------------- the protocol

    /** One channel of the subsystem: requests in order, each answered, on a virtual thread. */
    private final class SyncCommand implements Command {
        private InputStream in;
        private OutputStream out;
        private ExitCallback exit;
        private volatile Thread thread;
        private String peer = "?";

        @Override
        public void setInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public void setOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void setErrorStream(OutputStream err) {
            // unused: errors travel as ERROR frames
        }

        @Override
        public void setExitCallback(ExitCallback callback) {
            this.exit = callback;
        }

        @Override
        public void start(ChannelSession channel, Environment env) {
            String node = channel.getServerSession().getAttribute(PEER);
            peer = node == null ? "?" : node;
            thread = Thread.ofVirtual().name("hotwire-" + peer).start(this::serve);
        }

        @Override
        public void destroy(ChannelSession channel) {
            Thread t = thread;
            if (t != null) {
                t.interrupt();
            }
        }

        private void serve() {
            int code = 0;
            try {
                for (Frames.Frame f; (f = Frames.read(in, limits.maxFrame())) != null; ) {
                    Message m = Frames.message(f);
                    switch (m) {
                        case Message.Status s -> Frames.write(out, new Message.StatusReply(receiver.status()));
                        case Message.Push p -> push(p.bundle());
                        case Message.Fetch fe -> fetch(fe);
                        default -> throw new ProtocolException("message " + m.getClass().getSimpleName()
                            + " (expected: STATUS, PUSH or FETCH)");
                    }
                }
            } catch (ProtocolException e) {
                refuse("frames of " + peer + ": " + e.getMessage());
                error(Message.Error.PROTOCOL, e.getMessage());
                code = 1;
            } catch (EOFException | InterruptedIOException e) {
                LOG.debug("hotwire: {} went away: {}", peer, e.toString());
                code = 1;
            } catch (InterruptedException e) {
                code = 1;
            } catch (IOException | RuntimeException e) {
                LOG.warn("hotwire: request of {} failed: {}", peer, e.toString(), e);
                error(Message.Error.INTERNAL, String.valueOf(e.getMessage()));
                code = 1;
            } finally {
                if (exit != null) {
                    exit.onExit(code);
                }
            }
        }

        private void error(String kind, String message) {
            try {
                Frames.write(out, new Message.Error(kind, message));
            } catch (IOException e) {
                LOG.debug("hotwire: error to {} not sent: {}", peer, e.toString());
            }
        }

        private void push(Bundle b) throws IOException, ProtocolException, InterruptedException {
            if (!b.sender().equals(peer)) {
                throw new ProtocolException("bundle sender " + b.sender() + " (expected: " + peer
                    + ", the node the key belongs to)");
            }
            long size = b.contentSize();
            if (size > limits.maxBundle()) {
                Frames.write(out, new Message.Error(Message.Error.LIMIT, "bundle: " + size
                    + " octets (expected: at most " + limits.maxBundle() + ")"));
                return;
            }
            ApplyResult refused = receiver.precheck(b);
            if (refused != null) {
                Frames.write(out, new Message.PushReply(refused));
                return;
            }
            Frames.write(out, new Message.PushReady());
            DataIn data = new DataIn(in, limits.maxFrame(), size);
            ApplyResult r = receiver.apply(b, data);
            data.drain();
            Frames.write(out, new Message.PushReply(r));
        }

        private void fetch(Message.Fetch request) throws IOException, ProtocolException {
            NodeStatus st = receiver.status();
            Manifest m = st.manifest();
            String shared = receiver.settings().sharedConfig();
            List<String> files = new ArrayList<>();
            for (String p : request.paths().isEmpty() ? m.entries().stream().map(Manifest.Entry::path).toList() : request.paths()) {
                if (m.entry(p) != null && !p.equals(shared)) {
                    files.add(p);
                }
            }
            long size = files.stream().mapToLong(p -> m.entry(p).size()).sum();
            if (size > limits.maxBundle()) {
                Frames.write(out, new Message.Error(Message.Error.LIMIT, "fetch: " + size + " octets (expected: at most "
                    + limits.maxBundle() + ")"));
                return;
            }
            String text;
            try {
                text = Files.readString(receiver.live(shared), StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                text = "";
            }
            Frames.write(out, new Message.FetchReply(m, text, files));
            byte[] buf = new byte[(int) Math.min(Frames.CHUNK, Math.max(1, files.stream().mapToLong(p -> m.entry(p).size()).max().orElse(1)))];
            for (String p : files) {
                long left = m.entry(p).size();
                try (InputStream f = Files.newInputStream(receiver.live(p))) {
                    while (left > 0) {
                        int n = f.readNBytes(buf, 0, (int) Math.min(buf.length, left));
                        if (n == 0) {
                            break;
                        }
                        Frames.writeData(out, buf, 0, n);
                        left -= n;
                    }
                }
                if (left > 0) {
                    throw new IOException(p + " shrank while it was sent");
                }
            }
            out.flush();
        }
    }

    /**
     * The contents of a PUSH, read from DATA frames: each file's octets, in order, frames never crossing
     * a file; at most the announced total.
     */
    static final class DataIn implements Contents {
        private final InputStream in;
        private final int maxFrame;
        private long left;

        DataIn(InputStream in, int maxFrame, long total) {
            this.in = in;
            this.maxFrame = maxFrame;
            this.left = total;
        }

        @Override
        public void copy(Manifest.Entry file, OutputStream sink) throws IOException {
            long need = file.size();
            while (need > 0) {
                Frames.Frame f;
                try {
                    f = Frames.read(in, maxFrame);
                } catch (ProtocolException e) {
                    throw new IOException(e.getMessage(), e);
                }
                if (f == null) {
                    throw new EOFException(file.path() + ": the sender closed with " + need + " octets missing");
                }
                if (f.type() != Frames.DATA) {
                    throw new IOException(file.path() + ": a JSON frame amid its content (expected: " + need
                        + " more octets of DATA)");
                }
                if (f.payload().length == 0) {
                    throw new IOException(file.path() + ": an empty DATA frame (expected: content)");
                }
                if (f.payload().length > need) {
                    throw new IOException(file.path() + ": a DATA frame of " + f.payload().length
                        + " octets crosses the end of the file (expected: at most " + need + ")");
                }
                sink.write(f.payload());
                need -= f.payload().length;
                left -= f.payload().length;
            }
        }

        /** Reads what the receiver did not (it refused before reading every file). */
        void drain() throws IOException {
            while (left > 0) {
                Frames.Frame f;
                try {
                    f = Frames.read(in, maxFrame);
                } catch (ProtocolException e) {
                    throw new IOException(e.getMessage(), e);
                }
                if (f == null || f.type() != Frames.DATA || f.payload().length == 0 || f.payload().length > left) {
                    throw new IOException("the rest of the bundle: not " + left + " octets of DATA");
                }
                left -= f.payload().length;
            }
        }
    }
}
