package net.barn.sdk;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bound datagram port: receive what peers send to it, send from it. Datagrams are
 * unreliable: when the application reads too slowly the oldest waiting ones are dropped.
 */
public final class DatagramPort implements AutoCloseable {
    static final int QUEUE = 1024;
    private final Barn barn;
    private final BarnListener binding;
    private final ArrayBlockingQueue<Datagram> queue = new ArrayBlockingQueue<>(QUEUE);
    private long dropped;

    DatagramPort(Barn barn, BarnListener binding) {
        this.barn = barn;
        this.binding = binding;
    }

    public int port() {
        return binding.port();
    }

    void deliver(Datagram d) {
        while (!queue.offer(d)) {
            queue.poll();
            dropped++;
        }
    }

    /** Waits for the next datagram; null after {@code timeout} (0 = forever). */
    public Datagram receive(long timeout, TimeUnit unit) throws IOException {
        try {
            return timeout <= 0 ? queue.take() : queue.poll(timeout, unit);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while receiving");
        }
    }

    /** Sends a datagram (at most 1,200 bytes) from this port to a node's port. */
    public void send(String node, int toPort, byte[] data) throws IOException {
        barn.sendDatagram(node, toPort, binding.port(), data);
    }

    public long dropped() {
        return dropped;
    }

    @Override
    public void close() {
        binding.close();
    }
}
