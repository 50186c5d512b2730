package net.barn.core.trust.evidence;

import static net.barn.core.trust.evidence.Fixtures.identity;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Sortition;
import org.junit.jupiter.api.Test;

/** Members draw one steward set per epoch; stewards vote out a flooding member and two thirds of them suffice. */
class StewardCouncilTest {
    private static final SignatureVerifier ED = SignatureVerifier.ED25519;
    private static final long MINUTE = 60_000_000_000L;
    private static final StewardCouncil.Config CONFIG = new StewardCouncil.Config(5, 256, 8, 64, MINUTE, 10 * MINUTE);
    private final List<Identity> members = new ArrayList<>();
    private final List<NodeId> ids = new ArrayList<>();

    StewardCouncilTest() {
        for (int i = 1; i <= 8; i++) {
            members.add(identity(i));
            ids.add(identity(i).id());
        }
    }

    private StewardCouncil council(Identity self, StewardCouncil.Config config) {
        StewardCouncil c = new StewardCouncil(config, "chess", self, ED);
        c.limit(2);
        c.update(0, 0, Sortition.GENESIS_SEED, ids);
        return c;
    }

    private Identity member(NodeId id) {
        return members.stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow();
    }

    private Identity nonSteward(StewardCouncil c) {
        return members.stream().filter(m -> !c.isSteward(m.id())).findFirst().orElseThrow();
    }

    private List<StewardCouncil.Event> events(StewardCouncil c) {
        List<StewardCouncil.Event> out = new ArrayList<>();
        for (StewardCouncil.Event e = c.pollEvent(); e != null; e = c.pollEvent()) {
            out.add(e);
        }
        return out;
    }

    @Test
    void everyMemberDrawsTheSameFiveStewardsAndTheyRotateWithTheEpoch() {
        StewardCouncil a = council(members.get(0), CONFIG);
        StewardCouncil b = council(members.get(5), CONFIG);
        assertThat(a.stewards()).hasSize(5).isEqualTo(b.stewards())
                .isEqualTo(Sortition.stewards(Sortition.GENESIS_SEED, "chess", ids, 5));
        assertThat(events(a)).containsExactly(new StewardCouncil.Event.Rotated(0, a.stewards()));

        List<NodeId> genesis = a.stewards();
        boolean rotated = false;
        for (long epoch = 1; epoch <= 4; epoch++) {
            byte[] seed = Sha256.hash(new byte[] {(byte) epoch});
            a.update(epoch * MINUTE, epoch, seed, ids);
            b.update(epoch * MINUTE, epoch, seed, ids);
            assertThat(a.stewards()).isEqualTo(b.stewards()).hasSize(5);
            rotated |= !a.stewards().equals(genesis);
        }
        assertThat(rotated).as("some later epoch draws other stewards").isTrue();
        assertThat(a.epoch()).isEqualTo(4);

        StewardCouncil few = new StewardCouncil(CONFIG, "chess", members.get(0), ED);
        few.update(0, 0, Sortition.GENESIS_SEED, ids.subList(0, 3));
        assertThat(few.stewards()).as("a small namespace: every member is a steward").containsExactlyInAnyOrderElementsOf(ids.subList(0, 3));
    }

