package net.barn.core.trust.beacon;

/** What a {@link Beacon} tells its driver; polled with {@link Beacon#pollEvent()}. */
public sealed interface BeaconEvent {
    /** The round's group signature and its randomness, SHA-256 of the signature. */
    record Output(long epoch, long round, BlsSignature signature, byte[] randomness) implements BeaconEvent {}

    /** A partial signature was refused and not used. */
    record PartialRejected(int from, long round, String reason) implements BeaconEvent {}

    /** The round timed out short of the threshold of valid partials: it has no output. */
    record Missed(long epoch, long round, int validPartials) implements BeaconEvent {}
}
