package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.crypto.SeededEntropy;
import org.junit.jupiter.api.Test;

class ThresholdBlsTest {
    private static final byte[] MESSAGE = "round 1".getBytes(StandardCharsets.US_ASCII);

    private final BlsSecretKey secret = Bls.generate(new SeededEntropy(21));
    private final ThresholdBls.Dealt dealt = ThresholdBls.split(secret, 5, 3, new SeededEntropy(22));

    private PartialSignature partial(int index) {
        return ThresholdBls.signPartial(dealt.shares().get(index - 1), MESSAGE);
    }

    @Test
    void groupKeyIsTheSecretsPublicKeyAndSharesMatchTheirPublicShares() {
        assertThat(dealt.group().publicKey()).isEqualTo(secret.publicKey());
        for (SecretShare s : dealt.shares()) {
            assertThat(dealt.group().publicShare(s.index())).isEqualTo(s.publicKey());
        }
    }

    @Test
    void anyThresholdOfPartialsRecoversTheSecretsOwnSignature() {
        BlsSignature expected = secret.sign(MESSAGE);
        for (List<Integer> subset : List.of(List.of(1, 2, 3), List.of(3, 4, 5), List.of(5, 1, 3), List.of(2, 4, 5))) {
            List<PartialSignature> partials = subset.stream().map(this::partial).toList();
            BlsSignature sig = ThresholdBls.recover(3, partials).orElseThrow();
            assertThat(sig).as("subset %s", subset).isEqualTo(expected);
            assertThat(Bls.verify(dealt.group().publicKey(), MESSAGE, sig)).isTrue();
        }
    }

    @Test
    void fewerThanThresholdPartialsRecoverNothing() {
        Checked<BlsSignature> r = ThresholdBls.recover(3, List.of(partial(1), partial(2), partial(2)));
        assertThat(r.reason()).contains("need 3").contains("have 2");
    }

    @Test
    void partialVerifiesOnlyUnderItsMembersPublicShare() {
        assertThat(ThresholdBls.verifyPartial(dealt.group(), MESSAGE, partial(2)).isValid()).isTrue();
        PartialSignature misattributed = new PartialSignature(3, partial(2).signature());
        assertThat(ThresholdBls.verifyPartial(dealt.group(), MESSAGE, misattributed).reason())
                .contains("member 3").contains("does not verify");
        assertThat(ThresholdBls.verifyPartial(dealt.group(), MESSAGE, new PartialSignature(0, partial(1).signature()))
                .reason()).contains("indices start at 1");
    }

    @Test
    void combineRejectsInvalidPartialsAndRecoversFromTheValidOnes() {
        PartialSignature forged = new PartialSignature(1, Bls.generate(new SeededEntropy(99)).sign(MESSAGE));
        List<PartialSignature> candidates = new ArrayList<>(List.of(forged, partial(2), partial(4), partial(5)));
        BlsSignature sig = ThresholdBls.combine(dealt.group(), MESSAGE, candidates).orElseThrow();
        assertThat(sig).isEqualTo(secret.sign(MESSAGE));

        Checked<BlsSignature> tooFew = ThresholdBls.combine(dealt.group(), MESSAGE, List.of(forged, partial(2), partial(4)));
        assertThat(tooFew.reason()).contains("need 3").contains("member 1 does not verify");
    }

    @Test
    void recoveringFromAnUncheckedBadPartialGivesAnInvalidSignature() {
        // Why partials must be verified first: one bad partial spoils the interpolation.
        PartialSignature forged = new PartialSignature(1, Bls.generate(new SeededEntropy(98)).sign(MESSAGE));
        BlsSignature sig = ThresholdBls.recover(3, List.of(forged, partial(2), partial(3))).orElseThrow();
        assertThat(Bls.verify(dealt.group().publicKey(), MESSAGE, sig)).isFalse();
    }

    @Test
    void lagrangeCoefficientsAtZeroSumToOneAndInterpolateAConstant() {
        List<Integer> idx = List.of(2, 5, 7);
        BigInteger sum = BigInteger.ZERO;
        for (int i : idx) {
            sum = sum.add(Scalars.lagrangeAtZero(i, idx));
        }
        assertThat(sum.mod(Scalars.R)).isEqualTo(BigInteger.ONE);
    }

    @Test
    void groupOrderIsTheBls12381ScalarFieldModulus() {
        assertThat(Scalars.R.toString(16)).isEqualTo("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001");
    }
}
