package net.barn.core.trust.beacon;

/** What a {@link Dkg} tells its driver; polled with {@link Dkg#pollEvent()}. */
public sealed interface DkgEvent {
    /** A message was refused and ignored; {@code from} is the member index it claims to come from. */
    record Rejected(int from, String reason) implements DkgEvent {}

    /** This member found no valid share from {@code dealer} and broadcast a complaint. */
    record Complained(int dealer, String reason) implements DkgEvent {}

    /** {@code dealer} is out of the qualified set, and why. */
    record Disqualified(int dealer, String reason) implements DkgEvent {}

    /** The run finished: the qualified set, group key and (for a receiver) this member's share. */
    record Completed(DkgResult result) implements DkgEvent {}

    /** The run finished without a usable group key. */
    record Failed(String reason) implements DkgEvent {}
}
