package tandem.replication.hotwire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.auth.keyboard.UserAuthKeyboardInteractiveFactory;
import org.apache.sshd.client.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ChannelShell;
import org.apache.sshd.client.channel.ChannelSubsystem;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.client.keyverifier.AcceptAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tandem.replication.TestSite;

/**
 * What the hotwire refuses, tried with a plain Apache MINA SSHD client (as an attacker or a
 * misconfigured peer would): passwords, keyboard-interactive, untrusted keys, a trusted key under
 * another name, shells, exec, PTYs, agent forwarding, other subsystems, port forwarding either way;
 * and on the client side a server with an unexpected host key and peers that are down or silent.
 */
class HotwireSecurityTest {
    static final Duration WAIT = Duration.ofSeconds(10);
    /** Not the common pool: on two processors it has one thread, which a blocking accept would hold. */
    static final java.util.concurrent.Executor THREADS = task -> Thread.ofVirtual().start(task);

    @TempDir
    Path dir;
    Pair pair;
    SshClient plain;

    @BeforeEach
    void start() throws Exception {
        pair = new Pair(dir);
        pair.fw1.site.shared("file /etc/nftables.conf").write("etc/nftables.conf", "table good\n");
        plain = SshClient.setUpDefaultClient();
        plain.setServerKeyVerifier(AcceptAllServerKeyVerifier.INSTANCE);
        plain.setHostConfigEntryResolver(HostConfigEntryResolver.EMPTY);
        plain.start();
    }

    @AfterEach
    void stop() throws IOException {
        plain.stop();
        pair.close();
    }

    ClientSession connect(String user) throws IOException {
        return plain.connect(user, "127.0.0.1", pair.fw2.server.address().getPort()).verify(WAIT).getSession();
    }

    /** A session authenticated with fw1's trusted key: what a compromised fw1 process could do. */
    ClientSession trusted() throws IOException {
        ClientSession s = connect("fw1");
        s.addPublicKeyIdentity(pair.fw1.keys.keyPair());
        s.auth().verify(WAIT);
        return s;
    }

