package net.barn.core.namespace;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.barn.core.dht.Countersigning;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PowParams;
import net.barn.core.testing.TestIdentities;
import net.barn.wire.names.NameClaim;
import net.barn.wire.names.NameValue;
import org.junit.jupiter.api.Test;

/** Each way a name record can be bad is refused with a reason; good ones pass. */
class NameValidatorTest {
    private static final long NOW = 1_800_000_000_000L;
    private static final long DAY = 86_400_000L;
    private final NameRules rules = NameRules.forTests(PowParams.TEST).withPow(8, 1, 4);
    private final NameValidator validator = new NameValidator(rules, SignatureVerifier.ED25519);
    private final Identity alice = TestIdentities.of(1);
    private final Identity mallory = TestIdentities.of(2);
    private final List<Identity> replicas = List.of(TestIdentities.of(10), TestIdentities.of(11), TestIdentities.of(12));
    private final byte[] salt = new byte[16];

    private List<DhtMessage.Countersigned> countersign(String name, Identity claimant, long at) {
        byte[] commitment = NameRecords.commitment(name, claimant.publicKey(), salt);
        List<DhtMessage.Countersigned> out = new ArrayList<>();
        for (Identity r : replicas) {
            byte[] sig = r.sign(Countersigning.signedBytes(NameRecords.nameKey(name), commitment, at));
            out.add(new DhtMessage.Countersigned(0, null, true, "", at, r.publicKey(), r.powNonce(), sig));
        }
        return out;
    }

    private Record claim(String name, Identity claimant) {
        byte[] commitment = NameRecords.commitment(name, claimant.publicKey(), salt);
        return NameClaims.firstClaim(name, claimant, salt, NamePow.solve(commitment, 0, rules),
                countersign(name, claimant, NOW - 1000), NameClaims.Terms.soleOwner(claimant, 30 * DAY), NOW, rules);
    }

    private String problem(Record r) {
        return validator.problem(r, NOW, DhtConfig.DEFAULT, SignatureVerifier.ED25519);
    }

    private Record withValue(Record r, byte[] value, Identity submitter) {
        byte[] signed = RecordTypes.signedBytes(r.type(), r.key(), value, r.sequence(), r.expiresAtMillis(),
                submitter.publicKey(), r.name());
        return new Record(r.type(), r.key(), value, r.sequence(), r.expiresAtMillis(), submitter.publicKey(), r.name(),
                submitter.sign(signed));
    }

    @Test
    void aClaimWithWorkCountersignaturesAndTheOwnersSignatureIsValid() {
        NameState s = validator.judge(claim("irc", alice), NOW);
        assertThat(s.owners()).containsExactly(alice.id());
        assertThat(s.claimant()).isEqualTo(alice.id());
        assertThat(s.priorityMillis()).isEqualTo(NOW - 1000);
        assertThat(s.active(NOW)).isTrue();
    }

    @Test
    void refusesAClaimWithTooLittleWork() {
        Record good = claim("irc", alice);
        byte[] commitment = NameRecords.commitment("irc", alice.publicKey(), salt);
        long bad = 0;
        while (NamePow.check(commitment, bad, rules)) {
            bad++;
        }
        long lazy = bad;
        NameClaim c = NameRecords.parts(good).claim();
        NameClaim weak = c.toBuilder().setOrigin(c.getOrigin().toBuilder().setPowNonce(lazy)).build();
        assertThat(problem(NameRecords.sign(weak, List.of(alice), alice, rules))).startsWith("too little work");
    }

    @Test
    void refusesForgedMissingOrOutsiderSignatures() {
        Record good = claim("irc", alice);
        NameRecords.Parts p = NameRecords.parts(good);
        // No owner signature at all.
        byte[] unsigned = NameValue.newBuilder().setClaim(ByteString.copyFrom(p.claimBytes())).build().toByteArray();
        assertThat(problem(withValue(good, unsigned, alice))).isEqualTo("signed by 0 of its owners, needs 1");
        // Mallory signs as if she were an owner.
        assertThat(problem(NameRecords.sign(p.claim(), List.of(mallory), alice, rules))).contains("is not an owner");
        // Alice's signature over other bytes.
        byte[] forged = NameValue.newBuilder().setClaim(ByteString.copyFrom(p.claimBytes())).addSignatures(
                p.signatures().get(0).toBuilder().setSignature(ByteString.copyFrom(alice.sign(new byte[] {1})))).build().toByteArray();
        assertThat(problem(withValue(good, forged, alice))).startsWith("bad owner signature");
        // A record signature that does not verify.
        Record tampered = new Record(good.type(), good.key(), good.value(), good.sequence(), good.expiresAtMillis(),
                good.publisherKey(), good.name(), mallory.sign(new byte[] {2}));
        assertThat(problem(tampered)).isEqualTo("bad record signature");
        // Submitted by a non-owner.
        assertThat(problem(withValue(good, good.value(), mallory))).isEqualTo("submitted by someone who is not an owner");
    }

