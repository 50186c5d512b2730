package net.barn.sdk;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Streams that peers open to a bound port or service. Survives a node restart: the SDK binds
 * it again when it reconnects, and {@link #accept()} simply goes on waiting.
 */
public final class BarnListener implements AutoCloseable {
    private final Barn barn;
    private final int port;
    private final String service;
    private final boolean datagrams;
    private final LinkedBlockingQueue<Object> incoming = new LinkedBlockingQueue<>();
    private volatile int binding;
    private volatile boolean closed;

    BarnListener(Barn barn, int port, String service, boolean datagrams, int binding) {
        this.barn = barn;
        this.port = port;
        this.service = service;
        this.datagrams = datagrams;
        this.binding = binding;
    }

    public int port() {
        return port;
    }

    public String service() {
        return service;
    }

    int binding() {
        return binding;
    }

    void rebound(int value) {
        binding = value;
    }

    boolean wantsDatagrams() {
        return datagrams;
    }

    void offer(Object streamOrFailure) {
        incoming.add(streamOrFailure);
    }

    /** Waits for the next stream a peer opens. */
    public BarnConnection accept() throws IOException {
        return accept(0, TimeUnit.MILLISECONDS);
    }

    /** Waits up to {@code timeout} (0 = forever); returns null on timeout. */
    public BarnConnection accept(long timeout, TimeUnit unit) throws IOException {
        if (closed) {
            throw new IOException("listener closed");
        }
        Object next;
        try {
            next = timeout <= 0 ? incoming.take() : incoming.poll(timeout, unit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while accepting");
        }
        if (next instanceof BarnException e) {
            throw e;
        }
        return (BarnConnection) next;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            barn.unbind(this);
            incoming.add(new BarnException(0, "listener closed"));
        }
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public String toString() {
        return "BarnListener[" + (service != null ? service : Integer.toString(port)) + "]";
    }
}