    @Test
    void stewardsWhoSeeAFloodVoteItOutOnceTwoThirdsAgreeUntilTheExclusionEnds() {
        Identity plain = nonSteward(council(members.get(0), CONFIG));
        StewardCouncil watcher = council(plain, CONFIG);
        List<NodeId> stewards = watcher.stewards();
        NodeId flooder = ids.stream().filter(id -> !stewards.contains(id) && !id.equals(plain.id())).findFirst().orElseThrow();
        // At the limit with slack, no steward votes; one more and it does.
        StewardCouncil judge = council(member(stewards.get(0)), CONFIG);
        for (int i = 0; i < StewardCouncil.SLACK * 2; i++) {
            assertThat(judge.observe(1, flooder)).isNull();
            assertThat(watcher.observe(1, flooder)).as("non-stewards never vote").isNull();
        }
        StewardVote first = judge.observe(2, flooder);
        assertThat(first).isNotNull();
        assertThat(first.exclude()).isTrue();
        assertThat(first.reason()).contains("7 broadcasts").contains("allows 2");
        assertThat(judge.observe(3, flooder)).as("one vote per motion").isNull();

        List<StewardVote> votes = new ArrayList<>(List.of(first));
        for (NodeId s : stewards.subList(1, 5)) {
            StewardCouncil other = council(member(s), CONFIG);
            StewardVote v = null;
            for (int i = 0; i < 7; i++) {
                v = other.observe(5, flooder);
            }
            votes.add(v);
        }
        events(watcher);
        for (int i = 0; i < 3; i++) {
            assertThat(watcher.handleVote(10, votes.get(i).statement())).isInstanceOf(StewardCouncil.Outcome.Counted.class);
        }
        assertThat(watcher.isExcluded(flooder)).as("3 of 5 is under two thirds").isFalse();
        watcher.handleVote(10, votes.get(3).statement());
        assertThat(watcher.isExcluded(flooder)).isTrue();
        assertThat(events(watcher)).singleElement().isInstanceOfSatisfying(StewardCouncil.Event.Excluded.class, e -> {
            assertThat(e.accused()).isEqualTo(flooder);
            assertThat(e.votes()).isEqualTo(4);
            assertThat(e.untilNanos()).isEqualTo(10 + 10 * MINUTE);
        });
        // A duplicate is counted once; a new epoch keeps the exclusion; its end releases the node.
        assertThat(watcher.handleVote(11, votes.get(3).statement())).isInstanceOf(StewardCouncil.Outcome.Counted.class);
        assertThat(watcher.heldVotes()).isEqualTo(4);
        watcher.update(MINUTE, 1, Sha256.hash(new byte[] {1}), ids);
        assertThat(watcher.isExcluded(flooder)).isTrue();
        // Epoch 0's votes are dropped; a steward of epoch 1 holds its own vote carrying the exclusion over.
        assertThat(watcher.heldVotes()).isEqualTo(watcher.isSteward(plain.id()) ? 1 : 0);
        watcher.expire(10 + 10 * MINUTE);
        assertThat(watcher.isExcluded(flooder)).isFalse();
        assertThat(events(watcher)).contains(new StewardCouncil.Event.Released(flooder));
    }

    @Test
    void aStewardSendsAgainOnlyItsOwnVotesOnMembersNowExcluded() {
        StewardCouncil judge = council(members.get(0), CONFIG);
        List<NodeId> stewards = judge.stewards();
        judge = council(member(stewards.get(0)), CONFIG);
        NodeId flooder = ids.stream().filter(id -> !stewards.contains(id)).findFirst().orElseThrow();
        StewardVote mine = null;
        for (int i = 0; i < 7; i++) {
            mine = judge.observe(1, flooder);
        }
        assertThat(mine).isNotNull();
        assertThat(judge.ownStandingVotes()).as("voted, but nobody is excluded yet").isEmpty();
        for (NodeId s : stewards.subList(1, 4)) {
            StewardCouncil other = council(member(s), CONFIG);
            StewardVote v = null;
            for (int i = 0; i < 7; i++) {
                v = other.observe(1, flooder);
            }
            judge.handleVote(2, v.statement());
        }
        assertThat(judge.isExcluded(flooder)).isTrue();
        assertThat(judge.ownStandingVotes()).as("its own vote, not the others'").containsExactly(mine);
        judge.expire(2 + 10 * MINUTE);
        assertThat(judge.ownStandingVotes()).as("released: nothing to send").isEmpty();
    }