    @Test
    void refusesExpiredRecordsAndOverlongLeases() {
        Record good = claim("irc", alice);
        assertThat(validator.problem(good, good.expiresAtMillis(), DhtConfig.DEFAULT, SignatureVerifier.ED25519)).isEqualTo("expired");
        NameClaim c = NameRecords.parts(good).claim();
        NameClaim tooLong = c.toBuilder().setLeaseUntilMillis(NOW + 400 * DAY).build();
        assertThat(problem(NameRecords.sign(tooLong, List.of(alice), alice, rules))).startsWith("lease runs past");
    }

    @Test
    void refusesNamesThatAreNotInNormalForm() {
        Record good = claim("irc", alice);
        NameClaim upper = NameRecords.parts(good).claim().toBuilder().setName("IRC").build();
        Record r = NameRecords.sign(upper, List.of(alice), alice, rules);
        assertThat(problem(r)).contains("is not a normalised top-level name");
    }

    @Test
    void refusesCountersignaturesThatAreForgedOrByTheClaimantOrRevealedTooLate() {
        Record good = claim("irc", alice);
        NameClaim c = NameRecords.parts(good).claim();
        var cs = c.getOrigin().getCountersignatures(0).toBuilder().setAtMillis(NOW - 5).build();
        NameClaim forged = c.toBuilder().setOrigin(c.getOrigin().toBuilder().setCountersignatures(0, cs)).build();
        assertThat(problem(NameRecords.sign(forged, List.of(alice), alice, rules))).startsWith("bad countersignature");
        var self = c.getOrigin().getCountersignatures(0).toBuilder().setSignerKey(ByteString.copyFrom(alice.publicKey())).build();
        NameClaim selfSigned = c.toBuilder().setOrigin(c.getOrigin().toBuilder().setCountersignatures(0, self)).build();
        assertThat(problem(NameRecords.sign(selfSigned, List.of(alice), alice, rules))).contains("claimant countersigning itself");
        byte[] commitment = NameRecords.commitment("irc", alice.publicKey(), salt);
        Record late = NameClaims.firstClaim("irc", alice, salt, NamePow.solve(commitment, 0, rules),
                countersign("irc", alice, NOW - 2 * 3_600_000), NameClaims.Terms.soleOwner(alice, 30 * DAY), NOW, rules);
        assertThat(problem(late)).startsWith("revealed more than 60 min after its commitment");
    }

    @Test
    void aReplicaRefusesAnotherClaimForAHeldNameAndAnOlderVersion() {
        Record mine = claim("irc", alice);
        Record theirs = claim("irc", mallory);
        Set<NodeId> around = Set.of(replicas.get(0).id(), replicas.get(1).id(), replicas.get(2).id());
        assertThat(validator.replaces(mine, theirs, NOW + 2 * 3_600_000, around)).startsWith("name held since");
        Record renewed = NameClaims.update(validator.judge(mine, NOW), NameClaims.renew(NOW, 60 * DAY), List.of(alice), alice, rules);
        assertThat(validator.replaces(mine, renewed, NOW, around)).isNull();
        assertThat(validator.replaces(renewed, mine, NOW, around)).startsWith("holding a newer record");
    }

    @Test
    void aReplicaCountersignsOnlyWhileANameIsFreeOrStillOpenToAnEarlierCommitment() {
        Record mine = claim("irc", alice);
        assertThat(validator.commitProblem(mine.key(), null, NOW)).isNull();
        assertThat(validator.commitProblem(mine.key(), mine, NOW + 60_000)).isNull();
        assertThat(validator.commitProblem(mine.key(), mine, NOW + 2 * 3_600_000)).contains("is held");
        assertThat(validator.commitProblem(mine.key(), mine, NOW + 30 * DAY + 1000)).contains("grace period");
    }

    @Test
    void aJoinerContactsOnlyOtherMembersWithAnAddressThatTheNamespacesPolicyAdmits() {
        byte[] commitment = NameRecords.commitment("club", alice.publicKey(), salt);
        Record club = NameClaims.firstClaim("club", alice, salt, NamePow.solve(commitment, 0, rules),
                countersign("club", alice, NOW - 1000), new NameClaims.Terms(List.of(alice.id()), 1,
                        net.barn.wire.names.NamePolicy.newBuilder().setMembership(net.barn.wire.names.NamePolicy.Membership.INVITE_ONLY)
                                .build(), 30 * DAY), NOW, rules);
        NameState s = validator.judge(club, NOW);
        Identity bob = TestIdentities.of(20);
        Identity carol = TestIdentities.of(21);
        Identity dave = TestIdentities.of(22);
        Record invitedBob = MemberRecords.member(bob, "club", "127.0.0.1:7001",
                MemberRecords.invite("club", bob.id(), NOW + DAY, alice), false, NOW, 3_600_000);
        Record uninvitedCarol = MemberRecords.member(carol, "club", "127.0.0.1:7002", null, false, NOW, 3_600_000);
        Record leavingDave = MemberRecords.member(dave, "club", "127.0.0.1:7003",
                MemberRecords.invite("club", dave.id(), NOW + DAY, alice), true, NOW, 3_600_000);
        Record itself = MemberRecords.member(alice, "club", "127.0.0.1:7000", null, false, NOW, 3_600_000);
        var contacts = MemberRecords.contacts(List.of(invitedBob, uninvitedCarol, leavingDave, itself), s, alice.id(), validator,
                NOW, new java.util.SplittableRandom(1), 8);
        assertThat(contacts).extracting(MemberRecords.Contact::id).containsExactly(bob.id());
        assertThat(validator.membershipProblem(uninvitedCarol, s, NOW)).contains("is invite-only and this membership has no invitation");
    }

