package tandem.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import tandem.lab.Lab;
import tandem.lab.Sh;
import tandem.linux.Netns;
import tandem.conntrack.CtEntry;
import tandem.conntrack.CtExpect;
import tandem.conntrack.CtTuple;
import tandem.linux.ct.Ctnetlink;

/** ctnetlink through FFM against the kernel: real NAT'd connections, compared with the conntrack CLI. */
class CtnetlinkIT extends LabTestBase {

    /** Opens a TCP connection client -> server through fw1 (SNAT to the WAN VIP) and keeps it open. */
    private Socket[] connect(int port) throws Exception {
        lab.ip("fw1", "addr", "add", Lab.LAN_VIP + "/24", "dev", "lan");
        lab.ip("fw1", "addr", "add", Lab.WAN_VIP + "/24", "dev", "wan");
        ServerSocket server = Netns.call(lab.ns("server"), () -> new ServerSocket(port, 5, InetAddress.getByName(Lab.SERVER)));
        Socket client = Netns.call(lab.ns("client"), () -> {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(Lab.SERVER, port), 5000);
            return s;
        });
        Socket accepted = server.accept();
        server.close();
        OutputStream out = client.getOutputStream();
        out.write("hello".getBytes());
        out.flush();
        InputStream in = accepted.getInputStream();
        assertThat(in.readNBytes(5)).isEqualTo("hello".getBytes());
        accepted.getOutputStream().write("world".getBytes());
        assertThat(client.getInputStream().readNBytes(5)).isEqualTo("world".getBytes());
        return new Socket[] {client, accepted};
    }

    private static CtEntry find(List<CtEntry> entries, int port) {
        return entries.stream().filter(e -> e.orig().protocol() == CtTuple.TCP && e.orig().dstPort() == port)
            .findFirst().orElseThrow(() -> new AssertionError("no entry for port " + port + " in " + entries));
    }

    /** conntrack -L lines for the port, without the volatile timeout and id fields. */
    private String normalized(String role, int port) {
        return Sh.run("ip", "netns", "exec", lab.ns(role), "conntrack", "-L", "-p", "tcp", "--dport", Integer.toString(port))
            .lines().map(l -> l.replaceAll("^(\\S+\\s+\\d+\\s+)\\d+ ", "$1").replaceAll(" id=\\d+", "")
                .replaceAll(" use=\\d+", "").replaceAll("mark=\\d+", "mark"))
            .sorted().collect(Collectors.joining("\n"));
    }

    @Test
    void aDumpedNatEntryIsRecreatedOnAnotherNodeIdenticallyToConntrackL() throws Exception {
        Socket[] conn = connect(5001);
        try {
            List<CtEntry> fw1 = Netns.call(lab.ns("fw1"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.dump();
                }
            });
            CtEntry e = find(fw1, 5001);
            assertThat(e.orig().src()).isEqualTo(InetAddress.getByName("192.0.2.100"));
            assertThat(e.reply().dst()).as("SNAT to the WAN VIP").isEqualTo(InetAddress.getByName(Lab.WAN_VIP));
            assertThat(e.srcNat()).isTrue();
            assertThat(e.tcp().state()).isEqualTo(CtEntry.Tcp.ESTABLISHED);
            assertThat(e.tcp().flagsOrig() & CtEntry.Tcp.FLAG_WINDOW_SCALE).as("window scale negotiated").isNotZero();
            assertThat(e.status() & CtEntry.ASSURED).isNotZero();
            Ctnetlink.CommitResult r = Netns.call(lab.ns("fw2"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.commit(List.of(e));
                }
            });
            assertThat(r.failed()).as(String.valueOf(r.firstError())).isZero();
            assertThat(r.created()).isEqualTo(1);
            assertThat(normalized("fw2", 5001)).isEqualTo(normalized("fw1", 5001));
            CtEntry back = find(Netns.call(lab.ns("fw2"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.dump();
                }
            }), 5001);
            assertThat(back.reply()).isEqualTo(e.reply());
            assertThat(back.tcp()).isEqualTo(e.tcp());
            assertThat(back.status() & CtEntry.SRC_NAT).as("the kernel translates packets of the copy").isNotZero();
            assertThat(back.status()).isEqualTo(e.status());
            // committing again replaces the (stale) entry
            Ctnetlink.CommitResult again = Netns.call(lab.ns("fw2"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.commit(List.of(e.withTimeout(1234)));
                }
            });
            assertThat(again.replaced()).isEqualTo(1);
            assertThat(again.failed()).isZero();
            int deleted = Netns.call(lab.ns("fw2"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.delete(List.of(e.key()));
                }
            });
            assertThat(deleted).isEqualTo(1);
            assertThat(normalized("fw2", 5001)).isEmpty();
        } finally {
            conn[0].close();
            conn[1].close();
        }
    }

    @Test
    void aCommitSpreadOverThreeSocketsWritesEveryEntryOnceAndReplacesTheStaleOnes() throws Exception {
        InetAddress server = InetAddress.getByName(Lab.SERVER);
        InetAddress vip = InetAddress.getByName(Lab.WAN_VIP);
        InetAddress client = InetAddress.getByName("192.0.2.100");
        List<CtEntry> entries = new java.util.ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            CtTuple orig = new CtTuple(client, server, CtTuple.UDP, 10_000 + i, 53);
            CtTuple reply = new CtTuple(server, vip, CtTuple.UDP, 53, 20_000 + i);
            entries.add(new CtEntry(orig, reply, CtEntry.SEEN_REPLY | CtEntry.ASSURED, 600, 0, 0, null, null, null,
                null, null, null));
        }
        Ctnetlink.CommitResult[] r = Netns.call(lab.ns("fw2"), () -> {
            try (Ctnetlink ct = Ctnetlink.open(); Ctnetlink h1 = Ctnetlink.open(); Ctnetlink h2 = Ctnetlink.open()) {
                Ctnetlink.CommitResult stale = ct.commit(entries.subList(1000, 2000));
                return new Ctnetlink.CommitResult[] {stale, ct.commit(entries, List.of(h1, h2))};
            }
        });
        assertThat(r[0].created()).isEqualTo(1000);
        assertThat(r[1].failed()).as(String.valueOf(r[1].firstError())).isZero();
        assertThat(r[1].created()).isEqualTo(4000);
        assertThat(r[1].replaced()).isEqualTo(1000);
        String listed = Sh.run("ip", "netns", "exec", lab.ns("fw2"), "conntrack", "-L", "-p", "udp", "--dport", "53");
        assertThat(listed.lines().filter(l -> l.contains("dst=" + Lab.WAN_VIP)).count()).isEqualTo(5000);
    }

    @Test
    void eventsReportNewUpdateAndDestroyAndCarryTheCausingPortId() throws Exception {
        int[] reqPort = {0};
        List<Ctnetlink.CtEvent> events = Netns.call(lab.ns("fw1"), () -> {
            try (Ctnetlink ev = Ctnetlink.events(); Ctnetlink req = Ctnetlink.open()) {
                reqPort[0] = req.portId();
                Socket[] conn = connect(5002);
                List<Ctnetlink.Event> seen = new java.util.ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    seen.addAll(ev.readEvents());
                }
                CtEntry e = find(req.dump(), 5002);
                req.delete(List.of(e.key()));
                for (int i = 0; i < 5; i++) {
                    seen.addAll(ev.readEvents());
                }
                conn[0].close();
                conn[1].close();
                return seen.stream().filter(x -> x instanceof Ctnetlink.CtEvent).map(x -> (Ctnetlink.CtEvent) x).toList();
            }
        });
        List<Ctnetlink.CtEvent> flow = events.stream().filter(e -> e.key().orig().protocol() == CtTuple.TCP
            && e.key().orig().dstPort() == 5002).toList();
        assertThat(flow).extracting(Ctnetlink.CtEvent::type).contains(Ctnetlink.EventType.NEW, Ctnetlink.EventType.UPDATE,
            Ctnetlink.EventType.DESTROY);
        assertThat(flow).filteredOn(e -> e.type() == Ctnetlink.EventType.DESTROY && e.portId() == reqPort[0])
            .as("our own delete is marked with our port id").isNotEmpty();
        assertThat(flow).filteredOn(e -> e.type() == Ctnetlink.EventType.NEW).allMatch(e -> e.portId() == 0);
    }

    /** conntrack -L expect, without the volatile timeout. */
    private String expectations(String role) {
        return Sh.run("ip", "netns", "exec", lab.ns(role), "conntrack", "-L", "expect").lines()
            .map(l -> l.replaceFirst("^\\d+ ", "")).sorted().collect(Collectors.joining("\n"));
    }

    @Test
    void anFtpExpectationIsRecreatedOnAnotherNodeWithItsMasterAndReportedByEvents() throws Exception {
        lab.ip("fw1", "addr", "add", Lab.LAN_VIP + "/24", "dev", "lan");
        lab.ip("fw1", "addr", "add", Lab.WAN_VIP + "/24", "dev", "wan");
        lab.ip("client", "addr", "add", "192.0.2.10/24", "dev", "eth0");
        lab.startFtpServer(new byte[1000], 0);
        try (FtpSession ftp = FtpSession.login(lab, "192.0.2.10")) {
            int port = ftp.announcePort();
            List<CtExpect> fw1 = Netns.call(lab.ns("fw1"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.dumpExpectations();
                }
            });
            assertThat(fw1).hasSize(1);
            CtExpect x = fw1.getFirst();
            assertThat(x.tuple().dst()).isEqualTo(InetAddress.getByName(Lab.WAN_VIP));
            assertThat(x.tuple().dstPort()).isEqualTo(port);
            assertThat(x.function()).isEqualTo("nat-follow-master");
            CtEntry control = Netns.call(lab.ns("fw1"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.get(x.masterKey()).orElseThrow();
                }
            });
            assertThat(control.helper()).isEqualTo("ftp");
            assertThat(control.seqAdjOrig()).as("PORT grew by one octet").isNotNull();
            assertThat(control.seqAdjOrig().offsetAfter()).isEqualTo(1);

            List<Object> seen = Netns.call(lab.ns("fw2"), () -> {
                try (Ctnetlink ev = Ctnetlink.events(); Ctnetlink ct = Ctnetlink.open()) {
                    List<Object> out = new java.util.ArrayList<>();
                    Ctnetlink.CommitResult orphan = ct.commitExpectations(List.of(x));
                    out.add(orphan);
                    out.add(ct.commit(List.of(control)));
                    out.add(ct.commitExpectations(List.of(x)));
                    out.add(ct.commitExpectations(List.of(x)));
                    out.add(ct.dumpExpectations());
                    out.add(ct.get(x.masterKey()).orElseThrow());
                    out.add(ct.portId());
                    List<Ctnetlink.Event> events = new java.util.ArrayList<>();
                    for (int i = 0; i < 5; i++) {
                        events.addAll(ev.readEvents());
                    }
                    out.add(events);
                    return out;
                }
            });
            Ctnetlink.CommitResult orphan = (Ctnetlink.CommitResult) seen.get(0);
            assertThat(orphan.failed()).as("no master yet").isEqualTo(1);
            assertThat(orphan.firstError()).contains("No such file or directory");
            assertThat(((Ctnetlink.CommitResult) seen.get(1)).created()).isEqualTo(1);
            assertThat(((Ctnetlink.CommitResult) seen.get(2)).created()).isEqualTo(1);
            assertThat(((Ctnetlink.CommitResult) seen.get(3)).replaced()).as("committed again: replaced").isEqualTo(1);
            @SuppressWarnings("unchecked")
            CtExpect back = ((List<CtExpect>) seen.get(4)).getFirst();
            assertThat(back.withTimeout(0)).isEqualTo(x.withTimeout(0));
            assertThat(((CtEntry) seen.get(5)).seqAdjOrig()).as("seq adjust recreated").isEqualTo(control.seqAdjOrig());
            assertThat(expectations("fw2")).isEqualTo(expectations("fw1"));
            int own = (Integer) seen.get(6);
            @SuppressWarnings("unchecked")
            List<Ctnetlink.Event> events = (List<Ctnetlink.Event>) seen.get(7);
            assertThat(events).filteredOn(e -> e instanceof Ctnetlink.ExpectEvent xe && !xe.destroyed()
                && xe.expect().key().equals(x.key())).as("EXP_NEW with our port id").isNotEmpty()
                .allMatch(e -> e.portId() == own);
            assertThat(events).filteredOn(e -> e instanceof Ctnetlink.ExpectEvent xe && xe.destroyed())
                .as("the replaced one was destroyed").isNotEmpty();
            int deleted = Netns.call(lab.ns("fw2"), () -> {
                try (Ctnetlink ct = Ctnetlink.open()) {
                    return ct.deleteExpectations(List.of(x.key()));
                }
            });
            assertThat(deleted).isEqualTo(1);
            assertThat(expectations("fw2")).isEmpty();
        }
    }
}