    @Test
    void theNextEpochsStewardsVoteAgainstWhoIsStillExcludedSoAMemberJoiningThenExcludesItToo() {
        List<NodeId> stewards0 = council(members.get(0), CONFIG).stewards();
        NodeId flooder = ids.stream().filter(id -> !stewards0.contains(id)).findFirst().orElseThrow();
        // Every member but the flooder sees the flood in epoch 0; the stewards' votes exclude it everywhere.
        List<StewardCouncil> everyone = new ArrayList<>();
        List<StewardVote> votes = new ArrayList<>();
        for (Identity m : members) {
            if (m.id().equals(flooder)) {
                continue;
            }
            StewardCouncil c = council(m, CONFIG);
            everyone.add(c);
            for (int i = 0; i < 7; i++) {
                StewardVote v = c.observe(1, flooder);
                if (v != null) {
                    votes.add(v);
                }
            }
        }
        for (StewardCouncil c : everyone) {
            votes.forEach(v -> c.handleVote(2, v.statement()));
            assertThat(c.isExcluded(flooder)).isTrue();
        }
        // Epoch 1, three minutes later: its stewards vote again; those are the votes its standing votes carry.
        byte[] seed1 = Sha256.hash(new byte[] {1});
        List<StewardVote> carried = new ArrayList<>();
        for (StewardCouncil c : everyone) {
            c.update(3 * MINUTE, 1, seed1, ids);
            carried.addAll(c.ownStandingVotes());
        }
        List<NodeId> stewards1 = everyone.get(0).stewards();
        assertThat(carried).extracting(StewardVote::voter)
                .containsExactlyInAnyOrderElementsOf(stewards1.stream().filter(s -> !s.equals(flooder)).toList());
        assertThat(carried).allSatisfy(v -> {
            assertThat(v.epoch()).isEqualTo(1);
            assertThat(v.reason()).contains("carries over").contains("7 min left");
        });
        for (StewardCouncil c : everyone) {
            assertThat(c.isExcluded(flooder)).isTrue();
            c.expire(2 + 10 * MINUTE);
            assertThat(c.isExcluded(flooder)).as("the original end still holds for those who saw the vote").isFalse();
        }
        // A member that joins in epoch 1 refuses epoch 0's votes but takes the carried ones.
        Identity late = identity(9);
        List<NodeId> withLate = new ArrayList<>(ids);
        withLate.add(late.id());
        StewardCouncil joiner = new StewardCouncil(CONFIG, "chess", late, ED);
        joiner.update(4 * MINUTE, 1, seed1, ids);
        assertThat(joiner.handleVote(4 * MINUTE, votes.get(0).statement())).isInstanceOf(StewardCouncil.Outcome.Refused.class);
        carried.forEach(v -> joiner.handleVote(4 * MINUTE, v.statement()));
        assertThat(joiner.isExcluded(flooder)).isTrue();
        // Without the carried votes it would never learn it: nobody votes twice in epoch 0.
        StewardCouncil unaware = new StewardCouncil(CONFIG, "chess", late, ED);
        unaware.update(4 * MINUTE, 1, seed1, ids);
        votes.forEach(v -> unaware.handleVote(4 * MINUTE, v.statement()));
        assertThat(unaware.isExcluded(flooder)).isFalse();
    }

