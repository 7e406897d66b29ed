package tandem.vrrp;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressTextTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "2001:db8:10:0:0:0:0:1, 2001:db8:10::1",
        "2001:0db8:0000:0000:0001:0000:0000:0001, 2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1, 2001:db8:0:1:1:1:1:1",
        "0:0:0:0:0:0:0:0, ::",
        "0:0:0:0:0:0:0:1, ::1",
        "fe80:0:0:0:0:0:0:0, fe80::",
        "2001:DB8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
        "ff02:0:0:0:0:0:0:12, ff02::12",
        "192.0.2.1, 192.0.2.1"})
    void addressesPrintInTheirCanonicalForm(String in, String out) throws Exception {
        assertThat(AddressText.format(InetAddress.getByName(in))).isEqualTo(out);
    }
}
