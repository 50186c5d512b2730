package net.barn.daemon.api.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Local account names and ids from /etc/passwd and /etc/group. Accounts that exist only in
 * a directory service (LDAP, NIS) are not seen; policies can always name numeric ids.
 */
public final class UnixAccounts {
    private UnixAccounts() {}

    /** The numeric uid of a user name, or null. A numeric name is its own uid. */
    public static Integer uidOf(String user) {
        return idOf(Path.of("/etc/passwd"), user, 2);
    }

    /** The numeric gid of a group name, or null. */
    public static Integer gidOf(String group) {
        return idOf(Path.of("/etc/group"), group, 2);
    }

    /** The groups a user is listed in as a supplementary member. */
    public static Set<Integer> supplementaryGroups(String user) {
        Set<Integer> out = new HashSet<>();
        for (String[] f : read(Path.of("/etc/group")).values()) {
            if (f.length > 3) {
                for (String member : f[3].split(",")) {
                    if (member.trim().equals(user)) {
                        out.add(Integer.parseInt(f[2]));
                    }
                }
            }
        }
        return out;
    }

    private static Integer idOf(Path file, String name, int field) {
        if (name == null) {
            return null;
        }
        if (name.chars().allMatch(Character::isDigit) && !name.isEmpty()) {
            return Integer.parseInt(name);
        }
        String[] f = read(file).get(name);
        try {
            return f == null || f.length <= field ? null : Integer.parseInt(f[field]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Map<String, String[]> read(Path file) {
        Map<String, String[]> out = new HashMap<>();
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split(":", -1);
                out.putIfAbsent(f[0], f);
            }
        } catch (IOException e) {
            // no account files (containers): only numeric ids resolve
        }
        return out;
    }
}
