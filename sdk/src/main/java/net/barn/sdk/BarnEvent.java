package net.barn.sdk;

/** Things the node or the SDK tells the application; see {@link Barn#onEvent}. */
public sealed interface BarnEvent {
    /** A link to a peer came up (after {@link Barn#subscribeLinks}). */
    record LinkUp(String peer, String address) implements BarnEvent {}

    /** A link to a peer went down, and why. */
    record LinkDown(String peer, int code, String reason) implements BarnEvent {}

    /** The connection to the node was lost; streams are gone, the SDK is reconnecting. */
    record Disconnected(String reason) implements BarnEvent {}

    /** The SDK is connected again and has re-bound every listener that could be re-bound. */
    record Reconnected(int listenersRestored, int listenersLost) implements BarnEvent {}

    /** A broadcast in a namespace this application joined ({@link Barn#nsJoin}); {@code origin} is the sender's node id. */
    record NamespaceMessage(String namespace, String origin, byte[] payload, int hops) implements BarnEvent {}

    /** A message in a maze this application joined ({@link Barn#mazeJoin}): each arrives once, in its sender's order. */
    record MazeMessage(String maze, String sender, long sequence, byte[] payload) implements BarnEvent {}

    /** A member joined ({@code change} "joined"), left ("left") or stopped answering ("failed") a maze this application is in. */
    record MazeMembership(String maze, String member, String change) implements BarnEvent {}

    /** The node said something unprompted, e.g. a binding withdrawn by a policy reload. */
    record Notice(int code, String message) implements BarnEvent {}
}
