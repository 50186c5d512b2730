package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real HTTP server exposed on one daemon, reached with curl through another: bytes pass unchanged. */
class TunnelProcessTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static Process start(List<String> cmd, Path log) throws Exception {
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    @Test
    void curlFetchesAPageFromPythonsHttpServerOnAnotherNodeThroughATunnel() throws Exception {
        Path www = Files.createDirectories(tmp.resolve("www"));
        String page = "served over BARN " + "x".repeat(100_000) + "\n"; // large enough to cross many frames
        Files.writeString(www.resolve("page.txt"), page);
        int httpPort = freePort();
        int localPort = freePort();
        List<AutoCloseable> stop = new ArrayList<>();
        Process http = start(List.of("python3", "-m", "http.server", "--bind", "127.0.0.1", String.valueOf(httpPort),
                "--directory", www.toString()), tmp.resolve("http.log"));
        stop.add(http::destroyForcibly);
        try {
            DaemonProcess a = DaemonProcess.start(tmp.resolve("a"));
            stop.add(0, a);
            Invite ia = a.invite(START);
            DaemonProcess b = DaemonProcess.start(tmp.resolve("b"), "--peer", ia.toString());
            stop.add(0, b);
            b.invite(START);
            try (Barn owner = Barn.connect(Barn.socketIn(tmp.resolve("a")), "test", Role.CLIENT)) {
                await(() -> owner.status().routingTable() >= 1, "A knows B");
                owner.nameClaim("web", 30);
            }
            DaemonProcess expose = DaemonProcess.command("expose", "web/Site", "--to", "127.0.0.1:" + httpPort,
                    "--data", tmp.resolve("a").toString());
            stop.add(0, () -> expose.terminate(Duration.ofSeconds(10)));
            expose.awaitLine(expose.stdout, "exposing web/site -> ", START);
            DaemonProcess connect = DaemonProcess.command("connect", "web/site", "--listen", "127.0.0.1:" + localPort,
                    "--data", tmp.resolve("b").toString());
            stop.add(0, () -> connect.terminate(Duration.ofSeconds(10)));
            connect.awaitLine(connect.stdout, "listening: ", START);
            await(() -> httpUp(httpPort), "python's http.server is up");
            for (int i = 0; i < 3; i++) { // several connections through one tunnel
                Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "30", "http://127.0.0.1:" + localPort + "/page.txt")
                        .redirectErrorStream(true).start();
                String body = new String(curl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                assertThat(curl.waitFor(40, TimeUnit.SECONDS)).isTrue();
                assertThat(curl.exitValue()).as("curl: %s", body.length() > 300 ? body.substring(0, 300) : body).isZero();
                assertThat(body).isEqualTo(page);
            }
        } finally {
            for (AutoCloseable c : stop) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
    }

    private static boolean httpUp(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            return true;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private interface Check {
        boolean ok() throws Exception;
    }

    private static void await(Check check, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!check.ok()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(50); // polling interval of the wait
        }
    }
}
