package tandem.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Runs the FFM bindings against the real kernel inside a throwaway network namespace. */
class LinuxLayerIT {
    static final String NS = "tdmlx" + ProcessHandle.current().pid();

    static void sh(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", cmd) + ": " + out);
        }
    }

    @BeforeAll
    static void namespace() throws Exception {
        tandem.linux.TestNamespace.sweep("tdmlx");
        sh("ip", "netns", "add", NS);
        sh("ip", "-n", NS, "link", "add", "a0", "type", "veth", "peer", "name", "b0");
        sh("ip", "-n", NS, "link", "set", "a0", "up");
        sh("ip", "-n", NS, "link", "set", "b0", "up");
        sh("ip", "-n", NS, "addr", "add", "192.0.2.10/24", "dev", "a0");
        sh("ip", "-n", NS, "addr", "add", "192.0.2.11/24", "dev", "b0");
        // both ends live in one namespace: let b0 accept packets from a0's (local) source address
        sh("ip", "netns", "exec", NS, "sysctl", "-qw", "net.ipv4.conf.b0.accept_local=1");
    }

    @AfterAll
    static void removeNamespace() throws Exception {
        sh("ip", "netns", "del", NS);
    }

    @Test
    void linksAreReadWithIndexMacAndCarrierAndUnknownOnesAreNull() throws Exception {
        Netns.call(NS, () -> {
            try (Rtnetlink rt = Rtnetlink.open()) {
                Rtnetlink.Link a0 = rt.link("a0");
                assertThat(a0.index()).isEqualTo(Libc.ifNameToIndex("a0"));
                assertThat(a0.mac()).hasSize(6);
                assertThat(a0.operational()).isTrue();
                assertThat(rt.link("nope0")).isNull();
            }
            return null;
        });
    }

    @Test
    void addressesAreAddedListedAndRemovedForBothFamilies() throws Exception {
        Netns.call(NS, () -> {
            try (Rtnetlink rt = Rtnetlink.open()) {
                int idx = rt.link("a0").index();
                InetAddress v4 = InetAddress.getByName("192.0.2.99");
                InetAddress v6 = InetAddress.getByName("2001:db8::99");
                assertThat(rt.addAddress(idx, v4, 24)).isTrue();
                assertThat(rt.addAddress(idx, v4, 24)).as("second add reports EEXIST").isFalse();
                assertThat(rt.addAddress(idx, v6, 64)).isTrue();
                assertThat(rt.addresses(idx, Libc.AF_INET)).extracting(Rtnetlink.IfAddress::address).contains(v4);
                assertThat(rt.addresses(idx, Libc.AF_INET)).filteredOn(a -> a.address().equals(v4))
                    .allMatch(Rtnetlink.IfAddress::secondary);
                assertThat(rt.addresses(idx, Libc.AF_INET6)).extracting(Rtnetlink.IfAddress::address).contains(v6);
                assertThat(rt.removeAddress(idx, v4, 24)).isTrue();
                assertThat(rt.removeAddress(idx, v4, 24)).isFalse();
                assertThat(rt.removeAddress(idx, v6, 64)).isTrue();
                assertThatThrownBy(() -> rt.addAddress(9999, v4, 24)).isInstanceOf(LinuxException.class)
                    .hasMessageContaining("RTM_NEWADDR").hasMessageContaining("errno");
            }
            return null;
        });
    }

    @Test
    void linkDownAndUpArriveAsNotifications() throws Exception {
        List<Rtnetlink.Event> seen = Netns.call(NS, () -> {
            List<Rtnetlink.Event> events = new ArrayList<>();
            try (Rtnetlink mon = Rtnetlink.monitor(Rtnetlink.GROUP_LINK)) {
                sh("ip", "-n", NS, "link", "set", "b0", "down");
                for (int i = 0; i < 10 && events.stream().noneMatch(e -> e instanceof Rtnetlink.LinkEvent le
                    && le.link().name().equals("a0") && !le.link().operational()); i++) {
                    events.addAll(mon.readEvents());
                }
                sh("ip", "-n", NS, "link", "set", "b0", "up");
                for (int i = 0; i < 10 && events.stream().noneMatch(e -> e instanceof Rtnetlink.LinkEvent le
                    && le.link().name().equals("a0") && le.link().operational()); i++) {
                    events.addAll(mon.readEvents());
                }
            }
            return events;
        });
        assertThat(seen).anyMatch(e -> e instanceof Rtnetlink.LinkEvent le && le.link().name().equals("a0")
            && !le.link().operational());
        assertThat(seen).anyMatch(e -> e instanceof Rtnetlink.LinkEvent le && le.link().name().equals("a0")
            && le.link().operational());
    }

    @Test
    void vrrpPacketsCrossTheVethWithTtl255AndTheSourceAddress() throws Exception {
        VrrpSocket.Packet p = Netns.call(NS, () -> {
            try (VrrpSocket tx = VrrpSocket.open("a0", Libc.ifNameToIndex("a0"), false, InetAddress.getByName("192.0.2.10"));
                 VrrpSocket rx = VrrpSocket.open("b0", Libc.ifNameToIndex("b0"), false, InetAddress.getByName("192.0.2.11"))) {
                byte[] payload = {0x31, 0x33, 0x64, 0x01, 0x00, 0x64, 0x00, 0x00, (byte) 192, 0, 2, 1};
                for (int i = 0; i < 20; i++) {
                    tx.send(payload);
                    VrrpSocket.Packet got = rx.receive();
                    if (got != null && got.length() == 12) {
                        return new VrrpSocket.Packet(java.util.Arrays.copyOfRange(got.data(), got.offset(),
                            got.offset() + 12), 0, 12, got.source(), got.destination(), got.ttl());
                    }
                }
                return null;
            }
        });
        assertThat(p).isNotNull();
        assertThat(p.ttl()).isEqualTo(255);
        assertThat(p.source()).isEqualTo(InetAddress.getByName("192.0.2.10"));
        assertThat(p.destination()).isEqualTo(InetAddress.getByName("224.0.0.18"));
        assertThat(p.data()[1]).isEqualTo((byte) 0x33);
    }

    @Test
    void ipv6VrrpPacketsReportHopLimitAndDestinationFromControlMessages() throws Exception {
        VrrpSocket.Packet p = Netns.call(NS, () -> {
            try (VrrpSocket tx = VrrpSocket.open("a0", Libc.ifNameToIndex("a0"), true, null);
                 VrrpSocket rx = VrrpSocket.open("b0", Libc.ifNameToIndex("b0"), true, null)) {
                byte[] payload = new byte[24];
                payload[0] = 0x31;
                payload[1] = 0x34;
                for (int i = 0; i < 50; i++) {
                    try {
                        tx.send(payload);
                    } catch (LinuxException e) {
                        Thread.sleep(100); // link-local address still tentative
                        continue;
                    }
                    VrrpSocket.Packet got = rx.receive();
                    if (got != null && got.length() == 24) {
                        return got;
                    }
                }
                return null;
            }
        });
        assertThat(p).isNotNull();
        assertThat(p.ttl()).isEqualTo(255);
        assertThat(p.source().isLinkLocalAddress()).isTrue();
        assertThat(p.destination()).isEqualTo(InetAddress.getByName("ff02::12"));
    }

    @Test
    void announcementsAreSentForBothFamilies() throws Exception {
        Netns.call(NS, () -> {
            try (Announcer a = new Announcer(); Rtnetlink rt = Rtnetlink.open()) {
                Rtnetlink.Link l = rt.link("a0");
                a.announce(l.index(), l.mac(), InetAddress.getByName("192.0.2.10"));
                a.announce(l.index(), l.mac(), InetAddress.getByName("2001:db8::10"));
            }
            return null;
        });
        byte[] arp = Announcer.arpFrame(new byte[] {2, 0, 0, 0, 0, 1}, new byte[] {(byte) 192, 0, 2, 1});
        assertThat(arp).hasSize(42);
        assertThat(java.util.Arrays.copyOfRange(arp, 28, 32)).isEqualTo(java.util.Arrays.copyOfRange(arp, 38, 42));
        byte[] na = Announcer.naMessage(new byte[] {2, 0, 0, 0, 0, 1}, InetAddress.getByName("2001:db8::1").getAddress());
        assertThat(na[0] & 0xff).isEqualTo(136);
        assertThat(na[4] & 0xff).as("router and override flags").isEqualTo(0xa0);
    }

    @Test
    void aLinkIsSetDownAndUpAdministratively() throws Exception {
        Netns.call(NS, () -> {
            try (Rtnetlink rt = Rtnetlink.open()) {
                int idx = rt.link("b0").index();
                rt.setLinkUp(idx, false);
                assertThat(rt.link("b0").flags() & Rtnetlink.IFF_UP).isZero();
                assertThat(rt.link("b0").operational()).isFalse();
                rt.setLinkUp(idx, true);
                assertThat(rt.link("b0").flags() & Rtnetlink.IFF_UP).isEqualTo(Rtnetlink.IFF_UP);
            }
            return null;
        });
    }

    @Test
    void aDefaultRouteIsAddedOnceAndRemoved() throws Exception {
        Netns.call(NS, () -> {
            try (Rtnetlink rt = Rtnetlink.open()) {
                InetAddress any = InetAddress.getByName("0.0.0.0");
                InetAddress gw = InetAddress.getByName("192.0.2.11");
                int idx = rt.link("a0").index();
                assertThat(rt.addRoute(any, 0, gw, idx, 321)).isTrue();
                assertThat(rt.addRoute(any, 0, gw, idx, 321)).as("EEXIST").isFalse();
                assertThat(sh2("ip", "route", "show", "default")).contains("default via 192.0.2.11 dev a0").contains("metric 321");
                assertThat(rt.removeRoute(any, 0, gw, idx, 321)).isTrue();
                assertThat(rt.removeRoute(any, 0, gw, idx, 321)).as("ESRCH").isFalse();
            }
            return null;
        });
    }

    static String sh2(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }
}
