package net.barn.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;

/**
 * A {@link BenchPeer} in its own JVM: the far end of a benchmark. It is ready once it has
 * printed {@code ready <invite> <tcp discard port> <tcp echo port>}; closing its stdin stops it.
 */
record PeerProcess(Process process, Invite invite, int tcpDiscardPort, int tcpEchoPort) implements AutoCloseable {
    /**
     * Starts one. {@code BARN_BENCH_PEER_OPTS} adds JVM options (a profiler, say), with
     * {@code %d} replaced by {@code name} so that several peers write apart.
     */
    static PeerProcess start(String name, List<String> jvmOptions, List<String> peerArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmOptions);
        if (Runtime.version().feature() >= 23) {
            cmd.add("--sun-misc-unsafe-memory-access=allow");
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        String extra = System.getenv("BARN_BENCH_PEER_OPTS");
        if (extra != null && !extra.isBlank()) {
            cmd.addAll(List.of(extra.trim().replace("%d", name).split("\\s+")));
        }
        cmd.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                BenchPeer.class.getName()));
        cmd.addAll(peerArgs);
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = r.readLine()) != null && !line.startsWith("ready ")) {
            // a profiler or the JVM may print first
        }
        if (line == null) {
            p.destroyForcibly();
            throw new IOException("benchmark peer " + name + " did not start");
        }
        String[] parts = line.split(" ");
        return new PeerProcess(p, Invite.parse(parts[1]), Integer.parseInt(parts[2]), Integer.parseInt(parts[3]));
    }

    @Override
    public void close() throws IOException {
        process.getOutputStream().close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
