package net.barn.core.trust.evidence;

import net.barn.core.identity.NodeId;

/** What an {@link EvidenceBook} reports to its driver. */
public sealed interface EvidenceEvent {
    /** Valid evidence excluded {@code offender}; {@code from} sent it (null: found locally). */
    record Excluded(NodeId offender, String evidenceId, NodeId from) implements EvidenceEvent {}

    /** {@code from} sent evidence that proves nothing: report it, trust it less. */
    record FakeEvidence(NodeId from, String reason) implements EvidenceEvent {}

    /** The exclusion of {@code offender} ended: its time ran out, or room was needed for newer ones. */
    record Released(NodeId offender) implements EvidenceEvent {}
}
