package net.barn.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;

/** A {@code barn node} in its own JVM process (or in a network namespace), with its output captured: for benchmarks and tests. */
final class DaemonProcess implements AutoCloseable {
    /** Cheap proof of work for test and benchmark networks; every daemon of one network must use the same. */
    static final String TEST_POW = "2,6";
    /** Claims in test networks: 64 KiB, one pass, 2 bits (a few milliseconds). */
    static final String TEST_NAME_WORK = "64,1,2";

    final Process process;
    final List<String> stdout = new CopyOnWriteArrayList<>();
    final List<String> stderr = new CopyOnWriteArrayList<>();

    private final List<Thread> pipes = new ArrayList<>();

    private DaemonProcess(Process process) {
        this.process = process;
        pipes.add(pipe(process.getInputStream(), stdout));
        pipes.add(pipe(process.getErrorStream(), stderr));
    }

    static DaemonProcess start(Path data, String... extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--listen", "127.0.0.1:0", "--no-lan")); // tests never multicast on the host
        args.addAll(List.of(extra));
        return start(List.of(), data, args);
    }

    /**
     * A daemon started through {@code prefix} (e.g. "ip netns exec NS"), with exactly these
     * node arguments (listen address and LAN setting included).
     */
    /**
     * A node in network namespace {@code netns} of the NAT testbed, listening on {@code listen}
     * (no LAN announcements), seeded with {@code peers}, with {@code extra} node options.
     */
    static DaemonProcess inNamespace(String netns, Path data, String listen, List<net.barn.core.identity.Invite> peers,
            List<String> extra) throws IOException {
        List<String> args = new ArrayList<>(List.of("--listen", listen, "--no-lan"));
        args.addAll(extra);
        for (net.barn.core.identity.Invite i : peers) {
            args.addAll(List.of("--peer", i.toString()));
        }
        return start(List.of("ip", "netns", "exec", netns), data, args);
    }

    static DaemonProcess start(List<String> prefix, Path data, List<String> nodeArgs) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow"); // protobuf's, not ours
            cmd.add("--enable-native-access=ALL-UNNAMED"); // sqlite's
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "node", "--data", data.toString(), "--pow", TEST_POW,
                "--name-work", TEST_NAME_WORK));
        cmd.addAll(nodeArgs);
        return new DaemonProcess(new ProcessBuilder(cmd).start());
    }

    /** Any barn command in a process of its own (e.g. a tunnel that runs until stopped). */
    static DaemonProcess command(String... barnArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(barnArgs));
        return new DaemonProcess(new ProcessBuilder(cmd).start());
    }

    private static Thread pipe(InputStream in, List<String> sink) {
        return Thread.ofVirtual().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    sink.add(line);
                }
            } catch (IOException ignored) {
                // process ended
            }
        });
    }

    /** Waits for the daemon to print its invite. */
    Invite invite(Duration timeout) throws InterruptedException {
        String line = awaitLine(stdout, "invite: ", timeout);
        return Invite.parse(line.substring("invite: ".length()));
    }

    String awaitLine(List<String> lines, String containing, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : lines) {
                if (l.contains(containing)) {
                    return l;
                }
            }
            if (!process.isAlive() && drained() && lines.stream().noneMatch(l -> l.contains(containing))) {
                throw new IllegalStateException("daemon exited (" + process.exitValue() + ") without printing '" + containing
                        + "'; stderr: " + String.join("\n", stderr));
            }
            Thread.sleep(10); // polling interval of the wait
        }
        throw new IllegalStateException("daemon never printed '" + containing + "'; stdout: " + stdout + " stderr: " + stderr);
    }

    /** True once both output pipes reached end of stream (waits briefly for them). */
    private boolean drained() throws InterruptedException {
        for (Thread t : pipes) {
            t.join(Duration.ofSeconds(5));
        }
        return pipes.stream().noneMatch(Thread::isAlive);
    }

    /** Sends SIGTERM and waits for the exit code. */
    int terminate(Duration timeout) throws InterruptedException {
        // Process.destroy() would also close our ends of its pipes and lose its last words.
        process.toHandle().destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("daemon did not stop within " + timeout + " of SIGTERM");
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
