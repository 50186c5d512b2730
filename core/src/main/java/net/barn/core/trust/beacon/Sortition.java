package net.barn.core.trust.beacon;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import net.barn.core.crypto.Sha256;
import net.barn.core.dht.Key;
import net.barn.core.identity.NodeId;

/**
 * Public sortition from a beacon output: who holds a role is a pure function of an
 * unpredictable value and the candidates' ids, so anyone can check it and nobody chose it.
 *
 * <ul>
 *   <li>Beacon committees: the {@code n} eligible nodes nearest (XOR) to
 *       {@link #committeeTarget}, at most {@code maxPerGroup} per IP group, found with an
 *       ordinary lookup of that point. Ids cost proof of work and the target is unknown until
 *       the previous beacon's output, so nodes cannot place themselves next to it in advance.
 *   <li>Namespace stewards: the members with the lowest {@link #stewardTicket}.
 *   <li>Per-epoch placement: a record's replicas sit nearest {@link #placement} of its key.
 * </ul>
 *
 * The first epoch's seed is {@link #GENESIS_SEED}, known to all in advance: see
 * docs/TRUST-MODEL.md for what that costs and how the next committees escape it.
 */
public final class Sortition {
    /** The seed of epoch 0: SHA-256("barn-genesis-v1"). */
    public static final byte[] GENESIS_SEED = Sha256.hash("barn-genesis-v1".getBytes(StandardCharsets.US_ASCII));
    private static final byte[] COMMITTEE = "barn-committee-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SESSION = "barn-dkg-session-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] STEWARD = "barn-steward-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PLACE = "barn-place-v1".getBytes(StandardCharsets.US_ASCII);

    /** A node that may hold a role: its id and its IP group (IPv4 /16, IPv6 /32). */
    public record Candidate(NodeId id, String group) {}

    private Sortition() {}

    /** The point epoch {@code epoch}'s committee is drawn around: SHA-256("barn-committee-v1" || seed || epoch). */
    public static Key committeeTarget(byte[] seed, long epoch) {
        return Key.of(Sha256.hash(COMMITTEE, seed, be(epoch)));
    }

    /**
     * The committee: up to {@code n} candidates nearest {@code target}, nearest first, at most
     * {@code maxPerGroup} per IP group, each id once. Its order gives the members' indices 1..n.
     */
    public static List<NodeId> committee(Key target, List<Candidate> candidates, int n, int maxPerGroup) {
        List<Candidate> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparing(c -> Key.of(c.id()), target::compareDistance));
        LinkedHashSet<NodeId> out = new LinkedHashSet<>();
        Map<String, Integer> perGroup = new HashMap<>();
        for (Candidate c : sorted) {
            if (out.size() >= n) {
                break;
            }
            if (out.contains(c.id()) || perGroup.getOrDefault(c.group(), 0) >= maxPerGroup) {
                continue;
            }
            perGroup.merge(c.group(), 1, Integer::sum);
            out.add(c.id());
        }
        return List.copyOf(out);
    }

    /** Partials a committee of {@code n} needs: a majority, so that no minority can sign or stop the beacon. */
    public static int threshold(int n) {
        return n / 2 + 1;
    }

    /**
     * A beacon committee has an odd number of members: with n = 2m + 1 and t = m + 1, any
     * f < t adversarial members leave n - f >= t honest ones, so a minority can neither compute
     * an output alone nor stop one. With an even n no t does both: t = m + 1 of n = 2m lets m
     * members (fewer than t) stop every round, or see each output first and suppress the ones
     * they dislike. So an even draw drops its farthest member.
     */
    public static List<NodeId> oddCommittee(List<NodeId> drawn) {
        return drawn.size() % 2 == 1 || drawn.isEmpty() ? drawn : drawn.subList(0, drawn.size() - 1);
    }

    /** The DKG session of a committee: the first 8 bytes of SHA-256("barn-dkg-session-v1" || epoch || ids in order). */
    public static long session(long epoch, List<NodeId> committee) {
        return session(epoch, committee, 0);
    }

    /**
     * The session of a committee's DKG run {@code attempt} (0: its first; then each run the
     * genesis committee starts again for want of output): the first run's session as above, a
     * later one's with the attempt (8 bytes, big-endian) after the ids, so that messages of a
     * failed run cannot mix into the next.
     */
    public static long session(long epoch, List<NodeId> committee, int attempt) {
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt " + attempt + " < 0");
        }
        byte[][] parts = new byte[committee.size() + (attempt == 0 ? 2 : 3)][];
        parts[0] = SESSION;
        parts[1] = be(epoch);
        for (int i = 0; i < committee.size(); i++) {
            parts[i + 2] = committee.get(i).toBytes();
        }
        if (attempt > 0) {
            parts[parts.length - 1] = be(attempt);
        }
        return ByteBuffer.wrap(Sha256.hash(parts)).getLong();
    }

    /** A member's steward ticket in a namespace: SHA-256("barn-steward-v1" || beacon output || namespace || id). */
    public static byte[] stewardTicket(byte[] output, String namespace, NodeId id) {
        return Sha256.hash(STEWARD, output, namespace.getBytes(StandardCharsets.UTF_8), new byte[] {0}, id.toBytes());
    }

    /** The {@code count} stewards of a namespace among its members: the lowest tickets. */
    public static List<NodeId> stewards(byte[] output, String namespace, List<NodeId> members, int count) {
        return members.stream().distinct()
                .sorted(Comparator.comparing(id -> stewardTicket(output, namespace, id), java.util.Arrays::compareUnsigned))
                .limit(count).toList();
    }

    /** Where a record key's replicas sit in an epoch: SHA-256("barn-place-v1" || key || beacon output). */
    public static Key placement(Key key, byte[] output) {
        return Key.of(Sha256.hash(PLACE, key.toBytes(), output));
    }

    private static byte[] be(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }
}
