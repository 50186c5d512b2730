package net.barn.daemon.api.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.tomlj.Toml;
import org.tomlj.TomlArray;
import org.tomlj.TomlParseResult;
import org.tomlj.TomlTable;

/**
 * Reads {@code policy.toml}. Any error refuses the whole file with the line and the reason,
 * so a typo never silently widens or narrows what applications may do.
 *
 * <pre>
 * [[allow]]
 * user = "alice"            # or uid = 1000, group = "games", gid = 100; "*" = any user
 * app = "chat"              # optional: only sessions that say they are this app
 * role = "server"           # "client" (dial only, the default) or "server" (bind and accept too)
 * namespaces = ["irc"]      # namespaces it may bind or dial in; "*" = any
 * ports = ["6667", "7000-7100"]
 * services = ["chat", "irc/*"]
 * max_streams = 64
 * max_binds = 8
 * messages_per_second = 2000
 * bytes_per_second = 67108864
 * admin = false             # may add peers
 * </pre>
 */
public final class PolicyFile {
    public static final String FILE_NAME = "policy.toml";
    public static final int MAX_RULES = 1000;
    private static final Set<String> KEYS = Set.of("user", "uid", "group", "gid", "app", "role", "namespaces", "ports",
            "services", "max_streams", "max_binds", "messages_per_second", "bytes_per_second", "admin");

    private PolicyFile() {}

    /** A policy file with an error, and where. */
    public static final class PolicyException extends IOException {
        public PolicyException(String message) {
            super(message);
        }
    }

    /** The policy in {@code file}, or the owner-only default if there is no such file. */
    public static Policy load(Path file, int ownerUid) throws IOException {
        if (!Files.exists(file)) {
            return Policy.ownerOnly(ownerUid);
        }
        return parse(Files.readString(file), file.toString(), ownerUid);
    }

    public static Policy parse(String text, String source, int ownerUid) throws PolicyException {
        TomlParseResult toml = Toml.parse(text);
        if (toml.hasErrors()) {
            var e = toml.errors().get(0);
            throw new PolicyException(source + ":" + e.position().line() + ": " + e.getMessage());
        }
        for (String key : toml.keySet()) {
            if (!key.equals("allow")) {
                throw new PolicyException(source + ":" + toml.inputPositionOf(key).line() + ": unknown key '" + key
                        + "' (rules are [[allow]] tables)");
            }
        }
        TomlArray allow = toml.getArrayOrEmpty("allow");
        if (allow.size() > MAX_RULES) {
            throw new PolicyException(source + ": more than " + MAX_RULES + " rules");
        }
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < allow.size(); i++) {
            if (!(allow.get(i) instanceof TomlTable t)) {
                throw new PolicyException(source + ":" + allow.inputPositionOf(i).line() + ": allow must be [[allow]] tables");
            }
            rules.add(rule(t, source, allow.inputPositionOf(i).line()));
        }
        return new Policy(rules, ownerUid, source);
    }

    private static Rule rule(TomlTable t, String source, int line) throws PolicyException {
        for (String key : t.keySet()) {
            if (!KEYS.contains(key)) {
                throw error(t, key, source, "unknown key '" + key + "'");
            }
        }
        String user = string(t, "user", source);
        Integer uid = integer(t, "uid", source, 0, Integer.MAX_VALUE);
        String group = string(t, "group", source);
        Integer gid = integer(t, "gid", source, 0, Integer.MAX_VALUE);
        if (user == null && uid == null && group == null && gid == null) {
            throw new PolicyException(source + ":" + line + ": a rule needs user, uid, group or gid");
        }
        String app = string(t, "app", source);
        String role = string(t, "role", source);
        if (role != null && !role.equals("client") && !role.equals("server")) {
            throw error(t, "role", source, "role must be \"client\" or \"server\", not \"" + role + "\"");
        }
        List<PortRange> ports = new ArrayList<>();
        for (String p : strings(t, "ports", source)) {
            try {
                ports.add(PortRange.parse(p));
            } catch (IllegalArgumentException e) {
                throw error(t, "ports", source, e.getMessage());
            }
        }
        Grant grant = new Grant("server".equals(role), strings(t, "namespaces", source), ports, strings(t, "services", source),
                orDefault(integer(t, "max_streams", source, 0, 1_000_000), Grant.DEFAULT_MAX_STREAMS),
                orDefault(integer(t, "max_binds", source, 0, 100_000), Grant.DEFAULT_MAX_BINDS),
                orDefault(integer(t, "messages_per_second", source, 1, 10_000_000), Grant.DEFAULT_MESSAGES_PER_SECOND),
                t.contains("bytes_per_second") ? longValue(t, "bytes_per_second", source) : Grant.DEFAULT_BYTES_PER_SECOND,
                Boolean.TRUE.equals(bool(t, "admin", source)));
        return new Rule(user, uid, group, gid, app, grant, line);
    }

    private static int orDefault(Integer value, int fallback) {
        return value == null ? fallback : value;
    }

    private static PolicyException error(TomlTable t, String key, String source, String why) {
        var pos = t.inputPositionOf(key);
        return new PolicyException(source + ":" + (pos == null ? "?" : pos.line()) + ": " + why);
    }

    private static String string(TomlTable t, String key, String source) throws PolicyException {
        if (!t.contains(key)) {
            return null;
        }
        if (!t.isString(key)) {
            throw error(t, key, source, key + " must be a string");
        }
        return t.getString(key);
    }

    private static Boolean bool(TomlTable t, String key, String source) throws PolicyException {
        if (!t.contains(key)) {
            return null;
        }
        if (!t.isBoolean(key)) {
            throw error(t, key, source, key + " must be true or false");
        }
        return t.getBoolean(key);
    }

    private static Integer integer(TomlTable t, String key, String source, long min, long max) throws PolicyException {
        if (!t.contains(key)) {
            return null;
        }
        long v = longValue(t, key, source);
        if (v < min || v > max) {
            throw error(t, key, source, key + " must be " + min + ".." + max + ", not " + v);
        }
        return (int) v;
    }

    private static long longValue(TomlTable t, String key, String source) throws PolicyException {
        if (!t.isLong(key)) {
            throw error(t, key, source, key + " must be a whole number");
        }
        long v = t.getLong(key);
        if (v < 0) {
            throw error(t, key, source, key + " must not be negative");
        }
        return v;
    }

    private static List<String> strings(TomlTable t, String key, String source) throws PolicyException {
        if (!t.contains(key)) {
            return List.of();
        }
        if (!t.isArray(key)) {
            throw error(t, key, source, key + " must be a list of strings, e.g. [\"a\", \"b\"]");
        }
        TomlArray a = t.getArray(key);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!(a.get(i) instanceof String s) || s.isBlank()) {
                throw error(t, key, source, key + " must be a list of non-empty strings");
            }
            out.add(s);
        }
        return out;
    }
}
