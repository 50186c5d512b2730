package net.barn.core.maze;

import net.barn.core.identity.NodeId;

/** What a maze tells its driver; polled with {@link Maze#pollEvent()}. */
public sealed interface MazeEvent {
    /**
     * Message {@code seq} of {@code sender}, delivered exactly once and after every earlier
     * message of that sender. {@code payload} is shared with the retransmit buffer: read it, do
     * not modify it.
     */
    record Delivered(NodeId sender, long seq, byte[] payload) implements MazeEvent {}

    /**
     * The first member accepted this node's Join (or it started the maze): it is a member now.
     * {@code members}: the view then, this node included; MemberJoined events follow as it fills.
     */
    record Joined(int members) implements MazeEvent {}

    /**
     * Every member asked refused the Join ({@code full}: the maze holds its member limit), or
     * none answered in time; the node is not a member.
     */
    record JoinRefused(boolean full, String reason) implements MazeEvent {}

    record MemberJoined(NodeId member) implements MazeEvent {}

    /** The member said it leaves. */
    record MemberLeft(NodeId member) implements MazeEvent {}

    /** Nobody heard the member for the failure timeout: it was removed from the view. */
    record MemberFailed(NodeId member) implements MazeEvent {}

    /**
     * This node does not hear {@code member} directly any more (its link failed or went
     * silent) but others still do: its messages now arrive through other members.
     */
    record LinkSuspect(NodeId member) implements MazeEvent {}

    /** The direct link to a suspect member works again. */
    record LinkRestored(NodeId member) implements MazeEvent {}

    /**
     * Messages {@code first..last} of {@code sender} could not be recovered from any member
     * (every copy fell out of the bounded retransmit buffers) and were skipped.
     */
    record Lost(NodeId sender, long first, long last) implements MazeEvent {}
}
