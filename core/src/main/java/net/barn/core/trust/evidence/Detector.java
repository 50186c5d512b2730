package net.barn.core.trust.evidence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.barn.core.dht.Record;
import net.barn.core.dht.SignatureVerifier;
import net.barn.core.identity.NodeId;

/**
 * Finds equivocations in what a node sees anyway: two records for one key and sequence from
 * different replicas during a read, two name records whose owners signed different handovers
 * at one sequence, two votes of one steward. {@link #compare} checks a pair; an instance
 * remembers the first statement per (signer, context, sequence), at most {@code capacity}
 * of them (least recently seen leave first), and answers with evidence when a conflicting
 * one arrives.
 */
public final class Detector {
    private record Slot(NodeId signer, Context context, long sequence) {}

    private final SignatureVerifier verifier;
    private final Map<Slot, Statement> seen;

    public Detector(int capacity, SignatureVerifier verifier) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.verifier = verifier;
        this.seen = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Slot, Statement> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Evidence if {@code a} and {@code b} are one signer's conflicting statements and both signatures hold. */
    public static Optional<Evidence> compare(Statement a, Statement b, SignatureVerifier verifier) {
        if (!a.sameSlot(b)) {
            return Optional.empty();
        }
        Evidence e = new Evidence(a, b);
        return Evidence.verify(e, verifier).isValid() ? Optional.of(e) : Optional.empty();
    }

    /**
     * Evidence from two records of one key, if they prove an equivocation: for name records,
     * an owner who signed two different handovers at one sequence; for other types, a
     * publisher who signed two values at one sequence.
     */
    public static Optional<Evidence> compare(Record a, Record b, SignatureVerifier verifier) {
        for (Statement x : statementsOf(a)) {
            for (Statement y : statementsOf(b)) {
                Optional<Evidence> e = compare(x, y, verifier);
                if (e.isPresent()) {
                    return e;
                }
            }
        }
        return Optional.empty();
    }

    /** The statements a record makes: its own for most types, its owners' handovers for names. */
    public static List<Statement> statementsOf(Record r) {
        var own = Statement.ofRecord(r);
        if (own.isValid()) {
            return List.of(own.orElseThrow());
        }
        return Statement.ofHandovers(r);
    }

    /** Notes a statement; evidence if it conflicts with one seen before for the same slot. */
    public Optional<Evidence> observe(Statement s) {
        Slot slot = new Slot(s.signer(), s.context(), s.sequence());
        Statement before = seen.get(slot);
        if (before == null) {
            seen.put(slot, s);
            return Optional.empty();
        }
        if (before.equals(s) || !before.conflictsWith(s)) {
            return Optional.empty();
        }
        Optional<Evidence> e = compare(before, s, verifier);
        if (e.isEmpty() && before.problem(verifier) != null) {
            seen.put(slot, s); // what we held was a forgery: keep the newer one instead
        }
        return e;
    }

    /** Notes every statement a record makes; the first evidence found, if any. */
    public Optional<Evidence> observe(Record r) {
        List<Evidence> found = new ArrayList<>();
        for (Statement s : statementsOf(r)) {
            observe(s).ifPresent(found::add);
        }
        return found.stream().findFirst();
    }
}
