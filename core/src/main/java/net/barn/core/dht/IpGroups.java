package net.barn.core.dht;

import net.barn.core.identity.PeerAddress;

/**
 * The address groups IP-diversity limits count: /24 and /16 for IPv4, /48 and /32 for
 * IPv6. Loopback addresses are exempt: many nodes on one machine is a test, not an attack.
 */
final class IpGroups {
    private IpGroups() {}

    static boolean exempt(PeerAddress a) {
        return a == null || a.host().startsWith("127.") || a.host().equals("::1") || a.host().equals("localhost");
    }

    /** The narrow group (/24 or /48), or the host name itself for DNS names. */
    static String narrow(PeerAddress a) {
        return group(a, 3, 3);
    }

    /** The wide group (/16 or /32). */
    static String wide(PeerAddress a) {
        return group(a, 2, 2);
    }

    private static String group(PeerAddress a, int v4Octets, int v6Groups) {
        String h = a.host();
        if (isV4Literal(h)) {
            int cut = h.length();
            for (int dropped = 0; dropped < 4 - v4Octets; dropped++) {
                cut = h.lastIndexOf('.', cut - 1);
            }
            return h.substring(0, cut);
        }
        if (a.isIpv6()) {
            String[] parts = expandV6(h);
            return String.join(":", java.util.Arrays.copyOf(parts, v6Groups)) + "::/v6";
        }
        return h;
    }

    private static boolean isV4Literal(String h) {
        int dots = 0;
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (c == '.') {
                dots++;
            } else if (c < '0' || c > '9') {
                return false;
            }
        }
        return dots == 3;
    }

    private static String[] expandV6(String h) {
        int pct = h.indexOf('%');
        String s = pct < 0 ? h : h.substring(0, pct);
        String[] out = new String[8];
        java.util.Arrays.fill(out, "0");
        int dbl = s.indexOf("::");
        String[] head = (dbl < 0 ? s : s.substring(0, dbl)).split(":");
        String[] tail = dbl < 0 ? new String[0] : s.substring(dbl + 2).split(":");
        for (int i = 0; i < head.length && i < 8; i++) {
            out[i] = head[i].isEmpty() ? "0" : head[i];
        }
        for (int i = 0; i < tail.length && !tail[0].isEmpty(); i++) {
            out[8 - tail.length + i] = tail[i];
        }
        return out;
    }
}
