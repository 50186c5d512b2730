package net.barn.daemon;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;
import net.barn.core.crypto.Sha256;
import net.barn.core.trust.beacon.Sortition;

/**
 * Where namespace stewards take the current epoch and its seed from (docs/PROTOCOL.md section
 * 12.9). A beacon plugs in as {@code () -> new Epoch(beacon's epoch, beacon's output)}; until
 * then every node is in epoch 0 under {@link Sortition#GENESIS_SEED}. Called on the namespace
 * event loop; must not block.
 */
@FunctionalInterface
public interface EpochSeeds {
    /** An epoch and the public random value its sortitions draw from. */
    record Epoch(long number, byte[] seed) {
        public Epoch {
            seed = seed.clone();
        }

        @Override
        public byte[] seed() {
            return seed.clone();
        }
    }

    /** The epoch now. */
    Epoch current();

    /** Epoch 0, seeded with {@link Sortition#GENESIS_SEED}, for ever: the default. */
    static EpochSeeds genesis() {
        Epoch zero = new Epoch(0, Sortition.GENESIS_SEED);
        return () -> zero;
    }

    /**
     * Epochs of {@code lengthMillis} on {@code wallMillis} (epoch = time / length), each seeded
     * with SHA-256("barn-epoch-seed-v1" || genesis seed || epoch, 8 bytes big-endian). Such
     * seeds are known in advance, like the genesis seed: they rotate the stewards but do not
     * make them unpredictable. For networks without a beacon, and for tests.
     */
    static EpochSeeds clocked(long lengthMillis, LongSupplier wallMillis) {
        if (lengthMillis <= 0) {
            throw new IllegalArgumentException("epoch length must be positive");
        }
        byte[] tag = "barn-epoch-seed-v1".getBytes(StandardCharsets.US_ASCII);
        return () -> {
            long epoch = Math.floorDiv(wallMillis.getAsLong(), lengthMillis);
            return new Epoch(epoch, epoch == 0 ? Sortition.GENESIS_SEED
                    : Sha256.hash(tag, Sortition.GENESIS_SEED, ByteBuffer.allocate(8).putLong(epoch).array()));
        };
    }
}
