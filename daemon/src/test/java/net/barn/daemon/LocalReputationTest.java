package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.nat.Reachability;
import net.barn.core.relay.RelayConfig;
import net.barn.core.trust.reputation.Reputation;
import org.junit.jupiter.api.Test;

/** Each node's own reputation of its peers, fed by what they do for it, decides whom it asks first and which relays it takes. */
class LocalReputationTest extends RootNetworkTest {
    @Test
    void aPeerThatStopsAnsweringTheRootNetworkEndsPoorAndAQuorumReadIsReachedWithoutAskingIt() throws Exception {
        RootNetwork network = rootNetwork(5, 150);
        List<BarnNode> up = network.nodes();
        List<DhtService> dhts = network.roots();
        TestRoots.await(() -> dhts.stream().allMatch(d -> TestRoots.tableSize(d) >= 4), "the root network forms", 20);
        BarnNode observer = up.get(0);
        BarnNode mute = up.get(4);
        Reputation scores = observer.reputation();
        DhtService asker = dhts.get(0);
        asker.findNode(Key.of(mute.id())).get(20, TimeUnit.SECONDS);
        assertThat(scores.score(mute.id())).as("it answered a lookup").isGreaterThan(0.5);

        // The mute node keeps its links but no longer answers root-network requests: each one times out.
        mute.unbind(DhtService.SERVICE);
        java.util.SplittableRandom rng = new java.util.SplittableRandom(15);
        TestRoots.await(() -> {
            List<CompletableFuture<?>> lookups = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                byte[] target = new byte[32];
                rng.nextBytes(target);
                lookups.add(asker.findNode(Key.of(target)));
            }
            try {
                CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
            return scores.score(mute.id()) < Reputation.POOR;
        }, "the observer's score of the mute node sinks", 90);
        for (int i = 1; i < 4; i++) {
            assertThat(scores.score(up.get(i).id())).as("node " + i + " answers well").isGreaterThan(0.5);
        }

        // A record the other three replicas hold: the read reaches its quorum of three without the mute node.
        BarnNode publisher = up.get(1);
        long now = dhts.get(1).nowMillis();
        Record r = RecordTypes.owned(publisher.identity(), "status", "here".getBytes(StandardCharsets.UTF_8), now, now + 3_600_000);
        assertThat(dhts.get(1).put(r, true).get(20, TimeUnit.SECONDS).stored()).isGreaterThanOrEqualTo(3);
        DhtEvent.GetResult got = asker.get(r.key(), RecordTypes.OWNED).get(20, TimeUnit.SECONDS);
        assertThat(got.record()).isNotNull();
        assertThat(got.requests()).as("asked the three good replicas only").isEqualTo(3);
    }

    @Test
    void aRelayThatFailedThisNodesCircuitsIsNotChosenForAReservationThoughItIsTheEmptiest() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode small1 = nodes.start(161);
        BarnNode small2 = nodes.start(162);
        BarnNode large = nodes.start(163);
        BarnNode client = nodes.start(164);
        for (BarnNode r : new BarnNode[] {small1, small2, large}) {
            r.reachability().assume(Reachability.Verdict.PUBLIC);
        }
        small1.relay().useConfig(RelayConfig.DEFAULT.withMaxReservations(4));
        small2.relay().useConfig(RelayConfig.DEFAULT.withMaxReservations(4));
        client.reachability().assume(Reachability.Verdict.PUBLIC); // no reservations wanted yet
        for (BarnNode r : new BarnNode[] {small1, small2, large}) {
            client.dial(r.invite()).get(10, TimeUnit.SECONDS);
        }
        // Circuits through the large relay fail (it carries none to a node holding no reservation there).
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> client.relay().dialVia(large.id(), small1.id()).get(15, TimeUnit.SECONDS))
                    .hasMessageContaining("refused the circuit");
        }
        assertThat(client.reputation().score(large.id())).isLessThan(Reputation.POOR);

        // Behind NAT now: of three relays it takes two, and not the failing one, though by load it is the best.
        client.reachability().assume(Reachability.Verdict.CONE_NAT);
        TestRoots.await(() -> client.relay().relays().size() == 2, "the client reserves on two relays", 30);
        assertThat(client.relay().relays()).containsExactlyInAnyOrder(small1.id(), small2.id());
        assertThat(large.relay().reservationsHeld()).isZero();
        assertThat(client.reputation().score(small1.id())).as("a granted reservation counts").isGreaterThan(0.5);
    }
}