    void assertClosedByTheServer(ClientChannel channel, String refusal) {
        Set<ClientChannelEvent> events = channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), WAIT);
        assertThat(events).contains(ClientChannelEvent.CLOSED);
        assertThat(channel.getExitStatus()).isNull();
        assertThat(pair.fw2.server.refusals()).anyMatch(r -> r.contains(refusal));
    }

    @Test
    void aTrustedPeerGetsItsAnswer() throws Exception {
        assertThat(pair.fw1.client.status(pair.fw2.peer()).node()).isEqualTo("fw2");
        assertThat(pair.fw2.server.refusals()).isEmpty();
    }

    @Test
    void passwordAuthenticationIsRefused() throws Exception {
        plain.setUserAuthFactories(List.of(UserAuthPasswordFactory.INSTANCE));
        try (ClientSession s = connect("fw1")) {
            s.addPasswordIdentity("secret");
            assertThatThrownBy(() -> s.auth().verify(WAIT)).isInstanceOf(IOException.class);
            assertThat(s.isAuthenticated()).isFalse();
        }
    }

    @Test
    void keyboardInteractiveAuthenticationIsRefused() throws Exception {
        plain.setUserAuthFactories(List.of(UserAuthKeyboardInteractiveFactory.INSTANCE));
        try (ClientSession s = connect("fw1")) {
            s.addPasswordIdentity("secret");
            assertThatThrownBy(() -> s.auth().verify(WAIT)).isInstanceOf(IOException.class);
            assertThat(s.isAuthenticated()).isFalse();
        }
    }

    @Test
    void anUntrustedClientKeyIsRefusedAndNothingIsApplied() throws Exception {
        Keys intruder = Keys.load(dir.resolve("intruder"), "fw1");
        TrustedKeys itsTrust = TrustedKeys.load(dir.resolve("intruder-trust"));
        itsTrust.trust("fw2", pair.fw2.keys.publicKeyLine());
        try (HotwireClient c = new HotwireClient(intruder, itsTrust, Pair.LIMITS)) {
            var sender = new tandem.replication.Replication(pair.fw1.site.set(), "fw1", TestSite.VERSION, c);
            assertThatThrownBy(() -> c.status(pair.fw2.peer())).isInstanceOfSatisfying(HotwireException.class, e -> {
                assertThat(e.kind()).isEqualTo(HotwireException.Kind.AUTH);
                assertThat(e.getMessage()).contains("refused the key of fw1", "tandem cluster trust fw1 '" + intruder.publicKeyLine());
            });
            var bundle = pair.fw1.site.bundleFor(pair.fw2.receiver.status());
            assertThatThrownBy(() -> c.push(pair.fw2.peer(), bundle, sender.contents()))
                .isInstanceOfSatisfying(HotwireException.class, e -> assertThat(e.kind()).isEqualTo(HotwireException.Kind.AUTH));
        }
        assertThat(pair.fw2.site.exists("etc/nftables.conf")).isFalse();
        assertThat(pair.fw2.receiver.generations()).isEmpty();
        assertThat(pair.fw2.server.refusals()).anyMatch(r -> r.contains("key " + intruder.fingerprint() + " of user fw1")
            && r.contains("not trusted"));
    }

    @Test
    void aTrustedKeyOfferedUnderAnotherNodesNameIsRefused() throws Exception {
        try (ClientSession s = connect("fw3")) {
            s.addPublicKeyIdentity(pair.fw1.keys.keyPair());
            assertThatThrownBy(() -> s.auth().verify(WAIT)).isInstanceOf(IOException.class);
        }
        assertThat(pair.fw2.server.refusals()).anyMatch(r -> r.contains("trusted for fw1 but offered by user fw3"));
    }

    @Test
    void aShellIsRefused() throws Exception {
        try (ClientSession s = trusted(); ChannelShell shell = s.createShellChannel()) {
            shell.setUsePty(false);
            shell.open().verify(WAIT);
            assertClosedByTheServer(shell, "channel request 'shell' of fw1");
        }
    }

    @Test
    void anExecIsRefused() throws Exception {
        try (ClientSession s = trusted(); ChannelExec exec = s.createExecChannel("touch /tmp/tandem-exec-was-allowed")) {
            exec.setUsePty(false);
            exec.open().verify(WAIT);
            assertClosedByTheServer(exec, "channel request 'exec' of fw1");
        }
    }

    @Test
    void aPtyIsRefused() throws Exception {
        try (ClientSession s = trusted(); ChannelShell shell = s.createShellChannel()) {
            shell.setUsePty(true);
            shell.open().verify(WAIT);
            assertClosedByTheServer(shell, "channel request 'pty-req' of fw1");
        }
    }

    @Test
    void agentForwardingIsRefused() throws Exception {
        try (ClientSession s = trusted(); ChannelShell shell = s.createShellChannel()) {
            shell.setAgentForwarding(true);
            shell.setUsePty(false);
            shell.open().verify(WAIT);
            assertClosedByTheServer(shell, "channel request 'auth-agent-req@openssh.com' of fw1");
        }
    }

    @Test
    void x11ForwardingIsRefused() throws Exception {
        // sshd's client has no X11 API: the request is written as OpenSSH sends it
        try (ClientSession s = trusted(); ChannelSubsystem channel = s.createSubsystemChannel(HotwireServer.SUBSYSTEM)) {
            channel.open().verify(WAIT);
            Buffer b = s.createBuffer(SshConstants.SSH_MSG_CHANNEL_REQUEST);
            b.putUInt(channel.getRecipient());
            b.putString("x11-req");
            b.putBoolean(true);
            b.putBoolean(false);
            b.putString("MIT-MAGIC-COOKIE-1");
            b.putString("0123456789abcdef0123456789abcdef");
            b.putUInt(0);
            s.writePacket(b).verify(WAIT);
            assertClosedByTheServer(channel, "channel request 'x11-req' of fw1");
        }
    }

    @Test
    void anotherSubsystemIsRefused() throws Exception {
        try (ClientSession s = trusted(); ChannelSubsystem sftp = s.createSubsystemChannel("sftp")) {
            sftp.open().verify(WAIT);
            assertClosedByTheServer(sftp, "subsystem 'sftp' of fw1");
        }
    }

    @Test
    void localPortForwardingIsRefused() throws Exception {
        try (ServerSocket target = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
             ClientSession s = trusted()) {
            var channel = s.createDirectTcpipChannel(new SshdSocketAddress("127.0.0.1", 0),
                new SshdSocketAddress("127.0.0.1", target.getLocalPort()));
            assertThatThrownBy(() -> channel.open().verify(WAIT)).isInstanceOf(IOException.class);
        }
    }

    @Test
    void remotePortForwardingIsRefused() throws Exception {
        try (ClientSession s = trusted()) {
            assertThatThrownBy(() -> s.startRemotePortForwarding(new SshdSocketAddress("127.0.0.1", 0),
                new SshdSocketAddress("127.0.0.1", 9))).isInstanceOf(IOException.class);
        }
    }

    @Test
    void aServerWithAnUnexpectedHostKeyIsRefused() throws Exception {
        Keys impostor = Keys.load(dir.resolve("impostor"), "fw2");
        TrustedKeys wrong = TrustedKeys.load(dir.resolve("wrong-trust"));
        wrong.trust("fw2", impostor.publicKeyLine());
        try (HotwireClient c = new HotwireClient(pair.fw1.keys, wrong, Pair.LIMITS)) {
            assertThatThrownBy(() -> c.status(pair.fw2.peer())).isInstanceOfSatisfying(HotwireException.class, e -> {
                assertThat(e.kind()).isEqualTo(HotwireException.Kind.HOST_KEY);
                assertThat(e.getMessage()).contains("presented host key " + pair.fw2.keys.fingerprint(),
                    "not the key trusted for fw2 (" + impostor.fingerprint() + ")");
            });
        }
    }

    @Test
    void aPeerWithoutATrustedKeyIsNotEvenContacted() {
        assertThatThrownBy(() -> pair.fw1.client.status(new Peer("fw9", "127.0.0.1", 9)))
            .isInstanceOfSatisfying(HotwireException.class, e -> {
                assertThat(e.kind()).isEqualTo(HotwireException.Kind.NOT_TRUSTED);
                assertThat(e.getMessage()).contains("no key trusted for fw9 on fw1");
            });
    }

    @Test
    void aPeerThatIsDownFailsWithinTheConnectTimeout() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Peer down = new Peer("fw2", "127.0.0.1", port);
        CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
            try {
                pair.fw1.client.status(down);
                return null;
            } catch (HotwireException e) {
                return e;
            }
        }, THREADS);
        await().atMost(Pair.LIMITS.connectTimeout().plusSeconds(3)).until(failure::isDone);
        assertThat(failure.get()).isInstanceOfSatisfying(HotwireException.class, e -> {
            assertThat(e.kind()).isEqualTo(HotwireException.Kind.UNREACHABLE);
            assertThat(e.getMessage()).contains("fw2 (127.0.0.1:" + port + "): not reachable");
        });
    }

    @Test
    void aPeerThatAcceptsButNeverSpeaksFailsWithinTheHandshakeTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 5, java.net.InetAddress.getLoopbackAddress())) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return silent.accept();
                } catch (IOException e) {
                    return null;
                }
            }, THREADS);
            Peer mute = new Peer("fw2", "127.0.0.1", silent.getLocalPort());
            CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
                try {
                    pair.fw1.client.status(mute);
                    return null;
                } catch (HotwireException e) {
                    return e;
                }
            }, THREADS);
            await().atMost(Pair.LIMITS.connectTimeout().plus(Pair.LIMITS.authTimeout()).plusSeconds(3)).until(failure::isDone);
            assertThat(failure.get()).isInstanceOfSatisfying(HotwireException.class, e -> {
                assertThat(e.kind()).isEqualTo(HotwireException.Kind.UNREACHABLE);
                assertThat(e.getMessage()).contains("no SSH handshake within 3 s");
            });
            Socket s = accepted.getNow(null);
            if (s != null) {
                s.close();
            }
        }
    }

    @Test
    void theServerListensOnlyOnTheAddressItWasGiven() throws Exception {
        InetSocketAddress a = pair.fw2.server.address();
        assertThat(a.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
    }
}
