package tandem.node.daemon;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import tandem.node.config.ConfigLoader;
import tandem.node.config.NodeConfig;
import tandem.node.loop.EventLoop;
import tandem.node.loop.ManualClock;
import tandem.node.vrrp.AddressPort;
import tandem.node.vrrp.AdvertChannel;
import tandem.node.vrrp.AnnouncePort;
import tandem.node.vrrp.ChannelFactory;
import tandem.node.vrrp.Received;
import tandem.node.vrrp.VrrpEngine;

/**
 * Nodes on virtual time: each a {@link NodeCore} with its own loop on one shared manual clock, their
 * VRRP sockets joined by an in-memory wire per interface name (a packet one node sends reaches every
 * other node's socket of that interface and family after 0.1 ms, with TTL 255), addresses and
 * announcements recorded. Faults are injected through the hooks on {@link Node}.
 */
final class VirtualCluster {
    static final long MS = 1_000_000L;
    final ManualClock clock = new ManualClock(1_000 * MS);
    final List<Node> nodes = new ArrayList<>();

    /** One node: its loop, its core and what it did. */
    final class Node {
        final String name;
        final EventLoop loop;
        final NodeCore core;
        final InetAddress address;
        /** Addresses on this node's interfaces: "ifindex address/prefix". */
        final Set<String> addresses = new LinkedHashSet<>();
        final List<String> announced = new ArrayList<>();
        final List<String> failures = new ArrayList<>();
        final Map<String, Channel> channels = new LinkedHashMap<>();
        Integer exitCode;
        /** When set, the next advert sent throws this (a fault inside the VRRP timers). */
        Error failNextSend;
        /** Addresses whose add fails (a kernel refusing them). */
        final Set<String> refuseAdd = new LinkedHashSet<>();
        boolean linkUp = true;
        /** Interfaces of this node without link (a cable pulled on this side). */
        final Set<String> linksDown = new LinkedHashSet<>();

        Node(String name, String yaml, InetAddress address) throws Exception {
            this.name = name;
            this.address = address;
            this.loop = new EventLoop(name, clock, (what, t) -> {
                failures.add(what + ": " + t);
                core().failed(what, t);
            });
            AddressPort port = new AddressPort() {
                @Override
                public boolean add(int ifindex, NodeConfig.Cidr a) {
                    if (refuseAdd.contains(a.toString())) {
                        throw new IllegalStateException("RTM_NEWADDR " + a + ": Permission denied (errno 13)");
                    }
                    return addresses.add(ifindex + " " + a);
                }

                @Override
                public boolean remove(int ifindex, NodeConfig.Cidr a) {
                    return addresses.remove(ifindex + " " + a);
                }
            };
            AnnouncePort announcer = (ifindex, mac, a) -> announced.add(ifindex + " " + a.getHostAddress());
            ChannelFactory factory = (ifname, ifindex, ipv6, source, sink) -> {
                Channel c = new Channel(this, ifname, ipv6, sink);
                channels.put(ifname + (ipv6 ? "/6" : "/4"), c);
                return c;
            };
            this.core = new NodeCore(loop, new NodeCore.Ports(factory, port, announcer), code -> exitCode = code);
            NodeConfig cfg = ConfigLoader.parse(Path.of(name + ".yaml"), yaml);
            Map<String, VrrpEngine.Placement> placements = placements(cfg);
            core.load(cfg, placements);
            for (String ifname : core.trackedInterfaces()) {
                core.linkChanged(ifname, ifindex(ifname), new byte[] {2, 0, 0, 0, 0, 1}, true);
            }
            nodes.add(this);
        }

        NodeCore core() {
            return core;
        }

        Map<String, VrrpEngine.Placement> placements(NodeConfig cfg) {
            Map<String, VrrpEngine.Placement> p = new LinkedHashMap<>();
            for (NodeConfig.Instance i : cfg.instances()) {
                p.put(i.name(), new VrrpEngine.Placement(ifindex(i.interfaceName()), new byte[] {2, 0, 0, 0, 0, 1}, address));
            }
            return p;
        }

        void start() {
            loop.execute("start", core::start);
        }

        VrrpEngine.InstanceView instance(String n) {
            return core.view().instances().stream().filter(i -> i.name().equals(n)).findFirst().orElseThrow();
        }

