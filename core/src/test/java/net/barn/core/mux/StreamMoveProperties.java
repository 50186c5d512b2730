package net.barn.core.mux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.barn.core.ProtocolException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * A stream moving from one link to another under random interleavings: writes before, during and
 * after the move, messages of the two links delivered in any order relative to each other (each
 * link in order), consumption at random. The reader must see exactly the bytes written, in
 * order, then the FIN if one was sent, and the old link must forget the stream.
 */
class StreamMoveProperties {
    private static final long OLD_TAG = 0x0123456789abcdefL;

    /** One direction of one link: plaintext messages in flight, in order. */
    private static final class Wire {
        final Mux from;
        final Mux to;
        final List<MuxEvent> toEvents;
        final ArrayDeque<byte[]> inFlight = new ArrayDeque<>();

        Wire(Mux from, Mux to, List<MuxEvent> toEvents) {
            this.from = from;
            this.to = to;
            this.toEvents = toEvents;
        }

        void flush() {
            byte[] buf = new byte[MuxPair.MESSAGE];
            int n;
            while (from.hasPendingOutput() && (n = from.writeFrames(0, buf, 0, buf.length)) > 0) {
                inFlight.add(Arrays.copyOf(buf, n));
            }
        }

        boolean deliverOne() throws ProtocolException {
            flush();
            byte[] m = inFlight.poll();
            if (m == null) {
                return false;
            }
            to.handleMessage(0, m, 0, m.length);
            MuxEvent e;
            while ((e = to.pollEvent()) != null) {
                toEvents.add(e);
            }
            return true;
        }
    }

    /** Writer W on side a of both links, reader R on side b; R also writes nothing back. */
    private static final class World {
        final Random random;
        final Mux oldA = new Mux(true, MuxConfig.DEFAULT, 0);
        final Mux oldB = new Mux(false, MuxConfig.DEFAULT, 0);
        final Mux newA = new Mux(true, MuxConfig.DEFAULT, 0);
        final Mux newB = new Mux(false, MuxConfig.DEFAULT, 0);
        final List<MuxEvent> oldAEvents = new ArrayList<>();
        final List<MuxEvent> oldBEvents = new ArrayList<>();
        final List<MuxEvent> newAEvents = new ArrayList<>();
        final List<MuxEvent> newBEvents = new ArrayList<>();
        final Wire oldAtoB = new Wire(oldA, oldB, oldBEvents);
        final Wire oldBtoA = new Wire(oldB, oldA, oldAEvents);
        final Wire newAtoB = new Wire(newA, newB, newBEvents);
        final Wire newBtoA = new Wire(newB, newA, newAEvents);

        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final ByteArrayOutputStream read = new ByteArrayOutputStream();
        int s;
        int t;
        boolean continuationOpened;
        boolean writerMoved;
        boolean readerMoved;
        boolean rejected;
        boolean finished;
        boolean finDelivered;
        long unconsumed;
        MovedInput input;
        int writerPath; // the stream id W writes on, on oldA or newA
        long nextByte;

        World(long seed) {
            random = new Random(seed);
            s = oldA.openStream(7);
            writerPath = s;
        }

        void write() {
            int n = random.nextInt(4) == 0 ? random.nextInt(200_000) : random.nextInt(3000);
            byte[] data = new byte[n];
            for (int i = 0; i < n; i++) {
                data[i] = (byte) (nextByte + i);
            }
            Mux m = writerMoved ? newA : oldA;
            int accepted = m.write(writerPath, ByteBuffer.wrap(data));
            if (accepted > 0) {
                written.write(data, 0, accepted);
                nextByte += accepted;
            }
        }

        void startMove() {
            if (!continuationOpened) {
                continuationOpened = true;
                t = newA.openContinuation(7, null, OLD_TAG, s);
            }
        }

        void finish() {
            if (!finished) {
                finished = true;
                (writerMoved ? newA : oldA).finish(writerPath);
            }
        }

        /** Reacts to the events the muxes produced, as the daemon does. */
        void react() throws ProtocolException {
            for (MuxEvent e : drain(newBEvents)) {
                switch (e) {
                    case MuxEvent.ContinuationOpened c -> {
                        assertThat(c.continuesLink()).isEqualTo(OLD_TAG);
                        assertThat(c.continuesStream()).isEqualTo(s);
                        // R accepts: moves its own (silent) half and reads the continuation after W's MOVE.
                        Mux.Moved moved = oldB.move(s);
                        if (moved == null) {
                            // R has not seen the stream's OPEN yet: it refuses, the stream stays put.
                            newB.reset(c.stream(), net.barn.core.ErrorCode.REFUSED, "no such stream");
                            rejected = true;
                            continue;
                        }
                        readerMoved = true;
                        if (input == null) {
                            input = new MovedInput(false);
                        }
                    }
                    case MuxEvent.StreamData d -> { requireInput(); input.fromNew(d.data()); }
                    case MuxEvent.StreamFinished f -> { requireInput(); input.newFinished(); }
                    default -> { }
                }
            }
            for (MuxEvent e : drain(oldBEvents)) {
                switch (e) {
                    case MuxEvent.StreamData d -> {
                        if (input != null) {
                            input.fromOld(d.data());
                        } else {
                            deliver(d.data());
                        }
                    }
                    case MuxEvent.StreamFinished f -> {
                        if (input != null) {
                            input.oldFinished();
                        } else {
                            finDelivered = true;
                        }
                    }
                    case MuxEvent.StreamMoved m -> { requireInput(); input.oldMoved(); }
                    default -> { }
                }
            }
            for (MuxEvent e : drain(oldAEvents)) {
                if (e instanceof MuxEvent.StreamMoved m && m.stream() == s) {
                    // R accepted: W moves its half; what never left goes first on the continuation.
                    Mux.Moved moved = oldA.move(s);
                    writerMoved = true;
                    writerPath = t;
                    if (moved != null) {
                        for (ByteBuffer b : moved.unsent()) {
                            int want = b.remaining();
                            assertThat(newA.writeOwned(t, b)).as("the continuation takes every unsent byte").isEqualTo(want);
                        }
                        if (moved.fin()) {
                            newA.finish(t);
                        }
                    } else {
                        newA.finish(t);
                    }
                }
            }
            for (MuxEvent e : drain(newAEvents)) {
                assertThat(e instanceof MuxEvent.StreamReset).as("a continuation is reset only when refused").isEqualTo(rejected);
            }
            if (input != null) {
                MovedInput.Delivery d;
                while ((d = input.poll()) != null) {
                    switch (d) {
                        case MovedInput.Delivery.Data data -> deliver(data.data());
                        case MovedInput.Delivery.Finished f -> finDelivered = true;
                    }
                }
            }
        }

