package net.barn.daemon.api;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import net.barn.core.ErrorCode;
import net.barn.daemon.BarnStream;
import net.barn.daemon.StreamHandler;
import net.barn.wire.local.NodeMessage;
import net.barn.wire.local.StreamData;
import net.barn.wire.local.StreamReset;
import net.barn.wire.local.StreamWindow;

/**
 * One stream between an application session and a BARN link. It lives on two threads: the
 * link's event loop (as the {@link StreamHandler} of the {@link BarnStream}) and the
 * session's. Each half of its state belongs to one of them; they talk only by tasks.
 *
 * <p>Network to application: bytes go to the application only within the window it granted,
 * and the link's window reopens only once they went out to the application, so a slow
 * reader slows the remote sender. Application to network: the application may send only
 * what this node granted, and the grant grows as the link accepts the bytes.
 */
final class LocalStream implements StreamHandler {
    static final int INITIAL_WINDOW = 256 * 1024;
    static final int MAX_CHUNK = 64 * 1024;

    private final ApiSession session;
    final int id;
    private volatile BarnStream stream;

    // Session-thread state.
    private final ArrayDeque<ByteBuffer> toApp = new ArrayDeque<>();
    private long appWindow = INITIAL_WINDOW;
    private long appSent;
    private long appAllowance = INITIAL_WINDOW;
    private boolean finFromNetwork;
    private boolean finSentToApp;
    private boolean finFromApp;
    private boolean gone;

    // Link-thread state.
    private final ArrayDeque<ByteBuffer> toNetwork = new ArrayDeque<>();
    private boolean finPending;
    private boolean finSent;

    LocalStream(ApiSession session, int id) {
        this.session = session;
        this.id = id;
    }

    void attach(BarnStream value) {
        stream = value;
    }

    BarnStream stream() {
        return stream;
    }

    // ---------------------------------------------------------------- link thread (StreamHandler)

    @Override
    public void onData(BarnStream s, ByteBuffer data) {
        session.execute(() -> {
            if (!gone) {
                toApp.add(data);
                pumpToApp();
            } else {
                s.eventLoop().execute(() -> s.consumed(data.remaining()));
            }
        });
    }

    @Override
    public void onFinished(BarnStream s) {
        session.execute(() -> {
            finFromNetwork = true;
            pumpToApp();
        });
    }

    @Override
    public void onReset(BarnStream s, ErrorCode code, String reason) {
        session.execute(() -> {
            if (!gone) {
                gone = true;
                session.send(NodeMessage.newBuilder().setReset(StreamReset.newBuilder()
                        .setStream(id).setCode(code.value()).setReason(reason)).build());
                session.forget(this);
            }
        });
    }

    @Override
    public void onWritable(BarnStream s) {
        pumpToNetwork();
    }

    @Override
    public void onClosed(BarnStream s) {
        session.execute(() -> {
            finFromNetwork = true;
            pumpToApp();
        });
    }

    private void pumpToNetwork() {
        BarnStream s = stream;
        long accepted = 0;
        while (!toNetwork.isEmpty()) {
            ByteBuffer head = toNetwork.peek();
            int n = s.writeOwned(head);
            if (n < 0) {
                toNetwork.clear();
                return;
            }
            accepted += n;
            if (head.hasRemaining()) {
                break; // resumes on onWritable
            }
            toNetwork.poll();
        }
        if (toNetwork.isEmpty() && finPending && !finSent) {
            finSent = true;
            s.finish();
        }
        if (accepted > 0) {
            long grant = accepted;
            session.execute(() -> grantApp(grant));
        }
    }

    // ---------------------------------------------------------------- session thread

    /** Bytes from the application. Returns an error text if it broke flow control. */
    String fromApp(ByteString data, boolean fin) {
        if (gone) {
            return null; // crossed a reset; ignore
        }
        if (finFromApp) {
            return "data after the end of stream " + id;
        }
        if (appSent + data.size() > appAllowance) {
            return "stream " + id + ": " + (appSent + data.size() - appAllowance) + " bytes beyond the granted window";
        }
        appSent += data.size();
        finFromApp = fin;
        ByteBuffer owned = data.asReadOnlyByteBuffer();
        BarnStream s = stream;
        s.eventLoop().execute(() -> {
            if (owned.hasRemaining()) {
                toNetwork.add(owned);
            }
            finPending |= fin;
            pumpToNetwork();
        });
        return null;
    }

    void appWindow(long increment) {
        appWindow += increment;
        pumpToApp();
    }

    void resetFromApp(ErrorCode code, String reason) {
        gone = true;
        BarnStream s = stream;
        s.eventLoop().execute(() -> s.reset(code, reason));
    }

    /** The session is going away: abandon the stream. */
    void abandon(String reason) {
        if (!gone) {
            resetFromApp(ErrorCode.CANCELLED, reason);
        }
    }

    private void grantApp(long bytes) {
        if (gone) {
            return;
        }
        appAllowance += bytes;
        session.send(NodeMessage.newBuilder().setWindow(StreamWindow.newBuilder()
                .setStream(id).setIncrement((int) Math.min(Integer.MAX_VALUE, bytes))).build());
    }

    private void pumpToApp() {
        long sent = 0;
        while (!toApp.isEmpty() && appWindow > 0) {
            ByteBuffer head = toApp.peek();
            int n = (int) Math.min(Math.min(appWindow, MAX_CHUNK), head.remaining());
            // The decrypted buffer is ours alone and never written again: wrap it, do not copy.
            ByteBuffer chunk = head.slice(head.position(), n);
            head.position(head.position() + n);
            if (!head.hasRemaining()) {
                toApp.poll();
            }
            appWindow -= n;
            sent += n;
            boolean last = toApp.isEmpty() && finFromNetwork;
            session.send(NodeMessage.newBuilder().setData(StreamData.newBuilder()
                    .setStream(id).setData(UnsafeByteOperations.unsafeWrap(chunk)).setFin(last)).build());
            if (last) {
                finSentToApp = true;
            }
        }
        if (toApp.isEmpty() && finFromNetwork && !finSentToApp) {
            finSentToApp = true;
            session.send(NodeMessage.newBuilder().setData(StreamData.newBuilder().setStream(id).setFin(true)).build());
        }
        if (sent > 0) {
            long consumed = sent;
            BarnStream s = stream;
            s.eventLoop().execute(() -> s.consumed((int) consumed));
        }
        if (finSentToApp && finFromApp) {
            session.forget(this); // both halves done; the link side closes on its own
        }
    }
}
