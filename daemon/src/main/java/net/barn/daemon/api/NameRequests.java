package net.barn.daemon.api;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import net.barn.core.identity.NodeId;
import net.barn.core.namespace.NameState;
import net.barn.daemon.NameService;
import net.barn.wire.local.NameInfo;
import net.barn.wire.local.NameRequest;
import net.barn.wire.names.NamePolicy;

/** Local-API name requests to {@link NameService} calls, and their results to {@link NameInfo}. */
final class NameRequests {
    private NameRequests() {}

    static CompletableFuture<NameInfo> run(NameService names, NameRequest r) {
        long t0 = System.nanoTime();
        try {
            long lease = (r.getLeaseDays() == 0 ? 365 : r.getLeaseDays()) * NameService.DAY_MILLIS;
            int threshold = r.getThreshold() == 0 ? 1 : r.getThreshold();
            return switch (r.getOp()) {
                case SHOW -> names.show(r.getName(), r.getRepin()).thenApply(res -> {
                    NameInfo.Builder b = NameInfo.newBuilder().setFound(res.found()).setName(res.name())
                            .setAgreeing(res.agreeing()).setConflicting(res.conflicting())
                            .setPin(res.pin().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                            .setPinNote(res.pinNote()).setLatencyMicros((System.nanoTime() - t0) / 1000);
                    if (res.found()) {
                        fill(b, res.state());
                    }
                    return b.build();
                });
                case CLAIM -> names.claim(r.getName(), new NameService.ClaimTerms(lease, ids(r.getOwnersList()), threshold,
                        NamePolicy.newBuilder().setMembership(membership(r.getMembership(), NamePolicy.Membership.OPEN))
                                .setSubNames(subNames(r.getSubNames(), NamePolicy.SubNames.MEMBERS)).build()))
                        .thenApply(o -> outcome(o, t0).setWorkMillis(o.workMillis()).setCommitMillis(o.commitMillis())
                                .setPutMillis(o.putMillis()).build());
                case RENEW -> names.renew(r.getName(), lease).thenApply(o -> outcome(o, t0).build());
                case TRANSFER -> names.transfer(r.getName(), ids(r.getOwnersList()), threshold).thenApply(o -> outcome(o, t0).build());
                case POLICY -> names.policy(r.getName(), membership(r.getMembership(), null), subNames(r.getSubNames(), null))
                        .thenApply(o -> outcome(o, t0).build());
                case DELEGATE -> names.delegate(r.getName(), r.getPrefix(),
                        r.getDelegate().isEmpty() ? null : NodeId.parse(r.getDelegate())).thenApply(o -> outcome(o, t0).build());
                case INVITE -> names.invite(r.getName(), NodeId.parse(r.getDelegate()), lease).thenApply(inv ->
                        NameInfo.newBuilder().setFound(true).setName(inv.getNamespace()).setInvitation(inv.toByteString())
                                .setLatencyMicros((System.nanoTime() - t0) / 1000).build());
                case REGISTER -> names.register(r.getName(), r.getDelegate().isEmpty() ? null : NodeId.parse(r.getDelegate()),
                        r.getPort(), r.getService(), (r.getLeaseDays() == 0 ? 7 : r.getLeaseDays()) * NameService.DAY_MILLIS)
                        .thenApply(sub -> sub(sub, t0).build());
                case RESOLVE -> names.resolve(r.getName()).thenApply(sub -> sub == null
                        ? NameInfo.newBuilder().setFound(false).setName(r.getName()).setLatencyMicros((System.nanoTime() - t0) / 1000).build()
                        : sub(sub, t0).build());
                case COSIGN -> names.cosign(r.getProposal().toByteArray()).thenApply(o -> outcome(o, t0).build());
                case UNRECOGNIZED -> CompletableFuture.failedFuture(new NameService.NameException("unknown name operation"));
            };
        } catch (IllegalArgumentException e) {
            return CompletableFuture.failedFuture(new NameService.NameException(e.getMessage()));
        }
    }

    private static NameInfo.Builder sub(NameService.SubName s, long t0) {
        return NameInfo.newBuilder().setFound(true).setName(s.name()).setTarget(s.target().toString()).setPort(s.port())
                .setService(s.service()).setRegistrant(s.registrant().toString()).setExpiresAtMillis(s.expiresAtMillis())
                .setAgreeing(s.agreeing()).setConflicting(s.conflicting()).setStored(s.stored()).addAllRefused(s.refused())
                .setPolicyNote(s.policyNote()).setLatencyMicros((System.nanoTime() - t0) / 1000);
    }

    private static List<NodeId> ids(List<String> raw) {
        List<NodeId> out = new ArrayList<>();
        for (String s : raw) {
            out.add(NodeId.parse(s.trim()));
        }
        return out;
    }

    private static NamePolicy.Membership membership(NameRequest.Membership m, NamePolicy.Membership unchanged) {
        return switch (m) {
            case OPEN -> NamePolicy.Membership.OPEN;
            case INVITE_ONLY -> NamePolicy.Membership.INVITE_ONLY;
            default -> unchanged;
        };
    }

    private static NamePolicy.SubNames subNames(NameRequest.SubNames m, NamePolicy.SubNames unchanged) {
        return switch (m) {
            case MEMBERS -> NamePolicy.SubNames.MEMBERS;
            case OWNERS -> NamePolicy.SubNames.OWNERS;
            default -> unchanged;
        };
    }

    private static NameInfo.Builder outcome(NameService.Outcome o, long t0) {
        NameInfo.Builder b = NameInfo.newBuilder().setFound(true).setStored(o.stored()).addAllRefused(o.refused())
                .setLatencyMicros((System.nanoTime() - t0) / 1000).setProposalNote(o.proposalNote());
        if (o.proposal() != null) {
            b.setProposal(com.google.protobuf.ByteString.copyFrom(o.proposal()));
        }
        fill(b, o.state());
        return b;
    }

    private static void fill(NameInfo.Builder b, NameState s) {
        long now = System.currentTimeMillis();
        b.setName(s.name()).setThreshold(s.threshold()).setSequence(s.sequence()).setLeaseUntilMillis(s.leaseUntilMillis())
                .setExpiresAtMillis(s.expiresAtMillis()).setState(s.active(now) ? "active" : "grace")
                .setMembership(s.policy().getMembership() == NamePolicy.Membership.INVITE_ONLY ? "invite-only" : "open")
                .setSubNames(s.policy().getSubNames() == NamePolicy.SubNames.OWNERS ? "owners" : "members")
                .setClaimedAtMillis(s.claimedAtMillis()).setCountersignatures(s.countersigners().size())
                .setHandovers(s.handovers());
        s.owners().forEach(o -> b.addOwners(o.toString()));
        s.policy().getDelegationsList().forEach(d -> b.addDelegations(d.getPrefix() + "=" + NodeId.of(d.getDelegate().toByteArray())));
    }
}
