package net.barn.daemon;

import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The gate of a closed group (a namespace or maze of an invite-only namespace): messages from
 * peers the group's directory lists go through; a stranger's are held (16 per peer, 64 peers)
 * until the directory is read again (at most every 2 s), then let in or dropped and counted.
 * A node cannot enter a closed group by knowing a member's address. Used on one event loop.
 */
final class Strangers<M> {
    private static final long READ_EVERY = TimeUnit.SECONDS.toNanos(2);

    private final Set<net.barn.core.identity.NodeId> admitted = new HashSet<>();
    private final Map<net.barn.core.identity.NodeId, ArrayDeque<M>> held = new HashMap<>();
    private long readAt;
    private boolean readDue;
    private long ignored;

    /** The directory was read now: it lists {@code listed}; held messages of listed peers go to {@code deliver}. */
    String[] admit(Set<net.barn.core.identity.NodeId> listed, BiConsumer<net.barn.core.identity.NodeId, M> deliver) {
        readAt = System.nanoTime();
        if (admitted.size() > 4096) {
            admitted.clear();
        }
        admitted.addAll(listed);
        java.util.List<String> dropped = new ArrayList<>();
        for (var e : new ArrayList<>(held.entrySet())) {
            if (admitted.contains(e.getKey())) {
                e.getValue().forEach(m -> deliver.accept(e.getKey(), m));
            } else {
                ignored += e.getValue().size();
                dropped.add(e.getKey().shortForm());
            }
        }
        held.clear();
        return dropped.toArray(String[]::new);
    }

    /** A directory read started now (so the next one waits its turn). */
    void reading() {
        readAt = System.nanoTime();
    }

    /**
     * True if {@code peer}'s message may go through now; otherwise it is held and, at most
     * every 2 s, {@code readDirectory} is scheduled on {@code loop}.
     */
    boolean pass(net.barn.core.identity.NodeId peer, M message, EventLoop loop, Runnable readDirectory) {
        if (admitted.contains(peer)) {
            return true;
        }
        ArrayDeque<M> queue = held.get(peer);
        if (queue == null && held.size() < 64) {
            queue = new ArrayDeque<>();
            held.put(peer, queue);
        }
        if (queue != null && queue.size() < 16) {
            queue.add(message);
        } else {
            ignored++;
        }
        if (!readDue) { // at most one read every 2 s, however many strangers knock
            readDue = true;
            loop.schedule(() -> {
                readDue = false;
                readDirectory.run();
            }, Math.max(0, readAt + READ_EVERY - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        return false;
    }

    /** Messages dropped because their sender was not listed. */
    long ignored() {
        return ignored;
    }
}
