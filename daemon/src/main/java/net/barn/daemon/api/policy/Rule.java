package net.barn.daemon.api.policy;

/**
 * One {@code [[allow]]} entry: who it matches (any of user, uid, group, gid; optionally an
 * application name) and what it grants. {@code line} is where it starts in the file.
 */
public record Rule(String user, Integer uid, String group, Integer gid, String app, Grant grant, int line) {
    public boolean matches(Caller c) {
        boolean who = (user != null && (user.equals("*") || user.equals(c.user())))
                || (uid != null && uid == c.uid())
                || (group != null && (group.equals(c.group()) || groupMember(c)))
                || (gid != null && (gid == c.gid() || c.groups().contains(gid)));
        return who && (app == null || app.equals(c.app()));
    }

    private boolean groupMember(Caller c) {
        Integer id = UnixAccounts.gidOf(group);
        return id != null && (id == c.gid() || c.groups().contains(id));
    }
}
