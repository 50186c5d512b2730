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

    /**
     * Two daemons (A, B) that know each other, "irc" claimed, and barn chat on each: the IRC
     * ports of A and B. Everything started goes into {@code stop}, last first.
     */
    private int[] twoChatNodes(List<AutoCloseable> stop) throws Exception {
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
        // B registers its nicks again every 2 s instead of every 6 h, so the test sees a renewal.
        DaemonProcess chatB = DaemonProcess.command("chat", "--data", tmp.resolve("b").toString(), "--listen", "127.0.0.1:" + pb,
                "--nick-renew-seconds", "2");
        stop.add(0, () -> chatB.terminate(Duration.ofSeconds(10)));
        chatA.awaitLine(chatA.stdout, "IRC endpoint on", START);
        chatB.awaitLine(chatB.stdout, "IRC endpoint on", START);
        return new int[] {pa, pb};
    }

    @Test
    void twoPeopleOnTwoNodesChatInAChannelAndPrivatelyWithNoIrcServer() throws Exception {
        List<AutoCloseable> stop = new ArrayList<>();
        try {
            int[] ports = twoChatNodes(stop);
            int pa = ports[0];
            int pb = ports[1];
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
            // While bob stays connected, node B keeps registering irc/@bob: its lease moves on.
            try (Barn reader = Barn.connect(Barn.socketIn(tmp.resolve("a")), "reader", Role.CLIENT)) {
                long first = reader.nameResolve("irc/@bob").expiresAtMillis();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                long now = first;
                while (now <= first && System.nanoTime() < deadline) {
                    Thread.sleep(200); // polling interval of the wait
                    now = reader.nameResolve("irc/@bob").expiresAtMillis();
                }
                org.assertj.core.api.Assertions.assertThat(now).as("irc/@bob's lease after a renewal").isGreaterThan(first);
            }
            // A program on node B speaks in the channel as "alice": node B does not hold that nick, so nobody hears it.
            try (Barn forger = Barn.connect(Barn.socketIn(tmp.resolve("b")), "forger", Role.CLIENT)) {
                forger.mazeJoin("irc/#barn", new byte[0], true);
                forger.mazeSend("irc/#barn", "MSG alice I am alice, trust me".getBytes(StandardCharsets.UTF_8));
                bob.send("PRIVMSG #barn :the real bob again");
                String next = alice.expect(" PRIVMSG #barn :");
                org.assertj.core.api.Assertions.assertThat(next).isEqualTo(":bob!barn@127.0.0.1 PRIVMSG #barn :the real bob again");
            }
            bob.send("NICK robert").expect(":bob!bob@127.0.0.1 NICK robert");
            alice.expect(":bob!barn@127.0.0.1 NICK robert");
            alice.send("PRIVMSG robert :still there?");
            bob.expect(":alice!barn@127.0.0.1 PRIVMSG robert :still there?");
            // A second person on node A, in the same channel: node A's own messages reach its other clients too.
            Irc erin = new Irc(pa);
            stop.add(0, erin);
            erin.send("NICK erin", "USER erin 0 * :Erin").expect(" 001 erin ");
            erin.send("JOIN #barn").expect(" 366 erin #barn ");
            alice.send("PRIVMSG #barn :erin, we share a node");
            erin.expect(":alice!barn@127.0.0.1 PRIVMSG #barn :erin, we share a node");
            erin.send("PRIVMSG #barn :so I see");
            alice.expect(":erin!barn@127.0.0.1 PRIVMSG #barn :so I see");
            bob.expect(":erin!barn@127.0.0.1 PRIVMSG #barn :so I see");
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

    private static boolean installed(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            if (java.nio.file.Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    @Test
    void aRealIrcClientChatsThroughBarnWithAScriptedOneOnAnotherNode() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(installed("ii"),
                "the real-client test drives ii (apt-get install ii; .ci/run installs it)");
        List<AutoCloseable> stop = new ArrayList<>();
        try {
            int[] ports = twoChatNodes(stop);
            int pa = ports[0];
            int pb = ports[1];
            // ii: a real IRC client that speaks through files (in: a FIFO to write to, out: a log).
            Path dir = tmp.resolve("ii");
            Process ii = new ProcessBuilder("ii", "-i", dir.toString(), "-s", "127.0.0.1", "-p", String.valueOf(pa), "-n", "carol",
                    "-f", "Carol").redirectErrorStream(true).redirectOutput(tmp.resolve("ii.log").toFile()).start();
            stop.add(0, ii::destroyForcibly);
            Path server = dir.resolve("127.0.0.1");
            awaitFile(server.resolve("in"));
            awaitContent(server.resolve("out"), "Welcome to the BARN IRC network carol");
            java.nio.file.Files.writeString(server.resolve("in"), "/j #barn\n");
            Path channel = server.resolve("#barn");
            awaitFile(channel.resolve("in"));
            Irc dave = new Irc(pb);
            stop.add(0, dave);
            dave.send("NICK dave", "USER dave 0 * :Dave").expect(" 001 dave ");
            dave.send("JOIN #barn").expect(" 366 dave #barn ");
            dave.expect("JOIN #barn"); // carol, announced in the maze
            dave.send("PRIVMSG #barn :hello carol, from another node");
            awaitContent(channel.resolve("out"), "<dave> hello carol, from another node");
            java.nio.file.Files.writeString(channel.resolve("in"), "hi dave, this is irc client ii\n");
            dave.expect(":carol!barn@127.0.0.1 PRIVMSG #barn :hi dave, this is irc client ii");
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

    private static void awaitFile(Path p) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!java.nio.file.Files.exists(p)) {
            org.assertj.core.api.Assertions.assertThat(System.nanoTime()).as("ii creates " + p).isLessThan(deadline);
            Thread.sleep(50); // polling interval of the wait
        }
    }

    private static void awaitContent(Path p, String text) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!java.nio.file.Files.exists(p) || !java.nio.file.Files.readString(p).contains(text)) {
            org.assertj.core.api.Assertions.assertThat(System.nanoTime()).as("'" + text + "' in " + p
                    + (java.nio.file.Files.exists(p) ? ": " + java.nio.file.Files.readString(p) : "")).isLessThan(deadline);
            Thread.sleep(50); // polling interval of the wait
        }
    }
}
