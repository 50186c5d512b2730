package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import org.junit.jupiter.api.Test;

/**
 * A full bucket checks its worst-scored entry, so a newcomer can replace a poorly-serving entry, not a well-serving one.
 * Shown on buckets kept longest-known first; an anchored bucket takes a nearer newcomer without a check.
 */
class RoutingTableReputationTest {
    private static final DhtConfig CONFIG = DhtConfig.DEFAULT.withAnchoredBuckets(false);

    private static Contact inBucketZero(int i) {
        byte[] id = new byte[32];
        id[0] = (byte) 0x80; // first bit differs from the table's own (all zero): bucket 0
        id[30] = (byte) (i >> 8);
        id[31] = (byte) i;
        return new Contact(NodeId.of(id), new PeerAddress("127.0.0.1", 10_000 + i));
    }

    private static RoutingTable full(List<Contact> entries) {
        RoutingTable t = new RoutingTable(Key.of(new byte[32]), CONFIG, 0);
        for (int i = 0; i < CONFIG.k(); i++) {
            Contact c = inBucketZero(i);
            entries.add(c);
            assertThat(t.offer(c, RoutingTable.Source.ANSWERED_US, i)).isInstanceOf(RoutingTable.Offer.Added.class);
        }
        return t;
    }

    @Test
    void aFullBucketChecksItsWorstScoredEntryRatherThanItsOldest() {
        List<Contact> entries = new ArrayList<>();
        RoutingTable t = full(entries);
        NodeId poor = entries.get(7).id();
        t.preferWith(id -> id.equals(poor) ? 0.1 : 0.8);
        long later = CONFIG.livenessIntervalNanos() + CONFIG.k();
        RoutingTable.Offer o = t.offer(inBucketZero(500), RoutingTable.Source.ANSWERED_US, later);
        assertThat(o).isEqualTo(new RoutingTable.Offer.CheckLiveness(entries.get(7)));
        assertThat(t.failed(poor)).as("failing the check, it leaves").isTrue();
        assertThat(t.contains(inBucketZero(500).id())).as("and the newcomer takes its place").isTrue();
    }

    @Test
    void withoutScoresTheLeastRecentlySeenEntryIsChecked() {
        List<Contact> entries = new ArrayList<>();
        RoutingTable t = full(entries);
        long later = CONFIG.livenessIntervalNanos() + CONFIG.k();
        assertThat(t.offer(inBucketZero(500), RoutingTable.Source.ANSWERED_US, later))
                .isEqualTo(new RoutingTable.Offer.CheckLiveness(entries.get(0)));
    }
}
