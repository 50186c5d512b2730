package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.Key;
import org.junit.jupiter.api.Test;

/** What the simulated adversary names: its nodes closest to the target, within the bound check when bounded. */
class AdversaryNetTest {
    @Test
    void aBoundedAdversaryNamesItsClosestNodesThatPassTheBoundAsSeenFromTheResponder() {
        AdversaryNet net = new AdversaryNet(DhtConfig.DEFAULT, 200, 80, 0, 7, null);
        net.joinAll(0, AdversaryNet.MINUTE, n -> false);
        net.sim.runUntil(2 * AdversaryNet.MINUTE);
        SplittableRandom rng = new SplittableRandom(8);
        int bound = 3; // small enough to bind among 80 nodes
        int restrained = 0;
        for (int i = 0; i < 50; i++) {
            Key target = Key.random(rng);
            DhtSimulation.Node responder = net.adversary().get(rng.nextInt(net.adversary().size()));
            int limit = target.commonPrefixLength(responder.contact().key()) + bound;

            net.strategy(AdversaryStrategy.GREEDY, bound);
            List<Contact> greedy = net.poison(target, responder);
            assertThat(greedy).containsExactlyElementsOf(closest(net, target, Key.BITS));

            net.strategy(AdversaryStrategy.BOUNDED, bound);
            List<Contact> bounded = net.poison(target, responder);
            assertThat(bounded).containsExactlyElementsOf(closest(net, target, limit));
            assertThat(bounded).allMatch(c -> target.commonPrefixLength(c.key()) <= limit);
            restrained += bounded.equals(greedy) ? 0 : 1;
        }
        assertThat(restrained).as("the bound changes some answers").isPositive();
    }

    @Test
    void aRotatingAdversaryNamesTheNextNearestNodesInEachAnswerAboutATarget() {
        AdversaryNet net = new AdversaryNet(DhtConfig.DEFAULT, 200, 80, 0, 9, null);
        net.joinAll(0, AdversaryNet.MINUTE, n -> false);
        net.sim.runUntil(2 * AdversaryNet.MINUTE);
        net.strategy(AdversaryStrategy.ROTATING, Key.BITS);
        Key target = Key.random(new SplittableRandom(10));
        List<Contact> all = net.adversary().stream().map(DhtSimulation.Node::contact)
                .sorted((a, b) -> target.compareDistance(a.key(), b.key())).toList();
        DhtSimulation.Node responder = net.adversary().get(0);
        for (int answer = 0; answer < 4; answer++) {
            assertThat(net.poison(target, responder)).containsExactlyElementsOf(all.subList(20 * answer, 20 * answer + 20));
        }
        assertThat(net.poison(target, responder)).as("all 80 named").isEmpty();
    }

    private static List<Contact> closest(AdversaryNet net, Key target, int limit) {
        return net.adversary().stream().filter(DhtSimulation.Node::online).map(DhtSimulation.Node::contact)
                .filter(c -> target.commonPrefixLength(c.key()) <= limit)
                .sorted((a, b) -> target.compareDistance(a.key(), b.key())).limit(DhtConfig.DEFAULT.k()).toList();
    }
}
