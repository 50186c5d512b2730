package net.barn.daemon.api.policy;

import java.util.List;

/**
 * What a policy rule allows a session. Names and namespaces match exactly, by a prefix
 * ending in "*" ("irc/*"), or anything ("*").
 */
public record Grant(boolean server, List<String> namespaces, List<PortRange> ports, List<String> services,
        int maxStreams, int maxBinds, int messagesPerSecond, long bytesPerSecond, boolean admin) {
    public static final int DEFAULT_MAX_STREAMS = 64;
    public static final int DEFAULT_MAX_BINDS = 8;
    public static final int DEFAULT_MESSAGES_PER_SECOND = 2000;
    public static final long DEFAULT_BYTES_PER_SECOND = 64L * 1024 * 1024;

    /** The daemon's own user when no rule names it: everything, generous limits. */
    public static final Grant OWNER = new Grant(true, List.of("*"), List.of(new PortRange(1, 65535)), List.of("*"),
            4096, 1024, 100_000, 1L << 40, true);

    public Grant {
        namespaces = List.copyOf(namespaces);
        ports = List.copyOf(ports);
        services = List.copyOf(services);
    }

    public boolean allowsPort(int port) {
        return ports.stream().anyMatch(r -> r.contains(port));
    }

    public boolean allowsService(String service) {
        return matches(services, service);
    }

    public boolean allowsNamespace(String namespace) {
        return matches(namespaces, namespace);
    }

    static boolean matches(List<String> patterns, String value) {
        for (String p : patterns) {
            if (p.equals("*") || p.equals(value) || (p.endsWith("*") && value.startsWith(p.substring(0, p.length() - 1)))) {
                return true;
            }
        }
        return false;
    }
}
