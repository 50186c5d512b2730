package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.dht.Key;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

class SortitionTest {
    private static List<Sortition.Candidate> candidates(int count, int groups, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Sortition.Candidate> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            byte[] id = new byte[32];
            rng.nextBytes(id);
            out.add(new Sortition.Candidate(NodeId.of(id), "g" + (i % groups)));
        }
        return out;
    }

    @Test
    void theCommitteeIsTheNearestCandidatesToTheTargetInOrderWhoeverComputesIt() {
        List<Sortition.Candidate> all = candidates(200, 200, 1);
        Key target = Sortition.committeeTarget(Sortition.GENESIS_SEED, 0);
        List<NodeId> committee = Sortition.committee(target, all, 16, 2);
        assertThat(committee).hasSize(16).doesNotHaveDuplicates();
        for (int i = 1; i < committee.size(); i++) {
            assertThat(target.compareDistance(Key.of(committee.get(i - 1)), Key.of(committee.get(i)))).isNegative();
        }
        List<Sortition.Candidate> shuffled = new ArrayList<>(all);
        java.util.Collections.shuffle(shuffled, new java.util.Random(5));
        assertThat(Sortition.committee(target, shuffled, 16, 2)).isEqualTo(committee);
        assertThat(Sortition.session(0, committee)).isEqualTo(Sortition.session(0, List.copyOf(committee)))
                .isNotEqualTo(Sortition.session(1, committee));
    }

    @Test
    void aGenesisRunStartedAgainHasItsOwnSession() {
        List<NodeId> committee = Sortition.committee(Sortition.committeeTarget(Sortition.GENESIS_SEED, 0), candidates(40, 40, 7), 15, 2);
        assertThat(Sortition.session(0, committee, 0)).isEqualTo(Sortition.session(0, committee));
        assertThat(java.util.stream.IntStream.rangeClosed(0, 3).mapToLong(a -> Sortition.session(0, committee, a)).distinct())
                .hasSize(4);
        // SHA-256("barn-dkg-session-v1" || epoch || ids || attempt), first 8 bytes: the vector of PROTOCOL.md 17.5.
        java.security.MessageDigest sha = sha256();
        sha.update("barn-dkg-session-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        sha.update(java.nio.ByteBuffer.allocate(8).putLong(0).array());
        committee.forEach(id -> sha.update(id.toBytes()));
        sha.update(java.nio.ByteBuffer.allocate(8).putLong(2).array());
        assertThat(Sortition.session(0, committee, 2)).isEqualTo(java.nio.ByteBuffer.wrap(sha.digest()).getLong());
    }

    private static java.security.MessageDigest sha256() {
        try {
            return java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aCommitteeHasAnOddSizeSoThatNoMinorityCanStopIt() {
        List<NodeId> sixteen = Sortition.committee(Sortition.committeeTarget(Sortition.GENESIS_SEED, 0), candidates(40, 40, 6), 16, 2);
        List<NodeId> odd = Sortition.oddCommittee(sixteen);
        assertThat(odd).hasSize(15).isEqualTo(sixteen.subList(0, 15));
        int t = Sortition.threshold(odd.size());
        assertThat(odd.size() - (t - 1)).as("honest members left when t - 1 are adversarial").isGreaterThanOrEqualTo(t);
        assertThat(Sortition.oddCommittee(odd)).isSameAs(odd);
    }

    @Test
    void anotherSeedOrEpochDrawsAnotherCommittee() {
        List<Sortition.Candidate> all = candidates(200, 200, 2);
        List<NodeId> a = Sortition.committee(Sortition.committeeTarget(Sortition.GENESIS_SEED, 0), all, 16, 2);
        List<NodeId> b = Sortition.committee(Sortition.committeeTarget(Sortition.GENESIS_SEED, 1), all, 16, 2);
        List<NodeId> c = Sortition.committee(Sortition.committeeTarget(new byte[32], 0), all, 16, 2);
        assertThat(new HashSet<>(a)).isNotEqualTo(new HashSet<>(b)).isNotEqualTo(new HashSet<>(c));
    }

    @Test
    void oneIpGroupHoldsAtMostItsShareOfTheCommittee() {
        // 300 candidates from 3 groups: however near the target one group's ids are, it gets at most 2 seats.
        List<Sortition.Candidate> all = candidates(300, 3, 3);
        List<NodeId> committee = Sortition.committee(Sortition.committeeTarget(Sortition.GENESIS_SEED, 0), all, 16, 2);
        assertThat(committee).hasSize(6);
    }

    @Test
    void stewardsAreTheLowestTicketsAndChangeWithTheOutput() {
        List<NodeId> members = candidates(50, 50, 4).stream().map(Sortition.Candidate::id).toList();
        List<NodeId> s1 = Sortition.stewards(new byte[32], "irc", members, 5);
        assertThat(s1).hasSize(5).isSubsetOf(members);
        assertThat(Sortition.stewards(new byte[32], "irc", members.reversed(), 5)).isEqualTo(s1);
        byte[] other = new byte[32];
        other[0] = 1;
        assertThat(Sortition.stewards(other, "irc", members, 5)).isNotEqualTo(s1);
        assertThat(Sortition.stewards(new byte[32], "chess", members, 5)).isNotEqualTo(s1);
    }

    @Test
    void placementMovesAKeyEachEpochAndIsTheSameForEveryone() {
        Key key = Key.of(new byte[32]);
        byte[] r1 = new byte[32];
        byte[] r2 = new byte[32];
        r2[31] = 1;
        assertThat(Sortition.placement(key, r1)).isEqualTo(Sortition.placement(Key.of(new byte[32]), r1))
                .isNotEqualTo(Sortition.placement(key, r2)).isNotEqualTo(key);
    }
}
