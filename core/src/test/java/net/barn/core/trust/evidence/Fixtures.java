package net.barn.core.trust.evidence;

import com.google.protobuf.ByteString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PowParams;
import net.barn.core.namespace.NameRecords;
import net.barn.core.namespace.NameRules;
import net.barn.wire.names.NameClaim;
import net.barn.wire.names.Origin;

/** Keys and signed material for evidence tests: fixed seeds, so every run signs the same bytes. */
final class Fixtures {
    static final long EXPIRES = 1_900_000_000_000L;

    private Fixtures() {}

    /** An identity from a 32-byte seed of {@code b} repeated (signing needs no proof of work). */
    static Identity identity(int b) {
        byte[] seed = new byte[32];
        java.util.Arrays.fill(seed, (byte) b);
        return Identity.restore(seed, 0);
    }

    static Record owned(Identity who, String name, String value, long sequence) {
        return RecordTypes.owned(who, name, value.getBytes(StandardCharsets.UTF_8), sequence, EXPIRES);
    }

    static Statement statement(Record r) {
        return Statement.ofRecord(r).orElseThrow();
    }

    /** Two records one publisher signed for one name and sequence with different values. */
    static Evidence recordEquivocation(Identity who) {
        return new Evidence(statement(owned(who, "site", "v=1", 7)), statement(owned(who, "site", "v=2", 7)));
    }

    /**
     * A name record at sequence 2 whose claim hands the name from {@code owner} to
     * {@code next}: a real claim body with an origin and a handover signed by {@code owner}.
     */
    static Record nameRecordHandingTo(Identity owner, NodeId next) {
        byte[] salt = new byte[NameRecords.SALT_BYTES];
        String name = "garden";
        Origin origin = Origin.newBuilder().setClaimantKey(ByteString.copyFrom(owner.publicKey()))
                .setSalt(ByteString.copyFrom(salt)).setClaimedAtMillis(1_000).build();
        byte[] commitment = NameRecords.commitment(name, owner.publicKey(), salt);
        NameClaim claim = NameClaim.newBuilder().setName(name).setSequence(2).setThreshold(1)
                .setLeaseUntilMillis(EXPIRES - 1_000_000).setOrigin(origin).addOwners(ByteString.copyFrom(next.toBytes()))
                .addHandovers(NameRecords.handover(commitment, 2, List.of(next.toBytes()), 1, List.of(owner))).build();
        return NameRecords.sign(claim, List.of(owner), owner, NameRules.forTests(PowParams.TEST));
    }
}
