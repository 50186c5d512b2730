package net.barn.core.trust.evidence;

import static net.barn.core.trust.evidence.Fixtures.identity;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Stewards exclude for unprovable faults only with two thirds of the set, and a two-faced steward is caught. */
class ExclusionTest {
    private static final SignatureVerifier ED = SignatureVerifier.ED25519;
    private final List<Identity> stewards = new ArrayList<>();
    private final Set<NodeId> set = new LinkedHashSet<>();
    private final NodeId accused = identity(99).id();

    ExclusionTest() {
        for (int i = 1; i <= 6; i++) {
            stewards.add(identity(i));
            set.add(identity(i).id());
        }
    }

    private StewardVote vote(int steward, boolean exclude) {
        return StewardVote.sign(stewards.get(steward), "chess", 3, accused, exclude, exclude ? "drops traffic" : "");
    }

    private Exclusion tally(List<StewardVote> votes) {
        return Exclusion.tally("chess", 3, accused, set, votes, ED);
    }

    @Test
    void twoThirdsOfTheStewardsExclude() {
        assertThat(Exclusion.needed(6)).isEqualTo(4);
        assertThat(Exclusion.needed(7)).isEqualTo(5);
        Exclusion e = tally(List.of(vote(0, true), vote(1, true), vote(2, true), vote(3, true), vote(4, false)));
        assertThat(e.excluded()).isTrue();
        assertThat(e.votesToExclude()).isEqualTo(4);
    }

    @Test
    void lessThanTwoThirdsDoesNotAndRepeatedVotesCountOnce() {
        Exclusion e = tally(List.of(vote(0, true), vote(1, true), vote(2, true), vote(2, true), vote(4, false)));
        assertThat(e.excluded()).isFalse();
        assertThat(e.votesToExclude()).isEqualTo(3);
        assertThat(e.refused()).isEmpty();
    }

    @Test
    void votesFromOutsideTheStewardSetOrForAnotherMotionAreRefusedWithAReason() {
        StewardVote outsider = StewardVote.sign(identity(50), "chess", 3, accused, true, "x");
        StewardVote otherEpoch = StewardVote.sign(stewards.get(0), "chess", 4, accused, true, "x");
        Exclusion e = tally(List.of(outsider, otherEpoch));
        assertThat(e.refused()).containsExactly(identity(50).id().shortForm() + ": not a steward of chess in epoch 3",
                stewards.get(0).id().shortForm() + ": vote for another motion");
        assertThat(e.votesToExclude()).isZero();
    }

    @Test
    void aVoteWithABadSignatureIsRefused() {
        StewardVote v = vote(0, true);
        Statement s = v.statement();
        byte[] sig = s.signature();
        sig[1] ^= 1;
        StewardVote bad = new StewardVote(v.namespace(), v.epoch(), v.accused(), true, v.reason(),
                new Statement(s.signer(), s.signerKey(), s.context(), s.sequence(), s.body(), sig));
        assertThat(tally(List.of(bad)).refused()).singleElement().asString().endsWith("signature does not verify");
    }

    @Test
    void aStewardVotingBothWaysLosesBothVotesAndIsProvedAgainst() {
        Exclusion e = tally(List.of(vote(0, true), vote(1, true), vote(2, true), vote(3, true), vote(3, false)));
        assertThat(e.votesToExclude()).isEqualTo(3);
        assertThat(e.excluded()).isFalse();
        assertThat(e.equivocations()).singleElement().satisfies(ev -> {
            assertThat(ev.offender()).isEqualTo(stewards.get(3).id());
            assertThat(Evidence.verify(ev, ED).isValid()).isTrue();
        });
    }
}
