package tandem.node.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfoFormatTest {
    static Map<String, Object> info() {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("node", "fw2");
        info.put("cluster_state", "backup");
        info.put("sync_state", "disabled");
        info.put("conntrack_sync_state", "synchronized");
        info.put("conntrack_peer", "fw1 198.51.100.1:3780");
        info.put("problems", List.of());
        info.put("uptime_seconds", 93_784);
        info.put("pid", 4242);
        Map<String, Object> lan = new LinkedHashMap<>();
        lan.put("name", "lan");
        lan.put("state", "backup");
        lan.put("vrid", 51);
        lan.put("version", 3);
        lan.put("group", "cluster");
        lan.put("priority", 100);
        lan.put("master", "2001:db8:1::2");
        lan.put("master_node", "fw1");
        lan.put("master_priority", 150);
        lan.put("virtual_addresses", List.of("192.0.2.1/24", "192.0.2.5/32"));
        lan.put("drops", Map.of("ttl", 2));
        lan.put("last_transition", "2026-11-27T16:16:21.304Z");
        lan.put("last_transition_reason", "startup");
        info.put("instances", List.of(lan));
        Map<String, Object> ch = new LinkedHashMap<>();
        ch.put("interface", "lan");
        ch.put("family", "ipv4");
        ch.put("drops", Map.of("vrid", 1));
        info.put("channels", List.of(ch));
        return info;
    }

    @Test
    void theSummaryKeepsTheKeysThatMatterUnderTheirOwnNames() {
        Map<String, Object> s = InfoFormat.summary(info());
        assertThat(s.keySet()).containsExactly("node", "cluster_state", "sync_state", "conntrack_sync_state", "conntrack_peer",
            "problems", "uptime_seconds", "instances");
        @SuppressWarnings("unchecked")
        Map<String, Object> row = ((List<Map<String, Object>>) s.get("instances")).getFirst();
        assertThat(row.keySet()).containsExactlyElementsOf(InfoFormat.INSTANCE_SUMMARY);
    }

    @Test
    void theSummaryTextIsKeyValueLinesThenOneRowPerVirtualRouter() {
        assertThat(InfoFormat.summaryText(InfoFormat.summary(info()))).isEqualTo("""
            node                  fw2
            cluster_state         backup
            sync_state            disabled
            conntrack_sync_state  synchronized
            conntrack_peer        fw1 198.51.100.1:3780
            problems              none
            uptime_seconds        93784

            name  group    state   vrid  priority  master         master_node  master_priority  last_transition           last_transition_reason
            lan   cluster  backup  51    100       2001:db8:1::2  fw1          150              2026-11-27T16:16:21.304Z  startup
            """);
    }

    @Test
    void everyProblemGetsALine() {
        Map<String, Object> info = info();
        info.put("problems", List.of("instance lan: configuration differs from peer 192.0.2.3: addresses [192.0.2.9]",
            "conntrack sync: no peer heard for 3 s"));
        assertThat(InfoFormat.summaryText(InfoFormat.summary(info))).contains("""
            problems              instance lan: configuration differs from peer 192.0.2.3: addresses [192.0.2.9]
                                  conntrack sync: no peer heard for 3 s
            """);
    }

    @Test
    void theDetailTextNamesEveryLeafByItsPath() {
        assertThat(InfoFormat.detailText(info())).containsPattern("(?m)^uptime_seconds +93784$")
            .containsPattern("(?m)^instances\\.lan\\.virtual_addresses +192\\.0\\.2\\.1/24, 192\\.0\\.2\\.5/32$")
            .containsPattern("(?m)^instances\\.lan\\.drops\\.ttl +2$")
            .containsPattern("(?m)^channels\\.lan/ipv4\\.drops\\.vrid +1$")
            .containsPattern("(?m)^problems +none$");
    }
}
