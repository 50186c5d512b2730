package net.barn.daemon;

import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;
import java.util.stream.Collectors;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.Record;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.namespace.NameClaims;
import net.barn.core.namespace.NamePow;
import net.barn.core.namespace.NameRecords;
import net.barn.core.namespace.NameRules;
import net.barn.core.namespace.NameState;
import net.barn.core.namespace.NameSyntax;
import net.barn.core.namespace.NameValidator;
import net.barn.daemon.store.StateStore;
import net.barn.wire.names.Delegation;
import net.barn.wire.names.NamePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The root namespace as this node uses it: claims (work, commitment, reveal), reads that
 * report how many replicas agreed and compare with the owner pinned when the name was first
 * seen, and the owner's updates (renewal, transfer, policy, delegation). The proof of work
 * runs on a thread of its own, never on an event loop.
 */
public final class NameService implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NameService.class);
    public static final long DAY_MILLIS = 86_400_000L;

    private final DhtService dht;
    private final Identity me;
    private final StateStore store;
    private final SecureRandom random = new SecureRandom();
    private final ExecutorService work = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "barn-name-work");
        t.setDaemon(true);
        return t;
    });

    public NameService(DhtService dht, Identity me, StateStore store) {
        this.dht = dht;
        this.me = me;
        this.store = store;
    }

    private NameValidator validator() {
        return dht.names();
    }

    private NameRules rules() {
        return dht.names().rules();
    }

    /** A read of a name. {@code state} is null when no valid record was found. */
    public record Resolution(String name, NameState state, int agreeing, int conflicting, Pin pin, String pinNote, long millis) {
        public boolean found() {
            return state != null;
        }
    }

    /** How a read compares with what this node pinned. */
    public enum Pin { FIRST_SEEN, SAME, OWNERS_HANDED_OVER, DIFFERENT_CLAIM, NONE }

    /** What an update or claim did. */
    public record Outcome(NameState state, int stored, List<String> refused, long workMillis, long commitMillis, long putMillis,
            byte[] proposal, String proposalNote) {
        public Outcome(NameState state, int stored, List<String> refused, long workMillis, long commitMillis, long putMillis) {
            this(state, stored, refused, workMillis, commitMillis, putMillis, null, "");
        }
    }

    /** Terms of a new claim; empty owners means this node alone. */
    public record ClaimTerms(long leaseMillis, List<NodeId> owners, int threshold, NamePolicy policy) {}

    /** Refused with the reason a user should see. */
    public static final class NameException extends RuntimeException {
        public NameException(String message) {
            super(message);
        }
    }

    private static String normal(String raw) {
        try {
            return NameSyntax.normaliseTopLevel(raw);
        } catch (IllegalArgumentException e) {
            throw new NameException(e.getMessage());
        }
    }

    // ---------------------------------------------------------------- reading

    /** Reads a name from every replica; {@code repin}: accept what is read as the new pin. */
    public CompletableFuture<Resolution> show(String raw, boolean repin) {
        String name;
        try {
            name = normal(raw);
        } catch (NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        long start = System.nanoTime();
        return dht.get(NameRecords.nameKey(name), NameRecords.NAME).thenApply(g -> {
            NameState s = g.record() == null ? null : validator().judge(g.record(), dht.nowMillis());
            Pin pin = Pin.NONE;
            String note = "";
            if (s != null) {
                try {
                    String[] pinned = comparePin(name, s, repin);
                    pin = Pin.valueOf(pinned[0]);
                    note = pinned[1];
                } catch (IOException e) {
                    note = "could not read or save the pin: " + e.getMessage();
                }
            }
            return new Resolution(name, s, g.agreeing(), g.conflicting(), pin, note, (System.nanoTime() - start) / 1_000_000);
        });
    }

    private String[] comparePin(String name, NameState s, boolean repin) throws IOException {
        String owners = owners(s);
        StateStore.NamePin p = store.pin(name);
        if (p == null || repin) {
            store.savePin(new StateStore.NamePin(name, s.commitment(), owners, dht.nowMillis()));
            return new String[] {p == null ? "FIRST_SEEN" : "SAME", p == null ? "pinned now" : "pin replaced"};
        }
        if (!p.commitment().equals(s.commitment())) {
            return new String[] {"DIFFERENT_CLAIM", "WARNING: this is not the claim pinned on "
                    + java.time.Instant.ofEpochMilli(p.firstSeenMillis()) + " (owners then " + p.owners()
                    + "); someone may be answering for this name falsely. Accept it only if you know why: ns show --repin"};
        }
        if (!p.owners().equals(owners)) {
            return new String[] {"OWNERS_HANDED_OVER", "owners changed since pinned (were " + p.owners()
                    + "), by a handover the owners signed; ns show --repin to accept"};
        }
        return new String[] {"SAME", "matches the pin of " + java.time.Instant.ofEpochMilli(p.firstSeenMillis())};
    }

    static String owners(NameState s) {
        return s.owners().stream().map(NodeId::toString).collect(Collectors.joining(","));
    }

    // ---------------------------------------------------------------- claiming

    /**
     * Claims a free name: work on the commitment, the commitment countersigned by the name's
     * replicas, then the claim stored with them. Fails with the replicas' reasons if the name
     * is held or the claim is refused.
     */
    public CompletableFuture<Outcome> claim(String raw, ClaimTerms terms) {
        String name;
        try {
            name = normal(raw);
            if (terms.leaseMillis() < 60_000 || terms.leaseMillis() > rules().maxLeaseMillis()) {
                throw new NameException("lease must be 1 min to "
                        + rules().maxLeaseMillis() / DAY_MILLIS + " days");
            }
        } catch (NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        List<NodeId> owners = terms.owners().isEmpty() ? List.of(me.id()) : terms.owners();
        NameClaims.Terms t = new NameClaims.Terms(owners, terms.threshold(), terms.policy(), terms.leaseMillis());
        byte[] salt = new byte[NameRecords.SALT_BYTES];
        random.nextBytes(salt);
        byte[] commitment = NameRecords.commitment(name, me.publicKey(), salt);
        long t0 = System.nanoTime();
        long[] marks = new long[3];
        return dht.get(NameRecords.nameKey(name), NameRecords.NAME).thenCompose(g -> {
            if (g.record() != null) {
                NameState held = validator().judge(g.record(), dht.nowMillis());
                if (held.claimedAtMillis() + rules().revealWindowMillis() < dht.nowMillis()) {
                    throw new NameException("\"" + name + "\" is held by " + owners(held)
                            + (held.inGrace(dht.nowMillis()) ? " (in its grace period)" : "") + " until "
                            + java.time.Instant.ofEpochMilli(held.leaseUntilMillis()));
                }
            }
            log.info("claiming \"{}\": doing the work ({} KiB Argon2id, {} bits)", name, rules().argon2MemoryKiB(), rules().powBits());
            return CompletableFuture.supplyAsync(() -> NamePow.solve(commitment, 0, rules()), work);
        }).thenCompose(nonce -> {
            marks[0] = System.nanoTime();
            return dht.commit(NameRecords.nameKey(name), commitment).thenApply(c -> {
                marks[1] = System.nanoTime();
                if (c.countersignatures().isEmpty()) {
                    throw new NameException("no replica countersigned the claim of \"" + name
                            + "\": " + summary(c.refused()));
                }
                return NameClaims.firstClaim(name, me, salt, nonce, c.countersignatures(), t, dht.nowMillis(), rules());
            });
        }).thenCompose(record -> publish(record, p -> {
            marks[2] = System.nanoTime();
            return new Outcome(validator().judge(record, dht.nowMillis()), p.stored(), p.refused(),
                    (marks[0] - t0) / 1_000_000, (marks[1] - marks[0]) / 1_000_000, (marks[2] - marks[1]) / 1_000_000);
        }));
    }

    private CompletableFuture<Outcome> publish(Record record, Function<DhtEvent.PutResult, Outcome> outcome) {
        // Replicas new to a placed name this period read its history before they take it (PROTOCOL 11.8): put again once
        // they have, a couple of seconds later.
        return dht.put(record, true).thenCompose(first -> first.refused().stream().anyMatch(r -> r.contains("reading"))
                ? CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(2, java.util.concurrent.TimeUnit.SECONDS))
                        .thenCompose(x -> dht.put(record, true))
                : CompletableFuture.completedFuture(first)).thenApply(p -> {
            if (p.stored() == 0) {
                throw new NameException("no replica stored it: " + summary(p.refused()));
            }
            Outcome o = outcome.apply(p);
            try {
                store.savePin(new StateStore.NamePin(o.state().name(), o.state().commitment(), owners(o.state()), dht.nowMillis()));
            } catch (IOException e) {
                log.warn("could not pin {}: {}", o.state().name(), e.getMessage());
            }
            return o;
        });
    }

    private static String summary(List<String> reasons) {
        if (reasons.isEmpty()) {
            return "no replica answered";
        }
        // Replicas mostly say the same thing: show each reason once, with how many said it.
        var counts = new java.util.LinkedHashMap<String, Integer>();
        for (String r : reasons) {
            int colon = r.indexOf(": ");
            counts.merge(colon > 0 ? r.substring(colon + 2) : r, 1, Integer::sum);
        }
        return counts.entrySet().stream().map(e -> e.getKey() + (e.getValue() > 1 ? " (" + e.getValue() + " replicas)" : ""))
                .collect(Collectors.joining("; "));
    }

    // ---------------------------------------------------------------- updating

    /** Renews the lease for {@code leaseMillis} from now. */
    public CompletableFuture<Outcome> renew(String raw, long leaseMillis) {
        return update(raw, s -> NameClaims.update(s, NameClaims.renew(dht.nowMillis(), leaseMillis), List.of(me), me, rules()));
    }

    /** Hands the name to {@code owners}, {@code threshold} of whom must sign its later updates. */
    public CompletableFuture<Outcome> transfer(String raw, List<NodeId> owners, int threshold) {
        if (owners.isEmpty() || threshold < 1 || threshold > owners.size()) {
            return CompletableFuture.failedFuture(new NameException(
                    "a transfer needs 1.." + NameRules.MAX_OWNERS + " new owners and 1 <= threshold <= their number"));
        }
        return update(raw, s -> NameClaims.transfer(s, owners, threshold, List.of(me), me, rules()));
    }

    /** Sets who may join the namespace and who may create sub-names. */
    public CompletableFuture<Outcome> policy(String raw, NamePolicy.Membership membership, NamePolicy.SubNames subNames) {
        return update(raw, s -> NameClaims.update(s, NameClaims.policy(s.policy().toBuilder()
                .setMembership(membership == null ? s.policy().getMembership() : membership)
                .setSubNames(subNames == null ? s.policy().getSubNames() : subNames).build()), List.of(me), me, rules()));
    }

    /** Lets {@code delegate} create sub-names under {@code prefix} and invite members (null delegate: withdraw). */
    public CompletableFuture<Outcome> delegate(String raw, String prefix, NodeId delegate) {
        String label;
        try {
            label = NameSyntax.normalise("x/" + prefix).substring(2);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NameException(e.getMessage()));
        }
        return update(raw, s -> {
            List<Delegation> kept = new ArrayList<>(s.policy().getDelegationsList());
            kept.removeIf(d -> d.getPrefix().equals(label));
            if (delegate != null) {
                kept.add(Delegation.newBuilder().setPrefix(label)
                        .setDelegate(com.google.protobuf.ByteString.copyFrom(delegate.toBytes())).build());
            }
            if (kept.size() > NameRules.MAX_DELEGATIONS) {
                throw new NameException("at most " + NameRules.MAX_DELEGATIONS + " delegations");
            }
            return NameClaims.update(s, NameClaims.policy(s.policy().toBuilder().clearDelegations().addAllDelegations(kept).build()),
                    List.of(me), me, rules());
        });
    }

    /** A sub-name as registered or read. {@code policyNote} is set when the namespace's current policy refuses its registrant. */
    public record SubName(String name, NodeId target, int port, String service, NodeId registrant, long expiresAtMillis,
            int agreeing, int conflicting, int stored, List<String> refused, String policyNote) {}

    /**
     * Registers the sub-name {@code raw} ("irc/#barn") for {@code target} at a port or
     * service, for {@code ttlMillis}, as this node; the namespace's policy must admit it.
     */
    public CompletableFuture<SubName> register(String raw, NodeId target, int port, String service, long ttlMillis) {
        String full;
        try {
            full = net.barn.core.namespace.NameSyntax.normalise(raw);
            if (full.indexOf('/') < 0) {
                throw new NameException("a sub-name has a namespace and a label under it, e.g. irc/#barn");
            }
            if (ttlMillis < 60_000 || ttlMillis > net.barn.core.namespace.SubNames.MAX_TTL_MILLIS) {
                throw new NameException("a sub-name lives 1 min to 30 days");
            }
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NameException(e.getMessage()));
        }
        String ns = net.barn.core.namespace.SubNames.namespaceOf(full);
        return show(ns, false).thenCompose(r -> {
            if (!r.found()) {
                throw new NameException("namespace \"" + ns + "\" is not claimed");
            }
            String why = validator().registrantProblem(r.state(), full, me.id());
            if (why != null) {
                throw new NameException(why);
            }
            NodeId to = target == null ? me.id() : target;
            Record rec = net.barn.core.namespace.SubNames.register(me, full, to, port, service, r.state().record(),
                    dht.nowMillis(), ttlMillis);
            return dht.put(rec, true).thenApply(p -> {
                if (p.stored() == 0) {
                    throw new NameException("no replica stored it: " + summary(p.refused()));
                }
                return new SubName(full, to, port, service == null ? "" : service, me.id(), rec.expiresAtMillis(), 0, 0,
                        p.stored(), p.refused(), "");
            });
        });
    }

    /** Reads a sub-name, and checks its registrant against the namespace's current policy. */
    public CompletableFuture<SubName> resolve(String raw) {
        String full;
        try {
            full = net.barn.core.namespace.NameSyntax.normalise(raw);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NameException(e.getMessage()));
        }
        String ns = net.barn.core.namespace.SubNames.namespaceOf(full);
        CompletableFuture<Resolution> parent = show(ns, false);
        return dht.get(net.barn.core.namespace.SubNames.key(full), net.barn.core.namespace.SubNames.SUBNAME)
                .thenCombine(parent, (g, p) -> {
                    if (g.record() == null) {
                        return null;
                    }
                    var v = net.barn.core.namespace.SubNames.value(g.record());
                    NodeId registrant = NodeId.ofPublicKey(g.record().publisherKey());
                    String note = !p.found() ? "namespace \"" + ns + "\" is no longer claimed"
                            : validator().registrantProblem(p.state(), full, registrant);
                    return new SubName(full, NodeId.of(v.getTarget().toByteArray()), v.getPort(), v.getService(), registrant,
                            g.record().expiresAtMillis(), g.agreeing(), g.conflicting(), 0, List.of(), note == null ? "" : note);
                });
    }

    /**
     * An invitation of {@code member} into namespace {@code raw} for {@code validMillis}, signed
     * by this node, which must own the namespace or be one of its delegates.
     */
    public CompletableFuture<net.barn.wire.names.Invitation> invite(String raw, NodeId member, long validMillis) {
        return show(raw, false).thenApply(r -> {
            if (!r.found()) {
                throw new NameException("\"" + r.name() + "\" is not claimed");
            }
            boolean delegate = r.state().policy().getDelegationsList().stream()
                    .anyMatch(d -> d.getDelegate().equals(com.google.protobuf.ByteString.copyFrom(me.id().toBytes())));
            if (!r.state().owners().contains(me.id()) && !delegate) {
                throw new NameException("this node is neither an owner nor a delegate of \"" + r.name() + "\"");
            }
            return net.barn.core.namespace.MemberRecords.invite(r.name(), member, dht.nowMillis() + validMillis, me);
        });
    }

    private CompletableFuture<Outcome> update(String raw, Function<NameState, Record> change) {
        return show(raw, false).thenCompose(r -> {
            if (!r.found()) {
                throw new NameException("\"" + r.name() + "\" is not claimed");
            }
            if (!r.state().owners().contains(me.id())) {
                throw new NameException("this node (" + me.id().shortForm() + ") is not an owner of \""
                        + r.name() + "\"; its owners are " + owners(r.state()));
            }
            Record next = change.apply(r.state());
            return publishOrPropose(next, r.state());
        });
    }

    /**
     * Publishes a version that has all the approvals it needs; one that lacks co-owners'
     * approvals comes back as a proposal for them to co-sign ({@link #cosign}).
     */
    private CompletableFuture<Outcome> publishOrPropose(Record next, NameState current) {
        String problem = validator().problem(next, dht.nowMillis(), net.barn.core.dht.DhtConfig.DEFAULT,
                net.barn.core.dht.SignatureVerifier.ED25519);
        if (problem == null) {
            return publish(next, p -> new Outcome(validator().judge(next, dht.nowMillis()), p.stored(), p.refused(), 0, 0, 0));
        }
        if (problem.startsWith("signed by ") || problem.startsWith("handover at sequence ")) {
            return CompletableFuture.completedFuture(new Outcome(current, 0, List.of(), 0, 0, 0,
                    net.barn.core.dht.DhtCodec.encodeRecord(next), problem + ": have the other owners run ns cosign with it"));
        }
        return CompletableFuture.failedFuture(new NameException(problem));
    }

    /**
     * Adds this node's approval to a proposed version of a name it co-owns, then publishes it
     * if that was the last approval needed, or hands back the proposal for the next owner.
     */
    public CompletableFuture<Outcome> cosign(byte[] encodedProposal) {
        Record proposal;
        try {
            proposal = net.barn.core.dht.DhtCodec.decodeRecord(encodedProposal);
            if (proposal.type() != NameRecords.NAME) {
                throw new NameException("not a proposed version of a name");
            }
        } catch (net.barn.core.ProtocolException | IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NameException("not a proposal: " + e.getMessage()));
        }
        String name = new String(proposal.name(), java.nio.charset.StandardCharsets.UTF_8);
        return show(name, false).thenCompose(r -> {
            if (!r.found()) {
                throw new NameException("\"" + name + "\" is not claimed");
            }
            var claim = NameRecords.parts(proposal).claim();
            if (claim.getSequence() != r.state().sequence() + 1
                    || !NameRecords.hex(NameRecords.commitmentOf(claim)).equals(r.state().commitment())) {
                throw new NameException("this proposal does not follow the current version of \"" + name + "\" (sequence "
                        + r.state().sequence() + "); propose it again");
            }
            if (!r.state().owners().contains(me.id()) && !claim.getOwnersList().contains(com.google.protobuf.ByteString.copyFrom(me.id().toBytes()))) {
                throw new NameException("this node is not an owner of \"" + name + "\"");
            }
            Record next = NameRecords.cosign(proposal, me, r.state().threshold());
            return publishOrPropose(next, r.state());
        });
    }

    /** Unwraps the reason a name operation failed, for a user. */
    public static String reason(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    @Override
    public void close() {
        work.shutdownNow();
    }
}
