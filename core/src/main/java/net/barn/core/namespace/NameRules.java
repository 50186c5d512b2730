package net.barn.core.namespace;

import net.barn.core.identity.PowParams;

/**
 * Parameters of the root namespace; every node of one network must agree on them.
 *
 * @param argon2MemoryKiB Argon2id memory per proof-of-work attempt
 * @param argon2Iterations Argon2id passes per attempt
 * @param powBits leading zero bits a claim's Argon2id output needs (2^bits attempts on average)
 * @param maxLeaseMillis furthest a lease may run from the time it is signed
 * @param graceMillis after the lease ends, how long only the owners may renew before the name is free
 * @param revealWindowMillis a claim must be revealed this soon after its commitment was countersigned;
 *     after it, no earlier commitment can appear and the claim is final
 * @param countersignQuorum countersignatures from the name's replica set (2k nodes) a new claim
 *     needs: a majority of it by default, fewer only where the network is smaller (a majority of it)
 * @param clockSkewMillis how far in the future a signed time may lie
 * @param idPow the network's identity proof of work, which countersigners must show
 */
public record NameRules(int argon2MemoryKiB, int argon2Iterations, int powBits, long maxLeaseMillis, long graceMillis,
        long revealWindowMillis, int countersignQuorum, long clockSkewMillis, PowParams idPow) {
    public static final int MAX_OWNERS = 16;
    public static final int MAX_COUNTERSIGNATURES = 32;
    public static final int MAX_DELEGATIONS = 32;
    public static final int MAX_HANDOVERS = 32;
    private static final long DAY = 24 * 3600 * 1000L;

    /**
     * The network default: Argon2id with 4 MiB and 1 pass (about 5 ms an attempt on a
     * 2020s server core) and 9 bits, so a claim costs about 2.5 s of one core on average and
     * checking one costs one attempt; leases of up to a year.
     */
    public static final NameRules DEFAULT = new NameRules(4 * 1024, 1, 9, 365 * DAY, 30 * DAY, 3600 * 1000L, 21,
            5 * 60 * 1000L, PowParams.DEFAULT);

    /** For tests: trivial work, same rules otherwise. */
    public static NameRules forTests(PowParams idPow) {
        return new NameRules(8, 1, 1, 365 * DAY, 30 * DAY, 3600 * 1000L, 21, 5 * 60 * 1000L, idPow);
    }

    public NameRules {
        if (argon2MemoryKiB < 8 || argon2MemoryKiB > 4 * 1024 * 1024 || argon2Iterations < 1 || argon2Iterations > 16
                || powBits < 0 || powBits > 24 || maxLeaseMillis < 1 || graceMillis < 0 || revealWindowMillis < 1
                || countersignQuorum < 1 || countersignQuorum > MAX_COUNTERSIGNATURES || clockSkewMillis < 0) {
            throw new IllegalArgumentException("name rules out of range");
        }
    }

    public NameRules withPow(int memoryKiB, int iterations, int bits) {
        return new NameRules(memoryKiB, iterations, bits, maxLeaseMillis, graceMillis, revealWindowMillis, countersignQuorum,
                clockSkewMillis, idPow);
    }

    public NameRules withIdPow(PowParams pow) {
        return new NameRules(argon2MemoryKiB, argon2Iterations, powBits, maxLeaseMillis, graceMillis, revealWindowMillis,
                countersignQuorum, clockSkewMillis, pow);
    }

    public NameRules withTimes(long maxLease, long grace, long revealWindow) {
        return new NameRules(argon2MemoryKiB, argon2Iterations, powBits, maxLease, grace, revealWindow, countersignQuorum,
                clockSkewMillis, idPow);
    }
}
