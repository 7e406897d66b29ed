package tandem.replication.hotwire;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import tandem.replication.Replication;
import tandem.replication.TestSite;
import tandem.replication.apply.Receiver;

/**
 * Two in-process nodes on loopback: fw1 and fw2, each with its root, state directory, key pair, trusted
 * keys (the other's), receiver and hotwire server on 127.0.0.1 (a free port), and a client.
 */
final class Pair implements AutoCloseable {
    static final Limits LIMITS = Limits.DEFAULTS.withTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3),
        Duration.ofSeconds(30), Duration.ofSeconds(60));

    final Node fw1;
    final Node fw2;

    final class Node implements AutoCloseable {
        final TestSite site;
        final Keys keys;
        final TrustedKeys trusted;
        Receiver receiver;
        HotwireServer server;
        HotwireClient client;

        Node(Path dir, String name) throws IOException {
            site = new TestSite(dir, name);
            keys = Keys.load(site.state, name);
            trusted = TrustedKeys.load(site.state.resolve("trusted_keys"));
        }

        void start(Receiver.Settings settings, Limits limits) throws IOException, InterruptedException {
            receiver = Receiver.open(settings);
            server = HotwireServer.start(new InetSocketAddress("127.0.0.1", 0), keys, trusted, receiver, limits);
            client = new HotwireClient(keys, trusted, limits);
        }

        Peer peer() {
            return new Peer(site.node, "127.0.0.1", server.address().getPort());
        }

        Replication replication() {
            return new Replication(site.set(), site.node, TestSite.VERSION, client);
        }

        @Override
        public void close() throws IOException {
            if (client != null) {
                client.close();
            }
            if (server != null) {
                server.close();
            }
        }
    }

    Pair(Path dir) throws IOException, InterruptedException {
        this(dir, LIMITS);
    }

    Pair(Path dir, Limits limits) throws IOException, InterruptedException {
        this(dir, limits, s -> s);
    }

    /** {@code fw2Settings} changes fw2's receiver settings (an older version, a smaller bundle limit). */
    Pair(Path dir, Limits limits, java.util.function.UnaryOperator<Receiver.Settings> fw2Settings)
        throws IOException, InterruptedException {
        fw1 = new Node(dir, "fw1");
        fw2 = new Node(dir, "fw2");
        fw1.trusted.trust("fw2", fw2.keys.publicKeyLine());
        fw2.trusted.trust("fw1", fw1.keys.publicKeyLine());
        fw1.start(fw1.site.settings(), limits);
        fw2.start(fw2Settings.apply(fw2.site.settings()), limits);
    }

    @Override
    public void close() throws IOException {
        fw1.close();
        fw2.close();
    }
}
