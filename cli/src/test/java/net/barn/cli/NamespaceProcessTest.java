package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.identity.Invite;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnException;
import net.barn.sdk.Role;
import net.barn.wire.local.NameRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The root namespace across real daemon processes on loopback: claim on one, resolve and change from others. */
class NamespaceProcessTest {
    private static final Duration START = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    private static void awaitRoutingTable(Path data, int atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        try (Barn b = Barn.connect(Barn.socketIn(data), "test", Role.CLIENT)) {
            while (b.status().routingTable() < atLeast) {
                assertThat(System.nanoTime()).as("routing table of " + data + " reaches " + atLeast).isLessThan(deadline);
                Thread.sleep(50); // polling interval of the wait
            }
        }
    }

    private Barn connect(int i) throws Exception {
        return Barn.connect(Barn.socketIn(tmp.resolve("n" + i)), "ns-test", Role.CLIENT);
    }

    private String cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return exit + "\n" + out + err;
    }

    @Test
    void aNameClaimedOnOneDaemonIsResolvedByTheOthersAndOnlyItsOwnerChangesIt() throws Exception {
        List<DaemonProcess> daemons = new ArrayList<>();
        try {
            daemons.add(DaemonProcess.start(tmp.resolve("n0")));
            Invite first = daemons.get(0).invite(START);
            for (int i = 1; i < 6; i++) {
                daemons.add(DaemonProcess.start(tmp.resolve("n" + i), "--peer", first.toString()));
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                ids.add(daemons.get(i).invite(START).nodeId().toString());
            }
            for (int i = 0; i < 6; i++) {
                awaitRoutingTable(tmp.resolve("n" + i), 2); // enough to find the rest through lookups
            }
            try (Barn owner = connect(2)) {
                Barn.Name claimed = owner.nameClaim("IRC", 30);
                assertThat(claimed.name()).isEqualTo("irc");
                assertThat(claimed.owners()).containsExactly(ids.get(2));
                assertThat(claimed.stored()).isGreaterThanOrEqualTo(3);
                assertThat(claimed.countersignatures()).isGreaterThanOrEqualTo(3);
            }
            try (Barn reader = connect(5)) {
                Barn.Name seen = reader.nameShow("irc", false);
                assertThat(seen.found()).isTrue();
                assertThat(seen.owners()).containsExactly(ids.get(2));
                assertThat(seen.agreeing()).isGreaterThanOrEqualTo(3);
                assertThat(seen.conflicting()).isZero();
                assertThat(seen.pin()).isEqualTo("first-seen");
                assertThat(reader.nameShow("Irc", false).pin()).isEqualTo("same");
            }
            // Someone else's claim of the same name is refused, saying why.
            try (Barn rival = connect(4)) {
                assertThatThrownBy(() -> rival.nameClaim("irc", 30)).isInstanceOf(BarnException.class)
                        .hasMessageContaining("name held since");
                assertThatThrownBy(() -> rival.name(NameRequest.newBuilder().setOp(NameRequest.Op.RENEW).setName("irc").build()))
                        .hasMessageContaining("is not an owner");
                assertThatThrownBy(() -> rival.nameClaim("no spaces", 30)).hasMessageContaining("U+0020 is not allowed");
            }
            // Two of nodes 2 and 3 own "duo" together: a renewal proposed on one is published once the other co-signs.
            String duo = cli("ns", "claim", "duo", "--owner", ids.get(2), "--owner", ids.get(3), "--threshold", "2",
                    "--data", tmp.resolve("n2").toString());
            assertThat(duo).startsWith("0\n").contains("(2 must sign)");
            String proposed = cli("ns", "renew", "duo", "--lease-days", "90", "--data", tmp.resolve("n2").toString());
            assertThat(proposed).contains("not published yet: signed by 1 of its owners, needs 2");
            String proposal = proposed.split("\n")[2].trim();
            String cosigned = cli("ns", "cosign", proposal, "--data", tmp.resolve("n3").toString());
            assertThat(cosigned).startsWith("0\n").contains("sequence 2");
            assertThat(cli("ns", "cosign", proposal, "--data", tmp.resolve("n4").toString())).contains("does not follow the current version");
            // The owner hands it to node 4 from the command line; node 5 then sees the handover against its pin.
            String transfer = cli("ns", "transfer", "irc", "--to", ids.get(4), "--data", tmp.resolve("n2").toString());
            assertThat(transfer).startsWith("0\n").contains("owners       " + ids.get(4));
            String shown = cli("ns", "show", "irc", "--data", tmp.resolve("n5").toString());
            assertThat(shown).contains("owners       " + ids.get(4)).contains("pin          owners-handed-over");
            try (Barn buyer = connect(4)) {
                Barn.Name renewed = buyer.name(NameRequest.newBuilder().setOp(NameRequest.Op.RENEW).setName("irc").setLeaseDays(60).build());
                assertThat(renewed.sequence()).isEqualTo(3);
                assertThat(renewed.stored()).isGreaterThanOrEqualTo(3);
            }
        } finally {
            for (DaemonProcess d : daemons) {
                d.close();
            }
        }
    }

    @Test
    void membersOfAClaimedNamespaceReceiveEachOthersBroadcastsAndAClosedOneNeedsAnInvitation() throws Exception {
        List<DaemonProcess> daemons = new ArrayList<>();
        List<Barn> sessions = new ArrayList<>();
        try {
            daemons.add(DaemonProcess.start(tmp.resolve("n0")));
            Invite first = daemons.get(0).invite(START);
            for (int i = 1; i < 5; i++) {
                daemons.add(DaemonProcess.start(tmp.resolve("n" + i), "--peer", first.toString()));
            }
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                ids.add(daemons.get(i).invite(START).nodeId().toString());
                awaitRoutingTable(tmp.resolve("n" + i), 2);
            }
            try (Barn owner = connect(0)) {
                owner.nameClaim("chess", 30);
                owner.name(NameRequest.newBuilder().setOp(NameRequest.Op.CLAIM).setName("club").setLeaseDays(30)
                        .setMembership(NameRequest.Membership.INVITE_ONLY).build());
            }
            try (Barn stranger = connect(1)) {
                assertThatThrownBy(() -> stranger.nsJoin("nobody-claimed-this")).hasMessageContaining("is not claimed");
                assertThatThrownBy(() -> stranger.nsJoin("club")).hasMessageContaining("invite-only");
            }
            // Members 1-4 join through sessions that listen; node 0 joins from the command line.
            List<java.util.concurrent.LinkedBlockingQueue<String>> inboxes = new ArrayList<>();
            for (int i = 1; i < 5; i++) {
                Barn b = connect(i);
                sessions.add(b);
                var inbox = new java.util.concurrent.LinkedBlockingQueue<String>();
                inboxes.add(inbox);
                b.onEvent(e -> {
                    if (e instanceof net.barn.sdk.BarnEvent.NamespaceMessage m && m.namespace().equals("chess")) {
                        inbox.add(m.origin() + ":" + new String(m.payload(), java.nio.charset.StandardCharsets.UTF_8));
                    }
                });
                b.nsJoin("Chess");
            }
            assertThat(cli("ns", "join", "chess", "--data", tmp.resolve("n0").toString())).startsWith("0\n").contains("member of chess");
            try {
                awaitNeighbours(sessions, "chess");
            } catch (AssertionError e) {
                daemons.forEach(d -> System.err.println("DAEMON: " + String.join("\n", d.stderr)));
                throw e;
            }
            sessions.get(1).nsBroadcast("chess", "e4".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (int i = 0; i < 4; i++) {
                if (i == 1) {
                    continue; // the sender's own session
                }
                assertThat(inboxes.get(i).poll(20, TimeUnit.SECONDS)).as("member %d receives the broadcast", i + 1)
                        .isEqualTo(ids.get(2) + ":e4");
            }
            assertThat(cli("ns", "send", "chess", "d5", "--data", tmp.resolve("n0").toString())).startsWith("0\n");
            for (int i = 0; i < 4; i++) {
                assertThat(inboxes.get(i).poll(20, TimeUnit.SECONDS)).isEqualTo(ids.get(0) + ":d5");
            }
            // A member registers a nick pointing at its port 7000; another member resolves it.
            assertThat(cli("ns", "register", "chess/@Alice", "--port", "7000", "--data", tmp.resolve("n1").toString()))
                    .startsWith("0\n").contains("chess/@alice -> " + ids.get(1) + " port 7000");
            Barn.Name alice = sessions.get(2).nameResolve("chess/@alice");
            assertThat(alice.target()).isEqualTo(ids.get(1));
            assertThat(alice.port()).isEqualTo(7000);
            assertThat(alice.registrant()).isEqualTo(ids.get(1));
            assertThat(cli("ns", "register", "chess/@alice", "--port", "1", "--data", tmp.resolve("n2").toString()))
                    .contains("sub-name held by");
            // The owner invites node 1 into the closed namespace; with the invitation it gets in.
            String invitation = cli("ns", "invite", "club", "--member", ids.get(1), "--data", tmp.resolve("n0").toString());
            assertThat(invitation).startsWith("0\n");
            byte[] inv = java.util.Base64.getUrlDecoder().decode(invitation.split("\n")[1].trim());
            assertThat(sessions.get(0).nsJoin("club", inv).namespace()).isEqualTo("club");
            assertThatThrownBy(() -> sessions.get(2).nsJoin("club", inv)).hasMessageContaining("another namespace or member");
        } finally {
            for (Barn b : sessions) {
                b.close();
            }
            for (DaemonProcess d : daemons) {
                d.close();
            }
        }
    }

    private static void awaitNeighbours(List<Barn> sessions, String ns) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (Barn b : sessions) {
            while (b.nsList().stream().noneMatch(st -> st.namespace().equals(ns) && !st.neighbours().isEmpty())) {
                assertThat(System.nanoTime()).as("a member of " + ns + " gets an overlay neighbour").isLessThan(deadline);
                Thread.sleep(50); // polling interval of the wait
            }
        }
    }
}
