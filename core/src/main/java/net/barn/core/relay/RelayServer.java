package net.barn.core.relay;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.barn.core.identity.NodeId;

/**
 * The relay side of circuit relaying, as a sans-IO state machine: reservations held for nodes
 * that cannot be reached, circuits opened to them, and the limits that keep a relay's work
 * bounded and its load visible ({@link #spare()}). A relay above {@link RelayConfig#shedAbove}
 * sheds reservations (the newest first: they have had the least service) and tells their
 * holders to move ({@link #shed}); nobody is cut off without notice.
 */
public final class RelayServer {
    /** What a reservation or connection request gets. */
    public sealed interface Reply {}

    /** Reserved until {@code expiresAt}; the relay's limits and its spare capacity (0..1) after this one. */
    public record Reserved(long expiresAt, long circuitBytes, long circuitNanos, double spare) implements Reply {}

    /** A circuit was opened: it carries at most {@code bytes}, until {@code deadline}. */
    public record Opened(long circuit, long bytes, long deadline) implements Reply {}

    public record Refused(String reason) implements Reply {}

    private record Reservation(NodeId client, String group, long since, long expiresAt) {}

    private static final class Circuit {
        final long id;
        final NodeId from;
        final NodeId to;
        final long deadline;
        final long limit;
        long bytes;

        Circuit(long id, NodeId from, NodeId to, long deadline, long limit) {
            this.id = id;
            this.from = from;
            this.to = to;
            this.deadline = deadline;
            this.limit = limit;
        }
    }

    private final RelayConfig config;
    private final Map<NodeId, Reservation> reservations = new LinkedHashMap<>();
    private final Map<String, Integer> perGroup = new HashMap<>();
    private final Map<Long, Circuit> circuits = new HashMap<>();
    /** Nodes shed lately, and until when they are refused: they are to move, not to come back at once. */
    private final Map<NodeId, Long> shedUntil = new HashMap<>();
    private final Map<NodeId, Integer> circuitsPerClient = new HashMap<>();
    private long nextCircuit = 1;
    private long refused;
    private long shedCount;

    public RelayServer(RelayConfig config) {
        this.config = config;
    }

    public RelayConfig config() {
        return config;
    }

    /** A reservation for {@code client} (in IP group {@code group}), or its renewal. */
    public Reply reserve(long now, NodeId client, String group) {
        expire(now);
        Reservation held = reservations.get(client);
        Long shedTill = shedUntil.get(client);
        if (held == null && shedTill != null && now < shedTill) {
            return refuse("this relay shed your reservation: it is near its limits, move to another");
        }
        if (held == null) {
            if (reservations.size() >= config.maxReservations()) {
                return refuse("relay full: " + config.maxReservations() + " reservations held");
            }
            if (perGroup.getOrDefault(group, 0) >= config.maxPerGroup()) {
                return refuse("at most " + config.maxPerGroup() + " reservations for one network");
            }
            perGroup.merge(group, 1, Integer::sum);
        }
        long since = held == null ? now : held.since();
        reservations.put(client, new Reservation(client, group, since, now + config.reservationNanos()));
        return new Reserved(now + config.reservationNanos(), config.circuitBytes(), config.circuitNanos(), spare());
    }

    /** Ends {@code client}'s reservation (it moved elsewhere or left). */
    public void release(NodeId client) {
        Reservation r = reservations.remove(client);
        if (r != null) {
            perGroup.computeIfPresent(r.group(), (g, n) -> n > 1 ? n - 1 : null);
        }
    }

    /** {@code from} asks for a circuit to {@code target}, which must hold a reservation here. */
    public Reply connect(long now, NodeId from, NodeId target) {
        expire(now);
        if (!reservations.containsKey(target)) {
            return refuse("no reservation for " + target.shortForm() + " at this relay");
        }
        return open(now, from, target, now + config.circuitNanos(), config.circuitBytes());
    }

