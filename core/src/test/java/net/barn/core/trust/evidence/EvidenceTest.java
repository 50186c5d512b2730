package net.barn.core.trust.evidence;

import static net.barn.core.trust.evidence.Fixtures.identity;
import static net.barn.core.trust.evidence.Fixtures.owned;
import static net.barn.core.trust.evidence.Fixtures.statement;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import net.barn.core.trust.beacon.Checked;
import org.junit.jupiter.api.Test;

/** Evidence proves an equivocation by itself, and nothing else passes for it. */
class EvidenceTest {
    private static final SignatureVerifier ED = SignatureVerifier.ED25519;
    private final Identity mallory = identity(1);
    private final Identity alice = identity(2);

    @Test
    void twoValuesSignedForOneRecordSequenceAreEvidenceAgainstThePublisher() {
        Evidence e = Fixtures.recordEquivocation(mallory);
        assertThat(Evidence.verify(e, ED).isValid()).isTrue();
        assertThat(e.offender()).isEqualTo(mallory.id());
        assertThat(e.first().context().kind()).isEqualTo(Context.Kind.RECORD);
    }

    @Test
    void theRecordsOwnSignatureIsTheStatementsSignature() {
        Record r = owned(mallory, "site", "v=1", 7);
        Statement s = statement(r);
        assertThat(s.signature()).isEqualTo(r.signature());
        assertThat(s.problem(ED)).isNull();
    }

    @Test
    void orderOfTheTwoStatementsDoesNotChangeTheEvidenceOrItsId() {
        Statement a = statement(owned(mallory, "site", "v=1", 7));
        Statement b = statement(owned(mallory, "site", "v=2", 7));
        Evidence ab = new Evidence(a, b);
        Evidence ba = new Evidence(b, a);
        assertThat(ab).isEqualTo(ba);
        assertThat(ab.encode()).isEqualTo(ba.encode());
        assertThat(ab.idHex()).isEqualTo(ba.idHex()).hasSize(64);
    }

    @Test
    void aTamperedSignatureIsRefused() {
        Statement a = statement(owned(mallory, "site", "v=1", 7));
        Statement b = statement(owned(mallory, "site", "v=2", 7));
        byte[] sig = b.signature();
        sig[5] ^= 1;
        Statement forged = new Statement(b.signer(), b.signerKey(), b.context(), b.sequence(), b.body(), sig);
        assertThat(Evidence.verify(new Evidence(a, forged), ED).reason()).endsWith("signature does not verify");
    }

    @Test
    void aValueNobodySignedCannotFrameAPublisher() {
        // Alice published v=1; a forger writes v=2 under her key and signs it with its own.
        Record real = owned(alice, "site", "v=1", 7);
        byte[] v2 = "v=2".getBytes(StandardCharsets.UTF_8);
        byte[] forgedSig = mallory.sign(RecordTypes.signedBytes(real.type(), real.key(), v2, 7, Fixtures.EXPIRES,
                alice.publicKey(), real.name()));
        Record framed = new Record(real.type(), real.key(), v2, 7, Fixtures.EXPIRES, alice.publicKey(), real.name(), forgedSig);
        Evidence e = new Evidence(statement(real), statement(framed));
        assertThat(e.offender()).isEqualTo(alice.id());
        assertThat(Evidence.verify(e, ED).reason()).endsWith("signature does not verify");
    }

    @Test
    void statementsOfDifferentSignersAreRefused() {
        Evidence e = new Evidence(statement(owned(mallory, "site", "v=1", 7)), statement(owned(alice, "site", "v=2", 7)));
        assertThat(Evidence.verify(e, ED).reason()).isEqualTo("statements by different signers");
    }

    @Test
    void statementsAboutDifferentRecordsAreRefused() {
        Evidence e = new Evidence(statement(owned(mallory, "site", "v=1", 7)), statement(owned(mallory, "blog", "v=2", 7)));
        assertThat(Evidence.verify(e, ED).reason()).isEqualTo("statements about different contexts");
    }

