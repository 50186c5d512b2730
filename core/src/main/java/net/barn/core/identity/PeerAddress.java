package net.barn.core.identity;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A transport address as text: an IPv4 literal, a bracketed IPv6 literal or a DNS name, and a
 * port. Kept unresolved so that the core never touches the network; the daemon resolves it.
 */
public record PeerAddress(String host, int port) {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-fA-F:.]{2,45}(%[0-9A-Za-z_.-]{1,32})?");
    private static final Pattern DNS = Pattern.compile(
            "(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");

    public PeerAddress {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if (!isIpv4(host) && !(host.contains(":") && IPV6.matcher(host).matches()) && !DNS.matcher(host).matches()) {
            throw new IllegalArgumentException("not an IP address or host name: '" + host + "'");
        }
        host = host.toLowerCase(Locale.ROOT);
    }

    /** Parses "host:port" or "[v6]:port". */
    public static PeerAddress parse(String text) {
        String t = text.trim();
        int colon;
        String host;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("IPv6 addresses are written [address]:port, got '" + t + "'");
            }
            host = t.substring(1, close);
            colon = close + 1;
        } else {
            colon = t.lastIndexOf(':');
            if (colon <= 0 || t.indexOf(':') != colon) {
                throw new IllegalArgumentException("addresses are written host:port, got '" + t + "'");
            }
            host = t.substring(0, colon);
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad port in '" + t + "'");
        }
        return new PeerAddress(host, port);
    }

    private static boolean isIpv4(String host) {
        var m = IPV4.matcher(host);
        if (!m.matches()) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (Integer.parseInt(m.group(i)) > 255) {
                return false;
            }
        }
        return true;
    }

    public boolean isIpv6() {
        return host.contains(":");
    }

    @Override
    public String toString() {
        return (isIpv6() ? "[" + host + "]" : host) + ":" + port;
    }
}
