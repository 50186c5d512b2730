package net.barn.core.identity;

/**
 * Proof-of-work difficulty, a network parameter: every node of one network must agree.
 *
 * @param staticBits leading zero bits required of SHA-256(NodeId) (S/Kademlia static puzzle:
 *     binds the id to work, so an id cannot be placed cheaply next to a target)
 * @param dynamicBits leading zero bits required of SHA-256("barn-pow-v1" || NodeId || nonce)
 *     (S/Kademlia dynamic puzzle: raises the cost of every id without slowing key generation)
 */
public record PowParams(int staticBits, int dynamicBits) {
    /** The network default: about a quarter of a second of one core on average. */
    public static final PowParams DEFAULT = new PowParams(8, 22);
    /** For tests that create many identities; never used on a real network. */
    public static final PowParams TEST = new PowParams(2, 6);

    public PowParams {
        if (staticBits < 0 || staticBits > 32 || dynamicBits < 0 || dynamicBits > 48) {
            throw new IllegalArgumentException("difficulty out of range: static 0..32, dynamic 0..48");
        }
    }

    /** Parses "STATIC,DYNAMIC", the form the command line takes. */
    public static PowParams parse(String text) {
        String[] parts = text.split(",");
        if (parts.length != 2) {
            throw new IllegalArgumentException("proof-of-work difficulty is STATIC,DYNAMIC, e.g. 8,22");
        }
        return new PowParams(Integer.parseInt(parts[0].trim()), Integer.parseInt(parts[1].trim()));
    }

    @Override
    public String toString() {
        return staticBits + "," + dynamicBits;
    }
}
