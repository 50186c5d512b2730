package net.barn.daemon;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import net.barn.core.ErrorCode;

/**
 * A stream as a blocking {@link InputStream} and {@link OutputStream}, for threads (virtual
 * ones included) that are not the link's event loop. Reading reopens the peer's window;
 * writing waits when the send buffer is full. Closing the output half-closes the stream.
 */
public final class BlockingStream implements StreamHandler, Closeable {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ByteBuffer> received = new ArrayDeque<>();
    private final AtomicLong unreported = new AtomicLong();
    private BarnStream stream;
    private boolean finished;
    private String resetReason;
    private ErrorCode resetCode;
    private long writableEpoch;
    private boolean inputClosed;
    private long readTimeoutMillis;

    private final InputStream in = new In();
    private final OutputStream out = new Out();

    private BlockingStream() {}

    /** Wraps a stream; call on its event loop (for example inside a {@link StreamAcceptor}). */
    public static BlockingStream attach(BarnStream stream) {
        BlockingStream b = new BlockingStream();
        b.stream = stream;
        stream.setHandler(b);
        return b;
    }

    static BlockingStream open(PeerLink link, int port, String service) throws IOException {
        BlockingStream b = new BlockingStream();
        CompletableFuture<BarnStream> f = service == null ? link.openStream(port, b) : link.openStream(service, b);
        b.stream = await(f);
        return b;
    }

    public InputStream in() {
        return in;
    }

    public OutputStream out() {
        return out;
    }

    public BarnStream stream() {
        return stream;
    }

    /** Reads fail with a timeout after this long without data; 0 waits forever. */
    public void setReadTimeout(long millis) {
        readTimeoutMillis = millis;
    }

    /** Half-closes, then stops reading; buffered input is discarded. */
    @Override
    public void close() throws IOException {
        out.close();
        in.close();
    }

    /** Abandons the stream in both directions. */
    public void reset(ErrorCode code, String reason) {
        stream.eventLoop().execute(() -> stream.reset(code, reason));
    }

    // ---------------------------------------------------------------- handler side (event loop)

    @Override
    public void onData(BarnStream s, ByteBuffer data) {
        lock.lock();
        try {
            if (inputClosed) {
                s.consumed(data.remaining());
                return;
            }
            received.add(data);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void onFinished(BarnStream s) {
        signal(() -> finished = true);
    }

    @Override
    public void onReset(BarnStream s, ErrorCode code, String reason) {
        signal(() -> {
            resetCode = code;
            resetReason = reason;
        });
    }

    @Override
    public void onWritable(BarnStream s) {
        signal(() -> writableEpoch++);
    }

    private void signal(Runnable change) {
        lock.lock();
        try {
            change.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void reportConsumed(int n) {
        if (unreported.getAndAdd(n) == 0) {
            stream.eventLoop().execute(() -> stream.consumed((int) Math.min(Integer.MAX_VALUE, unreported.getAndSet(0))));
        }
    }

    private IOException resetException() {
        return new LinkException(resetCode, "stream " + stream.address() + " reset: " + resetReason);
    }

    private static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause().getMessage(), e.getCause());
        }
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n;
            lock.lock();
            try {
                long deadline = readTimeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis) : 0;
                while (received.isEmpty()) {
                    if (inputClosed) {
                        throw new IOException("stream input closed");
                    }
                    if (finished) {
                        return -1;
                    }
                    if (resetCode != null) {
                        throw resetException();
                    }
                    try {
                        if (deadline == 0) {
                            changed.await();
                        } else {
                            long left = deadline - System.nanoTime();
                            if (left <= 0) {
                                throw new java.net.SocketTimeoutException("no data on " + stream.address()
                                        + " within " + readTimeoutMillis + " ms");
                            }
                            changed.awaitNanos(left);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new InterruptedIOException("interrupted while reading");
                    }
                }
                n = 0;
                while (n < len && !received.isEmpty()) {
                    ByteBuffer head = received.peek();
                    int take = Math.min(len - n, head.remaining());
                    head.get(b, off + n, take);
                    n += take;
                    if (!head.hasRemaining()) {
                        received.poll();
                    }
                }
            } finally {
                lock.unlock();
            }
            reportConsumed(n);
            return n;
        }

        @Override
        public int available() {
            lock.lock();
            try {
                return (int) Math.min(Integer.MAX_VALUE, received.stream().mapToLong(ByteBuffer::remaining).sum());
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() {
            int dropped = 0;
            lock.lock();
            try {
                if (inputClosed) {
                    return;
                }
                inputClosed = true;
                for (ByteBuffer buf : received) {
                    dropped += buf.remaining();
                }
                received.clear();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (dropped > 0) {
                reportConsumed(dropped);
            }
        }
    }

    private final class Out extends OutputStream {
        private boolean closed;

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (closed) {
                throw new IOException("stream output closed");
            }
            // Copy here, on the writer's thread; the link's thread then queues it as is.
            ByteBuffer data = ByteBuffer.wrap(java.util.Arrays.copyOfRange(b, off, off + len));
            while (data.hasRemaining()) {
                long[] result = await(onLoop(() -> {
                    int n = stream.writeOwned(data);
                    return new long[] {n, writableEpoch};
                }));
                if (result[0] < 0) {
                    lock.lock();
                    try {
                        if (resetCode != null) {
                            throw resetException();
                        }
                    } finally {
                        lock.unlock();
                    }
                    throw new IOException("stream " + stream.address() + " can no longer send");
                }
                if (data.hasRemaining()) {
                    awaitWritable(result[1]);
                }
            }
        }

        private void awaitWritable(long epochSeen) throws IOException {
            lock.lock();
            try {
                while (writableEpoch == epochSeen && resetCode == null) {
                    changed.await();
                }
                if (resetCode != null) {
                    throw resetException();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing");
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                await(onLoop(() -> {
                    stream.finish();
                    return Boolean.TRUE;
                }));
            }
        }
    }

    private <T> CompletableFuture<T> onLoop(java.util.function.Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        stream.eventLoop().execute(() -> {
            try {
                f.complete(task.get());
            } catch (RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Waits up to {@code timeout} for the peer to finish its half; true if it did. */
    public boolean awaitFinished(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        lock.lock();
        try {
            while (!finished && resetCode == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return finished;
        } finally {
            lock.unlock();
        }
    }

}