        private void requireInput() {
            assertThat(input).as("continuation data before the continuation was accepted").isNotNull();
        }

        void deliver(ByteBuffer data) {
            byte[] b = new byte[data.remaining()];
            data.duplicate().get(b);
            read.write(b, 0, b.length);
            unconsumed += b.length;
        }

        void consume(long n) {
            n = Math.min(n, unconsumed);
            if (n <= 0) {
                return;
            }
            unconsumed -= n;
            if (input == null) {
                oldB.consumed(0, s, (int) n);
            } else {
                MovedInput.Consumed c = input.consumed(n);
                if (c.fromOld() > 0) {
                    oldB.consumed(0, s, (int) c.fromOld());
                }
                if (c.fromNew() > 0) {
                    newB.consumed(0, t, (int) c.fromNew());
                }
            }
        }

        boolean step() throws ProtocolException {
            boolean any = false;
            for (Wire w : List.of(oldAtoB, oldBtoA, newAtoB, newBtoA)) {
                w.flush();
            }
            switch (random.nextInt(9)) {
                case 0 -> write();
                case 1 -> any = oldAtoB.deliverOne();
                case 2 -> any = oldBtoA.deliverOne();
                case 3 -> any = newAtoB.deliverOne();
                case 4 -> any = newBtoA.deliverOne();
                case 5 -> consume(random.nextInt(300_000));
                case 6 -> {
                    if (random.nextInt(8) == 0) {
                        startMove();
                    }
                }
                case 7 -> {
                    if (random.nextInt(40) == 0) {
                        finish();
                    }
                }
                default -> any = oldAtoB.deliverOne() | newAtoB.deliverOne();
            }
            react();
            return any;
        }

        /** Delivers and consumes everything, so the outcome is final. */
        void settle() throws ProtocolException {
            for (int i = 0; i < 100_000; i++) {
                boolean any = false;
                for (Wire w : List.of(oldAtoB, oldBtoA, newAtoB, newBtoA)) {
                    any |= w.deliverOne();
                }
                react();
                consume(Long.MAX_VALUE);
                react();
                if (!any && !oldA.hasPendingOutput() && !oldB.hasPendingOutput() && !newA.hasPendingOutput()
                        && !newB.hasPendingOutput()) {
                    return;
                }
            }
            throw new IllegalStateException("did not settle");
        }

        private static List<MuxEvent> drain(List<MuxEvent> events) {
            List<MuxEvent> copy = List.copyOf(events);
            events.clear();
            return copy;
        }
    }

    @Property(tries = 300, seed = "20261126")
    void aMovedStreamLosesDuplicatesAndReordersNothing(@ForAll long seed) throws ProtocolException {
        World w = new World(seed);
        int steps = 20 + w.random.nextInt(400);
        for (int i = 0; i < steps; i++) {
            w.step();
        }
        if (w.random.nextInt(10) != 0) {
            while (w.oldAtoB.deliverOne()) {
                w.react(); // usually the reader knows the stream before its continuation arrives
            }
        }
        w.startMove(); // every run tries to move, at a random point of its traffic
        for (int i = 0; i < steps; i++) {
            w.step();
        }
        boolean finish = w.random.nextBoolean();
        if (finish) {
            w.finish();
        }
        w.settle();

        assertThat(w.read.toByteArray()).as("bytes read").isEqualTo(w.written.toByteArray());
        assertThat(w.finDelivered).as("FIN delivered once the writer finished").isEqualTo(w.finished);
        assertThat(w.writerMoved).as("the writer's half moved unless refused").isEqualTo(!w.rejected);
        assertThat(w.readerMoved).as("the reader's half moved unless refused").isEqualTo(!w.rejected);
        if (!w.rejected) {
            assertThat(w.oldA.streamCount()).as("the old link forgot the stream (writer)").isZero();
            assertThat(w.oldB.streamCount()).as("the old link forgot the stream (reader)").isZero();
        }
        net.jqwik.api.statistics.Statistics.collect(w.rejected ? "refused" : "moved");
    }
}
