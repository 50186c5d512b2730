package net.barn.sim;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.trust.beacon.Bls;
import net.barn.core.trust.beacon.BlsSecretKey;
import net.barn.core.trust.beacon.BlsSignature;
import net.barn.core.trust.beacon.BeaconRound;
import net.barn.core.trust.beacon.Checked;
import net.barn.core.trust.beacon.PartialSignature;
import net.barn.core.trust.beacon.ThresholdBls;

/**
 * Biasing the threshold BLS beacon, behind {@code barn sim attack --kind beacon}: a committee
 * of n with threshold t = ⌊n/2⌋+1, of which f members are the adversary's. Two strategies:
 *
 * <ul>
 *   <li><b>withhold</b>: the adversary's members never send their partials. The round still
 *       completes if the n-f honest partials reach t; otherwise it is missed.
 *   <li><b>selective abort</b>: the adversary's members wait for the honest partials (honest
 *       members broadcast theirs to the whole committee), combine them with their own, and so
 *       learn the output before anyone else whenever the honest ones alone fall short of t;
 *       they then release their partials only if the output's first bit is 0. With f >= t they
 *       need no honest partial at all: they know every output first and can suppress any round.
 * </ul>
 *
 * Published outputs' first bytes are tested against uniform with a chi-square test (255
 * degrees of freedom). The key is split by a trusted dealer ({@link ThresholdBls#split}), not
 * by the DKG, for speed; the DKG yields the same kind of key. Because a BLS signature is
 * unique, every set of t valid partials recovers the same group signature, so each round's
 * output is computed once from the group secret (one signature a round); on a sample of rounds
 * the real partial signing, checking and recovery ({@link ThresholdBls#combine}) is run from
 * different subsets (honest only, adversary first) and must give that same signature.
 */
public final class BeaconBiasScenario {
    /** What to run: committee sizes, the adversary's share of each committee, rounds. */
    public record Params(List<Integer> committees, long seed, double adversary, int rounds, int checkedRounds) {
        public static Params defaults(List<Integer> committees, long seed, double adversary) {
            return new Params(committees, seed, adversary, 20_000, 4);
        }

