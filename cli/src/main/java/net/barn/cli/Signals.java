package net.barn.cli;

/** SIGHUP, the Unix way to tell a daemon to reload its configuration. */
final class Signals {
    private Signals() {}

    @SuppressWarnings("removal")
    static void onHangup(Runnable action) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // not a Unix system, or the JVM reserves SIGHUP: reloading needs a restart
        }
    }
}
