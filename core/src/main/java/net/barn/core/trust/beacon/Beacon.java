package net.barn.core.trust.beacon;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One committee member's part in the random beacon of one epoch, as a sans-IO state machine.
 * {@link #startRound} signs the round with this member's share and broadcasts the partial.
 * Partials from others are taken in unchecked (well-formed ones only); once {@code t} are in,
 * the group signature is recovered from them and verified under the group key, one check
 * instead of one per partial. Only if that fails is each unchecked partial checked against its
 * sender's public share, the invalid ones refused with a reason and never used again, and the
 * round waits for more. On success the round's {@link BeaconEvent.Output} is emitted.
 * Rounds are independent: one that times out short of t partials is reported missed and the
 * next goes on. At most {@link #MAX_OPEN_ROUNDS} rounds are open at once. Not thread-safe.
 */
public final class Beacon {
    public static final int MAX_OPEN_ROUNDS = 64;

    private static final class Round {
        final long expires;
        final Map<Integer, PartialSignature> valid = new LinkedHashMap<>();
        /** Taken in but not checked yet. */
        final Map<Integer, PartialSignature> unchecked = new LinkedHashMap<>();
        /** Members whose partial for this round was refused: not heard again. */
        final java.util.Set<Integer> refused = new java.util.HashSet<>();

        Round(long expires) {
            this.expires = expires;
        }
    }

    private final long epoch;
    private final GroupKey group;
    private final SecretShare share;
    private final long roundNanos;

    private final TreeMap<Long, Round> open = new TreeMap<>();
    /** Rounds finished (output or missed) above this are tracked in {@link #finished}; at or below, all are. */
    private long finishedBelow = 0;
    private final java.util.TreeSet<Long> finished = new java.util.TreeSet<>();
    private final ArrayDeque<BeaconMessage> transmits = new ArrayDeque<>();
    private final ArrayDeque<BeaconEvent> events = new ArrayDeque<>();

    /** {@code share} may be null for an observer that only combines others' partials. */
    public Beacon(long epoch, GroupKey group, SecretShare share, long roundNanos) {
        this.epoch = epoch;
        this.group = group;
        this.share = share;
        this.roundNanos = roundNanos;
    }

    /** Signs {@code round} with this member's share and broadcasts the partial. */
    public void startRound(long now, long round) {
        Round r = open(now, round);
        if (r == null || share == null) {
            return;
        }
        PartialSignature mine = ThresholdBls.signPartial(share, BeaconRound.message(epoch, round));
        transmits.add(new BeaconMessage.Partial(epoch, round, mine.index(), mine.signature().toBytes()));
        accept(round, r, mine);
    }

    public void handleMessage(long now, BeaconMessage m) {
        switch (m) {
            case BeaconMessage.Partial p -> onPartial(now, p);
        }
    }

    /** Rounds past their deadline without output are reported missed and dropped. */
    public void handleTimeout(long now) {
        var it = open.entrySet().iterator();
        while (it.hasNext()) {
            var e = it.next();
            if (now >= e.getValue().expires) {
                events.add(new BeaconEvent.Missed(epoch, e.getKey(), e.getValue().valid.size() + e.getValue().unchecked.size()));
                markFinished(e.getKey());
                it.remove();
            }
        }
    }

    public BeaconMessage pollTransmit() {
        return transmits.poll();
    }

    public BeaconEvent pollEvent() {
        return events.poll();
    }

    public long pollTimeout() {
        return open.values().stream().mapToLong(r -> r.expires).min().orElse(Long.MAX_VALUE);
    }

    private void onPartial(long now, BeaconMessage.Partial p) {
        if (p.epoch() != epoch) {
            events.add(new BeaconEvent.PartialRejected(p.index(), p.round(),
                    "partial of epoch " + p.epoch() + ", this beacon is epoch " + epoch));
            return;
        }
        if (isFinished(p.round())) {
            return; // late partials of a finished round are normal; they change nothing
        }
        Round r = open(now, p.round());
        if (r == null) {
            events.add(new BeaconEvent.PartialRejected(p.index(), p.round(),
                    "too many rounds open (" + MAX_OPEN_ROUNDS + ")"));
            return;
        }
        if (r.valid.containsKey(p.index()) || r.unchecked.containsKey(p.index()) || r.refused.contains(p.index())) {
            return;
        }
        switch (BlsSignature.decode(p.signature())) {
            case Checked.Valid<BlsSignature> s -> {
                r.unchecked.put(p.index(), new PartialSignature(p.index(), s.value()));
                tryOutput(p.round(), r);
            }
            case Checked.Invalid<BlsSignature> i -> {
                r.refused.add(p.index());
                events.add(new BeaconEvent.PartialRejected(p.index(), p.round(), "partial of member " + p.index() + ": " + i.reason()));
            }
        }
    }

    private void accept(long round, Round r, PartialSignature partial) {
        r.valid.put(partial.index(), partial); // this member's own: no need to check it
        tryOutput(round, r);
    }

    /**
     * With t partials in, recovers and checks the group signature; if it does not verify, one of
     * the unchecked partials is bad: check each, drop the bad ones, and try again with the rest.
     */
    private void tryOutput(long round, Round r) {
        int t = group.threshold();
        if (r.valid.size() + r.unchecked.size() < t) {
            return;
        }
        byte[] message = BeaconRound.message(epoch, round);
        List<PartialSignature> some = new ArrayList<>(r.valid.values());
        for (PartialSignature p : r.unchecked.values()) {
            if (some.size() >= t) {
                break;
            }
            some.add(p);
        }
        if (output(round, message, some.subList(0, t))) {
            return;
        }
        for (PartialSignature p : List.copyOf(r.unchecked.values())) {
            r.unchecked.remove(p.index());
            switch (ThresholdBls.verifyPartial(group, message, p)) {
                case Checked.Valid<PartialSignature> v -> r.valid.put(p.index(), v.value());
                case Checked.Invalid<PartialSignature> i -> {
                    r.refused.add(p.index());
                    events.add(new BeaconEvent.PartialRejected(p.index(), round, i.reason()));
                }
            }
        }
        if (r.valid.size() >= t) {
            output(round, message, new ArrayList<>(r.valid.values()).subList(0, t));
        }
    }

    private boolean output(long round, byte[] message, List<PartialSignature> partials) {
        Checked<BlsSignature> sig = ThresholdBls.recover(group.threshold(), partials);
        if (sig instanceof Checked.Valid<BlsSignature>(BlsSignature s) && Bls.verify(group.publicKey(), message, s)) {
            events.add(new BeaconEvent.Output(epoch, round, s, BeaconRound.output(s)));
            open.remove(round);
            markFinished(round);
            return true;
        }
        return false;
    }

    /** The round's state, opened now if new; null when finished or too many are open. */
    private Round open(long now, long round) {
        if (isFinished(round)) {
            return null;
        }
        Round r = open.get(round);
        if (r == null) {
            if (open.size() >= MAX_OPEN_ROUNDS) {
                return null;
            }
            r = new Round(now + roundNanos);
            open.put(round, r);
        }
        return r;
    }

    private boolean isFinished(long round) {
        return round <= finishedBelow || finished.contains(round);
    }

    private void markFinished(long round) {
        finished.add(round);
        // Keep the finished set small: fold its contiguous low end into the watermark.
        while (finished.contains(finishedBelow + 1)) {
            finished.remove(++finishedBelow);
        }
        while (finished.size() > 4 * MAX_OPEN_ROUNDS) {
            finishedBelow = Math.max(finishedBelow, finished.pollFirst());
        }
    }
}
