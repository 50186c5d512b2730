package net.barn.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two people on two nodes chat with IRC clients through barn chat: no IRC server anywhere. */
class ChatProcessTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** A scripted IRC client. */
    static final class Irc implements AutoCloseable {
        final Socket socket;
        final OutputStream out;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Irc(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            out = socket.getOutputStream();
            Thread.ofVirtual().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        lines.add(l);
                    }
                } catch (IOException ignored) {
                    // closed
                }
            });
        }

        Irc send(String... ls) throws IOException {
            for (String l : ls) {
                out.write((l + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            return this;
        }

        String expect(String part) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            List<String> skipped = new ArrayList<>();
            while (System.nanoTime() < deadline) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l != null && l.contains(part)) {
                    return l;
                }
                if (l != null) {
                    skipped.add(l);
                }
            }
            throw new AssertionError("never got '" + part + "'; got " + skipped);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void twoPeopleOnTwoNodesChatInAChannelAndPrivatelyWithNoIrcServer() throws Exception {
        List<AutoCloseable> stop = new ArrayList<>();
        try {
            DaemonProcess a = DaemonProcess.start(tmp.resolve("a"));
            stop.add(a);
            Invite ia = a.invite(START);
            DaemonProcess b = DaemonProcess.start(tmp.resolve("b"), "--peer", ia.toString());
            stop.add(0, b);
            b.invite(START);
            try (Barn owner = Barn.connect(Barn.socketIn(tmp.resolve("a")), "test", Role.CLIENT)) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (owner.status().routingTable() < 1 && System.nanoTime() < deadline) {
                    Thread.sleep(50); // polling interval of the wait
                }
                owner.nameClaim("irc", 30);
            }
            int pa = freePort();
            int pb = freePort();
            DaemonProcess chatA = DaemonProcess.command("chat", "--data", tmp.resolve("a").toString(), "--listen", "127.0.0.1:" + pa);
            stop.add(0, () -> chatA.terminate(Duration.ofSeconds(10)));
            DaemonProcess chatB = DaemonProcess.command("chat", "--data", tmp.resolve("b").toString(), "--listen", "127.0.0.1:" + pb);
            stop.add(0, () -> chatB.terminate(Duration.ofSeconds(10)));
            chatA.awaitLine(chatA.stdout, "IRC endpoint on", START);
            chatB.awaitLine(chatB.stdout, "IRC endpoint on", START);
            Irc alice = new Irc(pa);
            stop.add(0, alice);
            Irc bob = new Irc(pb);
            stop.add(0, bob);
            alice.send("NICK alice", "USER alice 0 * :Alice").expect(" 001 alice ");
            bob.send("NICK bob", "USER bob 0 * :Bob").expect(" 001 bob ");
            alice.send("JOIN #barn").expect(" 366 alice #barn ");
            bob.send("JOIN #barn").expect(" 366 bob #barn ");
            alice.expect("JOIN #barn"); // bob's join, announced in the maze
            bob.send("PRIVMSG #barn :hello from node B");
            alice.expect(":bob!barn@127.0.0.1 PRIVMSG #barn :hello from node B");
            alice.send("PRIVMSG #barn :hi bob, from node A");
            bob.expect(":alice!barn@127.0.0.1 PRIVMSG #barn :hi bob, from node A");
            alice.send("PRIVMSG bob :a private word");
            bob.expect(":alice!barn@127.0.0.1 PRIVMSG bob :a private word");
            bob.send("NAMES #barn").expect(" 353 bob = #barn :");
            bob.send("NICK robert").expect(":bob!bob@127.0.0.1 NICK robert");
            alice.expect(":bob!barn@127.0.0.1 NICK robert");
            alice.send("PRIVMSG robert :still there?");
            bob.expect(":alice!barn@127.0.0.1 PRIVMSG robert :still there?");
            // A nick another node holds cannot be taken.
            Irc mallory = new Irc(pb);
            stop.add(0, mallory);
            mallory.send("NICK alice", "USER m 0 * :M").expect(" 433 * alice :Nickname is already in use");
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
}
