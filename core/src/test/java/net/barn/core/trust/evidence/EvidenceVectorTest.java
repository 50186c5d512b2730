package net.barn.core.trust.evidence;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import org.junit.jupiter.api.Test;

/**
 * The evidence vector of docs/evidence-notes.md: the Ed25519 seed 01 × 32 publishes the owned
 * record "site" at sequence 7 (expiring at 1,900,000,000,000 ms) twice, as "v=1" and "v=2".
 * If a signed encoding, the wire format or the id changes, this fails and the document must
 * change with it.
 */
class EvidenceVectorTest {
    private static final HexFormat HEX = HexFormat.of();
    static final String PUBLIC_KEY = "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c";
    static final String NODE_ID = "34750f98bd59fcfc946da45aaabe933be154a4b5094e1c4abf42866505f3c97e";
    static final String CONTEXT = "00000001d4cba8d2559b9e10c0752e85c41b3944ceb42d2802e4b21557e761653d6c3829";
    static final String BODY_1 = "08011220d4cba8d2559b9e10c0752e85c41b3944ceb42d2802e4b21557e761653d6c38291a03763d3120072880"
            + "f0cc86a63732208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c3a0473697465";
    static final String SIGNATURE_1 = "ddfb4109b743408f2a45f83a5729dd32cd19bab55f5eb9c625187cbaa5fecf16"
            + "9474bd4bc21e737ae0d4bc5ee8532e7e595da3b4680f9761b3501c2bf481060a";
    static final String SIGNATURE_2 = "5062379406dec91daaadde0bfd8ad9ac5b4baf57cc407e74a37b703bfaa7bbf9"
            + "a870bcd9001c5f744e01df6833ea97a29f8430d13367c6acdad9deb328f2b507";
    static final String EVIDENCE_ID = "6e3e8f4251cb0e879810a6418be1fb12f81e1eb50075de3fccfd39ecc1361c95";

    @Test
    void fixedKeyEquivocatingOnARecordGivesTheDocumentedEvidence() {
        Identity who = Fixtures.identity(1);
        assertThat(HEX.formatHex(who.publicKey())).isEqualTo(PUBLIC_KEY);
        assertThat(who.id().toHex()).isEqualTo(NODE_ID);
        Evidence e = Fixtures.recordEquivocation(who);
        assertThat(HEX.formatHex(e.first().context().key())).isEqualTo(CONTEXT);
        assertThat(HEX.formatHex(e.first().body())).isEqualTo(BODY_1);
        assertThat(HEX.formatHex(e.first().signature())).isEqualTo(SIGNATURE_1);
        assertThat(HEX.formatHex(e.second().signature())).isEqualTo(SIGNATURE_2);
        assertThat(e.idHex()).isEqualTo(EVIDENCE_ID);
    }

    @Test
    void theDocumentedEncodingDecodesAndVerifiesFromItsBytesAlone() {
        byte[] encoded = Fixtures.recordEquivocation(Fixtures.identity(1)).encode();
        Evidence e = EvidenceCodec.decodeAndVerify(encoded, SignatureVerifier.ED25519).orElseThrow();
        assertThat(e.offender().toHex()).isEqualTo(NODE_ID);
        assertThat(HEX.formatHex(net.barn.core.crypto.Sha256.hash(encoded))).isEqualTo(EVIDENCE_ID);
    }
}
