package net.barn.bench.jmh;

import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import net.barn.core.crypto.X25519;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;
import net.barn.core.link.Link;
import net.barn.core.link.LinkConfig;
import net.barn.core.link.LinkCredentials;
import net.barn.core.link.Transmit;
import net.barn.core.link.VerifiedKeys;
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

/** CPU cost of one complete link handshake (both sides, in memory): the floor under the wire figure. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class HandshakeBenchmark {
    private LinkCredentials client;
    private LinkCredentials server;
    private LinkConfig config;
    private SecureRandom entropy;
    private VerifiedKeys clientCache;
    private VerifiedKeys serverCache;

    @Setup
    public void setUp() {
        entropy = new SecureRandom();
        config = LinkConfig.defaults(PowParams.TEST);
        client = new LinkCredentials(Identity.generate(entropy, PowParams.TEST), X25519.generate(entropy));
        server = new LinkCredentials(Identity.generate(entropy, PowParams.TEST), X25519.generate(entropy));
        clientCache = new VerifiedKeys(16);
        serverCache = new VerifiedKeys(16);
    }

    /** A repeat handshake between known peers: signature checks come from the cache. */
    @Benchmark
    public Link repeatHandshake() {
        return handshake(clientCache, serverCache);
    }

    /** A first handshake: both sides verify the other's Ed25519 signature. */
    @Benchmark
    public Link firstHandshake() {
        return handshake(new VerifiedKeys(1), new VerifiedKeys(1));
    }

    private Link handshake(VerifiedKeys cc, VerifiedKeys sc) {
        Link c = Link.initiate(client, config, null, entropy, cc, 0);
        Link s = Link.accept(server, config, entropy, sc, 0);
        s.handlePreamble(0, ((Transmit.Raw) c.pollTransmit(0)).bytes());
        s.handleMessage(0, ((Transmit.Message) c.pollTransmit(0)).body());
        c.handleMessage(0, ((Transmit.Message) s.pollTransmit(0)).body());
        s.handleMessage(0, ((Transmit.Message) c.pollTransmit(0)).body());
        if (s.state() != Link.State.ESTABLISHED) {
            throw new IllegalStateException("handshake failed");
        }
        return s;
    }
}
