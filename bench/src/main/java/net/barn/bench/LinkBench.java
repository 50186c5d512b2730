package net.barn.bench;

/** Placeholder replaced below. */
public final class LinkBench {
    private LinkBench() {}

    public static int run(String[] args) {
        throw new UnsupportedOperationException("not yet");
    }
}
