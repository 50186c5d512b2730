package net.barn.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnEvent;
import net.barn.sdk.Role;
import net.barn.wire.local.NameRequest;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ns", mixinStandardHelpOptions = true,
        description = {"The root namespace: top-level names (\"irc\", \"chess\") held in the root network with no registrar.",
                "Claims are first come (a commitment countersigned by the name's replicas) and cost seconds of work;",
                "names are leased and renewed; only their owners change them."},
        subcommands = {NsCommand.Claim.class, NsCommand.Show.class, NsCommand.Renew.class, NsCommand.Transfer.class,
                NsCommand.Policy.class, NsCommand.Delegate.class, NsCommand.Cosign.class, NsCommand.Invite.class, NsCommand.Register.class, NsCommand.Resolve.class, NsCommand.Join.class,
                NsCommand.Leave.class, NsCommand.Send.class, NsCommand.Listen.class, NsCommand.ListCmd.class})
final class NsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options and output every name command shares. */
    abstract static class NameCall implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        NodeChoice node;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        abstract NameRequest request();

        @Override
        public Integer call() throws Exception {
            try (Barn barn = Barn.connect(node.socket(), "barn-ns", Role.CLIENT)) {
                Barn.Name n = barn.name(request());
                PrintWriter out = spec.commandLine().getOut();
                if (json) {
                    out.println(json(n));
                } else {
                    print(n, out);
                }
                out.flush();
                if (!n.found()) {
                    return 1;
                }
                return n.conflicting() > 0 || n.pin().equals("different-claim") ? 2 : 0;
            }
        }

        void print(Barn.Name n, PrintWriter out) {
            if (!n.found()) {
                out.printf("\"%s\" is not claimed (%.0f ms)%n", n.name(), n.latencyMicros() / 1000.0);
                return;
            }
            if (n.proposal().length > 0) {
                out.println("not published yet: " + n.proposalNote());
                out.println(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(n.proposal()));
                return;
            }
            out.printf("%s%n", n.name());
            out.printf("  owners       %s%s%n", String.join(", ", n.owners()),
                    n.threshold() > 1 ? " (" + n.threshold() + " must sign)" : "");
            out.printf("  state        %s, lease until %s, free after %s%n", n.state(), Instant.ofEpochMilli(n.leaseUntilMillis()),
                    Instant.ofEpochMilli(n.expiresAtMillis()));
            out.printf("  policy       membership %s, sub-names by %s%s%n", n.membership(), n.subNames(),
                    n.delegations().isEmpty() ? "" : ", delegated: " + String.join(", ", n.delegations()));
            out.printf("  claimed      %s, countersigned by %d replicas, sequence %d, %d handovers%n",
                    Instant.ofEpochMilli(n.claimedAtMillis()), n.countersignatures(), n.sequence(), n.handovers());
            if (n.stored() > 0 || !n.refused().isEmpty()) {
                out.printf("  stored on    %d replicas%s%n", n.stored(), n.refused().isEmpty() ? "" : "; refused by " + n.refused().size()
                        + ": " + n.refused().get(0));
            }
            if (n.workMillis() > 0 || n.commitMillis() > 0) {
                out.printf("  took         %.1f s (work %.1f s, countersigning %.1f s, storing %.1f s)%n", n.latencyMicros() / 1e6,
                        n.workMillis() / 1e3, n.commitMillis() / 1e3, n.putMillis() / 1e3);
            } else {
                out.printf("  took         %.0f ms%n", n.latencyMicros() / 1000.0);
            }
            if (!n.pin().isEmpty() && !n.pin().equals("none")) {
                out.printf("  replicas     %d agreed%s%n", n.agreeing(), n.conflicting() > 0
                        ? ", WARNING: " + n.conflicting() + " answered with a conflicting record" : "");
                out.printf("  pin          %s%s%n", n.pin(), n.pinNote().isEmpty() ? "" : " (" + n.pinNote() + ")");
            }
        }

        static String json(Barn.Name n) {
            return "{\"found\": " + n.found() + ", \"name\": " + Formats.json(n.name()) + ", \"owners\": "
                    + n.owners().stream().map(Formats::json).toList() + ", \"threshold\": " + n.threshold()
                    + ", \"sequence\": " + n.sequence() + ", \"lease_until_ms\": " + n.leaseUntilMillis()
                    + ", \"expires_at_ms\": " + n.expiresAtMillis() + ", \"state\": " + Formats.json(n.state())
                    + ", \"membership\": " + Formats.json(n.membership()) + ", \"sub_names\": " + Formats.json(n.subNames())
                    + ", \"countersignatures\": " + n.countersignatures() + ", \"agreeing\": " + n.agreeing()
                    + ", \"conflicting\": " + n.conflicting() + ", \"pin\": " + Formats.json(n.pin())
                    + ", \"stored\": " + n.stored() + ", \"latency_us\": " + n.latencyMicros()
                    + ", \"work_ms\": " + n.workMillis() + ", \"commit_ms\": " + n.commitMillis() + ", \"put_ms\": " + n.putMillis() + "}";
        }
    }

    @Command(name = "claim", mixinStandardHelpOptions = true,
            description = {"Claims a free top-level NAME for this node: seconds of Argon2id work, a commitment the name's",
                    "replicas countersign, then the claim stored with them. Fails, saying why, if the name is held."})
    static final class Claim extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME", description = "Letters, digits, '-', '_'; case and Unicode forms fold.")
        String name;

        @Option(names = "--lease-days", defaultValue = "365", description = "Lease (default ${DEFAULT-VALUE}; renew before it ends).")
        int leaseDays;

        @Option(names = "--owner", paramLabel = "ID", description = "A co-owner's node id (repeat; include this node's to stay one).")
        List<String> owners = new ArrayList<>();

        @Option(names = "--threshold", defaultValue = "1", description = "Owners who must sign changes (k of m; default ${DEFAULT-VALUE}).")
        int threshold;

        @Option(names = "--invite-only", description = "Members need an invitation.")
        boolean inviteOnly;

        @Option(names = "--sub-names-by-owners", description = "Only owners and delegates create sub-names.")
        boolean ownersOnly;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.CLAIM).setName(name).setLeaseDays(leaseDays)
                    .addAllOwners(owners).setThreshold(threshold)
                    .setMembership(inviteOnly ? NameRequest.Membership.INVITE_ONLY : NameRequest.Membership.OPEN)
                    .setSubNames(ownersOnly ? NameRequest.SubNames.OWNERS : NameRequest.SubNames.MEMBERS).build();
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = {"Reads NAME from every replica: who owns it, how many replicas agreed, and whether it is the",
                    "claim this node pinned when it first saw the name. Exit 2 on a conflict or a changed claim."})
    static final class Show extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--repin", description = "Accept what is read as the pinned claim.")
        boolean repin;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.SHOW).setName(name).setRepin(repin).build();
        }
    }

    @Command(name = "renew", mixinStandardHelpOptions = true, description = "Renews the lease of a name this node owns.")
    static final class Renew extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--lease-days", defaultValue = "365", description = "New lease from now (default ${DEFAULT-VALUE}).")
        int leaseDays;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.RENEW).setName(name).setLeaseDays(leaseDays).build();
        }
    }

    @Command(name = "transfer", mixinStandardHelpOptions = true,
            description = "Hands a name this node owns to other owners, for good (they alone can change it after).")
    static final class Transfer extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--to", required = true, paramLabel = "ID", description = "New owner's node id (repeat for several).")
        List<String> to;

        @Option(names = "--threshold", defaultValue = "1", description = "New owners who must sign changes (default ${DEFAULT-VALUE}).")
        int threshold;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.TRANSFER).setName(name).addAllOwners(to).setThreshold(threshold).build();
        }
    }

    @Command(name = "policy", mixinStandardHelpOptions = true,
            description = "Sets who may join a namespace this node owns, and who may create sub-names in it.")
    static final class Policy extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--membership", paramLabel = "open|invite-only")
        String membership;

        @Option(names = "--sub-names", paramLabel = "members|owners")
        String subNames;

        @Override
        NameRequest request() {
            NameRequest.Builder b = NameRequest.newBuilder().setOp(NameRequest.Op.POLICY).setName(name);
            if (membership != null) {
                b.setMembership(switch (membership) {
                    case "open" -> NameRequest.Membership.OPEN;
                    case "invite-only" -> NameRequest.Membership.INVITE_ONLY;
                    default -> throw new IllegalArgumentException("--membership is open or invite-only");
                });
            }
            if (subNames != null) {
                b.setSubNames(switch (subNames) {
                    case "members" -> NameRequest.SubNames.MEMBERS;
                    case "owners" -> NameRequest.SubNames.OWNERS;
                    default -> throw new IllegalArgumentException("--sub-names is members or owners");
                });
            }
            return b.build();
        }
    }

    @Command(name = "delegate", mixinStandardHelpOptions = true,
            description = "Lets another node create sub-names under NAME/SUB and invite members (or withdraws it).")
    static final class Delegate extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME/SUB", description = "e.g. irc/#barn")
        String path;

        @Option(names = "--to", paramLabel = "ID", description = "The delegate's node id; leave out to withdraw.")
        String to;

        @Override
        NameRequest request() {
            int slash = path.indexOf('/');
            if (slash <= 0 || slash == path.length() - 1) {
                throw new IllegalArgumentException("give NAME/SUB, e.g. irc/#barn");
            }
            return NameRequest.newBuilder().setOp(NameRequest.Op.DELEGATE).setName(path.substring(0, slash))
                    .setPrefix(path.substring(slash + 1)).setDelegate(to == null ? "" : to).build();
        }
    }

    @Command(name = "cosign", mixinStandardHelpOptions = true,
            description = {"Adds this node's approval to a change of a name with several owners (what renew, transfer,",
                    "policy or delegate printed on another owner's node); publishes it once enough owners approved,",
                    "else prints it for the next owner."})
    static final class Cosign extends NameCall {
        @Parameters(index = "0", paramLabel = "PROPOSAL")
        String proposal;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.COSIGN)
                    .setProposal(com.google.protobuf.ByteString.copyFrom(java.util.Base64.getUrlDecoder().decode(proposal.trim())))
                    .build();
        }
    }

    @Command(name = "invite", mixinStandardHelpOptions = true,
            description = {"Prints an invitation of node ID into an invite-only namespace this node owns or is a delegate of;",
                    "the invitee passes it to ns join --invitation."})
    static final class Invite extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--member", required = true, paramLabel = "ID", description = "The invitee's node id.")
        String member;

        @Option(names = "--days", defaultValue = "7", description = "Days the invitation stays valid (default ${DEFAULT-VALUE}).")
        int days;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.INVITE).setName(name).setDelegate(member).setLeaseDays(days).build();
        }

        @Override
        void print(Barn.Name n, PrintWriter out) {
            out.println(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(n.invitation()));
        }
    }

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = {"Registers a sub-name (a nick, a channel, a service: NAME/SUB) pointing at this node (or --target)",
                    "and a port or service, first come, as the namespace's policy allows."})
    static final class Register extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME/SUB", description = "e.g. irc/#barn, chess/@alice")
        String path;

        @Option(names = "--port", defaultValue = "0", description = "The port it points at.")
        int port;

        @Option(names = "--service", description = "Or the service it points at.")
        String service;

        @Option(names = "--target", paramLabel = "ID", description = "Another node it points at (default: this one).")
        String target;

        @Option(names = "--days", defaultValue = "7", description = "How long it holds (default ${DEFAULT-VALUE}; at most 30; register again to extend).")
        int days;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.REGISTER).setName(path).setPort(port)
                    .setService(service == null ? "" : service).setDelegate(target == null ? "" : target).setLeaseDays(days).build();
        }

        @Override
        void print(Barn.Name n, PrintWriter out) {
            printSub(n, out);
        }
    }

    @Command(name = "resolve", mixinStandardHelpOptions = true,
            description = "Reads a sub-name (NAME/SUB): the node and port or service it points at, and who registered it.")
    static final class Resolve extends NameCall {
        @Parameters(index = "0", paramLabel = "NAME/SUB")
        String path;

        @Override
        NameRequest request() {
            return NameRequest.newBuilder().setOp(NameRequest.Op.RESOLVE).setName(path).build();
        }

        @Override
        void print(Barn.Name n, PrintWriter out) {
            printSub(n, out);
        }
    }

    static void printSub(Barn.Name n, PrintWriter out) {
        if (!n.found()) {
            out.printf("\"%s\" is not registered (%.0f ms)%n", n.name(), n.latencyMicros() / 1000.0);
            return;
        }
        out.printf("%s -> %s%s%n", n.name(), n.target(), n.service().isEmpty() ? (n.port() == 0 ? "" : " port " + n.port())
                : " service " + n.service());
        out.printf("  registered by %s until %s%s%n", n.registrant(), Instant.ofEpochMilli(n.expiresAtMillis()),
                n.stored() > 0 ? ", stored on " + n.stored() + " replicas" : ", " + n.agreeing() + " replicas agreed"
                        + (n.conflicting() > 0 ? ", WARNING: " + n.conflicting() + " conflicting" : ""));
        if (!n.policyNote().isEmpty()) {
            out.println("  WARNING: " + n.policyNote());
        }
    }

    /** Options every namespace-network command shares. */
    abstract static class NetworkCall implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        NodeChoice node;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;
    }

    @Command(name = "join", mixinStandardHelpOptions = true,
            description = {"Makes the node a member of namespace NAME's network (until ns leave): it lists itself in the",
                    "root network and joins the namespace's overlay. NAME must be claimed."})
    static final class Join extends NetworkCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--invitation", paramLabel = "TEXT", description = "For invite-only namespaces: what ns invite printed.")
        String invitation;

        @Override
        public Integer call() throws Exception {
            byte[] inv = invitation == null ? new byte[0] : java.util.Base64.getUrlDecoder().decode(invitation.trim());
            try (Barn barn = Barn.connect(node.socket(), "barn-ns", Role.CLIENT)) {
                Barn.NamespaceState st = barn.nsJoinNode(name, inv);
                spec.commandLine().getOut().printf("member of %s (%d neighbours so far)%n", st.namespace(), st.neighbours().size());
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }

    @Command(name = "leave", mixinStandardHelpOptions = true, description = "Ends the node's own membership of NAME.")
    static final class Leave extends NetworkCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            try (Barn barn = Barn.connect(node.socket(), "barn-ns", Role.CLIENT)) {
                barn.nsLeave(name, true);
                spec.commandLine().getOut().println("left " + name);
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }

    @Command(name = "send", mixinStandardHelpOptions = true, description = "Broadcasts TEXT to every member of NAME (the node must be in it).")
    static final class Send extends NetworkCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Parameters(index = "1", paramLabel = "TEXT")
        String text;

        @Override
        public Integer call() throws Exception {
            try (Barn barn = Barn.connect(node.socket(), "barn-ns", Role.CLIENT)) {
                barn.nsBroadcast(name, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return 0;
            }
        }
    }

    @Command(name = "listen", mixinStandardHelpOptions = true,
            description = "Joins NAME for this session and prints its broadcasts, one line each: origin, hops, text.")
    static final class Listen extends NetworkCall {
        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--count", description = "Stop after this many broadcasts (default: run until interrupted).")
        Integer count;

        @Option(names = "--seconds", description = "Stop after this many seconds.")
        Integer seconds;

        @Override
        public Integer call() throws Exception {
            java.util.concurrent.LinkedBlockingQueue<BarnEvent.NamespaceMessage> got = new java.util.concurrent.LinkedBlockingQueue<>();
            try (Barn barn = Barn.connect(node.socket(), "barn-ns", Role.CLIENT)) {
                barn.onEvent(e -> {
                    if (e instanceof BarnEvent.NamespaceMessage m) {
                        got.add(m);
                    }
                });
                barn.nsJoin(name);
                PrintWriter out = spec.commandLine().getOut();
                out.println("listening in " + name);
                out.flush();
                long deadline = seconds == null ? Long.MAX_VALUE : System.nanoTime() + seconds * 1_000_000_000L;
                int n = 0;
                while ((count == null || n < count) && System.nanoTime() < deadline) {
                    BarnEvent.NamespaceMessage m = got.poll(Math.min(1000, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)),
                            java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (m != null) {
                        n++;
                        out.printf("%s %d %s%n", m.origin(), m.hops(), new String(m.payload(), java.nio.charset.StandardCharsets.UTF_8));
                        out.flush();
                    }
                }
                return count == null || n >= count ? 0 : 1;
            }
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "The namespaces the node is in, with its overlay neighbours and stewards.")
    static final class ListCmd extends NetworkCall {
        @Override
        public Integer call() throws Exception {
            try (Barn barn = Barn.connect(node.socket(), "barn-ns", Role.CLIENT)) {
                PrintWriter out = spec.commandLine().getOut();
                for (Barn.NamespaceState st : barn.nsList()) {
                    out.printf("%s: %d neighbours (%s), %d in reserve; %d broadcasts delivered, %d sent%n", st.namespace(),
                            st.neighbours().size(), String.join(", ", st.neighbours()), st.passive(), st.delivered(), st.sent());
                    out.printf("  epoch %d stewards: %s%s%n", st.epoch(), String.join(", ", st.stewards()),
                            st.excluded().isEmpty() ? "" : "; excluded: " + String.join(", ", st.excluded()));
                }
                out.flush();
                return 0;
            }
        }
    }
}
