package net.barn.daemon;

/** Takes a stream a peer opened to a bound port or service; runs on the link's event loop. */
@FunctionalInterface
public interface StreamAcceptor {
    /** Install a handler with {@link BarnStream#setHandler}, or reset the stream to refuse it. */
    void accept(BarnStream stream);
}
