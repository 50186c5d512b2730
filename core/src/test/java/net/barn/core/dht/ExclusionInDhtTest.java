package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import org.junit.jupiter.api.Test;

/** Nodes excluded for proven misbehaviour leave the routing table, never return, and are never asked. */
class ExclusionInDhtTest {
    private final Random r = new Random(7);

    private Contact contact() {
        byte[] id = new byte[32];
        r.nextBytes(id);
        return new Contact(NodeId.of(id), new PeerAddress(
                (1 + r.nextInt(223)) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254)), 7345));
    }

    @Test
    void anExcludedNodeIsDroppedFromTheTableRefusedAfterwardsAndNeverReturned() {
        Contact self = contact();
        RoutingTable t = new RoutingTable(self.key(), DhtConfig.DEFAULT, 0);
        List<Contact> all = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            Contact c = contact();
            all.add(c);
            t.offer(c, RoutingTable.Source.ANSWERED_US, i);
        }
        Set<NodeId> bad = new HashSet<>(List.of(all.get(0).id(), all.get(1).id()));
        assertThat(t.excludeWith(bad::contains)).containsExactlyInAnyOrderElementsOf(bad);
        assertThat(t.contains(all.get(0).id())).isFalse();
        assertThat(t.offer(all.get(0), RoutingTable.Source.ANSWERED_US, 100))
                .isEqualTo(new RoutingTable.Offer.Rejected("excluded for proven misbehaviour"));
        // Excluded later, while still in the table: closest() never hands it out.
        bad.add(all.get(2).id());
        assertThat(t.closest(all.get(2).key(), 20)).extracting(Contact::id).doesNotContainAnyElementsOf(bad).hasSize(20);
    }

    @Test
    void aDhtAsksNoExcludedNodeInALookup() {
        Contact self = contact();
        Dht dht = new Dht(DhtConfig.DEFAULT, self, new SplittableRandom(1), SignatureVerifier.ED25519, 0, 0);
        List<Contact> seeds = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            seeds.add(contact());
        }
        Set<NodeId> bad = Set.of(seeds.get(0).id(), seeds.get(1).id());
        dht.excludeWith(bad::contains);
        dht.bootstrap(0, seeds);
        Set<NodeId> asked = new HashSet<>();
        for (Dht.Transmit tx; (tx = dht.pollTransmit()) != null;) {
            asked.add(tx.to().id());
        }
        assertThat(asked).isNotEmpty().doesNotContainAnyElementsOf(bad);
    }

    @Test
    void contactsAnExcludedNodeIsNamedInAnAnswerAreNotAskedAndItsOwnAnswerDoesNotCount() {
        Contact self = contact();
        Dht dht = new Dht(DhtConfig.DEFAULT, self, new SplittableRandom(1), SignatureVerifier.ED25519, 0, 0);
        Contact good = contact();
        Contact evil = contact();
        Contact fresh = contact();
        dht.excludeWith(Set.of(evil.id())::contains);
        dht.bootstrap(0, List.of(good));
        DhtMessage.FindNode find = null;
        for (Dht.Transmit tx; (tx = dht.pollTransmit()) != null;) {
            if (tx.message() instanceof DhtMessage.FindNode f) {
                find = f;
            }
        }
        assertThat(find).isNotNull();
        dht.handleMessage(1, good.id(), new DhtMessage.Nodes(find.id(), good, List.of(evil, fresh)));
        Set<NodeId> asked = new HashSet<>();
        for (Dht.Transmit tx; (tx = dht.pollTransmit()) != null;) {
            asked.add(tx.to().id());
        }
        assertThat(asked).contains(fresh.id()).doesNotContain(evil.id());
        assertThat(dht.table().contains(evil.id())).isFalse();
    }
}
