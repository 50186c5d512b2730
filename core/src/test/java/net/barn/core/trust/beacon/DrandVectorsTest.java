package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/**
 * Rounds that drand's chains really published, verified through {@link Bls} and
 * {@link DrandBeacon}: if our hash-to-curve, DST, encodings or pairing check drifted from the
 * standard ciphersuite, these would fail. Each vector names the public source it was copied from.
 */
class DrandVectorsTest {
    private static final HexFormat HEX = HexFormat.of();

    /**
     * League of Entropy mainnet, default chain (pedersen-bls-chained, chain hash 8990e7a9…),
     * as published in its /info and quoted by every source below.
     */
    static final String MAINNET_KEY =
            "868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31";

    record Chained(String source, String key, long round, String previous, String signature, String randomness) {
        @Override
        public String toString() {
            return "round " + round + " (" + source + ")";
        }
    }

    static Stream<Chained> chainedRounds() {
        return Stream.of(
                // Round 1: its previous signature is the chain's genesis seed (the group hash).
                // dedis/kyber pairing/bls12381/kilic/suite_test.go, TestVerifySigOnG2.
                new Chained("dedis/kyber pairing/bls12381/kilic/suite_test.go", MAINNET_KEY, 1,
                        "176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
                        "8d61d9100567de44682506aea1a7a6fa6e5491cd27a0a0ed349ef6910ac5ac20ff7bc3e09d7c046566c9f7f3c6f3b10104990e7cb424998203d8f7de586fb7fa5f60045417a432684f85093b06ca91c769f0e7ca19268375e659c2a2352b4655",
                        null),
                // noislabs/drand-verify README.md, "Run example" (round 1337, with its randomness).
                new Chained("noislabs/drand-verify README.md", MAINNET_KEY, 1337,
                        "80d95247ddf1bb3acf5738497a5f10406be283144603f63d714bb1a44ff6b93285ae2697fffeb50c68862bd9fbecd4b204b1798d2686b4ac5d573615031d9d67e6168bde9a7adf1161430a498ca701a25c216aee3e38ffd5290369034fa050a2",
                        "945b08dcb30e24da281ccf14a646f0630ceec515af5c5895e18cc1b19edd65d156b71c776a369af3487f1bc6af1062500b059e01095cc0eedce91713977d7735cac675554edfa0d0481bb991ed93d333d08286192c05bf6b65d20f23a37fc7bb",
                        "2660664f8d4bc401194d80d81da20a1e79480f65b8e2d205aecbd143b5bfb0d3"),
                // noislabs/drand-verify src/verify.rs, test verify_works.
                new Chained("noislabs/drand-verify src/verify.rs", MAINNET_KEY, 72785,
                        "a609e19a03c2fcc559e8dae14900aaefe517cb55c840f6e69bc8e4f66c8d18e8a609685d9917efbfb0c37f058c2de88f13d297c7e19e0ab24813079efe57a182554ff054c7638153f9b26a60e7111f71a0ff63d9571704905d3ca6df0b031747",
                        "82f5d3d2de4db19d40a6980e8aa37842a0e55d1df06bd68bddc8d60002e8e959eb9cfa368b3c1b77d18f02a54fe047b80f0989315f83b12a74fd8679c4f12aae86eaf6ab5690b34f1fddd50ee3cc6f6cdf59e95526d5a5d82aaa84fa6f181e42",
                        null),
                // mcdcam/python-drand-verify README.md, verify_mainnet example.
                new Chained("mcdcam/python-drand-verify README.md", MAINNET_KEY, 3311596,
                        "8ed588f2a7716fb1349e2d9803da5db0005e98a83783c353d4a08f183236a9ad91d70ddb01266f4b7c576983db464b430e65680b9e0098552758afd6c1e6afcb77e3f62fe1b93d42d1cb63abbb2205512fe12fbf74ea9c5ac3b8f5c1e283a1d8",
                        "a696b9409ababce45749c3a4ec369074453dd4a79967734e1390d969c8ad8d98897d217b9121e92c8ddebbddda8d92f900e3bd6bf9deb166863b1a19390d743f82774001487594c5c09e581db7365f02b70a2c8cc41ce32446ef08e4890c4754",
                        "647c07b2abbf7ff2afb4d670214f565e5cd9f9c91bfdcecb59a21f3c78d73920"),
                // A chained test network: drand/drand-client test/beacon-verification.test.ts,
                // "should validate chained beacon from the go codebase".
                new Chained("drand/drand-client test/beacon-verification.test.ts",
                        "88a8227b75dba145599d894d33eebde3b36fef900d456ae2cc4388867adb4769c40359f783750a41b4d17e40f578bfdb",
                        397089,
                        "a2237ee39a1a6569cb8e02c6e979c07efe1f30be0ac501436bd325015f1cd6129dc56fd60efcdf9158d74ebfa34bfcbd17803dbca6d2ae8bc3a968e4dc582f8710c69de80b2e649663fef5742d22fff7d1619b75d5f222e8c9b8840bc2044bce",
                        "88ccd9a91946bc0bbef2c6c60a09bbf4a247b1d2059522449aa1a35758feddfad85efe818bbde3e1e4ab0c852d96e65f0b1f97f239bf3fc918860ea846cbb500fcf7c9d0dd3d851320374460b5fc596b8cfd629f4c07c7507c259bf9beca850a",
                        "cd435675735e459fb4d9c68a9d9f7b719e59e0a9f5f86fe6bd86b730d01fba42"));
    }

