package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.barn.core.ProtocolException;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;
import org.junit.jupiter.api.Test;

class RecordTest {
    private static final long NOW = 1_800_000_000_000L;
    private final Identity alice = Identity.generate(new SeededEntropy(1), PowParams.TEST);
    private final Identity mallory = Identity.generate(new SeededEntropy(2), PowParams.TEST);

    private Record owned(Identity who, String name, long seq, long expires) {
        return RecordTypes.owned(who, name, "value".getBytes(StandardCharsets.UTF_8), seq, expires);
    }

    @Test
    void aWellFormedOwnedRecordIsValidAndSurvivesTheCodec() throws ProtocolException {
        Record r = owned(alice, "status", 3, NOW + 3_600_000);
        assertThat(RecordTypes.problem(r, NOW, DhtConfig.DEFAULT, SignatureVerifier.ED25519)).isNull();
        Record back = DhtCodec.decodeRecord(DhtCodec.encodeRecord(r));
        assertThat(back).isEqualTo(r);
        assertThat(back.key()).isEqualTo(RecordTypes.ownedKey(alice.id(), "status".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void expiredTooLongLivedOrOversizedRecordsAreRefused() {
        assertThat(RecordTypes.problem(owned(alice, "x", 1, NOW - 1), NOW, DhtConfig.DEFAULT, SignatureVerifier.ED25519))
                .isEqualTo("expired");
        assertThat(RecordTypes.problem(owned(alice, "x", 1, NOW + 49L * 3_600_000), NOW, DhtConfig.DEFAULT,
                SignatureVerifier.ED25519)).contains("48 h");
        Record big = RecordTypes.owned(alice, "x", new byte[9000], 1, NOW + 1000);
        assertThat(RecordTypes.problem(big, NOW, DhtConfig.DEFAULT, SignatureVerifier.ED25519)).contains("limit");
    }

    @Test
    void nobodyCanSignForAnotherPublishersNameOrAlterARecord() {
        Record real = owned(alice, "status", 1, NOW + 1000);
        // Mallory signs a record and claims alice's key for it.
        Record forged = new Record(real.type(), real.key(), "evil".getBytes(StandardCharsets.UTF_8), 2, real.expiresAtMillis(),
                mallory.publicKey(), real.name(), mallory.sign(new byte[] {1}));
        assertThat(RecordTypes.problem(forged, NOW, DhtConfig.DEFAULT, SignatureVerifier.ED25519))
                .isEqualTo("key does not belong to this publisher and name");
        Record tampered = new Record(real.type(), real.key(), "evil".getBytes(StandardCharsets.UTF_8), real.sequence(),
                real.expiresAtMillis(), real.publisherKey(), real.name(), real.signature());
        assertThat(RecordTypes.problem(tampered, NOW, DhtConfig.DEFAULT, SignatureVerifier.ED25519)).isEqualTo("bad signature");
    }
}
