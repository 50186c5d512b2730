package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.testing.TestIdentities;
import org.junit.jupiter.api.Test;

/**
 * Local reputation orders a lookup without changing its XOR working set: among equally near
 * candidates the better-scored is asked first, a nearer class always comes first, and a poor
 * candidate is asked only when nothing else is left, so a read can reach its quorum without it.
 */
class LookupReputationTest {
    private static final Key TARGET = Key.of(new byte[32]);
    private static final NodeId SELF = NodeId.of(filled(0x7f));

    private static byte[] filled(int first) {
        byte[] b = new byte[32];
        b[0] = (byte) first;
        b[31] = 1;
        return b;
    }

    /** A contact whose id starts with {@code first}: its distance class is the number of leading zero bits. */
    private static Contact contact(int first, int port) {
        return new Contact(NodeId.of(filled(first)), new PeerAddress("127.0.0.1", port));
    }

    private static Lookup lookup(Lookup.Kind kind, List<Contact> start, int alpha, int quorum, ToDoubleFunction<NodeId> score) {
        return new Lookup(1, kind, TARGET, RecordTypes.OWNED, SELF, start, 1, 20, alpha, quorum, 0, 10_000_000_000L,
                1_000_000_000L, 2, score);
    }

    private static ToDoubleFunction<NodeId> scores(Map<Contact, Double> s) {
        return id -> s.entrySet().stream().filter(e -> e.getKey().id().equals(id)).mapToDouble(Map.Entry::getValue)
                .findFirst().orElse(0.5);
    }

    @Test
    void ofTwoEquallyNearCandidatesTheBetterScoredIsAskedFirst() {
        Contact nearer = contact(0x10, 7001); // both share 3 leading bits with the target: one distance class
        Contact farther = contact(0x1f, 7002);
        List<Contact> start = List.of(nearer, farther);
        ToDoubleFunction<NodeId> score = scores(Map.of(nearer, 0.4, farther, 0.9));

        assertThat(lookup(Lookup.Kind.NODES, start, 1, 1, score).next(0)).extracting(c -> c.contact).containsExactly(farther);
        assertThat(lookup(Lookup.Kind.NODES, start, 1, 1, null).next(0)).as("without scores: XOR order")
                .extracting(c -> c.contact).containsExactly(nearer);
    }

    @Test
    void aNearerDistanceClassIsAskedFirstWhateverTheScores() {
        Contact near = contact(0x01, 7001); // 7 leading bits shared with the target
        Contact far = contact(0x40, 7002); // 1
        Lookup l = lookup(Lookup.Kind.NODES, List.of(far, near), 1, 1, scores(Map.of(near, 0.4, far, 1.0)));
        assertThat(l.next(0)).extracting(c -> c.contact).containsExactly(near);
    }

    @Test
    void aPoorCandidateIsAskedOnlyOnceEveryOtherHasAnswered() {
        Contact poor = contact(0x01, 7001); // the nearest of all
        Contact a = contact(0x20, 7002);
        Contact b = contact(0x40, 7003);
        Lookup l = lookup(Lookup.Kind.NODES, List.of(poor, a, b), 3, 1, scores(Map.of(poor, 0.1)));
        assertThat(l.next(0)).extracting(c -> c.contact).containsExactlyInAnyOrder(a, b);
        l.answered(a.id(), List.of(), List.of());
        assertThat(l.next(1)).as("one still in flight").isEmpty();
        l.answered(b.id(), List.of(), List.of());
        assertThat(l.isDone(2)).as("the poor candidate is among the k nearest: the lookup still needs it").isFalse();
        assertThat(l.next(2)).extracting(c -> c.contact).containsExactly(poor);
    }

    @Test
    void aReadReachesItsQuorumWithoutAskingAPoorReplica() {
        Identity publisher = TestIdentities.of(3);
        Record r = RecordTypes.owned(publisher, "status", "here".getBytes(StandardCharsets.UTF_8), 5, Long.MAX_VALUE);
        Contact poor = contact(0x01, 7001);
        Contact a = contact(0x20, 7002);
        Contact b = contact(0x40, 7003);
        Lookup l = lookup(Lookup.Kind.VALUE, List.of(poor, a, b), 3, 2, scores(Map.of(poor, 0.1)));
        assertThat(l.next(0)).extracting(c -> c.contact).containsExactlyInAnyOrder(a, b);
        l.answered(a.id(), List.of(), List.of(r));
        l.answered(b.id(), List.of(), List.of(r));
        assertThat(l.isDone(1)).isTrue();
        assertThat(l.hasWaiting(poor.id())).isFalse();
        assertThat(l.requests()).isEqualTo(2);

        Lookup unscored = lookup(Lookup.Kind.VALUE, List.of(poor, a, b), 3, 2, null);
        assertThat(unscored.next(0)).as("without scores all three are asked at once").hasSize(3);
    }
}
