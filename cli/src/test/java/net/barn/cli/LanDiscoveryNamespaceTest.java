package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one LAN find each other by multicast with no peer given. The LAN is two network
 * namespaces this test makes, joined by a veth pair (two hosts on one wire), so nothing leaves
 * the machine; it runs where root and iproute2 are available, as in CI.
 */
class LanDiscoveryNamespaceTest {
    @TempDir
    Path tmp;

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    private static boolean canMakeNamespaces() {
        try {
            return new com.sun.security.auth.module.UnixSystem().getUid() == 0
                    && (Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")));
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Test
    void nodesOnOneLanFindEachOtherWithoutAnyPeerGiven() throws Exception {
        assumeThat(canMakeNamespaces()).as("needs root and iproute2 to make a network namespace").isTrue();
        String tag = "barnlan" + ProcessHandle.current().pid();
        List<String> namespaces = List.of(tag + "a", tag + "b");
        List<DaemonProcess> daemons = new ArrayList<>();
        try {
            for (String ns : namespaces) {
                run("ip", "netns", "add", ns);
                run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            }
            run("ip", "link", "add", "lan0", "netns", namespaces.get(0), "type", "veth", "peer", "name", "lan0",
                    "netns", namespaces.get(1));
            for (int i = 0; i < 2; i++) {
                String ns = namespaces.get(i);
                run("ip", "netns", "exec", ns, "ip", "addr", "add", "10.231.0." + (i + 1) + "/24", "dev", "lan0");
                run("ip", "netns", "exec", ns, "ip", "link", "set", "lan0", "up", "multicast", "on");
                run("ip", "netns", "exec", ns, "ip", "route", "add", "224.0.0.0/4", "dev", "lan0");
            }
            for (int i = 0; i < 2; i++) {
                List<String> inNs = List.of("ip", "netns", "exec", namespaces.get(i));
                String name = i == 0 ? "a" : "b";
                DaemonProcess d = DaemonProcess.start(inNs, tmp.resolve(name),
                        List.of("--listen", "10.231.0." + (i + 1) + ":0"));
                daemons.add(d);
                d.invite(Duration.ofSeconds(60));
            }
            // Node b announced itself on start; a heard it and joined b's root network.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            try (Barn a = Barn.connect(Barn.socketIn(tmp.resolve("a")), "test", Role.CLIENT)) {
                while (a.status().routingTable() < 1) {
                    assertThat(System.nanoTime()).as("a finds b on the LAN; logs %s %s", daemons.get(0).stderr,
                            daemons.get(1).stderr).isLessThan(deadline);
                    Thread.sleep(100); // polling interval of the wait
                }
            }
            assertThat(daemons.get(0).stderr).anyMatch(l -> l.contains("LAN discovery on"));
        } finally {
            for (DaemonProcess d : daemons) {
                d.close();
            }
            for (String ns : namespaces) {
                try {
                    run("ip", "netns", "del", ns); // takes the veth pair with it
                } catch (IOException ignored) {
                    // never made
                }
            }
        }
    }
}
