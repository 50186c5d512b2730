package net.barn.daemon;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import net.barn.core.ErrorCode;

/**
 * Services every node offers, like the classic TCP small servers: echo (port 7, "echo")
 * returns what it receives; discard (port 9, "discard") swallows it. Both honour flow
 * control: echo reads no faster than the peer takes its replies. Datagrams to port 7 echo too.
 */
public final class BuiltinServices {
    public static final int ECHO_PORT = 7;
    public static final int DISCARD_PORT = 9;

    private BuiltinServices() {}

    static void install(BarnNode node) {
        node.bind(ECHO_PORT, s -> s.setHandler(new Echo()));
        node.bind("echo", s -> s.setHandler(new Echo()));
        node.bind(DISCARD_PORT, s -> s.setHandler(new Discard()));
        node.bind("discard", s -> s.setHandler(new Discard()));
        node.bindDatagrams(ECHO_PORT, (from, dst, src, payload) -> {
            if (src != 0) {
                byte[] copy = new byte[payload.remaining()];
                payload.get(copy);
                from.sendDatagram(src, ECHO_PORT, copy);
            }
        });
    }

    /** Echoes bytes back; holds what the send buffer cannot take and reads on only when it drains. */
    static final class Echo implements StreamHandler {
        private final ArrayDeque<ByteBuffer> backlog = new ArrayDeque<>();
        private boolean finishPending;

        @Override
        public void onData(BarnStream s, ByteBuffer data) {
            backlog.add(data);
            pump(s);
        }

        @Override
        public void onWritable(BarnStream s) {
            pump(s);
        }

        @Override
        public void onFinished(BarnStream s) {
            finishPending = true;
            pump(s);
        }

        private void pump(BarnStream s) {
            while (!backlog.isEmpty()) {
                ByteBuffer head = backlog.peek();
                int before = head.remaining();
                int n = s.write(head);
                if (n < 0) {
                    backlog.clear();
                    return;
                }
                s.consumed(n); // only what was echoed: the peer cannot outrun its own reader
                if (n < before) {
                    return; // resumes on onWritable
                }
                backlog.poll();
            }
            if (finishPending) {
                finishPending = false;
                s.finish();
            }
        }

        @Override
        public void onReset(BarnStream s, ErrorCode code, String reason) {
            backlog.clear();
        }
    }

    /** Takes everything and keeps nothing. */
    static final class Discard implements StreamHandler {
        @Override
        public void onData(BarnStream s, ByteBuffer data) {
            s.consumed(data.remaining());
        }

        @Override
        public void onFinished(BarnStream s) {
            s.finish();
        }
    }
}
