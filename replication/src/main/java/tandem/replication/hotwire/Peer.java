package tandem.replication.hotwire;

/** A peer on the hotwire: its node name (whose trusted key it must present), address and port (default 3781). */
public record Peer(String node, String host, int port) {
    public Peer {
        TrustedKeys.checkNode(node);
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("peer " + node + ": host missing (expected: its hotwire address)");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("peer " + node + ": port " + port + " (expected: 1..65535)");
        }
    }

    public Peer(String node, String host) {
        this(node, host, HotwireServer.DEFAULT_PORT);
    }

    @Override
    public String toString() {
        return node + " (" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + ")";
    }
}
