package tandem.node.daemon;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import tandem.vrrp.AddressText;
import tandem.node.config.NodeConfig;
import tandem.vrrp.VrrpConstants;

/**
 * tandem's own nftables table, {@code inet tandem}, written at start and reload and removed at exit
 * (through libnftables, in one transaction each):
 * <ul>
 *   <li>{@code control_prerouting} / {@code control_output} at raw priority: VRRP (IP protocol 112 to
 *       224.0.0.18 / ff02::12) and the state-sync datagrams are {@code notrack}: they never meet
 *       conntrack, so no NAT rule of the admin's (e.g. {@code oifname "wan" snat to <VIP>}) can
 *       rewrite them and no connection limit can drop them. Filter rules still apply: a
 *       default-drop ruleset must accept them (docs/firewall.md).</li>
 *   <li>{@code accept_mode} (input, priority -200): RFC 5798 6.4.3 Accept_Mode false - a master that
 *       is not the address owner drops packets addressed to its virtual addresses (IPv6 Neighbor
 *       Discovery stays allowed so they resolve). Static: a backup does not hold the addresses.</li>
 * </ul>
 */
final class NftRules {
    static final String TABLE = "tandem";

    private NftRules() {
    }

    /** The script that replaces the table with the rules for {@code cfg}. */
    static String script(NodeConfig cfg) {
        StringBuilder s = new StringBuilder();
        s.append("table inet ").append(TABLE).append("\ndelete table inet ").append(TABLE).append('\n');
        s.append("table inet ").append(TABLE).append(" {\n");
        List<String> in = new ArrayList<>();
        List<String> out = new ArrayList<>();
        boolean v4 = cfg.instances().stream().anyMatch(i -> !i.ipv6());
        boolean v6 = cfg.instances().stream().anyMatch(NodeConfig.Instance::ipv6);
        if (v4) {
            in.add("meta l4proto " + VrrpConstants.IP_PROTOCOL + " ip daddr 224.0.0.18 notrack");
            out.add("meta l4proto " + VrrpConstants.IP_PROTOCOL + " ip daddr 224.0.0.18 notrack");
        }
        if (v6) {
            in.add("meta l4proto " + VrrpConstants.IP_PROTOCOL + " ip6 daddr ff02::12 notrack");
            out.add("meta l4proto " + VrrpConstants.IP_PROTOCOL + " ip6 daddr ff02::12 notrack");
        }
        NodeConfig.StateSync ss = cfg.stateSync();
        if (ss != null) {
            String fam = ss.local() instanceof Inet6Address ? "ip6" : "ip";
            String local = a(ss.local());
            if (ss.peer() != null) {
                String peer = a(ss.peer());
                in.add(fam + " saddr " + peer + " " + fam + " daddr " + local + " udp dport " + ss.port() + " notrack");
                out.add(fam + " saddr " + local + " " + fam + " daddr " + peer + " udp dport " + ss.port() + " notrack");
            } else {
                String group = a(ss.multicast());
                in.add(fam + " daddr " + group + " udp dport " + ss.port() + " notrack");
                out.add(fam + " daddr " + group + " udp dport " + ss.port() + " notrack");
            }
        }
        chain(s, "control_prerouting", "type filter hook prerouting priority raw; policy accept;", in);
        chain(s, "control_output", "type filter hook output priority raw; policy accept;", out);
        List<String> acceptRules = acceptMode(cfg);
        if (!acceptRules.isEmpty()) {
            chain(s, "accept_mode", "type filter hook input priority -200; policy accept;", acceptRules);
        }
        s.append("}\n");
        return s.toString();
    }

    /** The script that removes the table (whether it exists or not). */
    static String removal() {
        return "table inet " + TABLE + "\ndelete table inet " + TABLE + "\n";
    }

    private static List<String> acceptMode(NodeConfig cfg) {
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        for (NodeConfig.Instance i : cfg.instances()) {
            if (i.accept() || i.priority() == VrrpConstants.PRIORITY_OWNER) {
                continue;
            }
            for (NodeConfig.Cidr c : i.virtualAddresses()) {
                (c.ipv6() ? v6 : v4).add(a(c.address()));
            }
        }
        List<String> rules = new ArrayList<>();
        if (!v4.isEmpty()) {
            rules.add("ip daddr { " + String.join(", ", v4) + " } drop");
        }
        if (!v6.isEmpty()) {
            String set = "{ " + String.join(", ", v6) + " }";
            rules.add("ip6 daddr " + set + " icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept");
            rules.add("ip6 daddr " + set + " drop");
        }
        return rules;
    }

    private static void chain(StringBuilder s, String name, String hook, List<String> rules) {
        s.append("  chain ").append(name).append(" {\n    ").append(hook).append('\n');
        for (String r : rules) {
            s.append("    ").append(r).append('\n');
        }
        s.append("  }\n");
    }

    private static String a(InetAddress x) {
        return AddressText.format(x);
    }
}
