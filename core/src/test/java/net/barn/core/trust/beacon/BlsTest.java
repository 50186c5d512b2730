package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.barn.core.crypto.SeededEntropy;
import org.junit.jupiter.api.Test;

class BlsTest {
    private static final byte[] MESSAGE = "barn".getBytes(StandardCharsets.US_ASCII);

    @Test
    void sameEntropyGivesSameKeyAndDeterministicSignature() {
        BlsSecretKey a = Bls.generate(new SeededEntropy(7));
        BlsSecretKey b = Bls.generate(new SeededEntropy(7));
        assertThat(a.publicKey()).isEqualTo(b.publicKey());
        assertThat(a.sign(MESSAGE)).isEqualTo(b.sign(MESSAGE));
        assertThat(Bls.generate(new SeededEntropy(8)).publicKey()).isNotEqualTo(a.publicKey());
    }

    @Test
    void signatureVerifiesOnlyUnderItsKeyAndMessage() {
        BlsSecretKey key = Bls.generate(new SeededEntropy(1));
        BlsSignature sig = key.sign(MESSAGE);
        assertThat(Bls.verify(key.publicKey(), MESSAGE, sig)).isTrue();
        assertThat(Bls.verify(key.publicKey(), "barm".getBytes(StandardCharsets.US_ASCII), sig)).isFalse();
        assertThat(Bls.verify(Bls.generate(new SeededEntropy(2)).publicKey(), MESSAGE, sig)).isFalse();
    }

    @Test
    void encodingsAreCompressedAndRoundTrip() {
        BlsSecretKey key = Bls.generate(new SeededEntropy(3));
        byte[] pk = key.publicKey().toBytes();
        byte[] sig = key.sign(MESSAGE).toBytes();
        assertThat(pk).hasSize(48);
        assertThat(sig).hasSize(96);
        assertThat(pk[0] & 0x80).as("compression flag").isEqualTo(0x80);
        assertThat(BlsPublicKey.decode(pk).orElseThrow()).isEqualTo(key.publicKey());
        assertThat(BlsSignature.decode(sig).orElseThrow()).isEqualTo(key.sign(MESSAGE));
        assertThat(BlsSecretKey.decode(key.toBytes()).orElseThrow().publicKey()).isEqualTo(key.publicKey());
    }

    @Test
    void flippedSignatureBitFailsWithReason() {
        BlsSecretKey key = Bls.generate(new SeededEntropy(4));
        byte[] sig = key.sign(MESSAGE).toBytes();
        sig[40] ^= 1;
        Checked<BlsSignature> checked = Bls.verify(key.publicKey(), MESSAGE, sig);
        assertThat(checked.isValid()).isFalse();
        assertThat(checked.reason()).isNotBlank();
    }

    @Test
    void refusesPublicKeyOfWrongLengthWithoutCompressionFlagOrIdentity() {
        assertThat(BlsPublicKey.decode(new byte[47]).reason()).contains("48 bytes");
        assertThat(BlsPublicKey.decode(null).reason()).contains("48 bytes");
        assertThat(BlsPublicKey.decode(new byte[48]).reason()).contains("compressed");
        byte[] identity = new byte[48];
        identity[0] = (byte) 0xc0;
        assertThat(BlsPublicKey.decode(identity).reason()).contains("identity");
    }

    @Test
    void refusesG1PointOutsideTheSubgroup() {
        // x = 0 is on y^2 = x^3 + 4 (y = 2) but that point has order 3, not r.
        byte[] x0 = new byte[48];
        x0[0] = (byte) 0x80;
        assertThat(BlsPublicKey.decode(x0).reason()).contains("subgroup");
    }

    @Test
    void refusesG2PointOutsideTheSubgroupAndOffTheCurve() {
        byte[] onCurve = new byte[96];
        onCurve[0] = (byte) 0x80;
        onCurve[95] = 2; // x = 2 (in the Fp2 c0 limb): on the twist, outside the subgroup (checked by hand)
        assertThat(BlsSignature.decode(onCurve).reason()).contains("subgroup");
        byte[] offCurve = new byte[96];
        offCurve[0] = (byte) 0x80;
        offCurve[95] = 1;
        assertThat(BlsSignature.decode(offCurve).reason()).contains("not a compressed G2 point");
        assertThat(BlsSignature.decode(new byte[95]).reason()).contains("96 bytes");
    }

    @Test
    void refusesSecretKeyOutOfRange() {
        assertThat(BlsSecretKey.decode(new byte[32]).reason()).contains("[1, r)");
        assertThat(BlsSecretKey.decode(Scalars.toBytes(Scalars.R)).reason()).contains("[1, r)");
        assertThat(BlsSecretKey.decode(new byte[31]).reason()).contains("32 bytes");
    }

    @Test
    void secretKeyToStringHidesTheScalar() {
        BlsSecretKey key = Bls.generate(new SeededEntropy(5));
        assertThat(key.toString()).doesNotContain(HexFormat.of().formatHex(key.toBytes()));
    }
}
