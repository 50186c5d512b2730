package net.barn.core.mux;

import java.util.regex.Pattern;

/**
 * A service name a stream can be opened to instead of a port: 1 to 63 characters of lower-case
 * letters, digits and {@code . _ - /}, starting with a letter or digit (e.g. "echo", "irc/nick").
 */
public final class ServiceName {
    private static final Pattern VALID = Pattern.compile("[a-z0-9][a-z0-9._/-]{0,62}");

    private ServiceName() {}

    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches();
    }

    public static String require(String name) {
        if (!isValid(name)) {
            throw new IllegalArgumentException("service names are 1-63 of a-z 0-9 . _ - /, starting with a letter or digit: '"
                    + name + "'");
        }
        return name;
    }
}
