package net.barn.daemon;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.dht.Record;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.maze.Maze;
import net.barn.core.maze.MazeCodec;
import net.barn.core.maze.MazeConfig;
import net.barn.core.maze.MazeEndpoint;
import net.barn.core.maze.MazeEvent;
import net.barn.core.maze.PrivateMaze;
import net.barn.core.maze.MazeMessage;
import net.barn.core.namespace.MemberRecords;
import net.barn.core.namespace.NameRecords;
import net.barn.core.namespace.NameState;
import net.barn.core.namespace.NameSyntax;
import net.barn.core.namespace.SubNames;
import net.barn.wire.names.Invitation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mazes this node is in: full-mesh groups inside a namespace ("irc/#barn") with
 * reliable, per-sender ordered delivery (core {@link Maze}). For each maze the node lists
 * itself in the root network (a maze membership carrying its namespace's claim), finds the
 * other members there, and runs the maze over {@link GroupStreams} to {@value #SERVICE}.
 * Deliveries and membership changes go to whoever listens. All maze state lives on one loop.
 */
public final class MazeService extends HeldGroups<MazeService.Membership, MazeService.Event, MazeService.State>
        implements AutoCloseable {
    public static final String SERVICE = "barn/maze";
    public static final int MAX_MAZES = 64;
    private static final Logger log = LoggerFactory.getLogger(MazeService.class);

    /** What a maze tells its listeners. */
    public sealed interface Event {
        String maze();

        record Delivered(String maze, NodeId sender, long seq, byte[] payload) implements Event {}

        record MemberJoined(String maze, NodeId member) implements Event {}

        /** {@code failed}: it stopped answering rather than leaving. */
        record MemberLeft(String maze, NodeId member, boolean failed) implements Event {}
    }

    /**
     * A maze as this node is in it.
     *
     * @param strangersIgnored messages dropped because their sender is not listed in an invite-only namespace's maze
     * @param isPrivate the maze is private: messages are sealed end to end (docs/PROTOCOL.md 13.10)
     * @param droppedForged in a private maze: messages, keys or Hellos whose signature or seal failed, or replayed
     */
    public record State(String maze, List<NodeId> members, long delivered, long retransmissions, long droppedFromNonMembers,
            long strangersIgnored, boolean isPrivate, long droppedForged) {}

    private final BarnNode node;
    private final DhtService dht;
    private final GroupStreams<MazeMessage> streams;
    private final Map<String, Membership> mazes = groups;
    private final SecureRandom random = new SecureRandom();
    private final java.util.random.RandomGenerator rng = RandomGeneratorFactory.of("L64X128MixRandom").create(random.nextLong());

    final class Membership extends HeldGroups.Group<Event> {
        final String maze;
        final Maze core;
        /** For a private maze: the layer that seals and opens; the core's inputs and outputs go through it. */
        final PrivateMaze sealed;
        /** Where inputs go and outputs come from: the sealing layer of a private maze, else the core. */
        final MazeEndpoint endpoint;
        final Map<NodeId, PeerAddress> addresses = new HashMap<>();
        Record parent;
        NameState claim;
        final Strangers<MazeMessage> strangers = new Strangers<>();
        Invitation invitation;

        Membership(String maze, boolean isPrivate) {
            this.maze = maze;
            this.core = new Maze(MazeConfig.DEFAULT, maze, node.id(), isPrivate);
            this.sealed = isPrivate ? new PrivateMaze(core, node.identity(), random) : null;
            this.endpoint = sealed != null ? sealed : core;
        }
    }


    MazeService(BarnNode node, DhtService dht) {
        super(node.eventLoopGroup().next());
        this.node = node;
        this.dht = dht;
        this.streams = new GroupStreams<>(node, loop, SERVICE, MazeCodec.MAX_MESSAGE, GroupStreams.codec(MazeCodec::encode,
                body -> net.barn.wire.maze.MazeMessage.parseFrom(body).getMaze(), MazeCodec::decode, MazeMessage::maze, "MazeMessage"),
                (maze, peer, m) -> {
            Membership mine = mazes.get(maze);
            if (mine != null && (!closed(mine) || mine.strangers.pass(peer, m, loop, () -> readAdmitted(mine)))) {
                mine.endpoint.handleMessage(System.nanoTime(), peer, m);
                drain(mine);
            }
        }, (maze, peer) -> {
            Membership mine = mazes.get(maze);
            if (mine != null) {
                mine.endpoint.handleLinkDown(System.nanoTime(), peer);
                drain(mine);
            }
        }, this::linkTo);
        node.relay().relayForMembers(this::privateMembers);
    }

    /**
     * Whether this node is a member of the private maze {@code maze} and lists both {@code a}
     * and {@code b} as members: then it relays between them without limits, and accepts a
     * circuit from one through the other (docs/PROTOCOL.md 16.6). Public mazes do not count:
     * anyone may join one.
     */
    boolean privateMembers(String maze, NodeId a, NodeId b) {
        try {
            return loop.submit(() -> {
                Membership m = mazes.get(maze);
                if (m == null || m.sealed == null) {
                    return false;
                }
                List<NodeId> members = m.core.members();
                return members.contains(a) && members.contains(b);
            }).get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    /** Members of a private maze this node links to directly: they relay to other members without limits. */
    static final int MEMBER_RELAYS_TRIED = 3;

    /**
     * A link to member {@code to} that could not be dialled directly: for a private maze, first
     * through up to {@value #MEMBER_RELAYS_TRIED} fellow members this node links to directly
     * (a member circuit, without the public relays' limits), then through the relays {@code to}
     * publishes.
     */
    private CompletableFuture<PeerLink> linkTo(String maze, NodeId to) {
        CompletableFuture<List<NodeId>> relays = new CompletableFuture<>();
        loop.execute(() -> {
            Membership m = mazes.get(maze);
            List<NodeId> out = new ArrayList<>();
            if (m != null && m.sealed != null) {
                for (NodeId member : m.core.members()) {
                    if (!member.equals(to) && !member.equals(node.id()) && out.size() < MEMBER_RELAYS_TRIED
                            && node.link(member).map(l -> l.relayedVia() == null).orElse(false)) {
                        out.add(member);
                    }
                }
            }
            relays.complete(out);
        });
        return relays.thenCompose(members -> viaMember(maze, to, members, 0));
    }

    private CompletableFuture<PeerLink> viaMember(String maze, NodeId to, List<NodeId> members, int i) {
        if (i >= members.size()) {
            return dht.linkTo(to);
        }
        return node.relay().dialVia(members.get(i), to, maze)
                .handle((l, e) -> e == null ? CompletableFuture.completedFuture(l) : viaMember(maze, to, members, i + 1))
                .thenCompose(f -> f);
    }

    @Override
    String normal(String raw) {
        String full;
        try {
            full = NameSyntax.normalise(raw);
        } catch (IllegalArgumentException e) {
            throw new NameService.NameException(e.getMessage());
        }
        if (full.indexOf('/') < 0) {
            throw new NameService.NameException("a maze is named inside a namespace, e.g. irc/#barn");
        }
        return full;
    }

    /**
     * Makes this node a member of the maze {@code raw} ("irc/#barn") for {@code holder}; its
     * namespace must be claimed, and an invite-only one needs {@code invitation}.
     */
    public CompletableFuture<State> join(String raw, Object holder, Invitation invitation) {
        return join(raw, holder, invitation, false);
    }

    /**
     * As above; {@code isPrivate}: as a private maze, whose messages only its current members
     * can read and none can forge. Every member must join in the same mode.
     */
    public CompletableFuture<State> join(String raw, Object holder, Invitation invitation, boolean isPrivate) {
        String maze;
        try {
            maze = normal(raw);
        } catch (NameService.NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        String ns = SubNames.namespaceOf(maze);
        return this.<CompletableFuture<State>>onLoop(() -> {
            Membership m = mazes.get(maze);
            if (m != null) {
                requireMode(m, isPrivate);
                m.holders.add(holder);
                return CompletableFuture.completedFuture(state(m));
            }
            if (mazes.size() >= MAX_MAZES) {
                throw new NameService.NameException("this node is in " + MAX_MAZES + " mazes already");
            }
            return dht.get(NameRecords.nameKey(ns), NameRecords.NAME).thenCompose(g -> {
                if (g.record() == null) {
                    throw new NameService.NameException("namespace \"" + ns + "\" is not claimed; claim it first (barn ns claim "
                            + ns + ")");
                }
                NameState claim = dht.names().judge(g.record(), dht.nowMillis());
                Record mine = listing(maze, g.record(), invitation, false);
                String why = dht.names().memberProblem(mine, dht.nowMillis());
                if (why != null) {
                    throw new NameService.NameException(why);
                }
                return dht.put(mine, false).thenCompose(p -> this.<CompletableFuture<State>>onLoop(() -> {
                    Membership already = mazes.get(maze);
                    if (already != null) {
                        requireMode(already, isPrivate);
                        already.holders.add(holder);
                        return CompletableFuture.completedFuture(state(already));
                    }
                    Membership fresh = new Membership(maze, isPrivate);
                    fresh.parent = g.record();
                    fresh.claim = claim;
                    fresh.invitation = invitation;
                    fresh.holders.add(holder);
                    mazes.put(maze, fresh);
                    fresh.republish = loop.scheduleAtFixedRate(() -> {
                        if (mazes.get(maze) == fresh) {
                            dht.put(listing(maze, fresh.parent, fresh.invitation, false), false);
                        }
                    }, MemberRecords.REPUBLISH_MILLIS, MemberRecords.REPUBLISH_MILLIS, TimeUnit.MILLISECONDS);
                    findMembers(fresh, claim);
                    log.info("joined maze {} (listed on {} replicas)", maze, p.stored());
                    return CompletableFuture.completedFuture(state(fresh));
                }).thenCompose(f -> f));
            });
        }).thenCompose(f -> f);
    }

    private static void requireMode(Membership m, boolean isPrivate) {
        if (m.core.isPrivate() != isPrivate) {
            throw new NameService.NameException("this node is in maze \"" + m.maze + "\" as a " + (m.core.isPrivate() ? "private"
                    : "public") + " maze; every member of a maze uses one mode");
        }
    }

    private Record listing(String maze, Record parent, Invitation invitation, boolean leaving) {
        var a = node.invite().addresses();
        return MemberRecords.mazeMember(node.identity(), maze, a.isEmpty() ? "" : a.get(0).toString(), invitation, leaving,
                parent, dht.sequenceNow(), leaving ? MemberRecords.REPUBLISH_MILLIS : MemberRecords.MAX_TTL_MILLIS);
    }

    /** A maze of an invite-only namespace: only peers its directory lists may talk to this node in it. */
    private static boolean closed(Membership m) {
        return m.claim != null
                && m.claim.policy().getMembership() == net.barn.wire.names.NamePolicy.Membership.INVITE_ONLY;
    }

    /** Reads the maze's directory again and lets in what listed peers sent meanwhile. */
    private void readAdmitted(Membership m) {
        if (mazes.get(m.maze) != m) {
            return;
        }
        m.strangers.reading();
        dht.get(MemberRecords.mazeKey(m.maze), MemberRecords.MEMBER).whenComplete((g, err) -> loop.execute(() -> {
            if (err != null || mazes.get(m.maze) != m) {
                return;
            }
            String[] dropped = m.strangers.admit(MemberRecords.admitted(g.records(), m.claim, dht.names(), dht.nowMillis()),
                    (peer, message) -> m.endpoint.handleMessage(System.nanoTime(), peer, message));
            drain(m);
            if (dropped.length > 0) {
                log.info("maze {} is invite-only: ignored messages from {}, not listed members", m.maze, String.join(", ", dropped));
            }
        }));
    }

    private void findMembers(Membership m, NameState claim) {
        dht.get(MemberRecords.mazeKey(m.maze), MemberRecords.MEMBER).whenComplete((g, err) -> loop.execute(() -> {
            if (err != null || mazes.get(m.maze) != m) {
                return;
            }
            m.strangers.admit(MemberRecords.admitted(g.records(), claim, dht.names(), dht.nowMillis()), (peer, message) -> m.endpoint.handleMessage(System.nanoTime(), peer, message));
            List<NodeId> known = new ArrayList<>();
            for (MemberRecords.Contact c : MemberRecords.contacts(g.records(), claim, node.id(), dht.names(), dht.nowMillis(),
                    rng, MazeConfig.DEFAULT.maxMembers())) {
                m.addresses.put(c.id(), c.address());
                known.add(c.id());
            }
            log.info("maze {}: {} members listed, joining through {}", m.maze, g.records().size(), known.size());
            m.endpoint.join(System.nanoTime(), known);
            drain(m);
        }));
    }

    @Override
    void left(Membership m) {
        drop(m);
    }

    private void drop(Membership m) {
        mazes.remove(m.maze);
        m.endpoint.leave(System.nanoTime());
        drainTransmits(m);
        m.stopTimers();
        dht.put(listing(m.maze, m.parent, m.invitation, true), false);
        log.info("left maze {}", m.maze);
    }

    /** Sends {@code payload} to every member, reliably and in order; this node must be a member. */
    public CompletableFuture<Long> send(String raw, byte[] payload) {
        return send(raw, payload, null);
    }

    /**
     * As above, from the local listener {@code from}: the node's other listeners in the maze
     * get the message too (the maze carries it to the other nodes only).
     */
    public CompletableFuture<Long> send(String raw, byte[] payload, Consumer<Event> from) {
        return onGroup(raw, m -> {
            if (payload.length > m.endpoint.maxPayload()) {
                throw new NameService.NameException("maze messages are at most " + m.endpoint.maxPayload() + " bytes"
                        + (m.sealed != null ? " in a private maze" : ""));
            }
            long seq = m.endpoint.send(System.nanoTime(), payload);
            drain(m);
            Event.Delivered here = new Event.Delivered(m.maze, node.id(), seq, payload.clone());
            for (Consumer<Event> l : m.listeners) {
                if (l != from) {
                    l.accept(here);
                }
            }
            return seq;
        });
    }

    @Override
    String kind() {
        return "maze";
    }

    @Override
    State state(Membership m) {
        return new State(m.maze, m.core.members(), m.sealed != null ? m.sealed.sealedDelivered() : m.core.delivered(),
                m.core.retransmissions(), m.core.droppedFromNonMembers(), m.strangers.ignored(), m.sealed != null,
                m.sealed == null ? 0 : m.sealed.droppedForged() + m.sealed.droppedReplayed() + m.sealed.droppedUnsealed());
    }

    // ---------------------------------------------------------------- the core's outputs, on the loop

    private void drainTransmits(Membership m) {
        Maze.Transmit t;
        while ((t = m.core.pollTransmit()) != null) {
            streams.send(m.maze, t.to(), t.message(), m.addresses.get(t.to()));
        }
    }

    private void drain(Membership m) {
        drainTransmits(m);
        MazeEvent e;
        while ((e = m.endpoint.pollEvent()) != null) {
            Event out = switch (e) {
                case MazeEvent.Delivered d -> new Event.Delivered(m.maze, d.sender(), d.seq(), d.payload());
                case MazeEvent.MemberJoined j -> new Event.MemberJoined(m.maze, j.member());
                case MazeEvent.MemberLeft l -> new Event.MemberLeft(m.maze, l.member(), false);
                case MazeEvent.MemberFailed f -> new Event.MemberLeft(m.maze, f.member(), true);
                case MazeEvent.JoinRefused r -> {
                    log.warn("maze {}: join refused: {}", m.maze, r.reason());
                    yield null;
                }
                default -> null; // Joined, link suspicions, losses: the core's own business
            };
            if (out != null) {
                for (Consumer<Event> l : m.listeners) {
                    l.accept(out);
                }
            }
        }
        drainTransmits(m); // a private maze sends key traffic while its events are polled
        long at = m.endpoint.pollTimeout();
        wakeAt(m.maze, m, at, () -> {
            m.endpoint.handleTimeout(System.nanoTime());
            drain(m);
        });
    }

    @Override
    void quit(Membership m) {
        m.endpoint.leave(System.nanoTime());
        drainTransmits(m);
    }
}
