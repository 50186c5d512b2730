package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnConnection;
import net.barn.sdk.BarnEvent;
import net.barn.sdk.BarnException;
import net.barn.sdk.BarnListener;
import net.barn.sdk.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Applications and daemons as separate processes, the way containment is meant to run. */
class LocalApiProcessTest {
    private static final Duration START = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private static void awaitEvent(List<BarnEvent> events, Class<? extends BarnEvent> type, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (events.stream().noneMatch(type::isInstance)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + type.getSimpleName() + " within " + timeout + "; saw " + events);
            }
            Thread.sleep(20); // polling interval of the wait
        }
    }

    @Test
    void appOnOneDaemonDialsAPortAnAppOnAnotherDaemonBinds() throws Exception {
        try (DaemonProcess two = DaemonProcess.start(tmp.resolve("two"))) {
            Invite inviteTwo = two.invite(START);
            try (DaemonProcess one = DaemonProcess.start(tmp.resolve("one"), "--peer", inviteTwo.toString())) {
                one.invite(START);
                one.awaitLine(one.stderr, "link up", START);
                try (Barn server = Barn.connect(Barn.socketIn(tmp.resolve("two")), "server", Role.SERVER);
                        Barn client = Barn.connect(Barn.socketIn(tmp.resolve("one")), "client", Role.CLIENT)) {
                    BarnListener listener = server.listen(7000);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (client.peers().stream().noneMatch(p -> p.nodeId().equals(inviteTwo.nodeId().toString()))) {
                        assertThat(System.nanoTime()).as("link seen by the client's node; logs: %s %s", one.stderr, two.stderr)
                                .isLessThan(deadline);
                        Thread.sleep(20); // polling interval of the wait
                    }
                    CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
                        try (BarnConnection c = listener.accept()) {
                            String got = new String(c.input().readAllBytes(), StandardCharsets.UTF_8);
                            c.output().write(("hello " + got).getBytes(StandardCharsets.UTF_8));
                            return got;
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    try (BarnConnection c = client.dial(inviteTwo.nodeId().toString(), 7000)) {
                        c.output().write("from one".getBytes(StandardCharsets.UTF_8));
                        c.output().close();
                        assertThat(new String(c.input().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello from one");
                    }
                    assertThat(served.get(20, TimeUnit.SECONDS)).isEqualTo("from one");
                }
            }
        }
    }

    @Test
    void sdkReconnectsAndRebindsWhenTheDaemonRestarts() throws Exception {
        Path data = tmp.resolve("node");
        DaemonProcess first = DaemonProcess.start(data);
        Invite before = first.invite(START);
        CopyOnWriteArrayList<BarnEvent> events = new CopyOnWriteArrayList<>();
        try (Barn app = Barn.connect(Barn.socketIn(data), "server", Role.SERVER);
                DaemonProcess peer = DaemonProcess.start(tmp.resolve("peer"))) {
            app.onEvent(events::add);
            BarnListener listener = app.listen(7000);
            app.addPeer(peer.invite(START).toString());
            BarnConnection open = app.dial(peer.invite(START).nodeId().toString(), 7); // the peer's echo
            first.process.destroyForcibly(); // kill -9: no goodbye
            first.process.waitFor(10, TimeUnit.SECONDS);
            awaitEvent(events, BarnEvent.Disconnected.class, Duration.ofSeconds(10));
            try (DaemonProcess second = DaemonProcess.start(data)) {
                Invite after = second.invite(START);
                assertThat(after.nodeId()).isEqualTo(before.nodeId());
                awaitEvent(events, BarnEvent.Reconnected.class, Duration.ofSeconds(20));
                BarnEvent.Reconnected r = (BarnEvent.Reconnected) events.stream()
                        .filter(BarnEvent.Reconnected.class::isInstance).findFirst().orElseThrow();
                assertThat(r.listenersRestored()).isEqualTo(1);
                // The stream open across the restart is gone, and says so.
                try {
                    open.output().write(1);
                    open.input().read();
                    throw new AssertionError("a stream survived its node");
                } catch (BarnException expected) {
                    assertThat(expected.getMessage()).contains("connection to the node lost");
                }
                // The listener is back: an app on another node reaches it.
                Invite peerInvite = peer.invite(START);
                try (Barn admin = Barn.connect(Barn.socketIn(tmp.resolve("peer")), "admin", Role.CLIENT)) {
                    admin.addPeer(after.toString());
                    CompletableFuture<String> accepted = CompletableFuture.supplyAsync(() -> {
                        try (BarnConnection c = listener.accept(20, TimeUnit.SECONDS)) {
                            return new String(c.input().readAllBytes(), StandardCharsets.UTF_8);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
                    try (BarnConnection c = admin.dial(after.nodeId().toString(), 7000)) {
                        c.output().write("after restart".getBytes(StandardCharsets.UTF_8));
                        c.output().close();
                        c.input().readAllBytes();
                    }
                    assertThat(accepted.get(20, TimeUnit.SECONDS)).isEqualTo("after restart");
                }
                assertThat(peerInvite).isNotNull();
            }
        } finally {
            first.close();
        }
    }

    @Test
    void sighupReloadsThePolicyAndRefusesABrokenOneKeepingSessions() throws Exception {
        Path data = tmp.resolve("node");
        try (DaemonProcess node = DaemonProcess.start(data)) {
            node.invite(START);
            try (Barn app = Barn.connect(Barn.socketIn(data), "watcher", Role.CLIENT)) {
                Files.writeString(data.resolve("policy.toml"), "[[allow]]\nuser = \"*\"\nrole = \"king\"\n");
                new ProcessBuilder("kill", "-HUP", Long.toString(node.process.pid())).start().waitFor();
                String refused = node.awaitLine(node.stderr, "policy reload refused", START);
                assertThat(refused).contains("policy.toml:3:").contains("role must be");
                assertThat(app.status().sessions()).as("the session outlived the broken file").isPositive();
                Files.writeString(data.resolve("policy.toml"), "[[allow]]\nuser = \"*\"\napp = \"watcher\"\n");
                new ProcessBuilder("kill", "-HUP", Long.toString(node.process.pid())).start().waitFor();
                node.awaitLine(node.stderr, "policy reloaded", START);
                assertThat(app.status().nodeId()).isNotEmpty();
            }
        }
    }

    @Test
    void anotherUserIsRefusedByTheKernelCheckedIdentity() throws Exception {
        assumeThat(new com.sun.security.auth.module.UnixSystem().getUid()).as("needs root to act as another user").isZero();
        assumeThat(Files.isExecutable(Path.of("/usr/bin/setpriv"))).as("needs setpriv").isTrue();
        // A directory and socket anyone may reach, so that only the policy stands in the way.
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path socket = shared.resolve("api.sock");
        try (DaemonProcess node = DaemonProcess.start(tmp.resolve("node"), "--api", socket.toString())) {
            node.invite(START);
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
            Path classpath = worldReadableClasspath(tmp.resolve("cp"));
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    ProcessHandle.current().info().command().orElseThrow(), "-cp", classpath + "/*:" + classpath + "/classes"));
            if (Runtime.version().feature() >= 23) {
                cmd.add(5, "--sun-misc-unsafe-memory-access=allow");
            }
            cmd.addAll(List.of(Main.class.getName(), "status", "--api", socket.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(output).isEqualTo(1);
            assertThat(output).contains("uid 65534").contains("is not allowed by the node's policy");
        }
    }

    /** Copies this JVM's classpath where user nobody can read it (root's home is closed to it). */
    private static Path worldReadableClasspath(Path dir) throws IOException {
        Files.createDirectories(dir.resolve("classes"));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            if (Files.isDirectory(p)) {
                try (var walk = Files.walk(p)) {
                    for (Path f : (Iterable<Path>) walk::iterator) {
                        Path target = dir.resolve("classes").resolve(p.relativize(f).toString());
                        if (Files.isDirectory(f)) {
                            Files.createDirectories(target);
                        } else if (!Files.exists(target)) {
                            Files.copy(f, target);
                        }
                    }
                }
            } else if (Files.isRegularFile(p)) {
                Files.copy(p, dir.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        try (var walk = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) walk::iterator) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString(Files.isDirectory(f) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        return dir;
    }
}
