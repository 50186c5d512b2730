package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.Identity;
import net.barn.core.testing.TestIdentities;
import org.bouncycastle.crypto.bls.BLS12_381BasicScheme;
import org.junit.jupiter.api.Test;

class BeaconKeyTest {
    private final Identity alice = TestIdentities.of(1);
    private final Identity mallory = TestIdentities.of(2);
    private final BlsSecretKey aliceKey = Bls.generate(new SeededEntropy(11));
    private final BlsSecretKey malloryKey = Bls.generate(new SeededEntropy(12));

    private static Checked<BeaconKey> reparse(BeaconKey k) {
        return BeaconKey.verify(k.nodeKey(), k.blsKey().toBytes(), k.possession().toBytes(), k.identitySignature());
    }

    @Test
    void bindingMadeByItsOwnerVerifies() {
        BeaconKey binding = BeaconKey.create(alice, aliceKey);
        Checked<BeaconKey> checked = reparse(binding);
        assertThat(checked.reason()).isNull();
        assertThat(checked.orElseThrow().nodeId()).isEqualTo(alice.id());
        assertThat(checked.orElseThrow().blsKey()).isEqualTo(aliceKey.publicKey());
    }

    @Test
    void rejectsProofOfPossessionByAnotherKey() {
        BeaconKey binding = BeaconKey.create(alice, aliceKey);
        BeaconKey other = BeaconKey.create(alice, malloryKey);
        Checked<BeaconKey> forged = BeaconKey.verify(alice.publicKey(), aliceKey.publicKey().toBytes(),
                other.possession().toBytes(), binding.identitySignature());
        assertThat(forged.reason()).contains("proof of possession does not verify");
    }

    @Test
    void rejectsOrdinarySignatureOfTheKeyAsProofOfPossession() {
        // The same bytes signed under the signing DST must not pass for a PoP: the DSTs differ.
        BlsSignature plain = BlsSignature.of(BLS12_381BasicScheme.sign(aliceKey.scalar(), aliceKey.publicKey().toBytes()));
        BeaconKey binding = BeaconKey.create(alice, aliceKey);
        Checked<BeaconKey> forged = BeaconKey.verify(alice.publicKey(), aliceKey.publicKey().toBytes(),
                plain.toBytes(), binding.identitySignature());
        assertThat(forged.reason()).contains("proof of possession does not verify");
    }

    @Test
    void rejectsBlsKeyClaimedByAnotherNode() {
        BeaconKey binding = BeaconKey.create(alice, aliceKey);
        Checked<BeaconKey> stolen = BeaconKey.verify(mallory.publicKey(), binding.blsKey().toBytes(),
                binding.possession().toBytes(), mallory.sign(new byte[] {1}));
        assertThat(stolen.reason()).contains("node identity did not sign");
        Checked<BeaconKey> replayed = BeaconKey.verify(mallory.publicKey(), binding.blsKey().toBytes(),
                binding.possession().toBytes(), binding.identitySignature());
        assertThat(replayed.reason()).contains("node identity did not sign");
    }

    @Test
    void rejectsMalformedPartsWithReasons() {
        BeaconKey binding = BeaconKey.create(alice, aliceKey);
        assertThat(BeaconKey.verify(new byte[5], binding.blsKey().toBytes(), binding.possession().toBytes(),
                binding.identitySignature()).reason()).contains("node key");
        assertThat(BeaconKey.verify(alice.publicKey(), new byte[48], binding.possession().toBytes(),
                binding.identitySignature()).reason()).startsWith("bad BLS key");
        assertThat(BeaconKey.verify(alice.publicKey(), binding.blsKey().toBytes(), new byte[3],
                binding.identitySignature()).reason()).startsWith("bad proof of possession");
        assertThat(BeaconKey.verify(alice.publicKey(), binding.blsKey().toBytes(), binding.possession().toBytes(),
                null).reason()).contains("node identity did not sign");
    }
}
