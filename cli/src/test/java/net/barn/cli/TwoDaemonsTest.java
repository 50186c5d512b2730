package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import net.barn.core.ErrorCode;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PowParams;
import net.barn.core.link.LinkConfig;
import net.barn.core.testing.TestIdentities;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BlockingStream;
import net.barn.daemon.BuiltinServices;
import net.barn.daemon.NodeConfig;
import net.barn.daemon.NodeListener;
import net.barn.daemon.PeerLink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Daemons in separate processes on loopback, as a user runs them. */
class TwoDaemonsTest {
    private static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private BarnNode localNode(long seed) throws IOException {
        NodeConfig config = NodeConfig.defaults(tmp.resolve("local" + seed), new InetSocketAddress("127.0.0.1", 0))
                .withLink(LinkConfig.defaults(PowParams.parse(DaemonProcess.TEST_POW)));
        return BarnNode.start(config, TestIdentities.of(seed), new SeededEntropy(seed));
    }

    @Test
    void hundredConcurrentStreamsToAnotherDaemonArriveIntactAndInOrder() throws Exception {
        try (DaemonProcess remote = DaemonProcess.start(tmp.resolve("remote")); BarnNode local = localNode(1);
                ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Invite invite = remote.invite(START);
            PeerLink link = local.dial(invite).get(20, TimeUnit.SECONDS);
            assertThat(link.peerId()).isEqualTo(invite.nodeId());
            Random random = new Random(2026);
            List<CompletableFuture<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                byte[] data = new byte[64 * 1024 + random.nextInt(512 * 1024)];
                random.nextBytes(data);
                BlockingStream stream = link.openBlocking(BuiltinServices.ECHO_PORT);
                stream.setReadTimeout(30_000);
                threads.submit(() -> {
                    try (var o = stream.out()) {
                        for (int off = 0; off < data.length; off += 7919) { // odd-sized writes
                            o.write(data, off, Math.min(7919, data.length - off));
                        }
                    }
                    return null;
                });
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return Arrays.equals(stream.in().readAllBytes(), data);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, threads));
            }
            for (int i = 0; i < results.size(); i++) {
                assertThat(results.get(i).get(90, TimeUnit.SECONDS)).as("stream %d echoed intact", i).isTrue();
            }
            assertThat(link.isActive()).isTrue();
        }
    }

    @Test
    void daemonDialingAnInviteWithAForgedIdIsRefused() throws Exception {
        try (DaemonProcess target = DaemonProcess.start(tmp.resolve("target"))) {
            Invite real = target.invite(START);
            Invite forged = new Invite(TestIdentities.of(77).id(), real.addresses());
            try (DaemonProcess dialer = DaemonProcess.start(tmp.resolve("dialer"), "--peer", forged.toString())) {
                String refusal = dialer.awaitLine(dialer.stderr, "could not reach peer", START);
                assertThat(refusal).contains("IDENTITY_MISMATCH").contains(forged.nodeId().shortForm());
                assertThat(dialer.stderr).noneMatch(l -> l.contains("link up"));
                assertThat(target.stderr).noneMatch(l -> l.contains("link up"));
            }
        }
    }

    @Test
    void sigtermStopsTheDaemonAndItsPeersHearWhy() throws Exception {
        try (DaemonProcess remote = DaemonProcess.start(tmp.resolve("remote")); BarnNode local = localNode(2)) {
            Invite invite = remote.invite(START);
            CompletableFuture<ErrorCode> down = new CompletableFuture<>();
            local.addListener(new NodeListener() {
                @Override
                public void linkDown(PeerLink link, ErrorCode code, String reason, boolean byPeer) {
                    down.complete(code);
                }
            });
            local.dial(invite).get(20, TimeUnit.SECONDS);
            remote.awaitLine(remote.stderr, "link up", START);
            int exit = remote.terminate(Duration.ofSeconds(15));
            assertThat(exit).isEqualTo(143); // 128 + SIGTERM: the JVM ran its shutdown hook
            remote.awaitLine(remote.stderr, "stopped", Duration.ofSeconds(5));
            assertThat(down.get(10, TimeUnit.SECONDS)).isEqualTo(ErrorCode.SHUTDOWN);
        }
    }

    @Test
    void restartedDaemonKeepsItsIdentity() throws Exception {
        Path data = tmp.resolve("node");
        Invite first;
        try (DaemonProcess d = DaemonProcess.start(data)) {
            first = d.invite(START);
            d.terminate(Duration.ofSeconds(15));
        }
        try (DaemonProcess d = DaemonProcess.start(data)) {
            assertThat(d.invite(START).nodeId()).isEqualTo(first.nodeId());
        }
    }
}
