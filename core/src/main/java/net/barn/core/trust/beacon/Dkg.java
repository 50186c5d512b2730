package net.barn.core.trust.beacon;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One member's run of a joint-Feldman distributed key generation (Pedersen's DKG as in Gennaro
 * et al.), or of a resharing of an existing group key to a new committee, as a sans-IO state
 * machine.
 *
 * <p>Three phases, each ended by a timeout: <b>deal</b> (each dealer broadcasts Feldman
 * commitments to a random polynomial of degree t-1 and sends each receiver its share);
 * <b>complaint</b> (each receiver whose share is missing or fails the dealer's commitments
 * broadcasts a complaint; an accused dealer answers at once with a justification revealing
 * that share); <b>justification</b> (justifications still arrive). Then the qualified set is
 * every dealer that broadcast valid commitments and answered every complaint against it with
 * a share that passes them; each receiver's share is the sum of the qualified dealers' shares
 * (in a resharing, their Lagrange-weighted sum, so the group secret is unchanged) and the group
 * commitment the matching sum of commitments.
 *
 * <p>Inputs are {@link #start}, {@link #handleMessage} and {@link #handleTimeout}; outputs
 * {@link #pollTransmit()} (a {@link DkgMessage.Deal} to its {@code to}, sealed by the driver;
 * everything else broadcast), {@link #pollEvent()} and {@link #pollTimeout()}. Messages may
 * arrive in any order within a phase. Not thread-safe: one driver owns it.
 */
public final class Dkg {
    private enum Phase { IDLE, DEAL, COMPLAINT, JUSTIFICATION, DONE }

    private final DkgConfig config;
    private final SecureRandom entropy;

    private Phase phase = Phase.IDLE;
    private long deadline = Long.MAX_VALUE;
    private Polynomial own;

    private final Map<Integer, FeldmanCommitment> commitments = new TreeMap<>();
    /** Valid shares for this receiver, by dealer. */
    private final Map<Integer, BigInteger> shares = new HashMap<>();
    /** Shares that arrived before their dealer's commitments, checked when those come. */
    private final Map<Integer, BigInteger> unchecked = new HashMap<>();
    /** Why a dealer's share to this receiver was refused. */
    private final Map<Integer, String> refusedShares = new HashMap<>();
    private final Map<Integer, Set<Integer>> complaints = new HashMap<>();
    private final Map<Integer, Set<Integer>> justified = new HashMap<>();
    /** Dealers that revealed a share failing their own commitments: out whatever else happens. */
    private final Map<Integer, String> provenBad = new TreeMap<>();
    private final Set<Integer> answered = new HashSet<>();

    private final ArrayDeque<DkgMessage> transmits = new ArrayDeque<>();
    private final ArrayDeque<DkgEvent> events = new ArrayDeque<>();
    private DkgResult result;

    public Dkg(DkgConfig config, SecureRandom entropy) {
        this.config = config;
        this.entropy = entropy;
    }

    /** Starts the deal phase: a dealer draws its polynomial and sends commitments and shares. */
    public void start(long now) {
        if (phase != Phase.IDLE) {
            return;
        }
        phase = Phase.DEAL;
        deadline = now + config.dealNanos();
        if (config.selfDealer() == 0) {
            return;
        }
        BigInteger constant = config.isResharing() ? config.previousShare().value() : Scalars.random(entropy);
        own = Polynomial.random(constant, config.threshold(), entropy);
        DkgMessage.Commitments c = new DkgMessage.Commitments(config.session(), config.selfDealer(),
                FeldmanCommitment.of(own).encoded());
        transmits.add(c);
        onCommitments(c);
        for (int r = 1; r <= config.receivers(); r++) {
            DkgMessage.Deal d = new DkgMessage.Deal(config.session(), config.selfDealer(), r,
                    Scalars.toBytes(own.evaluate(r)));
            if (r == config.selfReceiver()) {
                onDeal(d);
            } else {
                transmits.add(d);
            }
        }
    }

    public void handleMessage(long now, DkgMessage m) {
        if (m.session() != config.session()) {
            reject(sender(m), "message of session " + m.session() + ", this run is " + config.session());
            return;
        }
        if (phase == Phase.IDLE || phase == Phase.DONE) {
            reject(sender(m), "message outside the run (" + phase.name().toLowerCase() + ")");
            return;
        }
        switch (m) {
            case DkgMessage.Commitments c -> onCommitments(c);
            case DkgMessage.Deal d -> onDeal(d);
            case DkgMessage.Complaint c -> onComplaint(c);
            case DkgMessage.Justification j -> onJustification(j);
        }
    }

    public void handleTimeout(long now) {
        while (phase != Phase.IDLE && phase != Phase.DONE && now >= deadline) {
            switch (phase) {
                case DEAL -> {
                    phase = Phase.COMPLAINT;
                    deadline += config.complaintNanos();
                    complain();
                }
                case COMPLAINT -> {
                    phase = Phase.JUSTIFICATION;
                    deadline += config.justificationNanos();
                }
                case JUSTIFICATION -> finish();
                default -> throw new IllegalStateException();
            }
        }
    }

    public DkgMessage pollTransmit() {
        return transmits.poll();
    }

    public DkgEvent pollEvent() {
        return events.poll();
    }

    /** The next deadline in nanoseconds, or {@code Long.MAX_VALUE} when none. */
    public long pollTimeout() {
        return phase == Phase.DONE ? Long.MAX_VALUE : deadline;
    }

    public Optional<DkgResult> result() {
        return Optional.ofNullable(result);
    }

    public boolean isDone() {
        return phase == Phase.DONE;
    }

    public DkgConfig config() {
        return config;
    }

    private void onCommitments(DkgMessage.Commitments c) {
        int dealer = c.dealer();
        if (!config.dealers().contains(dealer)) {
            reject(dealer, "commitments from " + dealer + ", not a dealer of this run");
            return;
        }
        if (phase != Phase.DEAL) {
            reject(dealer, "commitments of dealer " + dealer + " after the deal phase");
            return;
        }
        if (commitments.containsKey(dealer)) {
            reject(dealer, "second commitments of dealer " + dealer);
            return;
        }
        if (c.points().size() != config.threshold()) {
            reject(dealer, "dealer " + dealer + " committed to " + c.points().size() + " coefficients, the threshold is "
                    + config.threshold());
            return;
        }
        Checked<FeldmanCommitment> decoded = FeldmanCommitment.decode(c.points());
        if (!(decoded instanceof Checked.Valid<FeldmanCommitment>(FeldmanCommitment commitment))) {
            reject(dealer, "commitments of dealer " + dealer + ": " + decoded.reason());
            return;
        }
        if (config.isResharing()
                && !commitment.publicShare(0).equals(config.previous().publicShare(dealer))) {
            reject(dealer, "dealer " + dealer + " does not reshare its old share: its constant is not its old public share");
            return;
        }
        commitments.put(dealer, commitment);
        BigInteger early = unchecked.remove(dealer);
        if (early != null) {
            checkShare(dealer, early);
        }
    }

    private void onDeal(DkgMessage.Deal d) {
        int dealer = d.dealer();
        if (d.to() != config.selfReceiver() || config.selfReceiver() == 0) {
            reject(dealer, "deal for receiver " + d.to() + ", this member is receiver " + config.selfReceiver());
            return;
        }
        if (!config.dealers().contains(dealer)) {
            reject(dealer, "deal from " + dealer + ", not a dealer of this run");
            return;
        }
        if (phase != Phase.DEAL) {
            reject(dealer, "deal of dealer " + dealer + " after the deal phase");
            return;
        }
        if (shares.containsKey(dealer) || refusedShares.containsKey(dealer) || unchecked.containsKey(dealer)) {
            reject(dealer, "second deal of dealer " + dealer);
            return;
        }
        Checked<BigInteger> share = decodeShare(d.share());
        if (!(share instanceof Checked.Valid<BigInteger>(BigInteger value))) {
            refusedShares.put(dealer, share.reason());
            reject(dealer, "deal of dealer " + dealer + ": " + share.reason());
            return;
        }
        if (commitments.containsKey(dealer)) {
            checkShare(dealer, value);
        } else {
            unchecked.put(dealer, value);
        }
    }

    private void checkShare(int dealer, BigInteger value) {
        if (commitments.get(dealer).verifies(config.selfReceiver(), value)) {
            shares.put(dealer, value);
        } else {
            String why = "the share of dealer " + dealer + " fails its commitments";
            refusedShares.put(dealer, why);
            reject(dealer, why);
        }
    }

    /** End of the deal phase: complain of every dealer whose share is missing or refused. */
    private void complain() {
        if (config.selfReceiver() == 0) {
            return;
        }
        for (int dealer : commitments.keySet()) {
            if (shares.containsKey(dealer)) {
                continue;
            }
            String why = refusedShares.getOrDefault(dealer, "no share from dealer " + dealer + " in the deal phase");
            events.add(new DkgEvent.Complained(dealer, why));
            DkgMessage.Complaint c = new DkgMessage.Complaint(config.session(), config.selfReceiver(), dealer);
            transmits.add(c);
            onComplaint(c);
        }
    }

    private void onComplaint(DkgMessage.Complaint c) {
        if (c.accuser() < 1 || c.accuser() > config.receivers() || !config.dealers().contains(c.dealer())) {
            reject(c.accuser(), "complaint by " + c.accuser() + " against " + c.dealer() + ": no such receiver or dealer");
            return;
        }
        if (phase == Phase.JUSTIFICATION) {
            // A complaint timed to land just before the end would leave the dealer no time to
            // answer, and members that saw the complaint but not the answer would disagree.
            reject(c.accuser(), "complaint by " + c.accuser() + " against " + c.dealer() + " after the complaint phase");
            return;
        }
        complaints.computeIfAbsent(c.dealer(), k -> new TreeSet<>()).add(c.accuser());
        if (c.dealer() == config.selfDealer() && own != null && answered.add(c.accuser())) {
            DkgMessage.Justification j = new DkgMessage.Justification(config.session(), config.selfDealer(),
                    c.accuser(), Scalars.toBytes(own.evaluate(c.accuser())));
            transmits.add(j);
            onJustification(j);
        }
    }

    private void onJustification(DkgMessage.Justification j) {
        int dealer = j.dealer();
        if (!config.dealers().contains(dealer) || j.accuser() < 1 || j.accuser() > config.receivers()) {
            reject(dealer, "justification by " + dealer + " for " + j.accuser() + ": no such dealer or receiver");
            return;
        }
        FeldmanCommitment commitment = commitments.get(dealer);
        if (commitment == null) {
            reject(dealer, "justification of dealer " + dealer + ", who committed to nothing");
            return;
        }
        Checked<BigInteger> share = decodeShare(j.share());
        if (!(share instanceof Checked.Valid<BigInteger>(BigInteger value)) || !commitment.verifies(j.accuser(), value)) {
            String why = "dealer " + dealer + " justified with a share for " + j.accuser() + " that "
                    + (share.isValid() ? "fails its commitments" : "is malformed: " + share.reason());
            provenBad.putIfAbsent(dealer, why);
            reject(dealer, why);
            return;
        }
        justified.computeIfAbsent(dealer, k -> new TreeSet<>()).add(j.accuser());
        if (j.accuser() == config.selfReceiver() && !shares.containsKey(dealer)) {
            // The share revealed for us passes the commitments: it is ours now.
            shares.put(dealer, value);
        }
    }

    private void finish() {
        phase = Phase.DONE;
        deadline = Long.MAX_VALUE;
        TreeSet<Integer> qualified = new TreeSet<>();
        for (int dealer : config.dealers()) {
            String out = disqualification(dealer);
            if (out == null) {
                qualified.add(dealer);
            } else {
                events.add(new DkgEvent.Disqualified(dealer, out));
            }
        }
        int needed = config.isResharing() ? config.previous().threshold() : 1;
        if (qualified.size() < needed) {
            events.add(new DkgEvent.Failed("only " + qualified.size() + " dealers qualified, " + needed + " needed"));
            return;
        }
        List<FeldmanCommitment> parts = new ArrayList<>();
        List<BigInteger> weights = new ArrayList<>();
        for (int dealer : qualified) {
            parts.add(commitments.get(dealer));
            // A resharing interpolates the old secret from the old shares the dealers reshared.
            weights.add(config.isResharing() ? Scalars.lagrangeAtZero(dealer, qualified) : BigInteger.ONE);
        }
        GroupKey group = new GroupKey(FeldmanCommitment.combine(parts, weights));
        if (config.isResharing() && !group.publicKey().equals(config.previous().publicKey())) {
            events.add(new DkgEvent.Failed("the reshared group key differs from the old one"));
            return;
        }
        SecretShare share = null;
        if (config.selfReceiver() != 0) {
            BigInteger sum = BigInteger.ZERO;
            List<Integer> order = new ArrayList<>(qualified);
            for (int i = 0; i < order.size(); i++) {
                int dealer = order.get(i);
                BigInteger s = shares.get(dealer);
                if (s == null) {
                    events.add(new DkgEvent.Failed("no valid share from qualified dealer " + dealer));
                    return;
                }
                sum = sum.add(s.multiply(weights.get(i))).mod(Scalars.R);
            }
            share = SecretShare.of(config.selfReceiver(), sum);
        }
        result = new DkgResult(qualified, group, share, config.receivers());
        events.add(new DkgEvent.Completed(result));
    }

    /** Null when the dealer qualifies, else why not. */
    private String disqualification(int dealer) {
        if (!commitments.containsKey(dealer)) {
            return "dealer " + dealer + " broadcast no valid commitments";
        }
        if (provenBad.containsKey(dealer)) {
            return provenBad.get(dealer);
        }
        Set<Integer> against = complaints.getOrDefault(dealer, Set.of());
        Set<Integer> answers = justified.getOrDefault(dealer, Set.of());
        for (int accuser : against) {
            if (!answers.contains(accuser)) {
                return "dealer " + dealer + " did not answer the complaint of " + accuser;
            }
        }
        return null;
    }

    private static Checked<BigInteger> decodeShare(byte[] bytes) {
        if (bytes == null || bytes.length != BlsSecretKey.LENGTH) {
            return Checked.invalid("a share is " + BlsSecretKey.LENGTH + " bytes");
        }
        BigInteger s = new BigInteger(1, bytes);
        if (s.compareTo(Scalars.R) >= 0) {
            return Checked.invalid("a share must be below r");
        }
        return Checked.valid(s);
    }

    private static int sender(DkgMessage m) {
        return switch (m) {
            case DkgMessage.Commitments c -> c.dealer();
            case DkgMessage.Deal d -> d.dealer();
            case DkgMessage.Complaint c -> c.accuser();
            case DkgMessage.Justification j -> j.dealer();
        };
    }

    private void reject(int from, String reason) {
        events.add(new DkgEvent.Rejected(from, reason));
    }
}
