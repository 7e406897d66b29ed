package tandem.node.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InfoFormatTest {
    @Test
    void rendersOneAttributeValuePairPerLineUnderAHeaderLikeClusterInfo() {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("cluster_state", "master");
        info.put("node", "fw1");
        info.put("uptime_seconds", 93_784);
        Map<String, Object> lan = new LinkedHashMap<>();
        lan.put("name", "lan");
        lan.put("state", "master");
        lan.put("virtual_addresses", List.of("192.0.2.1/24", "192.0.2.5/32"));
        lan.put("drops", Map.of("ttl", 2));
        info.put("instances", List.of(lan));
        Map<String, Object> ch = new LinkedHashMap<>();
        ch.put("interface", "lan");
        ch.put("family", "ipv4");
        ch.put("drops", Map.of("vrid", 1));
        info.put("channels", List.of(ch));
        assertThat(InfoFormat.text(info)).isEqualTo("""
            attribute                     |value
            ------------------------------+-----
            cluster_state                 |master
            node                          |fw1
            uptime                        |1d 02:03:04
            instance.lan.state            |master
            instance.lan.virtual_addresses|192.0.2.1/24 192.0.2.5/32
            instance.lan.drops.ttl        |2
            interface.lan.ipv4.drops.vrid |1
            """);
    }
}
