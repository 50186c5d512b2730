package net.barn.core.maze;

import java.util.List;
import net.barn.core.identity.NodeId;

/**
 * A maze's messages (barn/maze.proto). Each names its maze; the link peer is the immediate
 * sender. Sequence numbers are per original sender, from 1; 0 means "none yet".
 */
public sealed interface MazeMessage {
    String maze();

    /** A member's delivery position for one original sender (for itself: its highest sequence sent). */
    record Mark(NodeId member, long delivered) {}

    /** Inclusive range of sequence numbers, {@code 1 <= first <= last}. */
    record SeqRange(long first, long last) {
        public long size() {
            return last - first + 1;
        }
    }

    /** Why a Join was refused. */
    enum Refusal {
        /** Accepted. */
        NONE,
        /** The receiver's view already holds the maze's member limit. */
        FULL,
        /** One side is in the maze as a private maze and the other is not. */
        MODE
    }

    /**
     * Hello: the sender asks to be (or confirms it is) a member; with its view and marks.
     * {@code isPrivate}: it is in the maze as a private maze (payloads are PrivatePayloads).
     */
    record Join(String maze, List<NodeId> members, List<Mark> marks, boolean isPrivate) implements MazeMessage {
        public Join {
            members = List.copyOf(members);
            marks = List.copyOf(marks);
        }

        public Join(String maze, List<NodeId> members, List<Mark> marks) {
            this(maze, members, marks, false);
        }
    }

    record JoinReply(String maze, boolean accepted, Refusal refusal, int limit, List<NodeId> members, List<Mark> marks)
            implements MazeMessage {
        public JoinReply {
            members = List.copyOf(members);
            marks = List.copyOf(marks);
        }
    }

    record Leave(String maze) implements MazeMessage {}

    /**
     * Acks and evidence, dense: {@code delivered.get(i)} is the mark for member i of the
     * sender's sorted view, {@code unheard} holds indexes into it. {@code view} is that view
     * (sorted, hashing to {@code viewDigest}) or empty when the receiver is expected to know it.
     */
    record Heartbeat(String maze, long viewDigest, List<NodeId> view, List<Long> delivered, List<Integer> unheard)
            implements MazeMessage {
        public Heartbeat {
            view = List.copyOf(view);
            delivered = List.copyOf(delivered);
            unheard = List.copyOf(unheard);
        }
    }

    /** Members the sender admitted, each with its own mark from its Join. */
    record ViewUpdate(String maze, List<Mark> added) implements MazeMessage {
        public ViewUpdate {
            added = List.copyOf(added);
        }
    }

    /**
     * Application data of {@code sender}'s message {@code seq}. {@code relayed}: a copy
     * forwarded or retransmitted by the link peer. {@code payload} is not copied: treat it as
     * immutable.
     */
    record Data(String maze, NodeId sender, long seq, byte[] payload, boolean relayed) implements MazeMessage {}

    /** The link peer misses these messages of {@code sender}. */
    record Nack(String maze, NodeId sender, List<SeqRange> ranges) implements MazeMessage {
        public Nack {
            ranges = List.copyOf(ranges);
        }
    }
}