    @Test
    void votesFromNonStewardsOtherEpochsAndBadSignaturesAreRefusedWithAReason() {
        StewardCouncil c = council(members.get(0), CONFIG);
        Identity outsider = nonSteward(c);
        NodeId accused = ids.get(7);
        StewardCouncil.Outcome o = c.handleVote(1, StewardVote.sign(outsider, "chess", 0, accused, true, "x").statement());
        assertThat(o).isEqualTo(new StewardCouncil.Outcome.Refused(outsider.id().shortForm()
                + ": not a steward of chess in epoch 0"));
        Identity steward = member(c.stewards().get(0));
        assertThat(c.handleVote(1, StewardVote.sign(steward, "chess", 7, accused, true, "x").statement()))
                .isEqualTo(new StewardCouncil.Outcome.Refused(steward.id().shortForm() + ": vote for epoch 7, this is epoch 0"));
        assertThat(c.handleVote(1, StewardVote.sign(steward, "go", 0, accused, true, "x").statement()))
                .isInstanceOf(StewardCouncil.Outcome.Refused.class);
        Statement good = StewardVote.sign(steward, "chess", 0, accused, true, "x").statement();
        byte[] sig = good.signature();
        sig[0] ^= 1;
        Statement forged = new Statement(good.signer(), good.signerKey(), good.context(), good.sequence(), good.body(), sig);
        assertThat(c.handleVote(1, forged)).isEqualTo(new StewardCouncil.Outcome.Refused(steward.id().shortForm()
                + ": signature does not verify"));
        assertThat(c.refusedVotes()).isEqualTo(4);
        assertThat(c.heldVotes()).isZero();
    }

    @Test
    void aStewardVotingBothWaysIsReportedAsEvidenceAndNotCounted() {
        StewardCouncil c = council(members.get(0), CONFIG);
        Identity twoFaced = member(c.stewards().get(1));
        NodeId accused = ids.get(7);
        c.handleVote(1, StewardVote.sign(twoFaced, "chess", 0, accused, true, "flood").statement());
        events(c);
        c.handleVote(1, StewardVote.sign(twoFaced, "chess", 0, accused, false, "").statement());
        List<StewardCouncil.Event> events = events(c);
        assertThat(events).singleElement().isInstanceOfSatisfying(StewardCouncil.Event.Equivocated.class, e -> {
            assertThat(e.evidence().offender()).isEqualTo(twoFaced.id());
            assertThat(Evidence.verify(e.evidence(), ED).isValid()).isTrue();
        });
        assertThat(c.handleVote(2, StewardVote.sign(twoFaced, "chess", 0, ids.get(6), true, "x").statement()))
                .isInstanceOf(StewardCouncil.Outcome.Refused.class);
    }

    @Test
    void heldVotesExclusionsAndTrackedOriginsAreBounded() {
        StewardCouncil.Config tight = new StewardCouncil.Config(5, 2, 1, 1, MINUTE, 10 * MINUTE);
        StewardCouncil c = council(members.get(0), tight);
        List<NodeId> stewards = c.stewards();
        List<NodeId> others = ids.stream().filter(id -> !stewards.contains(id)).toList();
        c.handleVote(1, StewardVote.sign(member(stewards.get(0)), "chess", 0, others.get(0), true, "x").statement());
        c.handleVote(1, StewardVote.sign(member(stewards.get(1)), "chess", 0, others.get(0), true, "x").statement());
        assertThat(c.handleVote(1, StewardVote.sign(member(stewards.get(2)), "chess", 0, others.get(0), true, "x").statement()))
                .isEqualTo(new StewardCouncil.Outcome.Refused(stewards.get(2).shortForm() + ": this node holds 2 votes already"));

        // One exclusion at most: a second replaces the first.
        StewardCouncil.Config oneExclusion = new StewardCouncil.Config(5, 256, 1, 1, MINUTE, 10 * MINUTE);
        StewardCouncil d = council(members.get(0), oneExclusion);
        for (NodeId accused : others.subList(0, 2)) {
            for (NodeId s : stewards.subList(0, 4)) {
                d.handleVote(1, StewardVote.sign(member(s), "chess", 0, accused, true, "x").statement());
            }
        }
        assertThat(d.excluded()).containsExactly(others.get(1));

        // One origin tracked per window: a second is not counted until the window turns.
        Identity judge = member(stewards.get(0));
        StewardCouncil e = council(judge, tight);
        e.observe(0, others.get(0));
        for (int i = 0; i < 10; i++) {
            assertThat(e.observe(1, others.get(1))).isNull();
        }
    }
}
