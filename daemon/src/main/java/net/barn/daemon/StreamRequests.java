package net.barn.daemon;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * One request and one answer on a stream of their own, each a message framed by a 4-byte
 * big-endian length: the shape of the small node-to-node services (barn/reach, barn/relay).
 * For threads off the event loop (virtual ones included).
 */
final class StreamRequests {
    private StreamRequests() {}

    /** Opens a stream to {@code service} on {@code link}, sends {@code body}, waits at most {@code timeoutMillis} for the answer. */
    static byte[] ask(PeerLink link, String service, byte[] body, int maxAnswer, long timeoutMillis) throws IOException {
        try (BlockingStream s = link.openBlocking(service)) {
            s.setReadTimeout(timeoutMillis);
            write(s, body);
            return read(s, maxAnswer);
        }
    }

    static void write(BlockingStream s, byte[] body) throws IOException {
        DataOutputStream out = new DataOutputStream(s.out());
        out.writeInt(body.length);
        out.write(body);
        out.flush();
    }

    static byte[] read(BlockingStream s, int max) throws IOException {
        DataInputStream in = new DataInputStream(s.in());
        int n = in.readInt();
        if (n < 0 || n > max) {
            throw new IOException("a message of " + n + " bytes, limit " + max);
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}
