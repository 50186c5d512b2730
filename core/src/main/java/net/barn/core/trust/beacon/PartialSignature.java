package net.barn.core.trust.beacon;

/** Member {@code index}'s signature with its share: H(m)^f(index). */
public record PartialSignature(int index, BlsSignature signature) {}
