package net.barn.daemon.api.policy;

import java.util.List;
import java.util.Optional;

/**
 * Which local callers may use the node, and how. Rules are tried in order and the first that
 * matches decides. A caller no rule matches is refused, except the daemon's own user, who
 * then gets {@link Grant#OWNER}: with no policy file at all, the node's own user may do
 * everything and anyone else nothing.
 */
public record Policy(List<Rule> rules, int ownerUid, String source) {
    public Policy {
        rules = List.copyOf(rules);
    }

    public static Policy ownerOnly(int ownerUid) {
        return new Policy(List.of(), ownerUid, "built-in default (owner only)");
    }

    public Optional<Grant> grantFor(Caller caller) {
        for (Rule r : rules) {
            if (r.matches(caller)) {
                return Optional.of(r.grant());
            }
        }
        return caller.uid() == ownerUid ? Optional.of(Grant.OWNER) : Optional.empty();
    }
}
