package net.barn.core.mux;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.barn.core.ProtocolException;

/**
 * Two multiplexers joined by an in-memory wire with a one-way delay, under virtual time.
 * Plaintext only: encryption is the link's business and has its own tests.
 */
final class MuxPair {
    static final int MESSAGE = 65519;

    final Mux a;
    final Mux b;
    final List<MuxEvent> aEvents = new ArrayList<>();
    final List<MuxEvent> bEvents = new ArrayList<>();
    ProtocolException aError;
    ProtocolException bError;
    private final long oneWayDelay;
    private final ArrayDeque<InFlight> wire = new ArrayDeque<>();
    private long now;
    int messagesAtoB;

    private record InFlight(long arrival, boolean toB, byte[] bytes) {}

    MuxPair(MuxConfig config, long oneWayDelayNanos) {
        this(config, config, oneWayDelayNanos);
    }

    MuxPair(MuxConfig aConfig, MuxConfig bConfig, long oneWayDelayNanos) {
        a = new Mux(true, aConfig, 0);
        b = new Mux(false, bConfig, 0);
        oneWayDelay = oneWayDelayNanos;
    }

    long now() {
        return now;
    }

    /** Sends what both sides have queued and delivers everything already due. */
    void step() {
        send(a, true);
        send(b, false);
        while (!wire.isEmpty() && wire.peek().arrival <= now) {
            InFlight m = wire.poll();
            Mux to = m.toB ? b : a;
            try {
                to.handleMessage(now, m.bytes, 0, m.bytes.length);
            } catch (ProtocolException e) {
                if (m.toB) {
                    bError = e;
                } else {
                    aError = e;
                }
            }
        }
        collect();
    }

    private void send(Mux from, boolean toB) {
        byte[] buf = new byte[MESSAGE];
        while (from.hasPendingOutput()) {
            int n = from.writeFrames(now, buf, 0, MESSAGE);
            if (n == 0) {
                break;
            }
            if (toB) {
                messagesAtoB++;
            }
            wire.add(new InFlight(now + oneWayDelay, toB, Arrays.copyOf(buf, n)));
        }
    }

    /** Injects raw plaintext as if the peer of {@code to} had sent it. */
    void inject(Mux to, byte[] message) {
        try {
            to.handleMessage(now, message, 0, message.length);
        } catch (ProtocolException e) {
            if (to == b) {
                bError = e;
            } else {
                aError = e;
            }
        }
        collect();
    }

    /** Runs until nothing is in flight or queued. */
    void settle() {
        for (int i = 0; i < 100_000; i++) {
            step();
            if (wire.isEmpty() && !a.hasPendingOutput() && !b.hasPendingOutput()) {
                return;
            }
            if (!wire.isEmpty() && wire.peek().arrival > now) {
                now = wire.peek().arrival;
            }
        }
        throw new IllegalStateException("mux pair did not settle");
    }

    void advance(long nanos) {
        now += nanos;
        try {
            a.handleTimeout(now);
        } catch (ProtocolException e) {
            aError = e;
        }
        try {
            b.handleTimeout(now);
        } catch (ProtocolException e) {
            bError = e;
        }
        step();
    }

    private void collect() {
        MuxEvent e;
        while ((e = a.pollEvent()) != null) {
            aEvents.add(e);
        }
        while ((e = b.pollEvent()) != null) {
            bEvents.add(e);
        }
    }

    <T extends MuxEvent> List<T> events(List<MuxEvent> from, Class<T> type) {
        return from.stream().filter(type::isInstance).map(type::cast).toList();
    }

    /** All data bytes one side received on a stream, in order. */
    byte[] received(List<MuxEvent> from, int stream) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (MuxEvent.StreamData d : events(from, MuxEvent.StreamData.class)) {
            if (d.stream() == stream) {
                byte[] chunk = new byte[d.data().remaining()];
                d.data().duplicate().get(chunk);
                out.write(chunk, 0, chunk.length);
            }
        }
        return out.toByteArray();
    }
}
