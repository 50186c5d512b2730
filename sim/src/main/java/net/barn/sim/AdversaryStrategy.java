package net.barn.sim;

/** How the simulated adversary's nodes choose the contacts they name in answer to a lookup request. */
public enum AdversaryStrategy {
    /** The k adversarial nodes closest to the target. */
    GREEDY,
    /** The k adversarial nodes closest to the target among those within the bound as seen from the responder. */
    BOUNDED,
    /**
     * Each answer about a target names the k adversarial nodes closest to it that no earlier
     * answer about it named: a lookup that works through more than k candidates then meets
     * ever more of them, all nearer than the honest nodes it heard of early on.
     */
    ROTATING
}
