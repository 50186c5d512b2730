package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import net.barn.core.nat.Reachability;
import org.junit.jupiter.api.Test;

/**
 * Relay reservations and circuits between in-process nodes on loopback. Every node here can
 * reach every other, so the nodes are told their reachability (a relay must be public, the
 * reserving node behind NAT); the NAT testbed test shows the same with real NATs.
 */
class RelayCircuitTest extends RootNetworkTest {
    private static void await(java.util.function.BooleanSupplier condition, String what) throws Exception {
        TestRoots.await(condition, what, 30);
    }

    /** A public relay, a node behind NAT holding a reservation on it, and a dialler linked to the relay. */
    private BarnNode[] reservedTrio(long seed, net.barn.core.relay.RelayConfig relayConfig) throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode relay = nodes.start(seed);
        BarnNode hidden = nodes.start(seed + 1);
        BarnNode dialler = nodes.start(seed + 2);
        relay.reachability().assume(Reachability.Verdict.PUBLIC);
        if (relayConfig != null) {
            relay.relay().useConfig(relayConfig);
        }
        hidden.reachability().assume(Reachability.Verdict.CONE_NAT);
        hidden.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        dialler.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        await(() -> hidden.relay().relays().contains(relay.id()), "the hidden node reserves on the relay");
        await(() -> relay.relay().reservationsHeld() == 1, "the relay counts the reservation");
        return new BarnNode[] {relay, hidden, dialler};
    }

    @Test
    void aNodeMovesAReservationToAClearlyEmptierRelayAndReleasesTheOldOne() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode small1 = nodes.start(41);
        BarnNode small2 = nodes.start(42);
        BarnNode hidden = nodes.start(43);
        for (BarnNode r : new BarnNode[] {small1, small2}) {
            r.reachability().assume(Reachability.Verdict.PUBLIC);
            r.relay().useConfig(net.barn.core.relay.RelayConfig.DEFAULT.withMaxReservations(4));
        }
        hidden.reachability().assume(Reachability.Verdict.CONE_NAT);
        hidden.dial(small1.invite()).get(10, TimeUnit.SECONDS);
        hidden.dial(small2.invite()).get(10, TimeUnit.SECONDS);
        await(() -> hidden.relay().relays().size() == 2, "the hidden node reserves on both small relays");
        assertThat(hidden.relay().rebalanceNow()).as("no emptier relay known yet").isFalse();

        // A relay of 128 places arrives: one of 4 places held against none of 128 is worth a move.
        BarnNode large = nodes.start(44);
        large.reachability().assume(Reachability.Verdict.PUBLIC);
        hidden.dial(large.invite()).get(10, TimeUnit.SECONDS);
        assertThat(hidden.relay().rebalanceNow()).isTrue();
        await(() -> hidden.relay().relays().contains(large.id()) && hidden.relay().relays().size() == 2,
                "the hidden node holds the large relay and one small one");
        await(() -> large.relay().reservationsHeld() == 1, "the large relay counts the reservation");
        await(() -> small1.relay().reservationsHeld() + small2.relay().reservationsHeld() == 1, "the left relay released it");
        // Now the large relay holds one of 128 and a small one one of 4: moving back is not worth it.
        assertThat(hidden.relay().rebalanceNow()).isFalse();
    }

    @Test
    void aNodeBehindNatIsReachedThroughACircuitOfItsRelayWithALinkProvedEndToEnd() throws Exception {
        BarnNode[] trio = reservedTrio(1, null);
        BarnNode relay = trio[0];
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];

        PeerLink link = dialler.relay().dialVia(relay.id(), hidden.id()).get(15, TimeUnit.SECONDS);
        assertThat(link.peerId()).isEqualTo(hidden.id());
        assertThat(link.relayedVia()).isEqualTo(relay.id());
        assertThat(link.remoteAddress()).isNull();
        await(() -> hidden.link(dialler.id()).isPresent(), "the hidden node holds the link too");
        assertThat(hidden.link(dialler.id()).orElseThrow().relayedVia()).isEqualTo(relay.id());

        // A stream over the relayed link: the hidden node's echo service answers.
        try (BlockingStream s = link.openBlocking(BuiltinServices.ECHO_PORT)) {
            s.setReadTimeout(10_000);
            byte[] hello = "through the relay, end to end".getBytes(StandardCharsets.UTF_8);
            OutputStream out = s.out();
            out.write(hello);
            out.flush();
            byte[] back = new byte[hello.length];
            new DataInputStream(s.in()).readFully(back);
            assertThat(back).isEqualTo(hello);
        }
    }

    @Test
    void aCircuitEndsAtItsByteLimitAndItsLinkWithIt() throws Exception {
        BarnNode[] trio = reservedTrio(21, new net.barn.core.relay.RelayConfig(8, 8, 8, 2, 3_600_000_000_000L, 64 * 1024,
                600_000_000_000L, 0.9, 0.75));
        BarnNode relay = trio[0];
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink link = dialler.relay().dialVia(relay.id(), hidden.id()).get(15, TimeUnit.SECONDS);
        // Push more than the circuit's 64 KiB through the discard service: the relay ends the circuit.
        try (BlockingStream s = link.openBlocking(BuiltinServices.DISCARD_PORT)) {
            byte[] chunk = new byte[8 * 1024];
            for (int i = 0; i < 40 && dialler.link(hidden.id()).isPresent(); i++) {
                s.out().write(chunk);
                s.out().flush();
            }
        } catch (java.io.IOException expected) {
            // the stream went with the link
        }
        await(() -> dialler.link(hidden.id()).isEmpty(), "the link over the spent circuit closes");
        assertThat(relay.relay().reservationsHeld()).as("the reservation outlives the circuit").isEqualTo(1);
    }

    @Test
    void circuitsAreRefusedWithAReason() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode relay = nodes.start(11);
        BarnNode other = nodes.start(12);
        BarnNode dialler = nodes.start(13);
        dialler.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        other.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        // A node that does not know itself public relays for nobody.
        assertThatThrownBy(() -> dialler.relay().dialVia(relay.id(), other.id()).get(15, TimeUnit.SECONDS))
                .hasMessageContaining("not publicly reachable");
        relay.reachability().assume(Reachability.Verdict.PUBLIC);
        // An operator that turned relaying off.
        relay.relay().useConfig(null);
        assertThatThrownBy(() -> dialler.relay().dialVia(relay.id(), other.id()).get(15, TimeUnit.SECONDS))
                .hasMessageContaining("turned relaying off");
        relay.relay().useConfig(net.barn.core.relay.RelayConfig.DEFAULT);
        // A target without a reservation there.
        assertThatThrownBy(() -> dialler.relay().dialVia(relay.id(), other.id()).get(15, TimeUnit.SECONDS))
                .hasMessageContaining("no reservation for " + other.id().shortForm());
        // A relay this node has no link to.
        assertThatThrownBy(() -> dialler.relay().dialVia(other.id(), relay.id()).get(15, TimeUnit.SECONDS))
                .hasMessageContaining("no link to relay");
    }
}
