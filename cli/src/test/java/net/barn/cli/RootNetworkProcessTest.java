package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The root network across real daemon processes on loopback. */
class RootNetworkProcessTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static void awaitRoutingTable(Path data, int atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Barn b = Barn.connect(Barn.socketIn(data), "test", Role.CLIENT)) {
            while (b.status().routingTable() < atLeast) {
                assertThat(System.nanoTime()).as("routing table of " + data + " reaches " + atLeast).isLessThan(deadline);
                Thread.sleep(50); // polling interval of the wait
            }
        }
    }

    @Test
    void aRecordStoredByOneOfTwentyDaemonsIsReadByEveryOther() throws Exception {
        List<DaemonProcess> daemons = new ArrayList<>();
        List<Invite> invites = new ArrayList<>();
        try {
            daemons.add(DaemonProcess.start(tmp.resolve("n0")));
            invites.add(daemons.get(0).invite(START));
            Random random = new Random(20);
            for (int i = 1; i < 20; i++) {
                Invite seed = invites.get(random.nextInt(invites.size()));
                daemons.add(DaemonProcess.start(tmp.resolve("n" + i), "--peer", seed.toString()));
                if (i % 5 == 0 || i == 19) { // let a batch come up before the next names its seeds
                    for (int j = invites.size(); j <= i; j++) {
                        invites.add(daemons.get(j).invite(START));
                    }
                }
            }
            for (int i = 0; i < 20; i++) {
                awaitRoutingTable(tmp.resolve("n" + i), 3);
            }
            String key;
            try (Barn writer = Barn.connect(Barn.socketIn(tmp.resolve("n7")), "writer", Role.CLIENT)) {
                Barn.Published p = writer.dhtPut("motd", "hello from node 7".getBytes(StandardCharsets.UTF_8), 0);
                assertThat(p.stored()).isGreaterThanOrEqualTo(3);
                key = p.key();
            }
            for (int i = 0; i < 20; i++) {
                try (Barn reader = Barn.connect(Barn.socketIn(tmp.resolve("n" + i)), "reader", Role.CLIENT)) {
                    Barn.DhtValue v = reader.dhtGet(key);
                    assertThat(v).as("node %d reads the record", i).isNotNull();
                    assertThat(new String(v.value(), StandardCharsets.UTF_8)).isEqualTo("hello from node 7");
                    assertThat(v.conflicting()).isZero();
                }
            }
        } finally {
            for (DaemonProcess d : daemons) {
                d.close();
            }
        }
    }

    @Test
    void aRestartedDaemonWithoutPeersRejoinsFromItsPeerCache() throws Exception {
        try (DaemonProcess a = DaemonProcess.start(tmp.resolve("a"))) {
            Invite ia = a.invite(START);
            String key;
            try (DaemonProcess b = DaemonProcess.start(tmp.resolve("b"), "--peer", ia.toString())) {
                b.invite(START);
                awaitRoutingTable(tmp.resolve("b"), 1);
                try (Barn writer = Barn.connect(Barn.socketIn(tmp.resolve("a")), "w", Role.CLIENT)) {
                    key = writer.dhtPut("note", "kept".getBytes(StandardCharsets.UTF_8), 0).key();
                }
                b.terminate(Duration.ofSeconds(15));
            }
            try (DaemonProcess b = DaemonProcess.start(tmp.resolve("b"))) { // no --peer this time
                b.invite(START);
                awaitRoutingTable(tmp.resolve("b"), 1);
                try (Barn reader = Barn.connect(Barn.socketIn(tmp.resolve("b")), "r", Role.CLIENT)) {
                    assertThat(reader.dhtGet(key)).isNotNull();
                }
            }
        }
    }

    @Test
    void aCorruptStateDatabaseStopsTheNodeWithOneClearLine() throws Exception {
        Path data = tmp.resolve("broken");
        Files.createDirectories(data);
        Files.writeString(data.resolve("state.db"), "not a database ".repeat(200));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), "node", "--data", data.toString(),
                "--listen", "127.0.0.1:0", "--pow", DaemonProcess.TEST_POW, "--no-lan");
        assertThat(exit).isEqualTo(1);
        assertThat(err.toString().strip()).contains("state database").contains("move it aside").doesNotContain("\n");
    }
}
