package net.barn.sdk;

import com.google.protobuf.ByteString;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import net.barn.wire.local.AppMessage;
import net.barn.wire.local.StreamData;
import net.barn.wire.local.StreamReset;
import net.barn.wire.local.StreamWindow;

/**
 * A stream to or from another node, as an {@link InputStream} and an {@link OutputStream}.
 * Closing the output ends this side (the peer reads end of stream); {@link #close()} ends
 * both. Safe for one reader and one writer thread at a time; virtual threads are fine.
 */
public final class BarnConnection implements Closeable {
    private static final int CHUNK = 64 * 1024;
    private static final int WINDOW_BATCH = 32 * 1024;

    private final Barn barn;
    private final int id;
    private final String peer;
    private final int port;
    private final String service;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<ByteString> received = new ArrayDeque<>();
    private int headOffset;
    private long sendWindow;
    private long unreported;
    private boolean eof;
    private boolean inputClosed;
    private boolean outputClosed;
    private BarnException failure;
    private long readTimeoutMillis;
    private final In in = new In();
    private final Out out = new Out();

    BarnConnection(Barn barn, int id, String peer, int port, String service, long initialWindow) {
        this.barn = barn;
        this.id = id;
        this.peer = peer;
        this.port = port;
        this.service = service;
        this.sendWindow = initialWindow;
    }

    /** The node id at the other end. */
    public String peer() {
        return peer;
    }

    /** The port the stream was opened to, or 0 if it was opened to a service. */
    public int port() {
        return port;
    }

    public String service() {
        return service;
    }

    public InputStream input() {
        return in;
    }

    public OutputStream output() {
        return out;
    }

    /** Reads fail with a timeout after this long without data; 0 waits forever. */
    public void setReadTimeout(long millis) {
        readTimeoutMillis = millis;
    }

    /** Ends both directions: finishes the output, and resets the stream if input was left unread. */
    @Override
    public void close() throws IOException {
        boolean unread;
        lock.lock();
        try {
            unread = !eof && failure == null;
        } finally {
            lock.unlock();
        }
        try {
            out.close();
        } finally {
            if (unread) {
                reset("closed by the application");
            }
            in.close();
        }
    }

    /** Abandons the stream in both directions. */
    public void reset(String reason) {
        fail(new BarnException(BarnException.CANCELLED, "stream reset: " + reason));
        barn.sendQuietly(AppMessage.newBuilder().setReset(StreamReset.newBuilder().setStream(id)
                .setCode(BarnException.CANCELLED).setReason(reason)).build());
        barn.forget(id);
    }

    // ---------------------------------------------------------------- from the reader thread

    void onData(ByteString data, boolean fin) {
        lock.lock();
        try {
            if (!data.isEmpty() && !inputClosed) {
                received.add(data); // aliases the message buffer: copied once, into the reader's array
            } else if (!data.isEmpty()) {
                unreported += data.size(); // input closed: keep the node's window open anyway
            }
            if (fin) {
                eof = true;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        flushWindowIfDue(true);
    }

    void onWindow(int increment) {
        lock.lock();
        try {
            sendWindow += increment;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void fail(BarnException e) {
        lock.lock();
        try {
            if (failure == null) {
                failure = e;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    boolean isFinished() {
        lock.lock();
        try {
            return (eof || failure != null) && outputClosed;
        } finally {
            lock.unlock();
        }
    }

    private void flushWindowIfDue(boolean onlyIfLarge) {
        long grant;
        lock.lock();
        try {
            if (unreported == 0 || (onlyIfLarge && unreported < WINDOW_BATCH)) {
                return;
            }
            grant = unreported;
            unreported = 0;
        } finally {
            lock.unlock();
        }
        barn.sendQuietly(AppMessage.newBuilder().setWindow(StreamWindow.newBuilder().setStream(id)
                .setIncrement((int) Math.min(Integer.MAX_VALUE, grant))).build());
    }

    private final class In extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            int n = 0;
            lock.lock();
            try {
                long deadline = readTimeoutMillis > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(readTimeoutMillis) : 0;
                while (received.isEmpty()) {
                    if (inputClosed) {
                        throw new IOException("stream input closed");
                    }
                    if (eof) {
                        return -1;
                    }
                    if (failure != null) {
                        throw failure;
                    }
                    awaitChange(deadline, "no data within " + readTimeoutMillis + " ms");
                }
                while (n < len && !received.isEmpty()) {
                    ByteString head = received.peek();
                    int take = Math.min(len - n, head.size() - headOffset);
                    head.copyTo(b, headOffset, off + n, take);
                    n += take;
                    headOffset += take;
                    if (headOffset == head.size()) {
                        received.poll();
                        headOffset = 0;
                    }
                }
                unreported += n;
            } finally {
                lock.unlock();
            }
            flushWindowIfDue(!received.isEmpty());
            return n;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                inputClosed = true;
                for (ByteString chunk : received) {
                    unreported += chunk.size();
                }
                unreported -= headOffset;
                received.clear();
                headOffset = 0;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            flushWindowIfDue(false);
        }
    }

    private void awaitChange(long deadline, String timeoutMessage) throws IOException {
        try {
            if (deadline == 0) {
                changed.await();
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new java.net.SocketTimeoutException(timeoutMessage);
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }

    private final class Out extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                int n;
                lock.lock();
                try {
                    while (true) {
                        if (outputClosed) {
                            throw new IOException("stream output closed");
                        }
                        if (failure != null) {
                            throw failure;
                        }
                        if (sendWindow > 0) {
                            break;
                        }
                        awaitChange(0, "");
                    }
                    n = (int) Math.min(Math.min(sendWindow, CHUNK), len);
                    sendWindow -= n;
                } finally {
                    lock.unlock();
                }
                // Wrapping without a copy is safe: the message is serialized before write returns.
                barn.send(AppMessage.newBuilder().setData(StreamData.newBuilder().setStream(id)
                        .setData(com.google.protobuf.UnsafeByteOperations.unsafeWrap(b, off, n))).build());
                off += n;
                len -= n;
            }
        }

        @Override
        public void close() throws IOException {
            lock.lock();
            try {
                if (outputClosed || failure != null) {
                    outputClosed = true;
                    return;
                }
                outputClosed = true;
            } finally {
                lock.unlock();
            }
            barn.send(AppMessage.newBuilder().setData(StreamData.newBuilder().setStream(id).setFin(true)).build());
        }
    }

    @Override
    public String toString() {
        return "BarnConnection[" + id + " " + peer.substring(0, Math.min(8, peer.length())) + ":"
                + (service != null ? service : Integer.toString(port)) + "]";
    }
}
