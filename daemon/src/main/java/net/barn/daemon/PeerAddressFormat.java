package net.barn.daemon;

import java.net.Inet6Address;
import java.net.InetSocketAddress;

/** Prints socket addresses the way invites write them: host:port, [v6]:port. */
final class PeerAddressFormat {
    private PeerAddressFormat() {}

    static String of(InetSocketAddress a) {
        String host = a.getAddress() != null ? a.getAddress().getHostAddress() : a.getHostString();
        int pct = host.indexOf('%');
        if (pct >= 0) {
            host = host.substring(0, pct);
        }
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
