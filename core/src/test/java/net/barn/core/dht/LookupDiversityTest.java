package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import org.junit.jupiter.api.Test;

/** A lookup path works through at most a few candidates of one /16, so Sybils from few blocks cannot fill it. */
class LookupDiversityTest {
    private static NodeId id(SplittableRandom rng) {
        byte[] b = new byte[32];
        rng.nextBytes(b);
        return NodeId.of(b);
    }

    private static Lookup lookup(List<Contact> start, int perGroup) {
        return new Lookup(1, Lookup.Kind.NODES, Key.of(new byte[32]), 0, NodeId.of(new byte[32]), start, 1, 20, 50, 1, 0,
                1_000_000_000L, 500_000_000L, perGroup);
    }

    @Test
    void aPathAsksAtMostTwoCandidatesOfOneSixteenAndEndsWithoutTheRest() {
        SplittableRandom rng = new SplittableRandom(4);
        List<Contact> start = new ArrayList<>();
        for (int i = 0; i < 30; i++) { // thirty Sybils in one /16
            start.add(new Contact(id(rng), new PeerAddress("10.1." + i + ".7", 7000)));
        }
        for (int i = 0; i < 5; i++) { // five honest nodes in five /16s
            start.add(new Contact(id(rng), new PeerAddress("10." + (50 + i) + ".0.1", 7000)));
        }
        Lookup capped = lookup(start, 2);
        List<Lookup.Candidate> asked = capped.next(0);
        assertThat(asked).hasSize(7);
        assertThat(asked.stream().filter(c -> c.contact.address().host().startsWith("10.1.")).count()).isEqualTo(2);
        for (Lookup.Candidate c : asked) {
            capped.answered(c.contact.id(), List.of(), List.of());
        }
        assertThat(capped.isDone(1)).as("the other Sybils are not waited for").isTrue();

        List<Lookup.Candidate> uncapped = lookup(start, Integer.MAX_VALUE).next(0);
        assertThat(uncapped).hasSize(20);
        assertThat(uncapped.stream().filter(c -> c.contact.address().host().startsWith("10.1.")).count()).isGreaterThan(10);
    }

    @Test
    void loopbackAddressesAreNotCounted() {
        SplittableRandom rng = new SplittableRandom(5);
        List<Contact> start = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            start.add(new Contact(id(rng), new PeerAddress("127.0.0.1", 7000 + i)));
        }
        assertThat(lookup(start, 2).next(0)).hasSize(10);
    }
}
