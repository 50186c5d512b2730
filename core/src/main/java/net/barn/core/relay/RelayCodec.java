package net.barn.core.relay;

import com.google.protobuf.InvalidProtocolBufferException;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.barn.wire.relay.Load;
import net.barn.wire.relay.LoadQuery;
import net.barn.wire.relay.Refusal;
import net.barn.wire.relay.RelayMessage;
import net.barn.wire.relay.Reservation;
import net.barn.wire.relay.Reserve;

/** Relay messages (barn/relay.proto) to and from bytes, checking what a peer controls. */
public final class RelayCodec {
    public static final int MAX_MESSAGE = 512;

    private RelayCodec() {}

    /** A relay message. */
    public sealed interface Message {}

    public record ReserveRequest() implements Message {}

    public record Granted(int seconds, long circuitBytes, int circuitSeconds, int sparePermille, int capacity) implements Message {}

    public record Refused(String reason) implements Message {}

    public record LoadRequest() implements Message {}
    /** Drops the requester's reservation (it moved to an emptier relay); answered with the relay's load. */
    public record ReleaseRequest() implements Message {}

    public record LoadAnswer(int sparePermille, int capacity) implements Message {}

    /** {@code maze}: empty, or the private maze the requester, target and relay share (PROTOCOL.md 16.6). */
    public record ConnectRequest(NodeId target, String maze) implements Message {
        public ConnectRequest(NodeId target) {
            this(target, "");
        }
    }

    /** Longest maze name a maze circuit may carry. */
    public static final int MAX_MAZE = 128;

    /** Both 0: a circuit without limits (between members of a private maze). */
    public record Connected(long circuitBytes, int circuitSeconds) implements Message {
        public boolean unlimited() {
            return circuitBytes == 0 && circuitSeconds == 0;
        }
    }

    public record IncomingCircuit(NodeId from, long circuitBytes, int circuitSeconds, String maze) implements Message {
        public IncomingCircuit(NodeId from, long circuitBytes, int circuitSeconds) {
            this(from, circuitBytes, circuitSeconds, "");
        }
    }

    public record Accept() implements Message {}

    /** Where the sender's listen port is seen from outside. */
    /**
     * How the sender is reached (PROTOCOL 16.4): its addresses, whether it is public, behind a
     * cone NAT or behind a symmetric one, and (symmetric) the ports it was seen at.
     */
    public record PunchOffer(java.util.List<String> addresses, net.barn.core.nat.PunchPlan.Reach reach,
            java.util.List<Integer> seenPorts) implements Message {
        public PunchOffer {
            addresses = java.util.List.copyOf(addresses);
            seenPorts = java.util.List.copyOf(seenPorts);
        }

        /** An offer of a fixed address (a cone NAT's mapping). */
        public PunchOffer(java.util.List<String> addresses) {
            this(addresses, net.barn.core.nat.PunchPlan.Reach.CONE, java.util.List.of());
        }
    }

    /** Ports a symmetric NAT was seen at, at most, in an offer. */
    public static final int MAX_SEEN_PORTS = 8;

    public record PunchGo() implements Message {}

    /** The name of the owned record in which a node behind NAT lists its relays. */
    public static final String HINTS_NAME = "barn/relays";
    public static final int MAX_HINTS = 4;

    /** A relay a node can be reached through: its id and listen address ("host:port"). */
    public record Via(NodeId relay, String address) {}

    public static byte[] encodeHints(java.util.List<Via> relays) {
        net.barn.wire.relay.ReachableVia.Builder b = net.barn.wire.relay.ReachableVia.newBuilder();
        for (Via v : relays) {
            b.addRelays(net.barn.wire.relay.Via.newBuilder().setNodeId(com.google.protobuf.ByteString.copyFrom(v.relay().toBytes()))
                    .setAddress(v.address()));
        }
        return b.build().toByteArray();
    }

