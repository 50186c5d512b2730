package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.dht.Countersigning;
import net.barn.core.dht.Key;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PowParams;
import org.junit.jupiter.api.Test;

/** A beacon key's age, as its replicas witnessed it. */
class WitnessedKeyTest {
    private static final PowParams POW = PowParams.TEST;
    private static final Key RECORD_KEY = Key.of(new byte[32]);
    private final byte[] keyValue = new byte[WitnessedKey.KEY_BYTES];
    private final List<Identity> replicas = new ArrayList<>();

    WitnessedKeyTest() {
        keyValue[0] = 7;
        for (int i = 0; i < 6; i++) {
            replicas.add(Identity.generate(new SeededEntropy(100 + i), POW));
        }
    }

    private WitnessedKey.Witness witness(Identity by, long at, byte[] value) {
        byte[] signed = Countersigning.signedBytes(RECORD_KEY, WitnessedKey.commitment(value), at);
        return new WitnessedKey.Witness(by.publicKey(), by.powNonce(), at, by.sign(signed));
    }

    private Set<NodeId> ids(List<Identity> of) {
        Set<NodeId> out = new HashSet<>();
        of.forEach(i -> out.add(i.id()));
        return out;
    }

    private WitnessedKey.Decoded roundTrip(List<WitnessedKey.Witness> ws) {
        return WitnessedKey.decode(WitnessedKey.encode(keyValue, ws)).orElseThrow();
    }

    @Test
    void theAgeIsWhenAQuorumOfTheCurrentReplicasHadSeenTheKey() {
        WitnessedKey.Decoded d = roundTrip(List.of(witness(replicas.get(0), 5_000, keyValue), witness(replicas.get(1), 1_000, keyValue),
                witness(replicas.get(2), 3_000, keyValue), witness(replicas.get(3), 9_000, keyValue)));
        assertThat(d.key()).isEqualTo(keyValue);
        assertThat(d.witnesses()).hasSize(4);
        assertThat(WitnessedKey.witnessedSince(RECORD_KEY, d, ids(replicas), POW, 3)).isEqualTo(5_000);
        assertThat(WitnessedKey.witnessedSince(RECORD_KEY, d, ids(replicas), POW, 1)).isEqualTo(1_000);
        assertThat(WitnessedKey.witnessedSince(RECORD_KEY, d, ids(replicas), POW, 5)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void witnessesThatAreNotReplicasNowOrDoNotVerifyCountForNothing() {
        Identity outsider = Identity.generate(new SeededEntropy(7), POW);
        byte[] otherKey = keyValue.clone();
        otherKey[1] = 1;
        WitnessedKey.Witness forged = witness(replicas.get(2), 10, keyValue);
        byte[] badSig = forged.signature();
        badSig[0] ^= 1;
        WitnessedKey.Decoded d = roundTrip(List.of(
                witness(replicas.get(0), 100, keyValue),
                witness(outsider, 1, keyValue), // not among the replicas the reader found
                new WitnessedKey.Witness(forged.signerKey(), forged.powNonce(), forged.atMillis(), badSig),
                witness(replicas.get(3), 2, otherKey), // countersigned another key
                witness(replicas.get(4), 300, keyValue),
                witness(replicas.get(4), 50, keyValue))); // one signer counts once, at its earliest
        // Valid: replica 0 at 100, replica 4 at 50: two signers only.
        assertThat(WitnessedKey.witnessedSince(RECORD_KEY, d, ids(replicas), POW, 2)).isEqualTo(100);
        assertThat(WitnessedKey.witnessedSince(RECORD_KEY, d, ids(replicas), POW, 3)).isEqualTo(Long.MAX_VALUE);
        // The same witnesses under another record key prove nothing.
        assertThat(WitnessedKey.witnessedSince(Key.of(net.barn.core.crypto.Sha256.hash(new byte[] {1})), d, ids(replicas), POW, 1)).isEqualTo(Long.MAX_VALUE);
        // Nor does a signer whose id lacks the network's work.
        assertThat(WitnessedKey.witnessedSince(RECORD_KEY, d, ids(replicas), new PowParams(20, 20), 1)).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aNodeKeepsTheEarliestWitnessOfEachSignerCurrentReplicasFirst() {
        List<WitnessedKey.Witness> held = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            held.add(witness(replicas.get(i), 1_000 + i, keyValue));
        }
        List<Identity> more = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            more.add(Identity.generate(new SeededEntropy(200 + i), POW));
        }
        List<WitnessedKey.Witness> fresh = new ArrayList<>();
        fresh.add(witness(replicas.get(0), 9_000, keyValue)); // later than held: the held one stays
        more.forEach(m -> fresh.add(witness(m, 8_000, keyValue)));
        Set<NodeId> current = ids(more);
        current.add(replicas.get(0).id());
        List<WitnessedKey.Witness> kept = WitnessedKey.keep(held, fresh, current);
        assertThat(kept).hasSize(WitnessedKey.MAX_WITNESSES);
        assertThat(kept.subList(0, 5)).extracting(WitnessedKey.Witness::signer).containsExactlyInAnyOrderElementsOf(current);
        assertThat(kept).filteredOn(w -> w.signer().equals(replicas.get(0).id())).singleElement()
                .satisfies(w -> assertThat(w.atMillis()).isEqualTo(1_000));
    }

    @Test
    void malformedRecordsAreRefusedWithAReason() {
        assertThat(WitnessedKey.decode(keyValue).orElseThrow().witnesses()).isEmpty();
        assertThat(WitnessedKey.decode(new byte[239]).reason()).contains("239 bytes");
        byte[] value = WitnessedKey.encode(keyValue, List.of(witness(replicas.get(0), 1, keyValue)));
        assertThat(WitnessedKey.decode(java.util.Arrays.copyOf(value, value.length - 1)).reason()).contains("does not hold 1 witnesses");
        byte[] tooMany = java.util.Arrays.copyOf(keyValue, WitnessedKey.KEY_BYTES + 1);
        tooMany[WitnessedKey.KEY_BYTES] = 9;
        assertThat(WitnessedKey.decode(tooMany).reason()).contains("at most 8");
    }
}