    @ParameterizedTest
    @MethodSource("chainedRounds")
    void publishedChainedRoundVerifies(Chained v) {
        BlsPublicKey key = BlsPublicKey.decode(HEX.parseHex(v.key())).orElseThrow();
        Checked<byte[]> out = DrandBeacon.verifyChained(key, v.round(), HEX.parseHex(v.previous()),
                HEX.parseHex(v.signature()));
        assertThat(out.reason()).isNull();
        byte[] randomness = out.orElseThrow();
        assertThat(randomness).isEqualTo(net.barn.core.crypto.Sha256.hash(HEX.parseHex(v.signature())));
        if (v.randomness() != null) {
            assertThat(HEX.formatHex(randomness)).isEqualTo(v.randomness());
        }
    }

    @ParameterizedTest
    @MethodSource("chainedRounds")
    void chainedRoundFailsWithAFlippedBitOrAnotherRound(Chained v) {
        BlsPublicKey key = BlsPublicKey.decode(HEX.parseHex(v.key())).orElseThrow();
        byte[] previous = HEX.parseHex(v.previous());
        byte[] signature = HEX.parseHex(v.signature());
        assertThat(DrandBeacon.verifyChained(key, v.round() + 1, previous, signature).isValid()).isFalse();
        byte[] otherPrevious = previous.clone();
        otherPrevious[previous.length - 1] ^= 1;
        assertThat(DrandBeacon.verifyChained(key, v.round(), otherPrevious, signature).isValid()).isFalse();
        byte[] otherSignature = signature.clone();
        otherSignature[50] ^= 1;
        Checked<byte[]> flipped = DrandBeacon.verifyChained(key, v.round(), previous, otherSignature);
        assertThat(flipped.isValid()).isFalse();
        assertThat(flipped.reason()).isNotBlank();
    }

    /**
     * pedersen-bls-unchained (message = SHA-256(round)), drand's testnet-unchained-3s chain:
     * drand/drand-client test/beacon-verification.test.ts, "should validate unchained beacons
     * from the go codebase".
     */
    @Test
    void publishedUnchainedRoundVerifies() {
        BlsPublicKey key = BlsPublicKey.decode(HEX.parseHex(
                "8200fc249deb0148eb918d6e213980c5d01acd7fc251900d9260136da3b54836ce125172399ddc69c4e3e11429b62c11"))
                .orElseThrow();
        byte[] signature = HEX.parseHex(
                "a33833d2098f5e0c4df334fb6c5b1c2de3ab293c77825f55d816254dabf7f4f3d429b6207e1cd2a808876e06058a1f8102bb6f6927b654b391259ea99c3566a4eb55feb9665dbaf9d33af08a10b1d8d8b35d91fd3536eb4c197be0041beb5dc2");
        Checked<byte[]> out = DrandBeacon.verifyUnchained(key, 19369534, signature);
        assertThat(HEX.formatHex(out.orElseThrow()))
                .isEqualTo("778180564f4fb9b77580af69a559ce941eb23d8d3180c48c4d290484b516c6aa");
        assertThat(DrandBeacon.verifyUnchained(key, 19369533, signature).isValid()).isFalse();
        signature[10] ^= 0x10;
        assertThat(DrandBeacon.verifyUnchained(key, 19369534, signature).isValid()).isFalse();
    }

    /**
     * The same file's unchained chain 8d91ae0f…: its signature is refused for round 397091
     * ("same as valid but with a different round number"), so it is round 397092's.
     */
    @Test
    void secondUnchainedChainVerifiesOnlyForItsRound() {
        BlsPublicKey key = BlsPublicKey.decode(HEX.parseHex(
                "8d91ae0f4e3cd277cfc46aba26680232b0d5bb4444602cdb23442d62e17f43cdffb1104909e535430c10a6a1ce680a65"))
                .orElseThrow();
        byte[] signature = HEX.parseHex(
                "94da96b5b985a22a3d99fa3051a42feb4da9218763f6c836fca3770292dbf4b01f5d378859a113960548d167eaa144250a2c8e34c51c5270152ac2bc7a52632236f746545e0fae52f69068c017745204240d19dae2b4d038cef3c6047fcd6539");
        assertThat(HEX.formatHex(DrandBeacon.verifyUnchained(key, 397092, signature).orElseThrow()))
                .isEqualTo("7731783ab8118d7484d0e8e237f3023a4c7ef4532f35016f2e56e89a7570c796");
        assertThat(DrandBeacon.verifyUnchained(key, 397091, signature).isValid()).isFalse();
    }

    @Test
    void mainnetSignatureDoesNotVerifyAsUnchained() {
        BlsPublicKey key = BlsPublicKey.decode(HEX.parseHex(MAINNET_KEY)).orElseThrow();
        Chained v = chainedRounds().filter(c -> c.round() == 1337).findFirst().orElseThrow();
        assertThat(DrandBeacon.verifyUnchained(key, 1337, HEX.parseHex(v.signature())).isValid()).isFalse();
    }
}
