package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import org.junit.jupiter.api.Test;

/**
 * Wide lookups (PROTOCOL.md 9.2): every start contact is asked, and so are the nearest
 * candidates up to the width that a responder farther from the target named, so an adversary
 * that fills the k nearest with its own nodes cannot hide what honest responders named.
 */
class WideLookupTest {
    private static final Key TARGET = Key.random(new SplittableRandom(7));
    private static final NodeId SELF = TARGET.randomWithCommonPrefix(0, new SplittableRandom(8)).toNodeId();
    private static int port = 20_000;

    private static Contact near(int prefix, SplittableRandom rng) {
        return new Contact(TARGET.randomWithCommonPrefix(prefix, rng).toNodeId(), new PeerAddress("127.0.0.1", port++));
    }

    private static Lookup lookup(List<Contact> start, int width) {
        return new Lookup(1, Lookup.Kind.NODES, TARGET, 0, SELF, start, 1, 20, 3, 1, 0, 10_000_000_000L, 1_000_000_000L,
                Integer.MAX_VALUE, null, DhtConfig.LOOKUP_BOUND_OFF, width);
    }

    /** Runs a lookup to its end, each asked contact answering with {@code answers}; returns who was asked, in order. */
    private static Set<Contact> drive(Lookup l, Function<Contact, List<Contact>> answers) {
        Set<Contact> asked = new LinkedHashSet<>();
        long now = 0;
        for (int round = 0; round < 10_000 && !l.isDone(now); round++, now++) {
            List<Lookup.Candidate> next = l.next(now);
            assertThat(next).as("a lookup that is not done has something to ask").isNotEmpty();
            for (Lookup.Candidate c : next) {
                asked.add(c.contact);
                l.answered(c.contact.id(), answers.apply(c.contact), List.of());
            }
        }
        assertThat(l.isDone(now)).isTrue();
        return asked;
    }

    @Test
    void anAdversaryFillingTheNearestCannotHideWhatAnHonestStartContactNamed() {
        SplittableRandom rng = new SplittableRandom(1);
        List<Contact> adversary = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            adversary.add(near(10 + i % 5, rng)); // nearer than anything honest but the closest honest node
        }
        List<Contact> start = List.of(near(5, rng), near(5, rng), near(5, rng)); // the adversary's, nearest in the table
        Contact honestStart = near(2, rng);
        Contact honestHop = near(8, rng);
        Contact closestHonest = near(18, rng);
        Map<Contact, List<Contact>> honest = Map.of(honestStart, List.of(honestHop), honestHop, List.of(closestHonest),
                closestHonest, List.of());
        Function<Contact, List<Contact>> answers = c -> honest.getOrDefault(c, adversary);
        List<Contact> all = new ArrayList<>(start);
        all.add(honestStart);

        Lookup narrow = lookup(all, 20);
        assertThat(drive(narrow, answers)).doesNotContain(honestStart, honestHop, closestHonest);
        assertThat(narrow.closestAnswered()).extracting(c -> c.contact).doesNotContain(closestHonest);

        Lookup wide = lookup(all, 60);
        assertThat(drive(wide, answers)).contains(honestStart, honestHop, closestHonest);
        assertThat(wide.closestAnswered().get(0).contact).isEqualTo(closestHonest);
    }

    @Test
    void contactsNamedOnlyByNearerRespondersAreAskedOnlyAmongTheKNearest() {
        SplittableRandom rng = new SplittableRandom(2);
        List<Contact> firstWave = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            firstWave.add(near(12, rng));
        }
        // Each adversarial node asked names 20 fresh ones, farther from the target than itself but nearer than the
        // honest suggestion, as an adversary rotating its answers would.
        Map<Contact, List<Contact>> fresh = new HashMap<>();
        Set<Contact> backward = new LinkedHashSet<>();
        Function<Contact, List<Contact>> rotating = c -> fresh.computeIfAbsent(c, x -> {
            List<Contact> out = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                out.add(near(9, rng));
            }
            backward.addAll(out);
            return out;
        });
        Contact adversarialStart = near(6, rng);
        Contact honestStart = near(1, rng);
        Contact honestHop = near(5, rng);
        Contact closestHonest = near(20, rng);
        Map<Contact, List<Contact>> scripted = Map.of(adversarialStart, firstWave, honestStart, List.of(honestHop),
                honestHop, List.of(closestHonest), closestHonest, List.of());

        Lookup wide = lookup(List.of(adversarialStart, honestStart), 60);
        Set<Contact> asked = drive(wide, c -> scripted.containsKey(c) ? scripted.get(c) : rotating.apply(c));

        assertThat(asked).contains(honestHop, closestHonest);
        assertThat(asked.stream().filter(backward::contains).count())
                .as("fresh contacts named backward are not worked through past the k nearest").isZero();
        assertThat(wide.closestAnswered().get(0).contact).isEqualTo(closestHonest);
    }

    @Test
    void aWideLookupAsksEveryStartContactEvenFarOnesAndKeepsThemWhenItsListOverflows() {
        SplittableRandom rng = new SplittableRandom(3);
        List<Contact> start = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            start.add(near(i % 6, rng));
        }
        List<Contact> closer = new ArrayList<>();
        for (int i = 0; i < 170; i++) {
            closer.add(near(14, rng));
        }
        // Each start contact names 20 nearer nodes of its own: 165 in all, more than the 3w = 120 a path keeps.
        Function<Contact, List<Contact>> answers = c -> {
            int i = start.indexOf(c);
            return i < 0 ? List.of() : closer.subList(5 * i, 5 * i + 20);
        };
        assertThat(drive(lookup(start, 40), answers)).containsAll(start);
        assertThat(drive(lookup(start, 20), answers).containsAll(start)).as("a narrow lookup ends at the k nearest").isFalse();
    }
}
