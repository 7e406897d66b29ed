package tandem.node.daemon;

import java.net.Inet6Address;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tandem.node.config.NodeConfig;
import tandem.node.vrrp.VrrpEngine;
import tandem.vrrp.AddressText;
import tandem.vrrp.VrrpConstants;

/**
 * The layer-2 takeover's nftables (pure: script text only), in tables of their own so that rewriting
 * {@code inet tandem} on a reload leaves the drops as they are:
 * <ul>
 *   <li>{@code arp tandem_l2}: per group, chains on input and output that drop ARP for the group's IPv4
 *       cluster addresses (requests for them and anything sent with them as sender) while standby;</li>
 *   <li>{@code inet tandem_l2}: per group, Neighbor Discovery for its IPv6 cluster addresses (solicitations
 *       and advertisements whose target is one, coming in or going out), and with {@code layer2-drop:
 *       all} every other packet arriving on the group's interfaces but VRRP.</li>
 * </ul>
 * A group's chains are empty while it is active; {@link #drop} fills or empties them in one transaction.
 */
final class Layer2Rules {
    static final String TABLE = "tandem_l2";

    private Layer2Rules() {
    }

    /** The layer-2 groups of a configuration. */
    static List<NodeConfig.Group> groups(NodeConfig cfg) {
        return cfg.groups().stream().filter(g -> g.takeover() == NodeConfig.Takeover.LAYER2).toList();
    }

    /** A group's chain-name suffix (its index among the layer-2 groups: names may hold characters nft does not take). */
    static String id(NodeConfig cfg, String group) {
        List<NodeConfig.Group> l2 = groups(cfg);
        for (int i = 0; i < l2.size(); i++) {
            if (l2.get(i).name().equals(group)) {
                return "g" + i;
            }
        }
        throw new IllegalArgumentException("group " + group + ": not a layer-2 group");
    }

    /** The tables with an empty chain pair per layer-2 group (nothing dropped yet); empty when there is none. */
    static String tables(NodeConfig cfg) {
        List<NodeConfig.Group> l2 = groups(cfg);
        if (l2.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder(removal());
        s.append("table arp ").append(TABLE).append(" {\n");
        for (NodeConfig.Group g : l2) {
            String id = id(cfg, g.name());
            s.append("  chain in_").append(id).append(" {\n    type filter hook input priority -300; policy accept;\n  }\n");
            s.append("  chain out_").append(id).append(" {\n    type filter hook output priority -300; policy accept;\n  }\n");
        }
        s.append("}\ntable inet ").append(TABLE).append(" {\n");
        for (NodeConfig.Group g : l2) {
            String id = id(cfg, g.name());
            s.append("  chain in_").append(id).append(" {\n    type filter hook prerouting priority -400; policy accept;\n  }\n");
            s.append("  chain out_").append(id).append(" {\n    type filter hook output priority -400; policy accept;\n  }\n");
        }
        s.append("}\n");
        return s.toString();
    }

    /** Removes both tables (whether they exist or not). */
    static String removal() {
        return "table arp " + TABLE + "\ndelete table arp " + TABLE + "\ntable inet " + TABLE + "\ndelete table inet "
            + TABLE + "\n";
    }

    /** Fills ({@code drop}) or empties the chains of {@code group}, one transaction. */
    static String drop(NodeConfig cfg, String group, boolean drop) {
        String id = id(cfg, group);
        NodeConfig.Group g = groups(cfg).stream().filter(x -> x.name().equals(group)).findFirst().orElseThrow();
        Set<String> v4 = new LinkedHashSet<>();
        List<String> v6 = new ArrayList<>();
        Set<String> ifnames = new LinkedHashSet<>();
        for (String member : VrrpEngine.groupsOf(cfg).getOrDefault(group, List.of())) {
            NodeConfig.Instance i = cfg.instance(member).orElseThrow();
            ifnames.add(i.interfaceName());
            for (NodeConfig.Cidr c : i.virtualAddresses()) {
                if (c.address() instanceof Inet6Address) {
                    v6.add("0x" + HexFormat.of().formatHex(c.address().getAddress()));
                } else {
                    v4.add(AddressText.format(c.address()));
                }
            }
        }
        StringBuilder s = new StringBuilder();
        for (String c : List.of("in_" + id, "out_" + id)) {
            s.append("flush chain arp ").append(TABLE).append(' ').append(c).append('\n');
            s.append("flush chain inet ").append(TABLE).append(' ').append(c).append('\n');
        }
        if (!drop) {
            return s.toString();
        }
        if (!v4.isEmpty()) {
            String set = "{ " + String.join(", ", v4) + " }";
            s.append("add rule arp ").append(TABLE).append(" in_").append(id).append(" arp daddr ip ").append(set).append(" drop\n");
            s.append("add rule arp ").append(TABLE).append(" in_").append(id).append(" arp saddr ip ").append(set).append(" drop\n");
            s.append("add rule arp ").append(TABLE).append(" out_").append(id).append(" arp saddr ip ").append(set).append(" drop\n");
        }
        for (String t : v6) {
            // the target address of a solicitation or advertisement follows type, code, checksum and 32 bits
            for (String dir : List.of("in_", "out_")) {
                s.append("add rule inet ").append(TABLE).append(' ').append(dir).append(id)
                    .append(" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } @th,64,128 ").append(t).append(" drop\n");
            }
        }
        if (g.layer2DropAll()) {
            s.append("add rule inet ").append(TABLE).append(" in_").append(id).append(" iifname { ")
                .append(String.join(", ", ifnames.stream().map(n -> "\"" + n + "\"").toList()))
                .append(" } meta l4proto != ").append(VrrpConstants.IP_PROTOCOL).append(" drop\n");
        }
        return s.toString();
    }
}
