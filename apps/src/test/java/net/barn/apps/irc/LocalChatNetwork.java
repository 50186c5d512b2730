package net.barn.apps.irc;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** An in-memory chat network for tests of the IRC endpoint: one hub, one {@link Member} per connection. */
final class LocalChatNetwork {
    private final Map<String, Member> byNick = new HashMap<>();
    private final Map<String, Set<Member>> channels = new HashMap<>();
    private final Map<String, String> topics = new HashMap<>();

    private static String key(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    ChatNetwork connect() {
        return new Member();
    }

    final class Member implements ChatNetwork {
        private Listener listener;
        private String nick;
        private String user;
        private String realName;
        private final Set<String> joined = new LinkedHashSet<>();

        @Override
        public void attach(Listener l) {
            listener = l;
        }

        @Override
        public boolean claimNick(String n, String u, String r) {
            synchronized (LocalChatNetwork.this) {
                if (byNick.containsKey(key(n))) {
                    return false;
                }
                byNick.put(key(n), this);
                nick = n;
                user = u;
                realName = r;
                return true;
            }
        }

        @Override
        public boolean changeNick(String n) {
            List<Member> told;
            String old;
            synchronized (LocalChatNetwork.this) {
                Member holder = byNick.get(key(n));
                if (holder != null && holder != this) {
                    return false;
                }
                byNick.remove(key(nick));
                byNick.put(key(n), this);
                old = nick;
                nick = n;
                told = new ArrayList<>(byNick.values());
            }
            told.forEach(m -> m.listener.nickChanged(old, n));
            return true;
        }

        @Override
        public List<String> join(String channel) {
            List<Member> others;
            synchronized (LocalChatNetwork.this) {
                Set<Member> set = channels.computeIfAbsent(key(channel), x -> new LinkedHashSet<>());
                set.add(this);
                joined.add(channel);
                others = new ArrayList<>(set);
            }
            others.stream().filter(m -> m != this).forEach(m -> m.listener.joined(channel, nick));
            return members(channel);
        }

        @Override
        public void part(String channel, String reason) {
            List<Member> others;
            synchronized (LocalChatNetwork.this) {
                Set<Member> set = channels.getOrDefault(key(channel), new LinkedHashSet<>());
                set.remove(this);
                joined.removeIf(c -> key(c).equals(key(channel)));
                others = new ArrayList<>(set);
            }
            others.forEach(m -> m.listener.parted(channel, nick, reason));
        }

        @Override
        public boolean send(String target, String text, boolean notice) {
            List<Member> to;
            synchronized (LocalChatNetwork.this) {
                if (target.startsWith("#")) {
                    to = new ArrayList<>(channels.getOrDefault(key(target), Set.of()));
                    to.remove(this);
                } else {
                    Member m = byNick.get(key(target));
                    if (m == null) {
                        return false;
                    }
                    to = List.of(m);
                }
            }
            to.forEach(m -> m.listener.message(nick, target, text, notice));
            return true;
        }

        @Override
        public synchronized List<String> members(String channel) {
            synchronized (LocalChatNetwork.this) {
                return channels.getOrDefault(key(channel), Set.of()).stream().map(m -> m.nick).toList();
            }
        }

        @Override
        public String topic(String channel) {
            synchronized (LocalChatNetwork.this) {
                return topics.get(key(channel));
            }
        }

        @Override
        public boolean setTopic(String channel, String topic) {
            List<Member> to;
            synchronized (LocalChatNetwork.this) {
                topics.put(key(channel), topic);
                to = new ArrayList<>(channels.getOrDefault(key(channel), Set.of()));
            }
            to.forEach(m -> m.listener.topic(channel, nick, topic));
            return true;
        }

        @Override
        public User whois(String n) {
            synchronized (LocalChatNetwork.this) {
                Member m = byNick.get(key(n));
                return m == null ? null : new User(m.nick, m.user, "barn", m.realName, new ArrayList<>(m.joined));
            }
        }

        @Override
        public int[] counts() {
            synchronized (LocalChatNetwork.this) {
                return new int[] {byNick.size(), (int) channels.values().stream().filter(s -> !s.isEmpty()).count()};
            }
        }

        @Override
        public void quit(String reason) {
            List<Member> told;
            synchronized (LocalChatNetwork.this) {
                if (nick == null || byNick.get(key(nick)) != this) {
                    return;
                }
                byNick.remove(key(nick));
                Set<Member> peers = new LinkedHashSet<>();
                for (Set<Member> set : channels.values()) {
                    if (set.remove(this)) {
                        peers.addAll(set);
                    }
                }
                told = new ArrayList<>(peers);
            }
            told.forEach(m -> m.listener.quit(nick, reason));
        }
    }
}