    public static java.util.List<Via> decodeHints(byte[] bytes) throws ProtocolException {
        net.barn.wire.relay.ReachableVia r;
        try {
            r = net.barn.wire.relay.ReachableVia.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw bad("not a ReachableVia");
        }
        if (r.getRelaysCount() < 1 || r.getRelaysCount() > MAX_HINTS) {
            throw bad("1.." + MAX_HINTS + " relays, got " + r.getRelaysCount());
        }
        java.util.List<Via> out = new java.util.ArrayList<>();
        for (net.barn.wire.relay.Via v : r.getRelaysList()) {
            String a = v.getAddress();
            try {
                net.barn.core.identity.PeerAddress.parse(a);
            } catch (IllegalArgumentException e) {
                throw bad("bad relay address " + (a.length() > 64 ? a.substring(0, 64) : a));
            }
            out.add(new Via(id(v.getNodeId()), a));
        }
        return out;
    }

    public static byte[] encode(Message m) {
        RelayMessage.Builder b = RelayMessage.newBuilder();
        switch (m) {
            case ReserveRequest r -> b.setReserve(Reserve.getDefaultInstance());
            case Granted g -> b.setReservation(Reservation.newBuilder().setSeconds(g.seconds()).setCircuitBytes(g.circuitBytes())
                    .setCircuitSeconds(g.circuitSeconds())
                    .setLoad(Load.newBuilder().setSparePermille(g.sparePermille()).setCapacity(g.capacity())));
            case Refused r -> b.setRefusal(Refusal.newBuilder().setReason(r.reason()));
            case LoadRequest q -> b.setLoadQuery(LoadQuery.getDefaultInstance());
            case ReleaseRequest q -> b.setRelease(net.barn.wire.relay.Release.getDefaultInstance());
            case LoadAnswer a -> b.setLoad(Load.newBuilder().setSparePermille(a.sparePermille()).setCapacity(a.capacity()));
            case ConnectRequest c -> b.setConnect(net.barn.wire.relay.Connect.newBuilder()
                    .setTarget(com.google.protobuf.ByteString.copyFrom(c.target().toBytes())).setMaze(c.maze()));
            case Connected c -> b.setConnected(net.barn.wire.relay.Connected.newBuilder().setCircuitBytes(c.circuitBytes())
                    .setCircuitSeconds(c.circuitSeconds()));
            case IncomingCircuit i -> b.setIncoming(net.barn.wire.relay.Incoming.newBuilder()
                    .setFrom(com.google.protobuf.ByteString.copyFrom(i.from().toBytes())).setCircuitBytes(i.circuitBytes())
                    .setCircuitSeconds(i.circuitSeconds()).setMaze(i.maze()));
            case Accept a -> b.setAccepted(net.barn.wire.relay.Accepted.getDefaultInstance());
            case PunchOffer o -> b.setPunchOffer(net.barn.wire.relay.PunchOffer.newBuilder().addAllAddresses(o.addresses())
                    .setReach(switch (o.reach()) {
                        case PUBLIC -> net.barn.wire.relay.Reach.REACH_PUBLIC;
                        case CONE -> net.barn.wire.relay.Reach.REACH_CONE;
                        case SYMMETRIC -> net.barn.wire.relay.Reach.REACH_SYMMETRIC;
                    }).addAllSeenPorts(o.seenPorts()));
            case PunchGo g -> b.setPunchGo(net.barn.wire.relay.PunchGo.getDefaultInstance());
        }
        return b.build().toByteArray();
    }

