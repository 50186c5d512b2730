package net.barn.apps.irc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The IRC endpoint driven by scripted clients over TCP, against an in-memory chat network. */
class IrcServerTest {
    private IrcServer server;
    private final List<Client> clients = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        LocalChatNetwork hub = new LocalChatNetwork();
        server = IrcServer.start(new InetSocketAddress("127.0.0.1", 0), "barn.test", hub::connect);
    }

    @AfterEach
    void stop() {
        clients.forEach(Client::close);
        server.close();
    }

    /** A scripted IRC client: sends lines, waits for lines matching what it expects. */
    final class Client {
        final Socket socket;
        final OutputStream out;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Client() throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true); // Nagle would hold a line back for tens of milliseconds
            socket.connect(server.address(), 5000);
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
                lines.add("<closed>");
            });
            clients.add(this);
        }

        Client send(String... ls) throws IOException {
            for (String l : ls) {
                out.write((l + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            return this;
        }

        Client sendRaw(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        /** The next line containing {@code part}, skipping others; fails after 5 s. */
        String expect(String part) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            List<String> skipped = new ArrayList<>();
            while (System.nanoTime() < deadline) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l == null) {
                    continue;
                }
                if (l.contains(part)) {
                    return l;
                }
                skipped.add(l);
            }
            throw new AssertionError("never got a line with '" + part + "'; got " + skipped);
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // done
            }
        }
    }

    private Client register(String nick) throws Exception {
        Client c = new Client().send("CAP LS 302", "NICK " + nick, "USER " + nick + " 0 * :" + nick + " Example", "CAP END");
        c.expect(" 001 " + nick + " :Welcome to the BARN IRC network " + nick + "!");
        c.expect(" 005 " + nick + " CHANTYPES=#");
        c.expect(" 376 " + nick + " ");
        return c;
    }

    @Test
    void registrationSendsTheWelcomeBurstAndCommandsBeforeItAreRefused() throws Exception {
        Client c = new Client().send("JOIN #barn");
        c.expect(" 451 * :You have not registered");
        c.send("CAP LS 302").expect("CAP * LS");
        c.send("NICK alice", "USER alice 0 * :Alice A").expect(" 001 alice ");
        c.expect(" 002 alice ");
        c.expect(" 003 alice ");
        c.expect(" 004 alice barn.test barn-chat");
        c.expect(" 005 alice CHANTYPES=# NICKLEN=30");
        c.expect(" 251 alice :There are 1 users");
        c.expect(" 375 alice ");
        c.expect(" 376 alice ");
        c.send("USER again 0 * :x").expect(" 462 alice :You may not reregister");
        c.send("PING :token-1").expect(":barn.test PONG barn.test token-1");
        c.send("PING token-2").expect("PONG barn.test token-2");
    }

    @Test
    void twoClientsChatInAChannelAndPrivately() throws Exception {
        Client alice = register("alice");
        Client bob = register("bob");
        alice.send("JOIN #barn").expect(":alice!alice@127.0.0.1 JOIN #barn");
        alice.expect(" 331 alice #barn :No topic is set");
        alice.expect(" 353 alice = #barn :alice");
        alice.expect(" 366 alice #barn ");
        bob.send("JOIN #Barn").expect(" 353 bob = #Barn :alice bob");
        alice.expect(":bob!barn@127.0.0.1 JOIN #barn");
        bob.send("PRIVMSG #barn :hello, no server here");
        alice.expect(":bob!barn@127.0.0.1 PRIVMSG #barn :hello, no server here");
        alice.send("PRIVMSG bob :psst");
        bob.expect(":alice!barn@127.0.0.1 PRIVMSG bob :psst");
        alice.send("TOPIC #barn :serverless chat").expect(" TOPIC #barn :serverless chat");
        bob.expect("TOPIC #Barn :serverless chat"); // each client sees a channel as it spelled it
        bob.send("TOPIC #barn").expect(" 332 bob #Barn :serverless chat");
        bob.send("WHO #barn").expect(" 352 bob #Barn alice ");
        bob.expect(" 315 bob #barn ");
        bob.send("WHOIS alice").expect(" 311 bob alice alice barn * :alice Example");
        bob.expect(" 319 bob alice :#barn");
        bob.expect(" 318 bob alice ");
        bob.send("WHOIS nobody").expect(" 401 bob nobody :No such nick/channel");
        bob.send("NICK alice").expect(" 433 bob alice :Nickname is already in use");
        bob.send("NICK bobby").expect(":bob!bob@127.0.0.1 NICK bobby");
        alice.expect(":bob!barn@127.0.0.1 NICK bobby");
        bob.send("PART #barn :bye").expect(" PART #Barn :bye");
        alice.expect(":bobby!barn@127.0.0.1 PART #barn :bye");
        bob.send("QUIT :gone").expect("ERROR :Closing Link");
        bob.expect("<closed>");
        alice.send("LUSERS").expect(" 251 alice :There are 1 users");
    }

    @Test
    void badInputGetsTheRepliesRealServersGiveAndHurtsNobodyElse() throws Exception {
        Client alice = register("alice");
        Client bob = register("bob");
        bob.send("JOIN #x").expect(" 366 bob #x ");
        alice.send("FROBNICATE now").expect(" 421 alice FROBNICATE :Unknown command");
        alice.send("PRIVMSG #x :hi").expect(" 404 alice #x :Cannot send to channel");
        alice.send("PRIVMSG").expect(" 411 alice ");
        alice.send("PRIVMSG bob").expect(" 412 alice ");
        alice.send("JOIN").expect(" 461 alice JOIN :Not enough parameters");
        alice.send("JOIN bad-channel").expect(" 403 alice bad-channel :No such channel");
        alice.send("NICK 9lives").expect(" 432 alice 9lives :Erroneous nickname");
        alice.send("PART #nowhere").expect(" 442 alice #nowhere ");
        alice.send("PRIVMSG bob :" + "y".repeat(600)).expect(" 417 alice :Input line was too long");
        alice.sendRaw(new byte[] {'P', 'R', 'I', 'V', 'M', 'S', 'G', ' ', 'b', 'o', 'b', ' ', ':', (byte) 0xC3, (byte) 0x28, '\r', '\n'});
        alice.expect("NOTICE alice :Line ignored: not UTF-8");
        alice.send("PING :still-here").expect("PONG barn.test still-here");
        // A flood ends the flooder's session only.
        StringBuilder flood = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            flood.append("PRIVMSG #x :flood ").append(i).append("\r\n");
        }
        Client mallory = register("mallory");
        mallory.send("JOIN #x").expect(" 366 mallory #x ");
        bob.expect(":mallory!barn@127.0.0.1 JOIN #x");
        mallory.sendRaw(flood.toString().getBytes(StandardCharsets.UTF_8));
        mallory.expect("ERROR :Closing Link: 127.0.0.1 (Excess Flood)");
        bob.expect(":mallory!barn@127.0.0.1 QUIT :Excess Flood");
        bob.send("PING :ok").expect("PONG barn.test ok");
    }
}
