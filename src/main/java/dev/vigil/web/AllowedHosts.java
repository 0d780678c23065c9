package dev.vigil.web;

import dev.vigil.untrusted.LogText;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The names the dashboard answers to ({@code Host}) and the pages that may change things through it
 * ({@code Origin}).
 *
 * <p><b>Host.</b> DNS rebinding points a name the attacker owns at 127.0.0.1 or a LAN address, so that a page of
 * theirs reaches the dashboard as if it were on the same site; the browser then sends the attacker's name as
 * {@code Host}. So a request is served only when its Host is a loopback name ({@code localhost}, {@code 127.0.0.1},
 * {@code [::1]}), an IP address literal (no DNS is involved: nothing to rebind), or a name the operator allowed
 * ({@code --dashboard-allowed-hosts}), on any port unless the entry names one (a proxy or {@code kubectl
 * port-forward} changes the port).
 *
 * <p><b>Origin.</b> A change is accepted from a page of the dashboard's own origin only: the {@code Origin} header's
 * host and port are those of {@code Host}, or one of the names allowed explicitly (a proxy that rewrites Host). Where
 * a browser sends no Origin (or {@code null}), {@code Sec-Fetch-Site} must say {@code same-origin} or {@code none}
 * (typed by the user). A request with neither header comes from no browser, so from no other site.
 */
public final class AllowedHosts {
    private static final List<String> LOOPBACK = List.of("localhost", "127.0.0.1", "[::1]");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]*[a-z0-9])?|\\[[0-9a-f:.]+]");

    private record Entry(String host, int port) {
        boolean matches(Authority a) {
            return host.equals(a.host()) && (port < 0 || port == a.port());
        }
    }

    /** A request's host and port; port -1 when it names none. */
    private record Authority(String host, int port) {
    }

    private final List<Entry> allowed;

    private AllowedHosts(List<Entry> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    /** Loopback names and IP literals only. */
    public static final AllowedHosts LOCAL = new AllowedHosts(List.of());

    /**
     * Loopback names and IP literals, and these: {@code name} (any port) or {@code name:port}.
     *
     * @throws IllegalArgumentException naming an entry that is no host name
     */
    public static AllowedHosts of(List<String> names) {
        List<Entry> entries = new ArrayList<>();
        for (String name : names) {
            Authority a = authority(name.strip());
            if (a == null || !NAME.matcher(a.host()).matches()) {
                throw new IllegalArgumentException("'" + name + "' is no host name (name, name:port, an IP "
                        + "address, [IPv6 address])");
            }
            entries.add(new Entry(a.host(), a.port()));
        }
        return new AllowedHosts(entries);
    }

    /** Whether a request with this {@code Host} header may be served. */
    public boolean allows(String hostHeader) {
        Authority a = authority(hostHeader);
        if (a == null) {
            return false;
        }
        return LOOPBACK.contains(a.host()) || isIpLiteral(a.host()) || allowed.stream().anyMatch(e -> e.matches(a));
    }

    /**
     * Whether a change may come from a page with this {@code Origin} and {@code Sec-Fetch-Site} (either may be null)
     * to this {@code Host}; null when it may, else why not.
     */
    String crossSiteProblem(String origin, String fetchSite, String hostHeader) {
        if (origin != null && !origin.equals("null")) {
            Authority from = originAuthority(origin);
            Authority to = authority(hostHeader);
            if (from == null || to == null) {
                return "its Origin " + LogText.quote(origin) + " is not a page's address";
            }
            // a port left out is the scheme's; the page and the request it sends share the scheme
            int fromPort = from.port() >= 0 ? from.port() : defaultPort(origin);
            int toPort = to.port() >= 0 ? to.port() : defaultPort(origin);
            boolean same = from.host().equals(to.host()) && fromPort == toPort;
            Authority effective = new Authority(from.host(), fromPort);
            if (same || allowed.stream().anyMatch(e -> e.matches(effective))) {
                return null;
            }
            return "it comes from a page of another site (Origin " + LogText.quote(origin) + ")";
        }
        if (fetchSite == null) {
            // no browser sent it (a browser sends Origin or Sec-Fetch-Site with every POST), unless Origin was null
            return origin == null ? null : "its Origin is null (a sandboxed or privacy-stripped page)";
        }
        String site = fetchSite.strip().toLowerCase(Locale.ROOT);
        return site.equals("same-origin") || site.equals("none") ? null
                : "it comes from a page of another site (Sec-Fetch-Site " + LogText.quote(fetchSite)
                + ")";
    }

    private static int defaultPort(String origin) {
        return origin.regionMatches(true, 0, "https:", 0, 6) ? 443 : 80;
    }

    private static Authority originAuthority(String origin) {
        try {
            URI uri = new URI(origin);
            if (uri.getScheme() == null || uri.getRawAuthority() == null) {
                return null;
            }
            return authority(uri.getRawAuthority());
        } catch (URISyntaxException e) {
            return null;
        }
    }

    /** host[:port], [v6][:port]; lower case; null when malformed. */
    private static Authority authority(String value) {
        if (value == null || value.isBlank() || value.contains("@") || value.contains("/")) {
            return null;
        }
        String v = value.strip().toLowerCase(Locale.ROOT);
        String host;
        String port = null;
        if (v.startsWith("[")) {
            int end = v.indexOf(']');
            if (end < 0) {
                return null;
            }
            host = v.substring(0, end + 1);
            String rest = v.substring(end + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return null;
                }
                port = rest.substring(1);
            }
        } else {
            int colon = v.indexOf(':');
            if (colon >= 0 && v.indexOf(':', colon + 1) >= 0) {
                return null;
            }
            host = colon < 0 ? v : v.substring(0, colon);
            port = colon < 0 ? null : v.substring(colon + 1);
        }
        if (host.isEmpty()) {
            return null;
        }
        if (port == null) {
            return new Authority(host, -1);
        }
        try {
            int p = Integer.parseInt(port);
            return p >= 0 && p <= 65535 ? new Authority(host, p) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean isIpLiteral(String host) {
        if (host.startsWith("[")) {
            return host.endsWith("]");
        }
        if (!IPV4.matcher(host).matches()) {
            return false;
        }
        for (String part : host.split("\\.")) {
            if (Integer.parseInt(part) > 255) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        List<String> names = new ArrayList<>(LOOPBACK);
        names.add("IP addresses");
        allowed.forEach(e -> names.add(e.port() < 0 ? e.host() : e.host() + ":" + e.port()));
        return String.join(", ", names);
    }
}