    @Test
    void aMazeMembershipCarriesItsNamespacesClaimAndIsJudgedByItsPolicy() {
        Identity bob = TestIdentities.of(20);
        Record irc = claim("irc", alice);
        Record ok = MemberRecords.mazeMember(bob, "irc/#barn", "127.0.0.1:7001", null, false, irc, NOW, 3_600_000);
        assertThat(ok.key()).isEqualTo(MemberRecords.mazeKey("irc/#barn"));
        assertThat(problem(ok)).isNull();
        Record other = claim("chess", alice);
        assertThat(problem(MemberRecords.mazeMember(bob, "irc/#barn", "127.0.0.1:7001", null, false, other, NOW, 3_600_000)))
                .isEqualTo("the claim it carries is of another namespace");
        byte[] commitment = NameRecords.commitment("club", alice.publicKey(), salt);
        Record club = NameClaims.firstClaim("club", alice, salt, NamePow.solve(commitment, 0, rules),
                countersign("club", alice, NOW - 1000), new NameClaims.Terms(List.of(alice.id()), 1,
                        net.barn.wire.names.NamePolicy.newBuilder().setMembership(net.barn.wire.names.NamePolicy.Membership.INVITE_ONLY)
                                .build(), 30 * DAY), NOW, rules);
        assertThat(problem(MemberRecords.mazeMember(bob, "club/#inner", "127.0.0.1:7001", null, false, club, NOW, 3_600_000)))
                .contains("is invite-only and this membership has no invitation");
        var invitation = MemberRecords.invite("club", bob.id(), NOW + DAY, alice);
        assertThat(problem(MemberRecords.mazeMember(bob, "club/#inner", "127.0.0.1:7001", invitation, false, club, NOW,
                3_600_000))).isNull();
        // Replicas of a maze's key hold no claim: the policy check rests on the membership's own.
        assertThat(validator.policyProblem(ok, NOW, null)).isNull();
    }

    @Test
    void argon2ProofOfWorkMatchesItsVector() {
        // RFC 9106 Argon2id via BouncyCastle, pinned so a second implementation can check itself.
        byte[] commitment = NameRecords.commitment("irc", new byte[32], new byte[16]);
        assertThat(NameRecords.hex(commitment)).isEqualTo(VECTOR_COMMITMENT);
        assertThat(NameRecords.hex(NamePow.attempt(commitment, 7, NameRules.forTests(PowParams.TEST).withPow(64, 2, 0))))
                .isEqualTo(VECTOR_ARGON2);
    }

    @Test
    void theArgon2idPrimitiveMatchesRfc9106() {
        var params = new org.bouncycastle.crypto.params.Argon2Parameters.Builder(
                org.bouncycastle.crypto.params.Argon2Parameters.ARGON2_id).withVersion(0x13)
                .withSalt(filled(16, 2)).withSecret(filled(8, 3)).withAdditional(filled(12, 4))
                .withParallelism(4).withMemoryAsKB(32).withIterations(3).build();
        var gen = new org.bouncycastle.crypto.generators.Argon2BytesGenerator();
        gen.init(params);
        byte[] tag = new byte[32];
        gen.generateBytes(filled(32, 1), tag);
        assertThat(NameRecords.hex(tag)).isEqualTo("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659");
    }

    private static byte[] filled(int n, int value) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) value);
        return b;
    }

    /** SHA-256("barn-commit-v1" || "irc" || 32 zero bytes || 16 zero bytes), checked with an independent SHA-256. */
    static final String VECTOR_COMMITMENT = "bc12c95e98912b6e5dc9e8f003b4d824eb0a3f191e084d2735346075f311b729";
    /** Argon2id (64 KiB, 2 passes) of that commitment with nonce 7, by the implementation checked against RFC 9106 above. */
    static final String VECTOR_ARGON2 = "c6591fa2702479248c4826afcfd1cab2eb6db03afeaeacb6adce6118d5239ac2";
}
