package net.barn.sim;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.trust.beacon.Beacon;
import net.barn.core.trust.beacon.BeaconCodec;
import net.barn.core.trust.beacon.BeaconEvent;
import net.barn.core.trust.beacon.BeaconMessage;
import net.barn.core.trust.beacon.Dkg;
import net.barn.core.trust.beacon.DkgConfig;
import net.barn.core.trust.beacon.DkgEvent;
import net.barn.core.trust.beacon.DkgMessage;
import net.barn.core.trust.beacon.DkgResult;

/**
 * The scenario behind {@code barn sim beacon}: one beacon committee of {@code n} members spread
 * over the latency model's regions runs the real {@link Dkg} (joint-Feldman, threshold
 * {@code t}), then the real {@link Beacon} for a number of rounds, some members withholding
 * their partials. Messages are the real encoded bytes ({@link BeaconCodec}), delivered after
 * the model's one-way delay; members start each round at their own clock (skewed up to 50 ms).
 *
 * <p>Then the committee hands its key to a second committee of {@code n} other members (the
 * worst case: no member stays): each old member sends each new one the handover notice and
 * deals its share in the resharing DKG ({@link DkgConfig#reshare}); the new members must end
 * with the same group key and sign a round under it.
 *
 * <p>Virtual time covers the network only, so a run is a pure function of its seed. The CPU
 * each member spends (its real handle calls, timed) is reported beside it: in a committee
 * each member is its own machine, so a round takes the network latency plus one member's CPU.
 */
public final class BeaconScenario {
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1000 * MS;
    /** Framing per message on a link (length prefix, mux frame and AEAD tag), added to the payload. */
    static final int FRAMING = 4 + 12 + 16;

    /** What to run. */
    public record Params(int members, int threshold, int rounds, int withholding, long seed, long phaseNanos, long roundIntervalNanos) {
        public static Params defaults(int members, long seed) {
            return new Params(members, members / 2 + 1, 20, 0, seed, 2 * SECOND, 3 * SECOND);
        }

