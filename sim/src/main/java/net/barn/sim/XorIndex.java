package net.barn.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import net.barn.core.dht.Key;

/**
 * The simulator's ground truth for lookups: the node closest to a key among those that
 * qualify, found by descending the binary trie implicit in a key-sorted array, so asking
 * costs about log(n) steps instead of a scan of every node (100,000 nodes, thousands of asks).
 */
final class XorIndex<T> {
    private static final int SCAN_BELOW = 16;

    private final List<T> items;
    private final byte[][] keys;

    XorIndex(List<T> all, java.util.function.Function<T, Key> keyOf) {
        List<T> sorted = new ArrayList<>(all);
        sorted.sort(Comparator.comparing(keyOf));
        this.items = sorted;
        this.keys = new byte[sorted.size()][];
        for (int i = 0; i < sorted.size(); i++) {
            keys[i] = keyOf.apply(sorted.get(i)).toBytes();
        }
    }

    /** The qualifying item whose key is XOR-closest to {@code target}, or null if none qualifies. */
    T closest(Key target, Predicate<T> qualifies) {
        return search(0, items.size(), target.toBytes(), qualifies);
    }

    private T search(int lo, int hi, byte[] target, Predicate<T> qualifies) {
        int bit = hi - lo <= SCAN_BELOW ? -1 : commonPrefix(keys[lo], keys[hi - 1]);
        if (bit < 0 || bit == target.length * 8) {
            return scan(lo, hi, target, qualifies);
        }
        // Every key in [lo, hi) shares the first `bit` bits; at that bit they split into a 0 run
        // then a 1 run, and the run that agrees with the target is closer than all of the other.
        int split = firstWithBit(lo, hi, bit);
        boolean targetOne = bitAt(target, bit);
        T found = targetOne ? search(split, hi, target, qualifies) : search(lo, split, target, qualifies);
        if (found != null) {
            return found;
        }
        return targetOne ? search(lo, split, target, qualifies) : search(split, hi, target, qualifies);
    }

    private T scan(int lo, int hi, byte[] target, Predicate<T> qualifies) {
        T best = null;
        byte[] bestKey = null;
        for (int i = lo; i < hi; i++) {
            if (qualifies.test(items.get(i)) && (bestKey == null || closer(target, keys[i], bestKey))) {
                best = items.get(i);
                bestKey = keys[i];
            }
        }
        return best;
    }

    private int firstWithBit(int lo, int hi, int bit) {
        int a = lo;
        int b = hi;
        while (a < b) {
            int mid = (a + b) >>> 1;
            if (bitAt(keys[mid], bit)) {
                b = mid;
            } else {
                a = mid + 1;
            }
        }
        return a;
    }

    private static boolean bitAt(byte[] key, int bit) {
        return ((key[bit >>> 3] >>> (7 - (bit & 7))) & 1) == 1;
    }

    private static int commonPrefix(byte[] a, byte[] b) {
        for (int i = 0; i < a.length; i++) {
            int x = (a[i] ^ b[i]) & 0xff;
            if (x != 0) {
                return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
            }
        }
        return a.length * 8;
    }

    private static boolean closer(byte[] target, byte[] a, byte[] b) {
        for (int i = 0; i < target.length; i++) {
            int da = (a[i] ^ target[i]) & 0xff;
            int db = (b[i] ^ target[i]) & 0xff;
            if (da != db) {
                return da < db;
            }
        }
        return false;
    }
}