    public static Message decode(byte[] bytes) throws ProtocolException {
        if (bytes.length > MAX_MESSAGE) {
            throw bad("relay message of " + bytes.length + " bytes, limit " + MAX_MESSAGE);
        }
        RelayMessage m;
        try {
            m = RelayMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw bad("not a RelayMessage");
        }
        return switch (m.getKindCase()) {
            case RESERVE -> new ReserveRequest();
            case RESERVATION -> {
                Reservation r = m.getReservation();
                Load l = r.getLoad();
                if (r.getSeconds() < 1 || r.getCircuitSeconds() < 1 || r.getCircuitBytes() < 1) {
                    throw bad("a reservation with no time or bytes");
                }
                yield new Granted(r.getSeconds(), r.getCircuitBytes(), r.getCircuitSeconds(), permille(l.getSparePermille()),
                        capacity(l.getCapacity()));
            }
            case REFUSAL -> {
                String why = m.getRefusal().getReason();
                yield new Refused(why.length() > 200 ? why.substring(0, 200) : why);
            }
            case LOAD_QUERY -> new LoadRequest();
            case RELEASE -> new ReleaseRequest();
            case LOAD -> new LoadAnswer(permille(m.getLoad().getSparePermille()), capacity(m.getLoad().getCapacity()));
            case CONNECT -> new ConnectRequest(id(m.getConnect().getTarget()), maze(m.getConnect().getMaze()));
            case CONNECTED -> {
                boolean unlimited = m.getConnected().getCircuitBytes() == 0 && m.getConnected().getCircuitSeconds() == 0;
                if (!unlimited && (m.getConnected().getCircuitBytes() < 1 || m.getConnected().getCircuitSeconds() < 1)) {
                    throw bad("a circuit with no time or bytes");
                }
                yield new Connected(m.getConnected().getCircuitBytes(), m.getConnected().getCircuitSeconds());
            }
            case INCOMING -> {
                net.barn.wire.relay.Incoming i = m.getIncoming();
                String maze = maze(i.getMaze());
                boolean unlimited = i.getCircuitBytes() == 0 && i.getCircuitSeconds() == 0;
                if (unlimited ? maze.isEmpty() : (i.getCircuitBytes() < 1 || i.getCircuitSeconds() < 1)) {
                    throw bad(unlimited ? "a circuit without limits outside a maze" : "a circuit with no time or bytes");
                }
                yield new IncomingCircuit(id(i.getFrom()), i.getCircuitBytes(), i.getCircuitSeconds(), maze);
            }
            case ACCEPTED -> new Accept();
            case PUNCH_OFFER -> {
                java.util.List<String> a = m.getPunchOffer().getAddressesList();
                if (a.isEmpty() || a.size() > MAX_HINTS) {
                    throw bad("a punch offer of 1.." + MAX_HINTS + " addresses, got " + a.size());
                }
                for (String x : a) {
                    try {
                        net.barn.core.identity.PeerAddress.parse(x);
                    } catch (IllegalArgumentException e) {
                        throw bad("bad address in a punch offer");
                    }
                }
                net.barn.wire.relay.PunchOffer po = m.getPunchOffer();
                net.barn.core.nat.PunchPlan.Reach reach = switch (po.getReach()) {
                    case REACH_PUBLIC -> net.barn.core.nat.PunchPlan.Reach.PUBLIC;
                    case REACH_SYMMETRIC -> net.barn.core.nat.PunchPlan.Reach.SYMMETRIC;
                    case REACH_CONE, REACH_UNSPECIFIED -> net.barn.core.nat.PunchPlan.Reach.CONE;
                    case UNRECOGNIZED -> throw bad("a punch offer of an unknown kind of reach");
                };
                if (po.getSeenPortsCount() > MAX_SEEN_PORTS) {
                    throw bad("a punch offer of at most " + MAX_SEEN_PORTS + " seen ports, got " + po.getSeenPortsCount());
                }
                for (int port : po.getSeenPortsList()) {
                    if (port < 1 || port > 65535) {
                        throw bad("a seen port out of range: " + Integer.toUnsignedString(port));
                    }
                }
                yield new PunchOffer(a, reach, po.getSeenPortsList());
            }
            case PUNCH_GO -> new PunchGo();
            case KIND_NOT_SET -> throw bad("an empty RelayMessage");
        };
    }

    private static String maze(String name) throws ProtocolException {
        if (name.length() > MAX_MAZE) {
            throw bad("a maze name of " + name.length() + " characters, limit " + MAX_MAZE);
        }
        return name;
    }

    private static NodeId id(com.google.protobuf.ByteString b) throws ProtocolException {
        if (b.size() != NodeId.LENGTH) {
            throw bad("a node id of " + b.size() + " bytes");
        }
        return NodeId.of(b.toByteArray());
    }

    private static int permille(int v) throws ProtocolException {
        if (v < 0 || v > 1000) {
            throw bad("spare of " + Integer.toUnsignedString(v) + " per mille");
        }
        return v;
    }

    private static int capacity(int v) throws ProtocolException {
        if (v < 1 || v > 1_000_000) {
            throw bad("a capacity of " + Integer.toUnsignedString(v));
        }
        return v;
    }

    private static ProtocolException bad(String why) {
        return new ProtocolException(ErrorCode.PROTOCOL_ERROR, why);
    }
}
