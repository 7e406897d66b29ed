package tandem.statesync;

import java.util.List;

/** The messages of the sync protocol (docs/design/statesync.txt). */
public sealed interface SyncMessage {
    /** Sender to receiver: ops with their sequence numbers. */
    record Data(List<SyncOp> ops) implements SyncMessage {
        public Data {
            ops = List.copyOf(ops);
        }
    }

    /** Receiver to sender: every op up to and including {@code seq} has arrived. */
    record Ack(long seq) implements SyncMessage {
    }

    /** Receiver to sender: please send the ops {@code from..to} again. */
    record Nack(long from, long to) implements SyncMessage {
    }

    /**
     * Either side, periodically: the sender's next sequence number (so trailing loss is noticed), and
     * whether the node is the active one.
     */
    record Alive(long nextSeq, boolean active) implements SyncMessage {
    }

    /** Receiver to sender: send the whole table (on start, after the peer restarted, when far behind). */
    record ResyncRequest() implements SyncMessage {
    }

    /**
     * Either side, at once when a datagram of an unconfirmed peer session arrived, and every few
     * seconds: its header's echo list lets the peer confirm its session (see {@link SyncCrypto}); it
     * carries the addresses the sender advertises VRRP from, so the peer can name the master it hears.
     */
    record Hello(List<java.net.InetAddress> addresses) implements SyncMessage {
        public Hello {
            addresses = List.copyOf(addresses);
        }

        public Hello() {
            this(List.of());
        }
    }
}
