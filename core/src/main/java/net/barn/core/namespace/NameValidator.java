package net.barn.core.namespace;

import com.google.protobuf.ByteString;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.barn.core.crypto.Ed25519;
import net.barn.core.dht.Countersigning;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordRules;
import net.barn.core.dht.RecordTypes;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.ProofOfWork;
import net.barn.wire.names.Countersignature;
import net.barn.wire.names.Delegation;
import net.barn.wire.names.Handover;
import net.barn.wire.names.NameClaim;
import net.barn.wire.names.Origin;
import net.barn.wire.names.OwnerSignature;

/**
 * The root namespace's record rules (docs/PROTOCOL.md section 11.5): what makes a name
 * record valid, when a replica lets one replace another (the same name's history moves
 * forward only by the current owners' signatures; a competing claim wins only by an earlier
 * countersigned commitment), and when a replica countersigns a commitment. Owned records
 * (type 1) keep their own rules.
 */
public final class NameValidator implements RecordRules {
    private final NameRules rules;
    private final SignatureVerifier verifier;
    /** Verified states by record signature: judging a record again costs nothing. Bounded. */
    private final Map<String, NameState> verified = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, NameState> eldest) {
            return size() > 1024;
        }
    };
    private final Map<String, Boolean> work = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 4096;
        }
    };

    public NameValidator(NameRules rules, SignatureVerifier verifier) {
        this.rules = rules;
        this.verifier = verifier;
    }

    public NameRules rules() {
        return rules;
    }

    @Override
    public String problem(Record r, long nowMillis, DhtConfig config, SignatureVerifier v) {
        if (r.type() == RecordTypes.OWNED) {
            return RecordTypes.problem(r, nowMillis, config, v);
        }
        if (r.type() == MemberRecords.MEMBER) {
            return memberProblem(r, nowMillis);
        }
        if (r.type() == SubNames.SUBNAME) {
            return subNameProblem(r, nowMillis);
        }
        if (r.type() != NameRecords.NAME) {
            return "unknown record type " + r.type();
        }
        try {
            judge(r, nowMillis);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** The state a valid name record gives, or an {@link IllegalArgumentException} saying why it is not valid. */
    public NameState judge(Record r, long nowMillis) {
        if (r.type() != NameRecords.NAME) {
            throw new IllegalArgumentException("not a name record");
        }
        if (r.expiresAtMillis() <= nowMillis) {
            throw new IllegalArgumentException("expired");
        }
        String cacheKey = NameRecords.hex(r.signature()) + NameRecords.hex(r.key().toBytes());
        NameState known = verified.get(cacheKey);
        if (known != null && known.record().equals(r)) {
            return known;
        }
        NameState s = check(r, nowMillis);
        verified.put(cacheKey, s);
        return s;
    }

    private NameState check(Record r, long nowMillis) {
        String name;
        try {
            name = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(r.name())).toString();
        } catch (CharacterCodingException e) {
            throw bad("name is not UTF-8");
        }
        if (!NameSyntax.isNormalTopLevel(name)) {
            throw bad("name \"" + name + "\" is not a normalised top-level name");
        }
        if (!NameRecords.nameKey(name).equals(r.key())) {
            throw bad("key does not belong to this name");
        }
        if (r.publisherKey().length != Ed25519.KEY_LENGTH || r.signature().length != Ed25519.SIGNATURE_LENGTH) {
            throw bad("publisher key or signature of the wrong length");
        }
        if (r.value().length > 16 * 1024) {
            throw bad("name value larger than 16 KiB");
        }
        byte[] signed = RecordTypes.signedBytes(r.type(), r.key(), r.value(), r.sequence(), r.expiresAtMillis(),
                r.publisherKey(), r.name());
        if (!verifier.verify(r.publisherKey(), signed, r.signature())) {
            throw bad("bad record signature");
        }
        NameRecords.Parts parts = NameRecords.parts(r);
        NameClaim c = parts.claim();
        if (!c.getName().equals(name) || c.getSequence() != r.sequence() || r.sequence() < 1) {
            throw bad("claim body does not match its record (name, sequence >= 1)");
        }
        if (r.expiresAtMillis() != c.getLeaseUntilMillis() + rules.graceMillis()) {
            throw bad("record expiry must be the lease end plus the grace period");
        }
        if (c.getLeaseUntilMillis() > nowMillis + rules.maxLeaseMillis() + rules.clockSkewMillis()) {
            throw bad("lease runs past the longest allowed (" + rules.maxLeaseMillis() / 86_400_000L + " days)");
        }
        // The origin: commitment, work, countersignatures.
        Origin o = c.getOrigin();
        if (o.getClaimantKey().size() != Ed25519.KEY_LENGTH || o.getSalt().size() != NameRecords.SALT_BYTES) {
            throw bad("origin needs a 32-byte claimant key and a 16-byte salt");
        }
        byte[] commitment = NameRecords.commitment(name, o.getClaimantKey().toByteArray(), o.getSalt().toByteArray());
        String commitmentHex = NameRecords.hex(commitment);
        if (!work.computeIfAbsent(commitmentHex + "/" + o.getPowNonce(), x -> NamePow.check(commitment, o.getPowNonce(), rules))) {
            throw bad("too little work: the Argon2id proof does not reach " + rules.powBits() + " zero bits");
        }
        int n = o.getCountersignaturesCount();
        if (n < 1 || n > NameRules.MAX_COUNTERSIGNATURES) {
            throw bad("needs 1.." + NameRules.MAX_COUNTERSIGNATURES + " countersignatures");
        }
        NodeId claimant = NodeId.ofPublicKey(o.getClaimantKey().toByteArray());
        Set<NodeId> countersigners = new HashSet<>();
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
            Countersignature cs = o.getCountersignatures(i);
            if (cs.getSignerKey().size() != Ed25519.KEY_LENGTH) {
                throw bad("countersigner keys are 32 bytes");
            }
            NodeId signer = NodeId.ofPublicKey(cs.getSignerKey().toByteArray());
            if (signer.equals(claimant) || !countersigners.add(signer)) {
                throw bad("a countersigner twice, or the claimant countersigning itself");
            }
            String weak = ProofOfWork.check(signer, cs.getSignerPowNonce(), rules.idPow());
            if (weak != null) {
                throw bad("countersigner " + signer.shortForm() + " has no valid id: " + weak);
            }
            if (!verifier.verify(cs.getSignerKey().toByteArray(), Countersigning.signedBytes(r.key(), commitment, cs.getAtMillis()),
                    cs.getSignature().toByteArray())) {
                throw bad("bad countersignature by " + signer.shortForm());
            }
            times[i] = cs.getAtMillis();
        }
        Arrays.sort(times);
        long priority = times[Math.min(rules.countersignQuorum(), n) - 1];
        if (o.getClaimedAtMillis() < times[n - 1] - rules.clockSkewMillis()) {
            throw bad("revealed before its commitment was countersigned");
        }
        if (o.getClaimedAtMillis() > priority + rules.revealWindowMillis()) {
            throw bad("revealed more than " + rules.revealWindowMillis() / 60_000 + " min after its commitment");
        }
        if (o.getClaimedAtMillis() > nowMillis + rules.clockSkewMillis()) {
            throw bad("claimed in the future");
        }
        // Who owns it: the chain of handovers from the first claimant alone.
        List<NodeId> owners = List.of(claimant);
        int threshold = 1;
        List<NodeId> before = List.of();
        int thresholdBefore = 0;
        long lastHandover = 0;
        if (c.getHandoversCount() > NameRules.MAX_HANDOVERS) {
            throw bad("more than " + NameRules.MAX_HANDOVERS + " handovers");
        }
        java.security.MessageDigest chain = net.barn.core.crypto.Sha256.newDigest();
        for (Handover h : c.getHandoversList()) {
            if (h.getSequence() <= lastHandover || h.getSequence() > c.getSequence()) {
                throw bad("handovers out of order");
            }
            List<NodeId> next = ids(h.getOwnersList());
            if (h.getThreshold() < 1 || h.getThreshold() > next.size()) {
                throw bad("handover threshold must be 1.." + next.size());
            }
            int approvals = among(signers(h.getSignaturesList(), owners, NameRecords.handoverSignedBytes(commitment, h)), owners);
            if (approvals < threshold) {
                throw bad("handover at sequence " + h.getSequence() + " signed by " + approvals
                        + " of the owners before it, needs " + threshold);
            }
            before = owners;
            thresholdBefore = threshold;
            owners = next;
            threshold = h.getThreshold();
            lastHandover = h.getSequence();
            chain.update(h.toByteArray());
        }
        if (!ids(c.getOwnersList()).equals(owners) || c.getThreshold() != threshold) {
            throw bad("owners and threshold differ from what the handovers give");
        }
        // Approval of this version: its owners, or, when the owners changed at this very
        // sequence, the owners who handed it over.
        boolean handedOverNow = lastHandover == c.getSequence();
        List<NodeId> mayApprove = new ArrayList<>(owners);
        if (handedOverNow) {
            before.stream().filter(id -> !mayApprove.contains(id)).forEach(mayApprove::add);
        }
        byte[] claimSigned = NameRecords.claimSignedBytes(parts.claimBytes());
        if (parts.signatures().size() > 2 * NameRules.MAX_OWNERS) {
            throw bad("more signatures than owners");
        }
        Set<NodeId> approved = signers(parts.signatures(), mayApprove, claimSigned);
        int byOwners = among(approved, owners);
        int byBefore = handedOverNow ? among(approved, before) : 0;
        if (byOwners < threshold && (!handedOverNow || byBefore < thresholdBefore)) {
            throw bad("signed by " + byOwners + " of its owners, needs " + threshold);
        }
        if (!mayApprove.contains(NodeId.ofPublicKey(r.publisherKey()))) {
            throw bad("submitted by someone who is not an owner");
        }
        if (c.getPolicy().getDelegationsCount() > NameRules.MAX_DELEGATIONS) {
            throw bad("more than " + NameRules.MAX_DELEGATIONS + " delegations");
        }
        for (Delegation d : c.getPolicy().getDelegationsList()) {
            if (d.getDelegate().size() != NodeId.LENGTH || !NameSyntax.isNormalSubLabel(d.getPrefix())) {
                throw bad("a delegation needs a normalised sub-name and a 32-byte node id");
            }
        }
        return new NameState(r, name, r.sequence(), owners, threshold, c.getLeaseUntilMillis(), r.expiresAtMillis(),
                c.getPolicy(), commitmentHex, NameRecords.hex(chain.digest()), c.getHandoversCount(), priority,
                o.getClaimedAtMillis(), claimant, countersigners);
    }

    private static List<NodeId> ids(List<ByteString> raw) {
        if (raw.isEmpty() || raw.size() > NameRules.MAX_OWNERS) {
            throw bad("needs 1.." + NameRules.MAX_OWNERS + " owners");
        }
        List<NodeId> out = new ArrayList<>();
        for (ByteString b : raw) {
            if (b.size() != NodeId.LENGTH) {
                throw bad("owners are 32-byte node ids");
            }
            NodeId id = NodeId.of(b.toByteArray());
            if (out.contains(id)) {
                throw bad("owner listed twice");
            }
            out.add(id);
        }
        return out;
    }

    /**
     * Who among {@code allowed} signed {@code message}; a signature by anyone else, two by one
     * signer, or one that does not verify makes the record invalid.
     */
    private Set<NodeId> signers(List<OwnerSignature> signatures, List<NodeId> allowed, byte[] message) {
        Set<NodeId> seen = new HashSet<>();
        for (OwnerSignature s : signatures) {
            if (s.getOwnerKey().size() != Ed25519.KEY_LENGTH) {
                throw bad("owner keys are 32 bytes");
            }
            NodeId id = NodeId.ofPublicKey(s.getOwnerKey().toByteArray());
            if (!allowed.contains(id)) {
                throw bad("signature by " + id.shortForm() + ", who is not an owner");
            }
            if (!seen.add(id)) {
                throw bad("signed twice by one owner");
            }
            if (!verifier.verify(s.getOwnerKey().toByteArray(), message, s.getSignature().toByteArray())) {
                throw bad("bad owner signature by " + id.shortForm());
            }
        }
        return seen;
    }

    private static int among(Set<NodeId> signers, List<NodeId> members) {
        return (int) members.stream().filter(signers::contains).count();
    }

    private static IllegalArgumentException bad(String why) {
        return new IllegalArgumentException(why);
    }

    @Override
    public String replaces(Record held, Record incoming, long nowMillis, Set<NodeId> neighbourhood) {
        if (held.type() == SubNames.SUBNAME && !java.util.Arrays.equals(held.publisherKey(), incoming.publisherKey())
                && held.expiresAtMillis() > nowMillis) {
            return "sub-name held by " + NodeId.ofPublicKey(held.publisherKey()).shortForm() + " until "
                    + Instant.ofEpochMilli(held.expiresAtMillis());
        }
        if (held.type() != NameRecords.NAME) {
            return RecordRules.super.replaces(held, incoming, nowMillis, neighbourhood);
        }
        NameState h;
        NameState in;
        try {
            in = judge(incoming, nowMillis);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        try {
            h = judge(held, nowMillis);
        } catch (IllegalArgumentException e) {
            return admits(incoming, nowMillis, neighbourhood); // what we hold lapsed: as if we held nothing
        }
        if (h.commitment().equals(in.commitment())) {
            if (in.sequence() <= h.sequence()) {
                return "holding a newer record (sequence " + h.sequence() + ")";
            }
            if (!extendsHistory(held, incoming)) {
                return "its ownership history departs from the one held here";
            }
            return null;
        }
        if (contestPriority(in, neighbourhood) < contestPriority(h, neighbourhood)) {
            String why = countersignedHere(in, neighbourhood);
            return why == null ? null : "competing claim: " + why;
        }
        return h.inGrace(nowMillis) ? "name in its grace period until " + Instant.ofEpochMilli(h.expiresAtMillis())
                + "; only its owners may renew it" : "name held since " + Instant.ofEpochMilli(h.claimedAtMillis())
                + " by " + h.owners().get(0).shortForm();
    }

    /**
     * A claim older than the reveal window, offered to a replica that holds nothing for the
     * name: it may be the name's real history or an old-looking forgery by colluders, and
     * only the other replicas can tell. The replica reads them and keeps the majority's.
     */
    @Override
    public boolean asksNeighbours(Record r, long nowMillis) {
        if (r.type() != NameRecords.NAME) {
            return false;
        }
        try {
            return judge(r, nowMillis).claimedAtMillis() + rules.revealWindowMillis() < nowMillis;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** True if {@code incoming}'s handovers continue {@code held}'s: the held ones are a prefix. */
    private static boolean extendsHistory(Record held, Record incoming) {
        List<Handover> a = NameRecords.parts(held).claim().getHandoversList();
        List<Handover> b = NameRecords.parts(incoming).claim().getHandoversList();
        return a.size() <= b.size() && a.equals(b.subList(0, a.size()));
    }

    @Override
    public String admits(Record r, long nowMillis, Set<NodeId> neighbourhood) {
        if (r.type() != NameRecords.NAME) {
            return null;
        }
        NameState s;
        try {
            s = judge(r, nowMillis);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        // A claim still within its reveal window must show the countersignatures of the
        // replica set this node sees; an older one was judged by the replicas of its time.
        if (s.claimedAtMillis() + rules.revealWindowMillis() >= nowMillis) {
            return countersignedHere(s, neighbourhood);
        }
        return null;
    }

    /**
     * When a claim came first, as far as this replica can tell: its own countersigned time,
     * or later if the countersigners this replica knows near the name saw it later. Distant
     * colluders can backdate countersignatures; the name's neighbourhood (mostly honest) cannot
     * be made to.
     */
    private long contestPriority(NameState s, Set<NodeId> neighbourhood) {
        List<Long> here = new ArrayList<>();
        NameClaim c = NameRecords.parts(s.record()).claim();
        for (Countersignature cs : c.getOrigin().getCountersignaturesList()) {
            if (neighbourhood.contains(NodeId.ofPublicKey(cs.getSignerKey().toByteArray()))) {
                here.add(cs.getAtMillis());
            }
        }
        int needed = needed(s, neighbourhood);
        if (here.size() < needed) {
            return s.priorityMillis();
        }
        here.sort(null);
        return Math.max(s.priorityMillis(), here.get(needed - 1));
    }

    private int needed(NameState s, Set<NodeId> neighbourhood) {
        int around = (int) neighbourhood.stream().filter(id -> !id.equals(s.claimant())).count();
        return Math.max(1, Math.min(rules.countersignQuorum(), Math.min(around, 2 * rules.countersignQuorum() - 1) / 2 + 1));
    }

    @Override
    public int replicas(int type, int k) {
        return type == NameRecords.NAME || type == MemberRecords.MEMBER || type == SubNames.SUBNAME ? 2 * k : k;
    }

    /** A name's claim and its namespace's members move together: members are checked against the claim held beside them. */
    @Override
    public boolean placed(int type) {
        return type == NameRecords.NAME || type == MemberRecords.MEMBER;
    }

    @Override
    public boolean readsAllReplicas(int type) {
        return type == NameRecords.NAME || type == SubNames.SUBNAME;
    }

    @Override
    public boolean multiValued(int type) {
        return type == MemberRecords.MEMBER;
    }

    /**
     * Null if a sub-name record is well formed, signed, and admitted by the policy of the
     * namespace claim it carries, else why not.
     */
    public String subNameProblem(Record r, long nowMillis) {
        String name = new String(r.name(), StandardCharsets.UTF_8);
        String normal;
        try {
            normal = NameSyntax.normalise(name);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!normal.equals(name) || name.indexOf('/') < 0 || !SubNames.key(name).equals(r.key())) {
            return "sub-name \"" + name + "\": not a normalised name under a namespace, or the key is not its key";
        }
        if (r.expiresAtMillis() <= nowMillis) {
            return "expired";
        }
        if (r.expiresAtMillis() > nowMillis + SubNames.MAX_TTL_MILLIS + rules.clockSkewMillis()) {
            return "sub-name expires more than 30 days from now";
        }
        if (r.value().length > 24 * 1024 || r.publisherKey().length != Ed25519.KEY_LENGTH
                || r.signature().length != Ed25519.SIGNATURE_LENGTH) {
            return "sub-name value over 24 KiB, or key or signature of the wrong length";
        }
        byte[] signed = RecordTypes.signedBytes(r.type(), r.key(), r.value(), r.sequence(), r.expiresAtMillis(),
                r.publisherKey(), r.name());
        if (!verifier.verify(r.publisherKey(), signed, r.signature())) {
            return "bad signature";
        }
        net.barn.wire.names.SubNameValue v;
        try {
            v = SubNames.value(r);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!v.getName().equals(name) || v.getTarget().size() != NodeId.LENGTH || v.getPort() > 65535
                || v.getService().length() > 64) {
            return "sub-name value does not match its record, or its target, port or service is malformed";
        }
        NameState parent;
        try {
            parent = judge(net.barn.core.dht.DhtCodec.decodeRecord(v.getParent().toByteArray()), nowMillis);
        } catch (net.barn.core.ProtocolException | IllegalArgumentException e) {
            return "the namespace claim it relies on is not valid: " + e.getMessage();
        }
        return registrantProblem(parent, name, NodeId.ofPublicKey(r.publisherKey()));
    }

    /** Null if the namespace's policy lets {@code registrant} hold {@code fullName}. */
    public String registrantProblem(NameState parent, String fullName, NodeId registrant) {
        if (!parent.name().equals(SubNames.namespaceOf(fullName))) {
            return "the claim it relies on is of another namespace";
        }
        if (parent.policy().getSubNames() != net.barn.wire.names.NamePolicy.SubNames.OWNERS
                || parent.owners().contains(registrant)) {
            return null;
        }
        String label = SubNames.firstLabel(fullName);
        boolean delegated = parent.policy().getDelegationsList().stream().anyMatch(d -> d.getPrefix().equals(label)
                && d.getDelegate().equals(ByteString.copyFrom(registrant.toBytes())));
        return delegated ? null : "in \"" + parent.name() + "\" only owners and delegates create sub-names, and "
                + registrant.shortForm() + " is neither for \"" + label + "\"";
    }

    /** Null if a membership record is well formed and signed, else why not (its policy is checked apart). */
    public String memberProblem(Record r, long nowMillis) {
        String ns = new String(r.name(), StandardCharsets.UTF_8);
        boolean maze = ns.indexOf('/') >= 0;
        boolean normal;
        try {
            normal = maze ? NameSyntax.normalise(ns).equals(ns) : NameSyntax.isNormalTopLevel(ns);
        } catch (IllegalArgumentException e) {
            normal = false;
        }
        if (!normal || !MemberRecords.keyOf(ns).equals(r.key())) {
            return "membership of \"" + ns + "\": not a normalised namespace or maze, or the key is not its key";
        }
        if (r.expiresAtMillis() <= nowMillis) {
            return "expired";
        }
        if (r.expiresAtMillis() > nowMillis + MemberRecords.MAX_TTL_MILLIS + rules.clockSkewMillis()) {
            return "membership expires more than 2 h from now";
        }
        // A maze membership carries its namespace's claim (up to 16 KiB of value, and the record around it).
        int limit = maze ? 20 * 1024 : 2048;
        if (r.value().length > limit || r.publisherKey().length != Ed25519.KEY_LENGTH
                || r.signature().length != Ed25519.SIGNATURE_LENGTH) {
            return "membership value over " + limit / 1024 + " KiB, or key or signature of the wrong length";
        }
        byte[] signed = RecordTypes.signedBytes(r.type(), r.key(), r.value(), r.sequence(), r.expiresAtMillis(),
                r.publisherKey(), r.name());
        if (!verifier.verify(r.publisherKey(), signed, r.signature())) {
            return "bad signature";
        }
        net.barn.wire.names.MemberValue v;
        try {
            v = MemberRecords.value(r);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!v.getNamespace().equals(ns)) {
            return "membership names another namespace";
        }
        if (!v.getAddress().isEmpty()) {
            try {
                net.barn.core.identity.PeerAddress.parse(v.getAddress());
            } catch (IllegalArgumentException e) {
                return "bad member address: " + e.getMessage();
            }
        }
        String top = SubNames.namespaceOf(ns);
        if (maze) { // a maze's replicas hold no claim: the member brings its namespace's, and is judged by it
            NameState parent;
            try {
                parent = judge(net.barn.core.dht.DhtCodec.decodeRecord(v.getParent().toByteArray()), nowMillis);
            } catch (net.barn.core.ProtocolException | IllegalArgumentException e) {
                return "a maze membership needs the claim of its namespace: " + e.getMessage();
            }
            if (!parent.name().equals(top)) {
                return "the claim it carries is of another namespace";
            }
            String why = membershipProblem(r, parent, nowMillis);
            if (why != null) {
                return why;
            }
        }
        if (v.hasInvitation()) {
            return invitationProblem(top, NodeId.ofPublicKey(r.publisherKey()), v.getInvitation(), null, nowMillis);
        }
        return null;
    }

    /**
     * Null if {@code inv} lets {@code member} into {@code ns}: well formed, unexpired, signed,
     * and (when {@code claim} is known) by one of its owners or delegates.
     */
    public String invitationProblem(String ns, NodeId member, net.barn.wire.names.Invitation inv, NameState claim,
            long nowMillis) {
        if (!inv.getNamespace().equals(ns) || !inv.getMember().equals(ByteString.copyFrom(member.toBytes()))) {
            return "invitation is for another namespace or member";
        }
        if (inv.getExpiresAtMillis() <= nowMillis) {
            return "invitation expired";
        }
        if (inv.getInviterKey().size() != Ed25519.KEY_LENGTH || !verifier.verify(inv.getInviterKey().toByteArray(),
                MemberRecords.invitationSignedBytes(ns, member, inv.getExpiresAtMillis()), inv.getSignature().toByteArray())) {
            return "invitation signature does not verify";
        }
        if (claim != null) {
            NodeId inviter = NodeId.ofPublicKey(inv.getInviterKey().toByteArray());
            boolean delegate = claim.policy().getDelegationsList().stream()
                    .anyMatch(d -> d.getDelegate().equals(ByteString.copyFrom(inviter.toBytes())));
            if (!claim.owners().contains(inviter) && !delegate) {
                return "invitation by " + inviter.shortForm() + ", who is neither an owner nor a delegate of \"" + ns + "\"";
            }
        }
        return null;
    }

    /** A namespace's policy over who may be listed as its member. */
    @Override
    public String policyProblem(Record r, long nowMillis, Record claim) {
        if (r.type() != MemberRecords.MEMBER || new String(r.name(), StandardCharsets.UTF_8).indexOf('/') >= 0) {
            return null; // mazes: judged by the claim their memberships carry (memberProblem)
        }
        if (claim == null) {
            return "namespace \"" + new String(r.name(), StandardCharsets.UTF_8)
                    + "\" is not claimed, or its claim has not reached this replica yet";
        }
        NameState c;
        try {
            c = judge(claim, nowMillis);
        } catch (IllegalArgumentException e) {
            return null;
        }
        return membershipProblem(r, c, nowMillis);
    }

    /** Null if the namespace's policy admits this membership record. */
    public String membershipProblem(Record member, NameState claim, long nowMillis) {
        if (claim.policy().getMembership() != net.barn.wire.names.NamePolicy.Membership.INVITE_ONLY) {
            return null;
        }
        NodeId who = NodeId.ofPublicKey(member.publisherKey());
        if (claim.owners().contains(who) || claim.policy().getDelegationsList().stream()
                .anyMatch(d -> d.getDelegate().equals(ByteString.copyFrom(who.toBytes())))) {
            return null; // those who invite need no invitation
        }
        net.barn.wire.names.MemberValue v;
        try {
            v = MemberRecords.value(member);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!v.hasInvitation()) {
            return "namespace \"" + claim.name() + "\" is invite-only and this membership has no invitation";
        }
        String why = invitationProblem(claim.name(), NodeId.ofPublicKey(member.publisherKey()), v.getInvitation(), claim,
                nowMillis);
        return why == null ? null : "namespace \"" + claim.name() + "\" is invite-only: " + why;
    }

    /** Null if enough of the claim's countersigners are among the ids this replica knows closest to the name. */
    private String countersignedHere(NameState s, Set<NodeId> neighbourhood) {
        int needed = needed(s, neighbourhood);
        int here = 0;
        for (NodeId h : s.countersigners()) {
            if (neighbourhood.contains(h)) {
                here++;
            }
        }
        return here >= needed ? null
                : "countersigned by " + here + " of the name's replica set as this node sees it, needs " + needed;
    }

    /** A name record's lineage: its first claim and its chain of owners (readers count replicas per lineage). */
    @Override
    public Object lineage(Record r) {
        if (r.type() == SubNames.SUBNAME) {
            return NameRecords.hex(r.publisherKey()); // one registrant's history; others compete
        }
        if (r.type() != NameRecords.NAME) {
            return Boolean.TRUE;
        }
        try {
            NameClaim c = NameRecords.parts(r).claim();
            java.security.MessageDigest chain = net.barn.core.crypto.Sha256.newDigest();
            c.getHandoversList().forEach(h -> chain.update(h.toByteArray()));
            return NameRecords.hex(NameRecords.commitmentOf(c)) + "/" + NameRecords.hex(chain.digest());
        } catch (IllegalArgumentException e) {
            return NameRecords.hex(r.signature());
        }
    }

    @Override
    public String commitProblem(Key key, Record held, long nowMillis) {
        if (held == null) {
            return null;
        }
        NameState h;
        try {
            h = judge(held, nowMillis);
        } catch (IllegalArgumentException e) {
            return null;
        }
        if (h.inGrace(nowMillis)) {
            return "name \"" + h.name() + "\" is in its grace period until " + Instant.ofEpochMilli(h.expiresAtMillis())
                    + "; only its owners may renew it";
        }
        if (h.claimedAtMillis() + rules.revealWindowMillis() > nowMillis) {
            return null; // the first claim is still open to an earlier commitment: countersign, first come decides
        }
        return "name \"" + h.name() + "\" is held (claimed " + Instant.ofEpochMilli(h.claimedAtMillis()) + ")";
    }

    @Override
    public int commitType() {
        return NameRecords.NAME;
    }
}
