package net.barn.sim;

import java.util.PriorityQueue;

/**
 * The simulator's clock and agenda: actions ordered by virtual time, ties broken by the
 * order they were scheduled, so a run is a pure function of its seed.
 */
public final class EventQueue {
    private record Event(long time, long seq, Runnable action) {}

    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.time != b.time
            ? Long.compare(a.time, b.time) : Long.compare(a.seq, b.seq));
    private long now;
    private long seq;
    private long processed;

    public long now() {
        return now;
    }

    public void at(long time, Runnable action) {
        queue.add(new Event(Math.max(time, now), seq++, action));
    }

    public void after(long delay, Runnable action) {
        at(now + delay, action);
    }

    /** Runs every action due up to {@code until} (virtual nanoseconds), then sets the clock there. */
    public void runUntil(long until) {
        while (!queue.isEmpty() && queue.peek().time <= until) {
            Event e = queue.poll();
            now = e.time;
            processed++;
            e.action.run();
        }
        now = Math.max(now, until);
    }

    public long processed() {
        return processed;
    }

    public int size() {
        return queue.size();
    }
}
