package net.barn.core.maze;

import java.util.List;
import net.barn.core.identity.NodeId;

/**
 * One node's end of a maze as its driver sees it: inputs with the time they happen, outputs
 * polled. A public maze is a {@link Maze}; a private one is a {@link PrivateMaze} over a Maze.
 */
public interface MazeEndpoint {
    void join(long now, List<NodeId> knownMembers);

    void leave(long now);

    /** Sends {@code payload} to every member; returns its sequence number in this node's stream. */
    long send(long now, byte[] payload);

    void handleMessage(long now, NodeId from, MazeMessage m);

    void handleLinkDown(long now, NodeId peer);

    void handleTimeout(long now);

    Maze.Transmit pollTransmit();

    MazeEvent pollEvent();

    long pollTimeout();

    /** The largest payload {@link #send} takes. */
    int maxPayload();
}