        public Params withRounds(int count) {
            return new Params(committees, seed, adversary, count, checkedRounds);
        }

        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim attack --kind beacon --adversary %s%s --seed %d --trials %d",
                    adversary, committees.size() == 1 ? " --nodes " + committees.get(0) : "", seed, rounds);
        }
    }

    enum Strategy { WITHHOLD, SELECTIVE_ABORT }

    private final Params p;
    private Consumer<String> progress = line -> { };
    private int mismatches;
    private int checked;

    public BeaconBiasScenario(Params p) {
        this.p = p;
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    /** Sampled rounds whose threshold recovery differed from the group signature (must be 0). */
    public int mismatches() {
        return mismatches;
    }

    public int checkedRounds() {
        return checked;
    }

    public static int threshold(int n) {
        return n / 2 + 1;
    }

    public AttackTable run() {
        AttackTable table = new AttackTable("beacon", String.format(Locale.ROOT,
                "barn sim attack beacon: committees %s, t = floor(n/2)+1, %d rounds each, seed %d", p.committees(), p.rounds(),
                p.seed()));
        for (int n : p.committees()) {
            runCommittee(n, table);
        }
        table.note("trial = one round; attack success = rounds the adversary suppressed (no output); detail: chi-square of the"
                + " published outputs' first byte against uniform (df 255) with its p-value, and what the adversary could do");
        table.note("real BLS12-381 threshold BLS with a trusted dealer's split (not the DKG); each output computed once from"
                + " the group secret (BLS signatures are unique); real partial signing + ThresholdBls.combine from honest-only"
                + " and adversary-first subsets checked equal on " + checked + " sampled rounds, mismatches: " + mismatches);
        return table.replay(p.replayCommand());
    }

    private void runCommittee(int n, AttackTable table) {
        int t = threshold(n);
        SeededEntropy entropy = new SeededEntropy(p.seed() * 1_000_003L + n);
        BlsSecretKey secret = Bls.generate(entropy);
        ThresholdBls.Dealt dealt = ThresholdBls.split(secret, n, t, entropy);
        long epoch = 1;
        long wall0 = System.nanoTime();
        int[] firstByte = new int[p.rounds()];
        for (int r = 0; r < p.rounds(); r++) {
            byte[] message = BeaconRound.message(epoch, r);
            BlsSignature sig = secret.sign(message);
            firstByte[r] = BeaconRound.output(sig)[0] & 0xff;
            if (r < p.checkedRounds()) {
                checkThreshold(dealt, n, t, message, sig, entropy);
            }
        }
        progress.accept(String.format(Locale.ROOT, "n=%d: %d outputs in %.0f s wall", n, p.rounds(),
                (System.nanoTime() - wall0) / 1e9));
        int f = (int) Math.floor(p.adversary() * n);
        List<int[]> cases = new ArrayList<>(); // {f, strategy}
        if (f < t) {
            cases.add(new int[] {f, Strategy.WITHHOLD.ordinal()});
            cases.add(new int[] {f, Strategy.SELECTIVE_ABORT.ordinal()});
        }
        for (int g : new int[] {n - t, t - 1}) {
            if (g != f) {
                cases.add(new int[] {g, Strategy.WITHHOLD.ordinal()});
                cases.add(new int[] {g, Strategy.SELECTIVE_ABORT.ordinal()});
            }
        }
        cases.add(new int[] {Math.max(t, f), Strategy.SELECTIVE_ABORT.ordinal()});
        List<String> seen = new ArrayList<>();
        for (int[] c : cases) {
            String key = c[0] + "/" + c[1];
            if (seen.contains(key)) {
                continue;
            }
            seen.add(key);
            table.add(row(n, t, c[0], Strategy.values()[c[1]], firstByte));
        }
    }

    private AttackTable.Row row(int n, int t, int f, Strategy s, int[] firstByte) {
        boolean honestSuffice = n - f >= t;
        int[] counts = new int[256];
        int published = 0;
        for (int b : firstByte) {
            boolean out = honestSuffice || (s == Strategy.SELECTIVE_ABORT && b < 128);
            if (out) {
                counts[b]++;
                published++;
            }
        }
        int suppressed = firstByte.length - published;
        // Could the adversary stop a round once it knew its output? Only if the honest alone fall short of t.
        String power = f >= t ? "computes every output alone before any honest partial; can suppress 100% of rounds"
                : honestSuffice ? "cannot suppress any round" : "sees the output before releasing; can suppress 100% of rounds";
        String detail;
        if (published == 0) {
            detail = "no output published; " + power;
        } else {
            double chi = chiSquare(counts, published);
            detail = String.format(Locale.ROOT, "chi2 %.1f, p %.3g; %s", chi, chiSquareP(chi, 255), power);
        }
        String label = String.format(Locale.ROOT, "n=%d t=%d: %d adversarial %s%s", n, t, f,
                s == Strategy.WITHHOLD ? "withhold" : "selective abort", f >= t ? " (>= t)" : "");
        return new AttackTable.Row(label, f / (double) n, firstByte.length, suppressed, 0, 0, detail);
    }

    /** Real partial signatures from all members; honest-only and adversary-first subsets must recover {@code sig}. */
    private void checkThreshold(ThresholdBls.Dealt dealt, int n, int t, byte[] message, BlsSignature sig,
            java.security.SecureRandom entropy) {
        List<PartialSignature> partials = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            partials.add(ThresholdBls.signPartial(dealt.shares().get(i), message));
        }
        List<PartialSignature> backwards = new ArrayList<>(partials);
        Collections.reverse(backwards); // the high indices first: "adversary first" if it holds them
        List<PartialSignature> shuffled = new ArrayList<>(partials);
        Collections.shuffle(shuffled, new java.util.Random(entropy.nextLong()));
        for (List<PartialSignature> subset : List.of(partials, backwards, shuffled)) {
            checked++;
            Checked<BlsSignature> c = ThresholdBls.combine(dealt.group(), message, subset);
            if (!(c instanceof Checked.Valid<BlsSignature>(BlsSignature got)) || !java.util.Arrays.equals(got.toBytes(),
                    sig.toBytes())) {
                mismatches++;
            }
        }
    }

    static double chiSquare(int[] counts, int total) {
        double expected = total / (double) counts.length;
        double chi = 0;
        for (int c : counts) {
            chi += (c - expected) * (c - expected) / expected;
        }
        return chi;
    }

    /** P(X >= chi) for a chi-square variable with {@code df} degrees of freedom. */
    static double chiSquareP(double chi, int df) {
        return upperGammaQ(df / 2.0, chi / 2.0);
    }

    /** The regularized upper incomplete gamma function Q(a, x) (series or continued fraction). */
    static double upperGammaQ(double a, double x) {
        if (x <= 0) {
            return 1.0;
        }
        double lnPrefix = -x + a * Math.log(x) - logGamma(a);
        if (x < a + 1) {
            double sum = 1.0 / a;
            double term = sum;
            for (int i = 1; i < 10_000; i++) {
                term *= x / (a + i);
                sum += term;
                if (Math.abs(term) < Math.abs(sum) * 1e-15) {
                    break;
                }
            }
            return Math.max(0, 1.0 - sum * Math.exp(lnPrefix));
        }
        double tiny = 1e-300;
        double b = x + 1 - a;
        double c = 1 / tiny;
        double d = 1 / b;
        double h = d;
        for (int i = 1; i < 10_000; i++) {
            double an = -i * (i - a);
            b += 2;
            d = an * d + b;
            if (Math.abs(d) < tiny) {
                d = tiny;
            }
            c = b + an / c;
            if (Math.abs(c) < tiny) {
                c = tiny;
            }
            d = 1 / d;
            double del = d * c;
            h *= del;
            if (Math.abs(del - 1) < 1e-15) {
                break;
            }
        }
        return Math.exp(lnPrefix) * h;
    }

    private static double logGamma(double x) {
        double[] g = {76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155,
                0.1208650973866179e-2, -0.5395239384953e-5};
        double y = x;
        double tmp = x + 5.5;
        tmp -= (x + 0.5) * Math.log(tmp);
        double ser = 1.000000000190015;
        for (double c : g) {
            ser += c / ++y;
        }
        return -tmp + Math.log(2.5066282746310005 * ser / x);
    }
}
