package net.barn.core.crypto;

import java.security.SecureRandom;
import java.security.SecureRandomSpi;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * A {@link SecureRandom} whose bytes come from a seeded generator, so that key generation in
 * tests and simulations is reproducible. Never used for a real node's keys.
 */
public final class SeededEntropy extends SecureRandom {
    public SeededEntropy(long seed) {
        super(new GeneratorSpi(RandomGeneratorFactory.of("L64X128MixRandom").create(seed)), null);
    }

    /** Entropy that replays exactly the given bytes, then fails: fixed keys from test vectors. */
    public static SecureRandom fixed(byte[] bytes) {
        return new FixedEntropy(bytes);
    }

    private static final class FixedEntropy extends SecureRandom {
        FixedEntropy(byte[] bytes) {
            super(new FixedSpi(bytes.clone()), null);
        }
    }

    private static final class GeneratorSpi extends SecureRandomSpi {
        private final transient RandomGenerator generator;

        GeneratorSpi(RandomGenerator generator) {
            this.generator = generator;
        }

        @Override
        protected void engineSetSeed(byte[] seed) {
            // The sequence is fixed by the constructor's seed; reseeding would break replay.
        }

        @Override
        protected void engineNextBytes(byte[] bytes) {
            generator.nextBytes(bytes);
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            byte[] out = new byte[numBytes];
            generator.nextBytes(out);
            return out;
        }
    }

    private static final class FixedSpi extends SecureRandomSpi {
        private final byte[] bytes;
        private int offset;

        FixedSpi(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        protected void engineSetSeed(byte[] seed) {}

        @Override
        protected void engineNextBytes(byte[] out) {
            if (offset + out.length > bytes.length) {
                throw new IllegalStateException("asked for more entropy than the fixed bytes hold");
            }
            System.arraycopy(bytes, offset, out, 0, out.length);
            offset += out.length;
        }

        @Override
        protected byte[] engineGenerateSeed(int numBytes) {
            byte[] out = new byte[numBytes];
            engineNextBytes(out);
            return out;
        }
    }
}
