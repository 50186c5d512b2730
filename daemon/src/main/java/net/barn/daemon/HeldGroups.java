package net.barn.daemon;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import net.barn.core.ErrorCode;

/**
 * The bookkeeping shared by the groups a node is in (namespace networks, mazes): each is held
 * by one or more holders (local sessions, or the node itself), and left when the last lets
 * go. All state lives on one event loop.
 */
abstract class HeldGroups<G extends HeldGroups.Group<E>, E, S> {
    /** One group, who holds it, and the local listeners its events go to. */
    static class Group<E> {
        final Set<Object> holders = new HashSet<>();
        final List<Consumer<E>> listeners = new CopyOnWriteArrayList<>();
        /** The core's next timeout, armed on the loop, and when it is due. */
        ScheduledFuture<?> timer;
        long timerAt = Long.MAX_VALUE;
        /** Publishes the node's membership record again, while it is in the group. */
        ScheduledFuture<?> republish;

        void stopTimers() {
            if (timer != null) {
                timer.cancel(false);
            }
            if (republish != null) {
                republish.cancel(false);
            }
        }
    }

    final EventLoop loop;
    final Map<String, G> groups = new HashMap<>();
    volatile boolean closed;

    HeldGroups(EventLoop loop) {
        this.loop = loop;
    }

    /** The group's name in normal form, or a {@link NameService.NameException} saying why there is none. */
    abstract String normal(String raw);

    /** Leaves a group nobody holds any more (it is already out of {@link #groups}). */
    abstract void left(G group);

    /** What the group is called in messages: "maze", "namespace". */
    abstract String kind();

    /** The group as the node is in it, for status. */
    abstract S state(G group);

    /** Leaves the group's core as the node shuts down (its timers are stopped by the caller). */
    abstract void quit(G group);

    /**
     * Arms the group's timer for the core's next timeout {@code at} (System.nanoTime()), if it
     * is earlier than the one armed and the group {@code name} is still this one.
     */
    void wakeAt(String name, G g, long at, Runnable timeout) {
        if (at < g.timerAt && !closed && groups.get(name) == g) {
            if (g.timer != null) {
                g.timer.cancel(false);
            }
            g.timerAt = at;
            g.timer = loop.schedule(() -> {
                g.timer = null;
                g.timerAt = Long.MAX_VALUE;
                timeout.run();
            }, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
    }

    /** Leaves every group: the node is shutting down (if its loop is already gone, there is nothing left to leave). */
    public void close() {
        if (loop.isShuttingDown()) {
            closed = true;
            return;
        }
        loop.execute(() -> {
            for (G g : new ArrayList<>(groups.values())) {
                quit(g);
                g.stopTimers();
            }
            groups.clear();
            closed = true;
        });
    }

    /** Runs {@code task} on the loop with the group {@code raw}, which this node must be in. */
    <T> CompletableFuture<T> onGroup(String raw, Function<G, T> task) {
        String name;
        try {
            name = normal(raw);
        } catch (NameService.NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        return onLoop(() -> {
            G g = groups.get(name);
            if (g == null) {
                throw new NameService.NameException("this node is not in " + kind() + " \"" + name + "\"; join it first");
            }
            return task.apply(g);
        });
    }

    /** Hands the group's events to {@code listener} until removed. */
    public CompletableFuture<Void> listen(String raw, Consumer<E> listener) {
        return onGroup(raw, g -> {
            g.listeners.add(listener);
            return null;
        });
    }

    public void unlisten(Consumer<E> listener) {
        onLoop(() -> {
            groups.values().forEach(g -> g.listeners.remove(listener));
            return null;
        });
    }

    /** The groups this node is in. */
    public CompletableFuture<List<S>> states() {
        return onLoop(() -> groups.values().stream().map(this::state).toList());
    }

    /** {@code holder} no longer wants the group {@code raw}; the node leaves when nobody does. */
    public CompletableFuture<Boolean> leave(String raw, Object holder) {
        String name;
        try {
            name = normal(raw);
        } catch (NameService.NameException e) {
            return CompletableFuture.failedFuture(e);
        }
        return onLoop(() -> {
            G g = groups.get(name);
            if (g == null || !g.holders.remove(holder)) {
                return false;
            }
            if (g.holders.isEmpty()) {
                groups.remove(name);
                left(g);
            }
            return true;
        });
    }

    /** Lets go of every group {@code holder} holds (its session closed). */
    public void release(Object holder) {
        onLoop(() -> {
            for (var e : new ArrayList<>(groups.entrySet())) {
                if (e.getValue().holders.remove(holder) && e.getValue().holders.isEmpty()) {
                    groups.remove(e.getKey());
                    left(e.getValue());
                }
            }
            return null;
        });
    }

    <T> CompletableFuture<T> onLoop(Supplier<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        loop.execute(() -> {
            if (closed) {
                f.completeExceptionally(new LinkException(ErrorCode.SHUTDOWN, "node shutting down"));
                return;
            }
            try {
                f.complete(task.get());
            } catch (RuntimeException ex) {
                f.completeExceptionally(ex);
            }
        });
        return f;
    }
}
