package net.barn.cli;

/** Readable one-line logs on standard error, set before any logger exists. */
final class Logging {
    private Logging() {}

    static void configure(String[] args) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose") || java.util.Arrays.asList(args).contains("-v");
        // The demo and benchmarks print their own account; node logs would only interleave with it.
        boolean narrated = args.length > 0 && (args[0].equals("demo") || args[0].equals("bench") || args[0].equals("sim"));
        set("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "debug" : narrated ? "warn" : "info");
        set("org.slf4j.simpleLogger.showDateTime", "true");
        set("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        set("org.slf4j.simpleLogger.showThreadName", "false");
        set("org.slf4j.simpleLogger.showLogName", "false");
        set("org.slf4j.simpleLogger.showShortLogName", "false");
        set("org.slf4j.simpleLogger.levelInBrackets", "false");
        set("org.slf4j.simpleLogger.log.io.netty", "warn");
    }

    private static void set(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
