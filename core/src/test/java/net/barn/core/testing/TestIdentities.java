package net.barn.core.testing;

import java.util.concurrent.ConcurrentHashMap;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;

/** Deterministic identities for tests, cached by seed because the proof of work costs time. */
public final class TestIdentities {
    private static final ConcurrentHashMap<String, Identity> CACHE = new ConcurrentHashMap<>();

    private TestIdentities() {}

    public static Identity of(long seed) {
        return of(seed, PowParams.TEST);
    }

    public static Identity of(long seed, PowParams pow) {
        return CACHE.computeIfAbsent(seed + "/" + pow, k -> Identity.generate(new SeededEntropy(seed), pow));
    }
}
