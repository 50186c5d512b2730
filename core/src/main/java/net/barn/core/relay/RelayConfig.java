package net.barn.core.relay;

/**
 * A relay's limits: what a publicly reachable node offers by default to nodes that cannot be
 * reached. Local policy, advertised to clients so that nothing surprises them.
 *
 * @param maxReservations nodes it holds reservations for at most
 * @param maxCircuits relayed streams open at once at most
 * @param maxPerGroup reservations for nodes of one IP group (IPv4 /16, IPv6 /32) at most
 * @param maxCircuitsPerClient circuits to or from one reserved node at once at most
 * @param reservationNanos how long a reservation lasts unless renewed
 * @param circuitBytes bytes one circuit carries (both ways) before it is closed
 * @param circuitNanos how long one circuit lasts before it is closed
 * @param shedAbove load (0..1) above which the relay sheds reservations
 * @param shedTo load it sheds down to
 */
public record RelayConfig(int maxReservations, int maxCircuits, int maxPerGroup, int maxCircuitsPerClient, long reservationNanos,
        long circuitBytes, long circuitNanos, double shedAbove, double shedTo) {
    private static final long SECOND = 1_000_000_000L;

    public static final RelayConfig DEFAULT = new RelayConfig(128, 256, 8, 8, 3600 * SECOND, 16L << 20, 1800 * SECOND, 0.9, 0.75);

    public RelayConfig {
        if (maxReservations < 1 || maxCircuits < 1 || maxPerGroup < 1 || maxCircuitsPerClient < 1 || reservationNanos <= 0
                || circuitBytes <= 0 || circuitNanos <= 0 || !(shedTo > 0 && shedTo < shedAbove && shedAbove <= 1)) {
            throw new IllegalArgumentException("bad relay config: positive limits and 0 < shedTo < shedAbove <= 1");
        }
    }

    /** The same limits with other circuit limits. */
    public RelayConfig withCircuitLimits(long bytes, long nanos) {
        return new RelayConfig(maxReservations, maxCircuits, maxPerGroup, maxCircuitsPerClient, reservationNanos, bytes, nanos,
                shedAbove, shedTo);
    }

    /** The same limits with another reservation count (relays of other capacities). */
    public RelayConfig withMaxReservations(int value) {
        return new RelayConfig(value, Math.max(maxCircuits, value), maxPerGroup, maxCircuitsPerClient, reservationNanos, circuitBytes,
                circuitNanos, shedAbove, shedTo);
    }
}
