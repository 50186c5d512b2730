package net.barn.bench.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Bls;
import net.barn.core.trust.beacon.BeaconRound;
import net.barn.core.trust.beacon.GroupKey;
import net.barn.core.trust.beacon.PartialSignature;
import net.barn.core.trust.beacon.PresenceTicket;
import net.barn.core.trust.beacon.ThresholdBls;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What presence tickets cost, for the default committee (n = 17, t = 9): a member signing one
 * ticket share, a node checking 9 shares and combining them into its ticket, and a drawer
 * checking one ticket; beside the anchor, a member's partial signature of a beacon round, in
 * the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class PresenceTicketBenchmark {
    private ThresholdBls.Dealt dealt;
    private NodeId id;
    private List<PartialSignature> shares;
    private PresenceTicket ticket;

    @Setup
    public void setUp() {
        dealt = ThresholdBls.split(Bls.generate(new SeededEntropy(1)), 17, 9, new SeededEntropy(2));
        id = NodeId.of(new byte[32]);
        shares = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            shares.add(PresenceTicket.signShare(dealt.shares().get(i), id, 5));
        }
        ticket = PresenceTicket.combine(dealt.group(), id, 5, shares).orElseThrow();
    }

    @Benchmark
    public PartialSignature roundPartialAnchor() {
        return ThresholdBls.signPartial(dealt.shares().get(0), BeaconRound.message(5, 600));
    }

    @Benchmark
    public PartialSignature memberSignsShare() {
        return PresenceTicket.signShare(dealt.shares().get(0), id, 5);
    }

    /** A fresh group key each time, as a node builds it from the commitment members send: public shares are computed anew. */
    @Benchmark
    public Object nodeChecksAndCombinesNineShares() {
        return PresenceTicket.combine(new GroupKey(dealt.group().commitment()), id, 5, shares);
    }

    @Benchmark
    public String drawerChecksTicket() {
        return ticket.refuse(dealt.group().publicKey(), id, 6, 24);
    }
}
