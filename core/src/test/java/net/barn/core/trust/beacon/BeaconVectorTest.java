package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The deterministic beacon vector of docs/beacon-vectors.md: if the message construction,
 * the DST or an encoding changes, this fails and the document must change with it.
 */
class BeaconVectorTest {
    private static final HexFormat HEX = HexFormat.of();
    static final String SECRET = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
    static final String PUBLIC =
            "96a20bb9485ff6d8950955a629e8043a43775968ac133eb7b19c5f0389a2253676abdd6c86c7b68d38a1b7f6af8650e7";
    static final String MESSAGE_EPOCH1_ROUND1 = "dfdd69206f4605df868fa6ee641928140b4d0daf9062c296e31050b77dfe6349";
    static final String SIGNATURE = "97c96c5a7e3bcdb52e7729fc3e8d9e1c07c170535c809e3589cd05615168002519eb1763514a82e2"
            + "6773041a7e42422f075f81738e75b6d03dc9ced1e15e57a93fba3f1f904274205863c3df8cfe29e833339996c9a43bbe4891124538aeb269";
    static final String OUTPUT = "91adf0883ae22580f263d3b7431c61e998548dfa598ef689153bbf3ffe230dff";

    @Test
    void fixedKeySignsEpochOneRoundOneAsDocumented() {
        BlsSecretKey key = BlsSecretKey.decode(HEX.parseHex(SECRET)).orElseThrow();
        assertThat(key.publicKey().toHex()).isEqualTo(PUBLIC);
        assertThat(HEX.formatHex(BeaconRound.message(1, 1))).isEqualTo(MESSAGE_EPOCH1_ROUND1);
        BlsSignature sig = key.sign(BeaconRound.message(1, 1));
        assertThat(sig.toHex()).isEqualTo(SIGNATURE);
        assertThat(HEX.formatHex(BeaconRound.output(sig))).isEqualTo(OUTPUT);
    }

    @Test
    void documentedVectorVerifiesFromItsPublicParts() {
        BlsPublicKey pk = BlsPublicKey.decode(HEX.parseHex(PUBLIC)).orElseThrow();
        assertThat(HEX.formatHex(BeaconRound.verify(pk, 1, 1, HEX.parseHex(SIGNATURE)).orElseThrow())).isEqualTo(OUTPUT);
        assertThat(BeaconRound.verify(pk, 1, 2, HEX.parseHex(SIGNATURE)).isValid()).isFalse();
    }

    /** PROTOCOL 17.5 and 17.9: values a second implementation must reproduce (checked independently with Python's hashlib). */
    @Test
    void dkgSessionsOfAFirstAndASecondRunAsDocumented() {
        java.util.List<net.barn.core.identity.NodeId> ids = java.util.stream.IntStream.rangeClosed(1, 3)
                .mapToObj(i -> { byte[] b = new byte[32]; java.util.Arrays.fill(b, (byte) i); return net.barn.core.identity.NodeId.of(b); })
                .toList();
        assertThat(HexFormat.of().toHexDigits(Sortition.session(0, ids))).isEqualTo("fa0e2527f845069c");
        assertThat(HexFormat.of().toHexDigits(Sortition.session(0, ids, 1))).isEqualTo("aba4d298a4d4e9f6");
    }

    @Test
    void genesisTargetAndPresenceTicketAsDocumented() {
        assertThat(HEX.formatHex(Sortition.GENESIS_SEED)).isEqualTo("d2e7b9530e918875f47ca592f01caaf1f58a791dbc2b924131a7f8188e5f073c");
        assertThat(HEX.formatHex(Sortition.committeeTarget(Sortition.GENESIS_SEED, 1).toBytes()))
                .isEqualTo("381b4c8b5de737f1310720fd110be50b3acb0d650140da2bf332de2944a2e24e");
        byte[] id = new byte[32];
        java.util.Arrays.fill(id, (byte) 1);
        net.barn.core.identity.NodeId node = net.barn.core.identity.NodeId.of(id);
        assertThat(HEX.formatHex(PresenceTicket.message(node, 1))).isEqualTo("61124494f0fb4788f0ec019042dc7a4ac52e053654e7eb7a3a4ea496824d8689");
        BlsSecretKey key = BlsSecretKey.decode(HEX.parseHex(SECRET)).orElseThrow();
        PresenceTicket ticket = new PresenceTicket(1, key.sign(PresenceTicket.message(node, 1)));
        assertThat(ticket.signature().toHex()).isEqualTo("a2d3f6e7914f9afb2f2eef1c405a6bc4d57c66b55e482caef7662c62437db3b5a03c5fd1f0a6bb20ba9348be1aa915"
                + "6518a0cc61d755a73264d9abf87d9a8a9c81f3edc6f4ea407b6bea9785eb24d0e728a287e59dcd2e2ef057661f2312a142");
        assertThat(ticket.refuse(key.publicKey(), node, 2, 24)).isNull();
    }
}
