package dev.vigil.web;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which Host names are served, and which Origins may change things. */
class AllowedHostsTest {
    private final AllowedHosts hosts = AllowedHosts.of(List.of("vigil.example.com", "proxy.lan:8443"));

    @Test
    void loopbackNamesIpAddressesAndTheNamesGivenAreServed() {
        for (String ok : List.of("localhost", "localhost:8080", "127.0.0.1:9", "[::1]:8080", "192.168.1.20:8080",
                "[fe80::1]", "vigil.example.com", "Vigil.Example.COM:80", "proxy.lan:8443")) {
            assertThat(hosts.allows(ok)).as(ok).isTrue();
        }
        for (String refused : List.of("evil.example", "localhost.evil.example", "127.0.0.1.nip.io:8080",
                "proxy.lan:8080", "999.1.1.1", "vigil.example.com.evil.example", "", "a:b:c", "user@localhost")) {
            assertThat(hosts.allows(refused)).as(refused).isFalse();
        }
        assertThat(hosts.allows(null)).isFalse();
    }

    @Test
    void changesComeFromTheSameOriginOnly() {
        assertThat(hosts.crossSiteProblem("http://localhost:8080", null, "localhost:8080")).isNull();
        assertThat(hosts.crossSiteProblem("https://vigil.example.com", null, "vigil.example.com")).isNull();
        // a proxy that rewrote Host: the Origin is a name allowed by the operator
        assertThat(hosts.crossSiteProblem("https://vigil.example.com", null, "10.0.0.5:8080")).isNull();
        assertThat(hosts.crossSiteProblem("http://localhost:3000", null, "localhost:8080")).contains("another site");
        assertThat(hosts.crossSiteProblem("http://10.9.9.9:8080", null, "10.0.0.5:8080")).contains("another site");
        assertThat(hosts.crossSiteProblem("null", "same-origin", "localhost:8080")).isNull();
        assertThat(hosts.crossSiteProblem("null", null, "localhost:8080")).contains("null");
        assertThat(hosts.crossSiteProblem(null, "none", "localhost:8080")).isNull();
        assertThat(hosts.crossSiteProblem(null, "cross-site", "localhost:8080")).contains("Sec-Fetch-Site");
        assertThat(hosts.crossSiteProblem(null, null, "localhost:8080")).isNull();
    }

    @Test
    void anAllowedNameThatIsNoHostNameIsRefused() {
        assertThatThrownBy(() -> AllowedHosts.of(List.of("http://vigil.example.com/"))).hasMessageContaining(
                "'http://vigil.example.com/' is no host name");
    }
}
