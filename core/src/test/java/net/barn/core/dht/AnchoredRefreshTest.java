package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import org.junit.jupiter.api.Test;

/** A node refreshes an anchored bucket by looking its anchor up, so it learns the nodes that bucket keeps. */
class AnchoredRefreshTest {
    private static final long MS = 1_000_000L;

    private static Contact contact(int i) {
        byte[] id = new byte[32];
        new SplittableRandom(i).nextBytes(id);
        return new Contact(NodeId.of(id), new PeerAddress("10." + i + ".0.1", 7345));
    }

    /** Joins through one seed; everyone answers every request, naming {@code known}. Returns the targets looked up. */
    private static Set<Key> join(Dht dht, List<Contact> known) {
        Set<Key> targets = new HashSet<>();
        dht.bootstrap(0, List.of(known.get(0)));
        long now = MS;
        for (int round = 0; round < 50; round++, now += MS) {
            List<Dht.Transmit> sent = new ArrayList<>();
            for (Dht.Transmit tx; (tx = dht.pollTransmit()) != null;) {
                sent.add(tx);
            }
            if (sent.isEmpty()) {
                break;
            }
            for (Dht.Transmit tx : sent) {
                DhtMessage reply;
                if (tx.message() instanceof DhtMessage.FindNode f) {
                    targets.add(f.target());
                    reply = new DhtMessage.Nodes(f.id(), tx.to(), known);
                } else {
                    reply = new DhtMessage.Pong(tx.message().id(), tx.to(), null);
                }
                dht.handleMessage(now, tx.to().id(), reply);
            }
        }
        return targets;
    }

    private static List<Contact> network() {
        List<Contact> known = new ArrayList<>();
        for (int i = 2; i < 200; i++) {
            known.add(contact(i));
        }
        return known;
    }

    @Test
    void aJoinEndsByLookingUpTheAnchorOfEveryBucketUpToTheDeepest() {
        Dht dht = new Dht(DhtConfig.DEFAULT, contact(1), new SplittableRandom(1), SignatureVerifier.ED25519, 0, 0);
        Set<Key> targets = join(dht, network());
        RoutingTable t = dht.table();
        int deepest = 0;
        for (int b = 0; b < Key.BITS; b++) {
            if (t.bucketSize(b) > 0) {
                deepest = b;
            }
        }
        assertThat(deepest).isGreaterThan(2);
        for (int b = 0; b <= deepest; b++) {
            assertThat(targets).as("bucket %d", b).contains(t.anchor(b));
        }
    }

    @Test
    void longestKnownBucketsAreRefreshedAtRandomPointsInstead() {
        Dht dht = new Dht(DhtConfig.DEFAULT.withAnchoredBuckets(false), contact(1), new SplittableRandom(1),
                SignatureVerifier.ED25519, 0, 0);
        Set<Key> targets = join(dht, network());
        assertThat(targets).hasSizeGreaterThan(3);
        assertThat(targets).doesNotContain(dht.table().anchor(0), dht.table().anchor(1));
    }
}
