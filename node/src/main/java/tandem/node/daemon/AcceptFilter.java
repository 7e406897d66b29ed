package tandem.node.daemon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tandem.node.config.NodeConfig;
import tandem.vrrp.VrrpConstants;

/**
 * RFC 5798 section 6.4.3 Accept_Mode: a master that is not the address owner and has Accept_Mode
 * False MUST NOT accept packets addressed to the virtual addresses. Linux has no per-address switch
 * for that, so the node keeps one nftables table with an input chain dropping local delivery to those
 * addresses (IPv6 Neighbor Discovery stays allowed so they still resolve). A backup does not hold the
 * addresses, so the rules are static: written at start and reload and removed at exit, never on the
 * failover path. Uses the {@code nft} command; without any such instance nothing is touched.
 */
final class AcceptFilter {
    private final String table;

    AcceptFilter(String nodeName) {
        this.table = "tandem_accept_" + nodeName.replaceAll("[^A-Za-z0-9_]", "_");
    }

    String table() {
        return table;
    }

    /** The nft script for {@code cfg}, or {@code null} when no instance needs a filter. */
    String script(NodeConfig cfg) {
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        for (NodeConfig.Instance i : cfg.instances()) {
            if (i.accept() || i.priority() == VrrpConstants.PRIORITY_OWNER) {
                continue;
            }
            for (NodeConfig.Cidr c : i.virtualAddresses()) {
                (c.ipv6() ? v6 : v4).add(c.address().getHostAddress());
            }
        }
        if (v4.isEmpty() && v6.isEmpty()) {
            return null;
        }
        StringBuilder s = new StringBuilder();
        s.append("table inet ").append(table).append("\ndelete table inet ").append(table).append('\n');
        s.append("table inet ").append(table).append(" {\n  chain input {\n");
        s.append("    type filter hook input priority -200; policy accept;\n");
        if (!v4.isEmpty()) {
            s.append("    ip daddr { ").append(String.join(", ", v4)).append(" } drop\n");
        }
        if (!v6.isEmpty()) {
            String set = "{ " + String.join(", ", v6) + " }";
            s.append("    ip6 daddr ").append(set)
                .append(" icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n");
            s.append("    ip6 daddr ").append(set).append(" drop\n");
        }
        s.append("  }\n}\n");
        return s.toString();
    }

    /** Installs (or replaces) the table for {@code cfg}; removes it when no instance needs one. */
    void apply(NodeConfig cfg) throws IOException {
        String script = script(cfg);
        if (script == null) {
            remove();
            return;
        }
        nft(script, true);
    }

    void remove() throws IOException {
        nft("table inet " + table + "\ndelete table inet " + table + "\n", false);
    }

    private static void nft(String script, boolean mustSucceed) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder("nft", "-f", "-").redirectErrorStream(true).start();
        } catch (IOException e) {
            if (!mustSucceed) {
                return;
            }
            throw new IOException("accept: false needs nftables: cannot run nft: " + e.getMessage()
                + " (expected: the nft command, e.g. apt-get install nftables)");
        }
        p.getOutputStream().write(script.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("nft did not finish within 10 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running nft");
        }
        if (p.exitValue() != 0 && mustSucceed) {
            throw new IOException("nft rejected the accept-mode table: " + out);
        }
    }
}
