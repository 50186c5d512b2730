package net.barn.core.testing;

import java.util.PriorityQueue;

/**
 * Virtual time for in-memory harnesses of sans-IO cores: actions scheduled at instants run in
 * time order (ties in the order they were scheduled) when time is advanced, never by a clock.
 */
public class VirtualTime {
    private record Event(long at, long seq, Runnable action) {}

    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at)
            : Long.compare(a.seq, b.seq));
    private long seq;
    /** The current instant, in nanoseconds. */
    protected long now;

    public long now() {
        return now;
    }

    /** Runs {@code action} at {@code time} (or now, if that has passed). */
    public void at(long time, Runnable action) {
        queue.add(new Event(Math.max(time, now), seq++, action));
    }

    /** Advances time by {@code nanos}, running every action due meanwhile. */
    public void runFor(long nanos) {
        long until = now + nanos;
        while (!queue.isEmpty() && queue.peek().at <= until) {
            Event e = queue.poll();
            now = e.at;
            e.action.run();
        }
        now = until;
    }
}
