package net.barn.core.trust.evidence;

import static net.barn.core.trust.evidence.Fixtures.identity;
import static net.barn.core.trust.evidence.Fixtures.owned;
import static org.assertj.core.api.Assertions.assertThat;

import net.barn.core.dht.Record;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import org.junit.jupiter.api.Test;

/** A reader that sees two versions of one record sequence from different replicas builds the evidence. */
class DetectorTest {
    private final Identity mallory = identity(1);
    private final Detector detector = new Detector(64, SignatureVerifier.ED25519);

    @Test
    void theSecondConflictingRecordOfASequenceYieldsEvidence() {
        assertThat(detector.observe(owned(mallory, "site", "v=1", 7))).isEmpty();
        assertThat(detector.observe(owned(mallory, "site", "v=1", 7))).isEmpty();
        assertThat(detector.observe(owned(mallory, "site", "v=2", 7)))
                .hasValueSatisfying(e -> assertThat(e.offender()).isEqualTo(mallory.id()));
    }

    @Test
    void newerSequencesAndOtherNamesAreNoConflict() {
        detector.observe(owned(mallory, "site", "v=1", 7));
        assertThat(detector.observe(owned(mallory, "site", "v=2", 8))).isEmpty();
        assertThat(detector.observe(owned(mallory, "blog", "v=2", 7))).isEmpty();
    }

    @Test
    void aForgeryHeardFirstDoesNotHideALaterGenuineConflict() {
        Record genuine1 = owned(mallory, "site", "v=1", 7);
        byte[] sig = genuine1.signature();
        sig[3] ^= 1;
        Record forged = new Record(genuine1.type(), genuine1.key(), "v=9".getBytes(), 7, genuine1.expiresAtMillis(),
                genuine1.publisherKey(), genuine1.name(), sig);
        assertThat(detector.observe(forged)).isEmpty();
        assertThat(detector.observe(genuine1)).isEmpty(); // conflicts with the forgery, proves nothing, replaces it
        assertThat(detector.observe(owned(mallory, "site", "v=2", 7))).isPresent();
    }

    @Test
    void memoryIsBoundedByCapacity() {
        Detector small = new Detector(2, SignatureVerifier.ED25519);
        small.observe(owned(mallory, "a", "v=1", 1));
        small.observe(owned(mallory, "b", "v=1", 1));
        small.observe(owned(mallory, "c", "v=1", 1));
        // "a" was forgotten: its conflict goes unnoticed, "c"'s is still caught.
        assertThat(small.observe(owned(mallory, "a", "v=2", 1))).isEmpty();
        assertThat(small.observe(owned(mallory, "c", "v=2", 1))).isPresent();
    }
}
