package net.barn.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The NAT testbed of {@code test/nat/testbed.sh}: network namespaces joined by veth pairs, Linux
 * NATs made with iptables. Needs root, iproute2 and iptables; all traffic stays inside the
 * namespaces it makes and removes.
 */
final class Testbed {
    private Testbed() {}

    /** Whether this machine can build the testbed (root, ip, iptables). */
    static boolean available() {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid() == 0
                    && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")))
                    && (Files.isExecutable(Path.of("/usr/sbin/iptables")) || Files.isExecutable(Path.of("/sbin/iptables")));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Runs {@code testbed.sh action} with namespaces named {@code prefix-…}; {@code rate}
     * (e.g. "50mbit", or null) limits each NAT's link to the public network.
     */
    static void run(Path root, String prefix, String action, String rate) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("test/nat/testbed.sh").toString(), action).redirectErrorStream(true);
        pb.environment().put("BARN_NETNS_PREFIX", prefix);
        if (rate != null) {
            pb.environment().put("BARN_NETNS_RATE", rate);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("testbed.sh " + action + " failed: " + out);
        }
    }
}