        String state(String instance) {
            return instance(instance).state();
        }

        boolean holds(String cidr) {
            return addresses.stream().anyMatch(a -> a.endsWith(" " + cidr));
        }

        /** Cuts this node off the wire (power off without resigning) or puts it back. */
        void link(boolean up) {
            linkUp = up;
        }

        /** Pulls (or plugs back) this node's cable of one interface: nothing passes it, and the node sees it. */
        void link(String ifname, boolean up) {
            if (up) {
                linksDown.remove(ifname);
            } else {
                linksDown.add(ifname);
            }
            loop.execute("link " + ifname, () -> core.linkChanged(ifname, ifindex(ifname), new byte[] {2, 0, 0, 0, 0, 1}, up));
        }
    }

    static int ifindex(String ifname) {
        return 10 + Math.abs(ifname.hashCode() % 100);
    }

    /** A node's socket on one wire. */
    final class Channel implements AdvertChannel {
        final Node node;
        final String ifname;
        final boolean ipv6;
        final Consumer<Received> sink;
        final List<byte[]> sent = new ArrayList<>();
        boolean closed;

        Channel(Node node, String ifname, boolean ipv6, Consumer<Received> sink) {
            this.node = node;
            this.ifname = ifname;
            this.ipv6 = ipv6;
            this.sink = sink;
        }

        @Override
        public InetAddress group() {
            try {
                return InetAddress.getByName(ipv6 ? "ff02::12" : "224.0.0.18");
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            }
        }

        @Override
        public void send(byte[] packet) {
            if (node.failNextSend != null) {
                Error e = node.failNextSend;
                node.failNextSend = null;
                throw e;
            }
            sent.add(packet);
            if (!node.linkUp || node.linksDown.contains(ifname)) {
                return;
            }
            long at = clock.nanos() + MS / 10;
            for (Node other : nodes) {
                Channel c = other.channels.get(ifname + (ipv6 ? "/6" : "/4"));
                if (other == node || c == null || c.closed || !other.linkUp || other.linksDown.contains(ifname)) {
                    continue;
                }
                Received r = new Received(ifname, ipv6, packet.clone(), packet.length, node.address, group(), 255);
                deliveries.add(new Delivery(at, order++, other, () -> c.sink.accept(r)));
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    record Delivery(long at, long order, Node to, Runnable deliver) {
    }

    final java.util.PriorityQueue<Delivery> deliveries = new java.util.PriorityQueue<>(
        (a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    long order;

    /** Runs every node's loop and the wire up to virtual time {@code t}. */
    void runUntil(long t) {
        while (true) {
            boolean busy = true;
            while (busy) {
                busy = false;
                for (Node n : nodes) {
                    while (n.loop.hasTasks()) {
                        n.loop.runTurn();
                        busy = true;
                    }
                }
            }
            long next = Long.MAX_VALUE;
            for (Node n : nodes) {
                if (n.exitCode == null) {
                    next = Math.min(next, n.loop.nextDeadline());
                }
            }
            if (!deliveries.isEmpty()) {
                next = Math.min(next, deliveries.peek().at());
            }
            if (next > t) {
                break;
            }
            clock.set(Math.max(next, clock.nanos()));
            while (!deliveries.isEmpty() && deliveries.peek().at() <= clock.nanos()) {
                Delivery d = deliveries.poll();
                if (d.to().exitCode == null) {
                    d.deliver().run();
                }
            }
            for (Node n : nodes) {
                if (n.exitCode == null) {
                    n.loop.runTurn();
                }
            }
        }
        clock.set(Math.max(t, clock.nanos()));
    }

    void run(java.time.Duration d) {
        runUntil(clock.nanos() + d.toNanos());
    }

    /** A two-instance (lan, wan) sync group configuration at 100 ms adverts. */
    static String config(String node, int priority, String extra) {
        return """
            node:
              name: %s
              priority: %d
            instances:
              - name: lan
                interface: lan
                vrid: 51
                advert-interval: 100ms
                virtual-addresses: [192.0.2.1/24]
              - name: wan
                interface: wan
                vrid: 52
                advert-interval: 100ms
                virtual-addresses: [203.0.113.1/24]
            groups:
              - name: cluster
                instances: [lan, wan]
            """.formatted(node, priority) + extra;
    }
}
