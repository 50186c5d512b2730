package net.barn.core.trust.beacon;

import java.util.List;

/**
 * The messages of a joint-Feldman DKG or resharing run ({@link Dkg}). Every one names its run
 * ({@code session}); members are named by index: dealers by their dealer index, receivers by
 * their receiver index (the same in a fresh DKG; old and new committee indices in a resharing).
 *
 * <p>{@link Deal} goes to one receiver and carries a secret share: the driver must seal it to
 * that receiver (encrypt and authenticate), which the core leaves to the daemon. Every other
 * message is a broadcast to all participants and must reach all of them identically (the
 * daemon's reliable broadcast): the run's safety assumes every honest member sees the same
 * commitments, complaints and justifications.
 */
public sealed interface DkgMessage {
    long session();

    /** Dealer's Feldman commitments g1^a_0 … g1^a_(t-1), 48 bytes compressed each. Broadcast. */
    record Commitments(long session, int dealer, List<byte[]> points) implements DkgMessage {
        public Commitments {
            points = List.copyOf(points);
        }
    }

    /** Dealer's share f(to) for receiver {@code to}, 32 bytes big-endian. To one receiver, sealed. */
    record Deal(long session, int dealer, int to, byte[] share) implements DkgMessage {}

    /** Receiver {@code accuser} got no valid share from {@code dealer} in the deal phase. Broadcast. */
    record Complaint(long session, int accuser, int dealer) implements DkgMessage {}

    /** The accused dealer reveals f(accuser) publicly, so that everyone can check it. Broadcast. */
    record Justification(long session, int dealer, int accuser, byte[] share) implements DkgMessage {}
}
