package net.barn.bench.jmh;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import net.barn.core.ProtocolException;
import net.barn.core.mux.Mux;
import net.barn.core.mux.MuxConfig;
import net.barn.core.mux.MuxEvent;
import net.barn.core.noise.CipherState;
import net.barn.core.noise.HandshakeState;
import net.barn.core.noise.NoiseException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The per-message work of a link, without sockets: sealing and opening a full transport
 * message, and the mux framing of 64 KiB of stream data. Scores are per 64 KiB message.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TransportBenchmark {
    private static final int PLAINTEXT = 65519;
    private CipherState sender;
    private CipherState receiver;
    private byte[] plaintext;
    private byte[] sealed;
    private byte[] opened;
    private Mux muxOut;
    private Mux muxIn;
    private int stream;
    private byte[] frames;
    private ByteBuffer data;

    @Setup
    public void setUp() throws NoiseException {
        SecureRandom r = new SecureRandom();
        HandshakeState i = HandshakeState.builder("NN", true).entropy(r).build();
        HandshakeState s = HandshakeState.builder("NN", false).entropy(r).build();
        s.readMessage(i.writeMessage(new byte[0]));
        i.readMessage(s.writeMessage(new byte[0]));
        sender = i.sender();
        receiver = s.receiver();
        plaintext = new byte[PLAINTEXT];
        r.nextBytes(plaintext);
        sealed = new byte[PLAINTEXT + 16];
        opened = new byte[PLAINTEXT + 16];
        MuxConfig big = new MuxConfig(1 << 30, 1L << 40, 16, 16, 1 << 30, 16, 4096, 30_000_000_000L, 90_000_000_000L);
        muxOut = new Mux(true, big, 0);
        muxIn = new Mux(false, big, 0);
        stream = muxOut.openStream(9);
        frames = new byte[PLAINTEXT];
        data = ByteBuffer.wrap(new byte[64 * 1024]);
    }

    /** Encrypt then decrypt one full message (ChaCha20-Poly1305, JDK). */
    @Benchmark
    public int sealAndOpen() throws NoiseException {
        int n = sender.encryptWithAd(new byte[0], plaintext, 0, plaintext.length, sealed, 0);
        return receiver.decryptWithAd(new byte[0], sealed, 0, n, opened, 0);
    }

    /** Queue 64 KiB on a stream, frame it, and parse the frames on the other side. */
    @Benchmark
    public int muxRoundTrip() throws ProtocolException {
        data.clear();
        int total = 0;
        while (data.hasRemaining()) {
            muxOut.write(stream, data);
            int n = muxOut.writeFrames(0, frames, 0, frames.length);
            muxIn.handleMessage(0, frames, 0, n);
            MuxEvent e;
            while ((e = muxIn.pollEvent()) != null) {
                if (e instanceof MuxEvent.StreamData d) {
                    total += d.data().remaining();
                    muxIn.consumed(0, d.stream(), d.data().remaining());
                }
            }
            while (muxIn.hasPendingOutput()) {
                int m = muxIn.writeFrames(0, frames, 0, frames.length);
                muxOut.handleMessage(0, frames, 0, m);
            }
            while (muxOut.pollEvent() != null) {
                // window updates and writable events
            }
        }
        return total;
    }
}
