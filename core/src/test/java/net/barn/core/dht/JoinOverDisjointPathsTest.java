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

/**
 * A joining node looks its own id up over d disjoint paths, each seed starting its own: a
 * seed that floods its path with ever nearer nodes of its own cannot crowd out of the window
 * the honest neighbour another seed names, so newcomers and their honest neighbours meet.
 */
class JoinOverDisjointPathsTest {
    private static final long MS = 1_000_000L;
    /** Rounds the honest seed takes to answer: by then the liar's flood fills a shared path. */
    private static final int HONEST_DELAY = 5;

    private static final Contact SELF = contact(Key.random(new SplittableRandom(1)), 1);
    private static final Key ME = SELF.key();

    private static Contact contact(Key key, int host) {
        return new Contact(NodeId.of(key.toBytes()), new PeerAddress("10." + (host >> 8 & 255) + "." + (host & 255) + ".1", 7345));
    }

    private record Outcome(Set<NodeId> asked, Dht dht, Contact neighbour) {}

    /**
     * Joins through a liar and an honest seed. Every node of the liar's answers with k fresh
     * nodes of its own, each nearer this node's id than itself (an adversary naming the next
     * nearest of its nodes not yet named); the honest seed names {@code neighbour}, nearer than
     * any seed but farther than the flood, after {@link #HONEST_DELAY} rounds.
     */
    private static Outcome join(DhtConfig config, Contact neighbour, Contact liar, Contact honest) {
        Dht dht = new Dht(config, SELF, new SplittableRandom(2), SignatureVerifier.ED25519, 0, 0);
        SplittableRandom rng = new SplittableRandom(3);
        Set<NodeId> lying = new HashSet<>(Set.of(liar.id()));
        Set<NodeId> asked = new HashSet<>();
        List<Dht.Transmit> held = new ArrayList<>();
        int[] host = {1000};
        dht.bootstrap(0, List.of(liar, honest));
        long now = MS;
        for (int round = 0; round < 40; round++, now += MS) {
            List<Dht.Transmit> sent = new ArrayList<>();
            for (Dht.Transmit tx; (tx = dht.pollTransmit()) != null;) {
                sent.add(tx);
            }
            if (round == HONEST_DELAY) {
                sent.addAll(held);
                held.clear();
            }
            for (Dht.Transmit tx : sent) {
                if (!(tx.message() instanceof DhtMessage.FindNode f)) {
                    dht.handleMessage(now, tx.to().id(), new DhtMessage.Pong(tx.message().id(), tx.to(), null));
                    continue;
                }
                boolean selfLookup = f.target().equals(ME);
                if (selfLookup) {
                    asked.add(tx.to().id());
                }
                List<Contact> answer = new ArrayList<>();
                if (lying.contains(tx.to().id())) {
                    int from = Math.max(tx.to().key().commonPrefixLength(f.target()), 12);
                    for (int i = 0; i < config.k(); i++) {
                        Contact fresh = contact(f.target().randomWithCommonPrefix(Math.min(from + 1 + i % 4, 250), rng), host[0]++);
                        lying.add(fresh.id());
                        answer.add(fresh);
                    }
                } else if (tx.to().equals(honest) && selfLookup) {
                    if (round < HONEST_DELAY) {
                        held.add(tx);
                        continue;
                    }
                    answer.add(neighbour);
                }
                dht.handleMessage(now, tx.to().id(), new DhtMessage.Nodes(f.id(), tx.to(), answer));
            }
        }
        return new Outcome(asked, dht, neighbour);
    }

    private static Outcome joinWith(DhtConfig config) {
        SplittableRandom rng = new SplittableRandom(4);
        Contact neighbour = contact(ME.randomWithCommonPrefix(8, rng), 10);
        Contact liar = contact(ME.randomWithCommonPrefix(1, rng), 11);
        Contact honest = contact(ME.randomWithCommonPrefix(1, rng), 12);
        return join(config, neighbour, liar, honest);
    }

    @Test
    void aJoinMeetsTheHonestNeighbourASeedNamesWhileAnotherSeedFloodsItsPath() {
        Outcome o = joinWith(DhtConfig.DEFAULT);
        assertThat(o.asked()).as("asked in the self-lookup").contains(o.neighbour().id());
        assertThat(o.dht().table().contains(o.neighbour().id())).isTrue();
    }

    @Test
    void overOnePathTheFloodCrowdsTheNeighbourOutOfTheWindow() {
        Outcome o = joinWith(DhtConfig.DEFAULT.withDisjointPaths(1));
        assertThat(o.asked()).as("the liar's flood was asked").hasSizeGreaterThan(3 * DhtConfig.DEFAULT.k());
        assertThat(o.asked()).as("asked in the self-lookup").doesNotContain(o.neighbour().id());
    }
}
