package net.barn.core.identity;

import java.util.ArrayList;
import java.util.List;

/**
 * An invite string, exchanged out of band to meet a node: {@code barn:<node id>} followed
 * optionally by {@code @} and a comma-separated list of addresses. Dialing an invite fails
 * unless the answering node proves the id in the invite.
 */
public record Invite(NodeId nodeId, List<PeerAddress> addresses) {
    public static final String SCHEME = "barn:";
    public static final int MAX_ADDRESSES = 8;
    public static final int MAX_LENGTH = 1024;

    public Invite {
        addresses = List.copyOf(addresses);
        if (addresses.size() > MAX_ADDRESSES) {
            throw new IllegalArgumentException("an invite holds at most " + MAX_ADDRESSES + " addresses");
        }
    }

    public static Invite parse(String text) {
        String t = text.trim();
        if (t.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("invite longer than " + MAX_LENGTH + " characters");
        }
        if (!t.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            throw new IllegalArgumentException("an invite starts with 'barn:'");
        }
        String rest = t.substring(SCHEME.length());
        int at = rest.indexOf('@');
        String idText = at < 0 ? rest : rest.substring(0, at);
        NodeId id;
        try {
            id = NodeId.parse(idText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad node id in invite: " + e.getMessage());
        }
        List<PeerAddress> addresses = new ArrayList<>();
        if (at >= 0) {
            String list = rest.substring(at + 1);
            if (list.isEmpty()) {
                throw new IllegalArgumentException("invite has '@' but no address");
            }
            for (String part : list.split(",", -1)) {
                addresses.add(PeerAddress.parse(part));
            }
        }
        return new Invite(id, addresses);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(SCHEME).append(nodeId);
        for (int i = 0; i < addresses.size(); i++) {
            sb.append(i == 0 ? '@' : ',').append(addresses.get(i));
        }
        return sb.toString();
    }
}
