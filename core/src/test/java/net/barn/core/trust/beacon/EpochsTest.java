package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** The beacon's clock and the rule a handover notice must pass (PROTOCOL 17.9). */
class EpochsTest {
    /** The daemon's defaults: rounds of 30 s, epochs of 120 rounds, phases of 10 s. */
    private final Epochs defaults = new Epochs(30_000, 120, 10_000);

    private static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        return NodeId.of(b);
    }

    @Test
    void theSeedRoundComesLeadRoundsBeforeTheEpochAndTheHandoverStartsTwoPhasesAfterIt() {
        assertThat(defaults.leadRounds()).isEqualTo(4);
        assertThat(defaults.seedRound(10)).isEqualTo(1196);
        assertThat(defaults.epochOf(1196)).isEqualTo(9);
        assertThat(defaults.handoverStartMillis(1196)).isEqualTo(1197 * 30_000L + 20_000);
        assertThat(defaults.epochOf(defaults.roundAt(1200 * 30_000L))).isEqualTo(10);
        assertThatThrownBy(() -> new Epochs(30_000, 7, 10_000)).hasMessageContaining("at least 8");
    }

    @Test
    void aHandoverNoticeIsRefusedUnlessItIsForTheNextEpochFromAnOldMemberToThisNodeUnderTheKnownKey() {
        DkgCluster group = DkgCluster.fresh(3, 2, 51).run();
        GroupKey key = group.node(1).result().group();
        Epochs e = new Epochs(500, 30, 800);
        long seedRound = e.seedRound(5);
        byte[] message = BeaconRound.message(e.epochOf(seedRound), seedRound);
        BlsSignature seed = ThresholdBls.combine(key, message, List.of(
                ThresholdBls.signPartial(group.node(1).result().share(), message),
                ThresholdBls.signPartial(group.node(2).result().share(), message))).orElseThrow();
        List<NodeId> old = List.of(id(1), id(2), id(3));
        List<NodeId> next = List.of(id(4), id(5), id(6));
        BeaconCodec.Handover h = new BeaconCodec.Handover(5, seedRound, seed, key.commitment(), old, next);
        assertThat(e.refuseHandover(h, 4, id(1), id(4), null)).isNull();
        assertThat(e.refuseHandover(h, 4, id(1), id(4), key.publicKey())).isNull();
        assertThat(e.refuseHandover(h, 5, id(1), id(4), null)).contains("which has begun");
        assertThat(e.refuseHandover(h, 3, id(1), id(4), null)).contains("more than one ahead");
        assertThat(e.refuseHandover(h, 4, id(9), id(4), null)).contains("not an old member");
        assertThat(e.refuseHandover(h, 4, id(1), id(9), null)).contains("without this node");
        BlsPublicKey other = Bls.generate(new SeededEntropy(9)).publicKey();
        assertThat(e.refuseHandover(h, 4, id(1), id(4), other)).contains("not the known one");
        BeaconCodec.Handover wrongRound = new BeaconCodec.Handover(5, seedRound - 1, seed, key.commitment(), old, next);
        assertThat(e.refuseHandover(wrongRound, 4, id(1), id(4), null)).contains("the rule gives " + seedRound);
        BlsSignature otherRound = ThresholdBls.combine(key, BeaconRound.message(4, seedRound - 1), List.of(
                ThresholdBls.signPartial(group.node(1).result().share(), BeaconRound.message(4, seedRound - 1)),
                ThresholdBls.signPartial(group.node(2).result().share(), BeaconRound.message(4, seedRound - 1)))).orElseThrow();
        BeaconCodec.Handover badSeed = new BeaconCodec.Handover(5, seedRound, otherRound, key.commitment(), old, next);
        assertThat(e.refuseHandover(badSeed, 4, id(1), id(4), null)).contains("does not verify");
    }

    @Test
    void theRecoverySeedIsAsDocumented() {
        // SHA-256("barn-recovery-v1" || 7 as 8 bytes BE), computed with Python's hashlib.
        assertThat(java.util.HexFormat.of().formatHex(Epochs.recoverySeed(7)))
                .isEqualTo("06e04c1e92c0aa65667daedc2aed2ee3751be9e3daf67dc995adbbacb9775ecf");
        assertThat(Epochs.recoverySeed(8)).isNotEqualTo(Epochs.recoverySeed(7));
    }
}
