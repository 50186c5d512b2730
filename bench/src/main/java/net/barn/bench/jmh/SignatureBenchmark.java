package net.barn.bench.jmh;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.util.concurrent.TimeUnit;
import net.barn.core.crypto.Ed25519;
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
 * Ed25519 signing and checking of a 200-byte message (a chat line in a private maze): the
 * implementation BARN uses (BouncyCastle's) beside the JDK's provider, in the same run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SignatureBenchmark {
    private final byte[] message = new byte[200];
    private Ed25519.SigningKey key;
    private byte[] signature;
    private KeyPair jdkKeys;
    private byte[] jdkSignature;

    @Setup
    public void setUp() throws Exception {
        key = Ed25519.fromSeed(new byte[32]);
        signature = key.sign(message);
        jdkKeys = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(jdkKeys.getPrivate());
        s.update(message);
        jdkSignature = s.sign();
    }

    @Benchmark
    public byte[] barnSign() {
        return key.sign(message);
    }

    @Benchmark
    public boolean barnVerify() {
        return Ed25519.verify(key.publicKey(), message, signature);
    }

    @Benchmark
    public byte[] jdkSign() throws Exception {
        Signature s = Signature.getInstance("Ed25519");
        s.initSign(jdkKeys.getPrivate());
        s.update(message);
        return s.sign();
    }

    @Benchmark
    public boolean jdkVerify() throws Exception {
        Signature s = Signature.getInstance("Ed25519");
        s.initVerify(jdkKeys.getPublic());
        s.update(message);
        return s.verify(jdkSignature);
    }
}
