package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.identity.PeerAddress;
import org.junit.jupiter.api.Test;

/** The spread a lookup starts from besides the nearest contacts: a couple from every bucket. */
class RoutingTableSpreadTest {
    @Test
    void takesTheNearestFewOfEveryBucketAndSkipsWhatTheLookupAlreadyHas() {
        SplittableRandom rng = new SplittableRandom(5);
        Key self = Key.random(rng);
        RoutingTable table = new RoutingTable(self, DhtConfig.DEFAULT, 0);
        List<Contact> all = new ArrayList<>();
        for (int bucket = 0; bucket < 6; bucket++) {
            for (int i = 0; i < 5; i++) {
                Contact c = new Contact(self.randomWithCommonPrefix(bucket, rng).toNodeId(),
                        new PeerAddress("10." + bucket + "." + i + ".1", 7000));
                assertThat(table.offer(c, RoutingTable.Source.ANSWERED_US, 0)).isInstanceOf(RoutingTable.Offer.Added.class);
                all.add(c);
            }
        }
        Key target = self.randomWithCommonPrefix(3, rng);
        List<Contact> nearest = table.closest(target, 5);

        List<Contact> spread = table.spread(target, 2, nearest);

        assertThat(spread).doesNotContainAnyElementsOf(nearest).hasSize(10); // the target's bucket (3) is all among the nearest
        for (int bucket = 0; bucket < 6; bucket++) {
            int b = bucket;
            List<Contact> inBucket = all.stream().filter(c -> self.commonPrefixLength(c.key()) == b)
                    .filter(c -> !nearest.contains(c))
                    .sorted((x, y) -> target.compareDistance(x.key(), y.key())).toList();
            assertThat(spread.stream().filter(c -> self.commonPrefixLength(c.key()) == b).toList())
                    .containsExactlyElementsOf(inBucket.subList(0, Math.min(2, inBucket.size())));
        }
    }
}
