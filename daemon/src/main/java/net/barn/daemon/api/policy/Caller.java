package net.barn.daemon.api.policy;

import java.util.Set;

/**
 * Who is on the other end of a local API connection: the OS user and groups the kernel
 * vouched for (SO_PEERCRED), and the application name it gave in its hello.
 */
public record Caller(int uid, String user, int gid, String group, Set<Integer> groups, String app) {
    public Caller {
        groups = Set.copyOf(groups);
    }

    public Caller withApp(String value) {
        return new Caller(uid, user, gid, group, groups, value);
    }

    /** For messages: "uid 1000 (alice)". */
    public String describe() {
        return "uid " + uid + (user != null && !user.equals(Integer.toString(uid)) ? " (" + user + ")" : "");
    }
}