        public Params {
            if (members < 1 || members > BeaconCodec.MAX_MEMBERS || threshold < 1 || threshold > members || rounds < 1
                    || withholding < 0 || withholding >= members) {
                throw new IllegalArgumentException("need 1 <= threshold <= members <= " + BeaconCodec.MAX_MEMBERS
                        + ", rounds >= 1, 0 <= withholding < members");
            }
        }

        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim beacon --members %d --threshold %d --rounds %d --withholding %d --seed %d",
                    members, threshold, rounds, withholding, seed);
        }
    }

    /**
     * The run. Times in virtual nanoseconds (network only); CPU in real nanoseconds, per member.
     * {@code roundLatency}: for every (member, round) with an output, from the round's nominal
     * start to the output at that member.
     */
    public record Result(Params params, boolean dkgAgreed, long dkgNanos, double dkgBytesSentPerMember, double dkgCpuPerMemberNanos,
            int outputs, int missed, boolean outputsAgreed, long[] roundLatency, double roundBytesSentPerMember,
            double roundCpuPerMemberNanos, Handover handover, List<String> violations) {}

    /** The handover to a disjoint committee: bytes and CPU per old and per new member. */
    public record Handover(boolean agreed, boolean signs, long nanos, double oldBytesPerMember, double oldCpuNanos,
            double newBytesPerMember, double newCpuNanos) {}

    private final Params p;
    private final RandomGenerator rng;
    private final EventQueue queue = new EventQueue();
    private final int[] region;
    private final long[] access;
    private final long[] sentBytes;
    private final long[] cpu;
    private final List<String> violations = new ArrayList<>();

    public BeaconScenario(Params p) {
        this.p = p;
        this.rng = RandomGeneratorFactory.of("L64X128MixRandom").create(p.seed());
        region = new int[2 * p.members() + 1];
        access = new long[2 * p.members() + 1];
        for (int i = 1; i <= 2 * p.members(); i++) {
            region[i] = LatencyModel.pickRegion(rng);
            access[i] = LatencyModel.accessDelay(rng);
        }
        sentBytes = new long[2 * p.members() + 1];
        cpu = new long[2 * p.members() + 1];
    }

    private long delay(int from, int to) {
        return LatencyModel.oneWay(region[from], access[from], region[to], access[to], 1.0, rng);
    }

    // ---------------------------------------------------------------- DKG runs

    /**
     * The parties of one DKG run, 1..count: in a fresh DKG the committee, in the handover the old
     * members (dealers) then the new ones (receiver r is party {@code receiverOffset + r}).
     * Messages are the real encoded bytes, delivered after the model's delay.
     */
    private final class DkgRun {
        final Dkg[] dkgs;
        final DkgResult[] results;
        final int receiverOffset;
        final String label;
        long done;

        DkgRun(Dkg[] dkgs, int receiverOffset, String label) {
            this.dkgs = dkgs;
            this.results = new DkgResult[dkgs.length];
            this.receiverOffset = receiverOffset;
            this.label = label;
        }

        void startAt(long at) {
            done = at;
            for (int i = 1; i < dkgs.length; i++) {
                int party = i;
                queue.at(at, () -> {
                    timed(party, () -> dkgs[party].start(queue.now()));
                    drain(party);
                });
            }
        }

        void drain(int i) {
            Dkg d = dkgs[i];
            for (DkgMessage m = d.pollTransmit(); m != null; m = d.pollTransmit()) {
                byte[] wire = BeaconCodec.encode(m);
                if (m instanceof DkgMessage.Deal deal) {
                    send(i, receiverOffset + deal.to(), wire);
                } else {
                    for (int j = 1; j < dkgs.length; j++) {
                        if (j != i) {
                            send(i, j, wire);
                        }
                    }
                }
            }
            for (DkgEvent e = d.pollEvent(); e != null; e = d.pollEvent()) {
                switch (e) {
                    case DkgEvent.Completed c -> {
                        results[i] = c.result();
                        done = Math.max(done, queue.now());
                    }
                    case DkgEvent.Failed f -> violations.add(label + " " + i + ": DKG failed: " + f.reason());
                    case DkgEvent.Disqualified q -> violations.add(label + " " + i + " disqualified honest dealer " + q.dealer() + ": "
                            + q.reason());
                    case DkgEvent.Rejected r -> violations.add(label + " " + i + " rejected " + r.from() + ": " + r.reason());
                    case DkgEvent.Complained c -> violations.add(label + " " + i + " complained of " + c.dealer() + ": " + c.reason());
                }
            }
            long t = d.pollTimeout();
            if (t != Long.MAX_VALUE) {
                queue.at(t, () -> {
                    if (!dkgs[i].isDone() && queue.now() >= dkgs[i].pollTimeout()) {
                        timed(i, () -> dkgs[i].handleTimeout(queue.now()));
                        drain(i);
                    }
                });
            }
        }

        private void send(int from, int to, byte[] wire) {
            sentBytes[from] += wire.length + FRAMING;
            queue.after(delay(from, to), () -> {
                if (BeaconCodec.decode(wire).orElseThrow() instanceof BeaconCodec.Dkg m) {
                    timed(to, () -> dkgs[to].handleMessage(queue.now(), m.message()));
                    drain(to);
                }
            });
        }
    }

    private DkgRun dkg;

    private void send(int from, int to, byte[] wire) {
        sentBytes[from] += wire.length + FRAMING;
        queue.after(delay(from, to), () -> deliver(to, wire));
    }

    private void deliver(int to, byte[] wire) {
        if (BeaconCodec.decode(wire).orElseThrow() instanceof BeaconCodec.Round r && beacons != null && beacons[to] != null) {
            timed(to, () -> beacons[to].handleMessage(queue.now(), r.message()));
            drainBeacon(to);
        }
    }

    private void timed(int member, Runnable action) {
        long t0 = System.nanoTime(); // real CPU per member, reported beside the virtual time
        action.run();
        cpu[member] += System.nanoTime() - t0;
    }

    // ---------------------------------------------------------------- rounds

    private Beacon[] beacons;
    private final Set<Integer> withholding = new HashSet<>();
    private final java.util.Map<Long, byte[]> firstOutput = new java.util.HashMap<>();
    private final List<Long> latencies = new ArrayList<>();
    private int outputs;
    private int missed;
    private long roundsStart;

    private void drainBeacon(int i) {
        Beacon b = beacons[i];
        for (BeaconMessage m = b.pollTransmit(); m != null; m = b.pollTransmit()) {
            if (withholding.contains(i)) {
                continue;
            }
            byte[] wire = BeaconCodec.encode(m);
            for (int j = 1; j <= p.members(); j++) {
                if (j != i) {
                    send(i, j, wire);
                }
            }
        }
        for (BeaconEvent e = b.pollEvent(); e != null; e = b.pollEvent()) {
            switch (e) {
                case BeaconEvent.Output o -> {
                    outputs++;
                    latencies.add(queue.now() - (roundsStart + (o.round() - 1) * p.roundIntervalNanos()));
                    if (firstSignature == null) {
                        firstSignature = o.signature();
                    }
                    byte[] seen = firstOutput.putIfAbsent(o.round(), o.randomness());
                    if (seen != null && !Arrays.equals(seen, o.randomness())) {
                        violations.add("member " + i + " output a different value for round " + o.round());
                    }
                }
                case BeaconEvent.Missed m -> missed++;
                case BeaconEvent.PartialRejected r -> violations.add("member " + i + " rejected a partial of " + r.from() + ": " + r.reason());
            }
        }
        long t = b.pollTimeout();
        if (t != Long.MAX_VALUE) {
            queue.at(t, () -> {
                timed(i, () -> beacons[i].handleTimeout(queue.now()));
                drainBeacon(i);
            });
        }
    }

    public Result run() {
        int n = p.members();
        Dkg[] parties = new Dkg[n + 1];
        long session = rng.nextLong();
        for (int i = 1; i <= n; i++) {
            parties[i] = new Dkg(DkgConfig.fresh(session, n, p.threshold(), i, p.phaseNanos()), new SeededEntropy(rng.nextLong()));
        }
        dkg = new DkgRun(parties, 0, "member");
        dkg.startAt(0);
        queue.runUntil(10 * p.phaseNanos());
        long[] dkgSent = sentBytes.clone();
        long[] dkgCpu = cpu.clone();
        DkgResult[] results = dkg.results;
        boolean agreed = results[1] != null;
        for (int i = 1; i <= n && agreed; i++) {
            agreed = results[i] != null && results[i].group().publicKey().equals(results[1].group().publicKey());
        }
        if (!agreed) {
            violations.add("the members did not agree on one group key");
            return new Result(p, false, dkg.done, avg(dkgSent), avg(dkgCpu), 0, 0, false, new long[0], 0, 0, null, List.copyOf(violations));
        }
        // Rounds: the withholding members are the last ones (which ones does not matter: any t suffice).
        for (int i = n - p.withholding() + 1; i <= n; i++) {
            withholding.add(i);
        }
        beacons = new Beacon[n + 1];
        for (int i = 1; i <= n; i++) {
            beacons[i] = new Beacon(1, results[i].group(), results[i].share(), p.roundIntervalNanos());
        }
        roundsStart = queue.now() + SECOND;
        for (int r = 1; r <= p.rounds(); r++) {
            long round = r;
            for (int i = 1; i <= n; i++) {
                int member = i;
                long skew = (long) (rng.nextDouble() * 50 * MS);
                queue.at(roundsStart + (round - 1) * p.roundIntervalNanos() + skew, () -> {
                    timed(member, () -> beacons[member].startRound(queue.now(), round));
                    drainBeacon(member);
                });
            }
        }
        queue.runUntil(roundsStart + (p.rounds() + 2) * p.roundIntervalNanos());
        long[] roundSent = new long[n + 1];
        long[] roundCpu = new long[n + 1];
        for (int i = 1; i <= n; i++) {
            roundSent[i] = (sentBytes[i] - dkgSent[i]) / p.rounds();
            roundCpu[i] = (cpu[i] - dkgCpu[i]) / p.rounds();
        }
        long[] lat = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        boolean outputsAgreed = violations.stream().noneMatch(v -> v.contains("different value"));
        Handover h = handover();
        return new Result(p, true, dkg.done, avg(dkgSent), avg(dkgCpu), outputs, missed, outputsAgreed, lat, avg(roundSent),
                avg(roundCpu), h, List.copyOf(violations));
    }

    // ---------------------------------------------------------------- the handover

    private Handover handover() {
        int n = p.members();
        long[] sentBefore = sentBytes.clone();
        long[] cpuBefore = cpu.clone();
        long start = queue.now() + SECOND;
        DkgResult[] results = dkg.results;
        net.barn.core.trust.beacon.GroupKey group = results[1].group();
        java.util.TreeSet<Integer> dealers = new java.util.TreeSet<>();
        for (int i = 1; i <= n; i++) {
            dealers.add(i);
        }
        long session = rng.nextLong();
        int threshold = n / 2 + 1;
        Dkg[] resharing = new Dkg[2 * n + 1];
        for (int i = 1; i <= 2 * n; i++) {
            DkgConfig c = i <= n
                    ? DkgConfig.reshare(session, group, dealers, results[i].share(), n, threshold, 0, p.phaseNanos())
                    : DkgConfig.reshare(session, group, dealers, null, n, threshold, i - n, p.phaseNanos());
            resharing[i] = new Dkg(c, new SeededEntropy(rng.nextLong()));
        }
        // The notice each old member sends each new one: seed round, signature, commitment, both committees.
        net.barn.core.trust.beacon.BlsSignature seedSignature = firstSignature != null ? firstSignature
                : net.barn.core.trust.beacon.ThresholdBls.signPartial(results[1].share(), new byte[1]).signature(); // same size
        byte[] notice = BeaconCodec.encode(new BeaconCodec.Handover(2, 1, seedSignature, group.commitment(), ids(1, n), ids(n + 1, n)));
        for (int i = 1; i <= n; i++) {
            for (int j = n + 1; j <= 2 * n; j++) {
                sentBytes[i] += notice.length + FRAMING;
            }
        }
        DkgRun handover = new DkgRun(resharing, n, "handover member");
        handover.startAt(start);
        queue.runUntil(start + 10 * p.phaseNanos());
        DkgResult[] handed = handover.results;
        boolean agreed = true;
        for (int i = n + 1; i <= 2 * n && agreed; i++) {
            agreed = handed[i] != null && handed[i].group().publicKey().equals(group.publicKey());
        }
        boolean signs = false;
        if (agreed) {
            byte[] message = net.barn.core.trust.beacon.BeaconRound.message(2, 1);
            List<net.barn.core.trust.beacon.PartialSignature> partials = new ArrayList<>();
            for (int i = 2 * n; i > 2 * n - threshold; i--) {
                partials.add(net.barn.core.trust.beacon.ThresholdBls.signPartial(handed[i].share(), message));
            }
            signs = net.barn.core.trust.beacon.ThresholdBls.combine(handed[n + 1].group(), message, partials)
                    instanceof net.barn.core.trust.beacon.Checked.Valid<net.barn.core.trust.beacon.BlsSignature> v
                    && net.barn.core.trust.beacon.Bls.verify(group.publicKey(), message, v.value());
        } else {
            violations.add("the new committee did not take over the group key");
        }
        double[] oldSide = perSide(sentBefore, cpuBefore, 1, n);
        double[] newSide = perSide(sentBefore, cpuBefore, n + 1, 2 * n);
        return new Handover(agreed, signs, handover.done - start, oldSide[0], oldSide[1], newSide[0], newSide[1]);
    }

    private net.barn.core.trust.beacon.BlsSignature firstSignature;

    private static List<net.barn.core.identity.NodeId> ids(int from, int count) {
        List<net.barn.core.identity.NodeId> out = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            byte[] b = net.barn.core.crypto.Sha256.hash(new byte[] {(byte) (i >> 8), (byte) i});
            out.add(net.barn.core.identity.NodeId.of(b));
        }
        return out;
    }

    private double[] perSide(long[] sentBefore, long[] cpuBefore, int from, int to) {
        double bytes = 0;
        double time = 0;
        for (int i = from; i <= to; i++) {
            bytes += sentBytes[i] - sentBefore[i];
            time += cpu[i] - cpuBefore[i];
        }
        int count = to - from + 1;
        return new double[] {bytes / count, time / count};
    }

    private double avg(long[] perMember) {
        double s = 0;
        for (int i = 1; i <= p.members(); i++) {
            s += perMember[i];
        }
        return s / p.members();
    }

    static long percentile(long[] sorted, double q) {
        return sorted.length == 0 ? 0 : sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    public static void summary(Result r, PrintStream out) {
        Params p = r.params();
        out.printf(Locale.ROOT, "barn sim beacon: %d members, threshold %d, %d withholding, %d rounds, DKG phases of %.1f s%n",
                p.members(), p.threshold(), p.withholding(), p.rounds(), p.phaseNanos() / 1e9);
        out.printf(Locale.ROOT, "DKG: %s at %.2f s (three phases); sent per member %.1f KiB; CPU per member %.0f ms%n",
                r.dkgAgreed() ? "one group key agreed by all" : "NO AGREEMENT", r.dkgNanos() / 1e9, r.dkgBytesSentPerMember() / 1024,
                r.dkgCpuPerMemberNanos() / 1e6);
        int expected = p.rounds() * p.members();
        out.printf(Locale.ROOT, "rounds: %d of %d member-round outputs, %d missed, %s%n", r.outputs(), expected, r.missed(),
                r.outputsAgreed() ? "every member output the same value per round" : "OUTPUTS DIFFER");
        out.printf(Locale.ROOT, "round latency (network, nominal start to output): p50 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                percentile(r.roundLatency(), 0.5) / 1e6, percentile(r.roundLatency(), 0.99) / 1e6,
                r.roundLatency().length == 0 ? 0 : r.roundLatency()[r.roundLatency().length - 1] / 1e6);
        out.printf(Locale.ROOT, "per member per round: sent %.1f KiB, CPU %.1f ms (verifying partials and combining)%n",
                r.roundBytesSentPerMember() / 1024, r.roundCpuPerMemberNanos() / 1e6);
        Handover h = r.handover();
        if (h != null) {
            out.printf(Locale.ROOT, "handover to %d new members: %s at %.2f s (three phases)%s; per old member sent %.1f KiB, CPU %.0f ms; "
                    + "per new member sent %.1f KiB, CPU %.0f ms%n", p.members(), h.agreed() ? "group key kept by all" : "NOT TAKEN OVER",
                    h.nanos() / 1e9, h.signs() ? ", and a threshold of them signs under it" : "", h.oldBytesPerMember() / 1024,
                    h.oldCpuNanos() / 1e6, h.newBytesPerMember() / 1024, h.newCpuNanos() / 1e6);
        }
        r.violations().stream().limit(10).forEach(v -> out.println("VIOLATION: " + v));
        out.println("replay: " + p.replayCommand());
    }
}