    @Test
    void statementsAtDifferentSequencesAreRefused() {
        Evidence e = new Evidence(statement(owned(mallory, "site", "v=1", 7)), statement(owned(mallory, "site", "v=2", 8)));
        assertThat(Evidence.verify(e, ED).reason()).startsWith("statements at different sequences");
    }

    @Test
    void theSameValueTwiceIsNoConflictEvenWithANewExpiry() {
        Statement a = statement(owned(mallory, "site", "v=1", 7));
        Statement b = statement(RecordTypes.owned(mallory, "site", "v=1".getBytes(StandardCharsets.UTF_8), 7,
                Fixtures.EXPIRES + 60_000));
        assertThat(Evidence.verify(new Evidence(a, b), ED).reason()).isEqualTo("statements do not conflict");
        assertThat(Evidence.verify(new Evidence(a, a), ED).reason()).isEqualTo("statements do not conflict");
    }

    @Test
    void nameRecordsAreNotRecordStatementsButTheirHandoversAre() {
        Record r = Fixtures.nameRecordHandingTo(mallory, alice.id());
        assertThat(Statement.ofRecord(r).reason()).contains("handovers are the statements");
        assertThat(Statement.ofHandovers(r)).singleElement().satisfies(s -> {
            assertThat(s.signer()).isEqualTo(mallory.id());
            assertThat(s.context().kind()).isEqualTo(Context.Kind.NAME_OWNERS);
            assertThat(s.sequence()).isEqualTo(2);
            assertThat(s.problem(ED)).isNull();
        });
    }

    @Test
    void anOwnerHandingANameToTwoOwnerSetsAtOneSequenceIsEvidence() {
        Record toAlice = Fixtures.nameRecordHandingTo(mallory, alice.id());
        Record toBob = Fixtures.nameRecordHandingTo(mallory, identity(3).id());
        Checked<Evidence> e = Detector.compare(toAlice, toBob, ED).map(x -> Evidence.verify(x, ED))
                .orElse(Checked.invalid("none"));
        assertThat(e.isValid()).isTrue();
        assertThat(e.orElseThrow().offender()).isEqualTo(mallory.id());
        assertThat(e.orElseThrow().first().context().kind()).isEqualTo(Context.Kind.NAME_OWNERS);
        // The same handover in two records (re-signed by a cosigner) is no conflict.
        assertThat(Detector.compare(toAlice, Fixtures.nameRecordHandingTo(mallory, alice.id()), ED)).isEmpty();
    }

    @Test
    void aStewardVotingBothWaysInOneMotionIsEvidenceButTwoReasonsAreNot() {
        StewardVote yes = StewardVote.sign(mallory, "chess", 4, alice.id(), true, "dropped relayed traffic");
        StewardVote no = StewardVote.sign(mallory, "chess", 4, alice.id(), false, "");
        StewardVote yesAgain = StewardVote.sign(mallory, "chess", 4, alice.id(), true, "and lied about load");
        assertThat(Evidence.verify(new Evidence(yes.statement(), no.statement()), ED).isValid()).isTrue();
        assertThat(Evidence.verify(new Evidence(yes.statement(), yesAgain.statement()), ED).reason())
                .isEqualTo("statements do not conflict");
        StewardVote other = StewardVote.sign(mallory, "chess", 5, alice.id(), false, "");
        assertThat(Evidence.verify(new Evidence(yes.statement(), other.statement()), ED).reason())
                .startsWith("statements at different sequences");
    }

    @Test
    void aVoteReadsBackFromItsStatement() {
        StewardVote v = StewardVote.sign(mallory, "chess", 4, alice.id(), true, "dropped relayed traffic");
        StewardVote back = StewardVote.of(v.statement()).orElseThrow();
        assertThat(back).isEqualTo(v);
        assertThat(back.voter()).isEqualTo(mallory.id());
    }
}