    /**
     * A circuit between two members of a private maze this relay is a member of (the caller
     * checks the membership): no reservation and no byte or time limit, since members relay
     * for each other, but the circuit counts toward the relay's and each node's circuit caps.
     */
    public Reply connectMembers(long now, NodeId from, NodeId target) {
        expire(now);
        return open(now, from, target, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    private Reply open(long now, NodeId from, NodeId target, long deadline, long bytes) {
        if (from.equals(target)) {
            return refuse("a circuit to oneself");
        }
        if (circuits.size() >= config.maxCircuits()) {
            return refuse("relay busy: " + config.maxCircuits() + " circuits open");
        }
        if (circuitsPerClient.getOrDefault(target, 0) >= config.maxCircuitsPerClient()
                || circuitsPerClient.getOrDefault(from, 0) >= config.maxCircuitsPerClient()) {
            return refuse("at most " + config.maxCircuitsPerClient() + " circuits per node");
        }
        Circuit c = new Circuit(nextCircuit++, from, target, deadline, bytes);
        circuits.put(c.id, c);
        circuitsPerClient.merge(target, 1, Integer::sum);
        circuitsPerClient.merge(from, 1, Integer::sum);
        return new Opened(c.id, bytes, c.deadline);
    }

    /**
     * {@code bytes} more crossed circuit {@code id}: null while within its limits, else why it
     * closes now (the circuit is then closed).
     */
    public String carried(long now, long id, long bytes) {
        Circuit c = circuits.get(id);
        if (c == null) {
            return "no such circuit";
        }
        c.bytes += bytes;
        if (c.bytes > c.limit) {
            close(id);
            return "circuit carried its " + c.limit + " bytes";
        }
        if (now >= c.deadline) {
            close(id);
            return "circuit reached its time limit";
        }
        return null;
    }

    public void close(long id) {
        Circuit c = circuits.remove(id);
        if (c != null) {
            circuitsPerClient.computeIfPresent(c.to, (k, n) -> n > 1 ? n - 1 : null);
            circuitsPerClient.computeIfPresent(c.from, (k, n) -> n > 1 ? n - 1 : null);
        }
    }

    /** Forgets expired reservations and closes circuits past their time; returns the circuits closed. */
    public List<Long> expire(long now) {
        List<NodeId> gone = new ArrayList<>();
        reservations.forEach((id, r) -> {
            if (now >= r.expiresAt()) {
                gone.add(id);
            }
        });
        gone.forEach(this::release);
        shedUntil.values().removeIf(t -> now >= t);
        List<Long> closed = new ArrayList<>();
        for (Circuit c : circuits.values()) {
            if (now >= c.deadline) {
                closed.add(c.id);
            }
        }
        closed.forEach(this::close);
        return closed;
    }

    /**
     * If the load is above {@link RelayConfig#shedAbove}: drops reservations, newest first,
     * until it is at {@link RelayConfig#shedTo}, and returns their holders (to be told to move).
     */
    public List<NodeId> shed(long now) {
        List<NodeId> out = new ArrayList<>();
        if (load() <= config.shedAbove()) {
            return out;
        }
        List<Reservation> newest = new ArrayList<>(reservations.values());
        newest.sort(Comparator.comparingLong(Reservation::since).reversed());
        for (Reservation r : newest) {
            if (reservations.size() <= Math.floor(config.shedTo() * config.maxReservations())) {
                break;
            }
            release(r.client());
            out.add(r.client());
            if (shedUntil.size() < 4 * config.maxReservations()) {
                shedUntil.put(r.client(), now + config.reservationNanos() / 2);
            }
        }
        shedCount += out.size();
        return out;
    }

    /** 0 (idle) to 1 (full): the larger of the reservation and circuit shares used. */
    public double load() {
        return Math.max(reservations.size() / (double) config.maxReservations(), circuits.size() / (double) config.maxCircuits());
    }

    /** What the relay advertises: 1 - load. */
    public double spare() {
        return 1 - load();
    }

    public int reservations() {
        return reservations.size();
    }

    public boolean holds(NodeId client) {
        return reservations.containsKey(client);
    }

    public int circuits() {
        return circuits.size();
    }

    public long refusals() {
        return refused;
    }

    public long shedTotal() {
        return shedCount;
    }

    private Refused refuse(String why) {
        refused++;
        return new Refused(why);
    }
}
