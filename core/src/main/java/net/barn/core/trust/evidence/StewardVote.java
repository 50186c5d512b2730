package net.barn.core.trust.evidence;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Checked;

/**
 * A steward's signed vote on excluding a node for a fault no signature can prove (it dropped
 * traffic, it lied about load): in {@code namespace}, during steward epoch {@code epoch},
 * whether {@code accused} should be excluded, and why. One vote per steward per motion
 * (namespace, epoch, accused): two with different choices are {@link Evidence} against the
 * steward. Carried as a {@link Context.Kind#VOTE} statement:
 *
 * <ul>
 *   <li>context = len(namespace) (1 byte) || namespace (UTF-8) || accused id (32 bytes);
 *   <li>sequence = epoch;
 *   <li>body = choice (1 byte: 1 exclude, 0 keep) || reason (UTF-8, at most 256 bytes);
 *   <li>signature over "barn-steward-vote-v1" || len(context) (1 byte) || context || epoch
 *       (8 bytes, big-endian) || body.
 * </ul>
 */
public record StewardVote(String namespace, long epoch, NodeId accused, boolean exclude, String reason, Statement statement) {
    public static final int MAX_NAMESPACE_BYTES = 64;
    public static final int MAX_REASON_BYTES = 256;

    /** Signs a vote. */
    public static StewardVote sign(Identity voter, String namespace, long epoch, NodeId accused, boolean exclude,
            String reason) {
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        if (ns.length == 0 || ns.length > MAX_NAMESPACE_BYTES || why.length > MAX_REASON_BYTES) {
            throw new IllegalArgumentException("namespace 1.." + MAX_NAMESPACE_BYTES + " bytes, reason at most "
                    + MAX_REASON_BYTES);
        }
        Statement s = Statement.sign(voter, new Context(Context.Kind.VOTE, motion(namespace, accused)), epoch,
                body(exclude, reason));
        return new StewardVote(namespace, epoch, accused, exclude, reason, s);
    }

    /** Reads a vote out of a statement; its signature is not checked here. */
    public static Checked<StewardVote> of(Statement s) {
        if (s.context().kind() != Context.Kind.VOTE) {
            return Checked.invalid("not a vote");
        }
        String shape = StatementRules.shapeProblem(s);
        if (shape != null) {
            return Checked.invalid(shape);
        }
        byte[] m = s.context().key();
        int n = m[0] & 0xff;
        String ns = new String(m, 1, n, StandardCharsets.UTF_8);
        NodeId accused = NodeId.of(Arrays.copyOfRange(m, 1 + n, m.length));
        byte[] b = s.body();
        return Checked.valid(new StewardVote(ns, s.sequence(), accused, b[0] == 1,
                new String(b, 1, b.length - 1, StandardCharsets.UTF_8), s));
    }

    /** The voter's node id. */
    public NodeId voter() {
        return statement.signer();
    }

    /** The motion's bytes: len(namespace) || namespace || accused. */
    public static byte[] motion(String namespace, NodeId accused) {
        byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + ns.length + NodeId.LENGTH).put((byte) ns.length).put(ns).put(accused.toBytes()).array();
    }

    static byte[] body(boolean exclude, String reason) {
        byte[] why = reason.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(1 + why.length).put((byte) (exclude ? 1 : 0)).put(why).array();
    }

    static String motionProblem(byte[] m) {
        if (m.length < 2) {
            return "vote context too short";
        }
        int n = m[0] & 0xff;
        if (n == 0 || n > MAX_NAMESPACE_BYTES || m.length != 1 + n + NodeId.LENGTH) {
            return "vote context is not namespace and accused id";
        }
        return utf8(m, 1, n) ? null : "vote namespace is not UTF-8";
    }

    static String bodyProblem(byte[] b) {
        if (b.length < 1 || (b[0] != 0 && b[0] != 1)) {
            return "vote body does not start with a choice (0 or 1)";
        }
        if (b.length - 1 > MAX_REASON_BYTES) {
            return "vote reason over " + MAX_REASON_BYTES + " bytes";
        }
        return utf8(b, 1, b.length - 1) ? null : "vote reason is not UTF-8";
    }

    private static boolean utf8(byte[] b, int offset, int length) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, offset, length));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
