package net.barn.core.trust.beacon;

/** What beacon members send one another: broadcasts to the committee. */
public sealed interface BeaconMessage {
    /** Member {@code index}'s partial signature of (epoch, round), 96 bytes compressed. */
    record Partial(long epoch, long round, int index, byte[] signature) implements BeaconMessage {}
}
