package net.barn.core.trust.evidence;

import static net.barn.core.trust.evidence.Fixtures.identity;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.trust.beacon.Checked;
import net.barn.wire.evidence.StatementKind;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/** The evidence codec takes back exactly what it writes and refuses everything else with a reason. */
class EvidenceCodecTest {
    private static final Evidence EVIDENCE = Fixtures.recordEquivocation(identity(1));

    private static net.barn.wire.evidence.Evidence wire() throws Exception {
        return net.barn.wire.evidence.Evidence.parseFrom(EVIDENCE.encode());
    }

    private static String refusal(byte[] bytes) {
        Checked<Evidence> d = EvidenceCodec.decode(bytes);
        assertThat(d.isValid()).isFalse();
        return d.reason();
    }

    @Test
    void evidenceRoundTripsAndStillVerifies() {
        Evidence back = EvidenceCodec.decodeAndVerify(EVIDENCE.encode(), SignatureVerifier.ED25519).orElseThrow();
        assertThat(back).isEqualTo(EVIDENCE);
        assertThat(back.idHex()).isEqualTo(EVIDENCE.idHex());
    }

    @Test
    void emptyAndOversizeInputIsRefusedBeforeParsing() {
        assertThat(refusal(new byte[0])).isEqualTo("empty evidence");
        assertThat(refusal(new byte[EvidenceCodec.MAX_EVIDENCE_BYTES + 1])).contains("limit " + EvidenceCodec.MAX_EVIDENCE_BYTES);
    }

    @Test
    void garbageIsNotAnEvidenceMessage() {
        assertThat(refusal(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff})).startsWith("not an evidence message");
    }

    @Test
    void aMissingStatementIsRefused() throws Exception {
        assertThat(refusal(wire().toBuilder().clearSecond().build().toByteArray())).isEqualTo("evidence needs two statements");
    }

    @Test
    void badFieldsAreRefusedWithTheirReason() throws Exception {
        var w = wire();
        assertThat(refusal(w.toBuilder().setFirst(w.getFirst().toBuilder().setKind(StatementKind.STATEMENT_KIND_UNSPECIFIED))
                .build().toByteArray())).isEqualTo("first statement: unknown statement kind 0");
        assertThat(refusal(w.toBuilder().setSecond(w.getSecond().toBuilder().setKindValue(9)).build().toByteArray()))
                .isEqualTo("second statement: unknown statement kind 9");
        assertThat(refusal(w.toBuilder().setFirst(w.getFirst().toBuilder().setSignerKey(ByteString.copyFrom(new byte[31])))
                .build().toByteArray())).isEqualTo("first statement: signer key is not 32 bytes");
        assertThat(refusal(w.toBuilder().setFirst(w.getFirst().toBuilder().setSignature(ByteString.copyFrom(new byte[65])))
                .build().toByteArray())).isEqualTo("first statement: signature is not 64 bytes");
        assertThat(refusal(w.toBuilder().setFirst(w.getFirst().toBuilder().setContext(ByteString.copyFrom(new byte[129])))
                .build().toByteArray())).isEqualTo("first statement: context of 129 bytes, limit 128");
        assertThat(refusal(w.toBuilder().setFirst(w.getFirst().toBuilder()
                .setBody(ByteString.copyFrom(new byte[EvidenceCodec.MAX_BODY_BYTES + 1]))).build().toByteArray()))
                .startsWith("first statement: body of");
    }

    @Test
    void onlyTheCanonicalEncodingIsAccepted() throws Exception {
        var w = wire();
        byte[] swapped = w.toBuilder().setFirst(w.getSecond()).setSecond(w.getFirst()).build().toByteArray();
        assertThat(refusal(swapped)).startsWith("evidence not in canonical encoding");
        byte[] extra = w.toBuilder().setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
                .addField(15, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(1).build()).build())
                .build().toByteArray();
        assertThat(refusal(extra)).startsWith("evidence not in canonical encoding");
    }

    @Test
    void aBodyThatIsNotWhatItsKindSaysIsRefusedByVerification() {
        Statement a = EVIDENCE.first();
        Statement junk = new Statement(a.signer(), a.signerKey(), a.context(), a.sequence(), new byte[] {1, 2, 3}, a.signature());
        byte[] bytes = new Evidence(junk, EVIDENCE.second()).encode();
        assertThat(EvidenceCodec.decode(bytes).isValid()).isTrue();
        assertThat(EvidenceCodec.decodeAndVerify(bytes, SignatureVerifier.ED25519).reason()).endsWith("body is not a signed record");
    }

    @Property(tries = 300)
    void randomBytesAreRefusedWithoutAnException(@ForAll @Size(max = 300) byte[] bytes) {
        Checked<Evidence> d = EvidenceCodec.decodeAndVerify(bytes, SignatureVerifier.ED25519);
        assertThat(d.isValid()).isFalse();
        assertThat(d.reason()).isNotBlank();
    }

    @Property(tries = 300)
    void anyFlippedBitLeavesNoValidEvidenceOrTheSameOne(@ForAll @IntRange(min = 0, max = 100_000) int at,
            @ForAll @IntRange(min = 0, max = 7) int bit) {
        byte[] bytes = EVIDENCE.encode();
        bytes[at % bytes.length] ^= (byte) (1 << bit);
        Checked<Evidence> d = EvidenceCodec.decodeAndVerify(bytes, SignatureVerifier.ED25519);
        if (d.isValid()) {
            // A flip inside a value can make another genuine-looking pair only if it was signed: never here.
            assertThat(d.orElseThrow()).isEqualTo(EVIDENCE);
        } else {
            assertThat(d.reason()).isNotBlank();
        }
    }
}
