package net.barn.apps.irc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnConnection;
import net.barn.sdk.BarnEvent;
import net.barn.sdk.BarnListener;
import net.barn.sdk.Role;
import net.barn.wire.local.NameRequest;

/**
 * The chat network of {@code barn chat}, on the client SDK alone. Channels are private mazes in
 * the {@code irc} namespace ("irc/#barn"): what is said in a channel is sealed for its current
 * members and signed by the speaker's node, so no member can read along after leaving or put
 * words in another node's mouth. A nick is the sub-name "irc/@nick", registered by the
 * user's node, pointing at the service of the same name where private messages arrive.
 * Inside a channel's maze members speak a line protocol (UTF-8): {@code HELLO nick},
 * {@code HERE nick}, {@code TOPICIS nick topic}, {@code MSG nick text}, {@code NOTICE nick text},
 * {@code TOPIC nick topic}, {@code PART nick reason}, {@code NICK old new}, {@code QUIT nick reason};
 * a private message is one stream carrying {@code from \t P|N \t text}.
 */
public final class BarnChatNetwork implements ChatNetwork {
    public static final String NAMESPACE = "irc";
    private static final int NICK_DAYS = 1;
    /** A nick's name is registered again this often while its connection lasts (its lease is a day). */
    public static final java.time.Duration NICK_RENEWAL = java.time.Duration.ofHours(6);

    private final Barn barn;
    private volatile Listener listener;
    private String nick;
    private BarnListener inbox;
    /** Per channel (lower case): its spelling, and the nicks of each member node. */
    private final Map<String, String> spelling = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Set<String>>> nicksByNode = new ConcurrentHashMap<>();
    private final Map<String, String> topics = new ConcurrentHashMap<>();
    /** Which node each nick's name points at, as last read (bounded): who may speak as that nick. */
    private final Map<String, String> owners = java.util.Collections.synchronizedMap(new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > 1024;
        }
    });
    private final java.util.concurrent.atomic.AtomicLong forged = new java.util.concurrent.atomic.AtomicLong();

    private final java.util.concurrent.atomic.AtomicLong eventsDropped = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Events are handled in order on a thread of their own: the SDK's reader must never wait on
     * our calls. At most 10,000 wait; past that (a client that stopped reading) events are
     * dropped and counted rather than held.
     */
    private final java.util.concurrent.ThreadPoolExecutor events = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0,
            java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(10_000),
            Thread.ofPlatform().daemon().name("barn-chat-events").factory(), (r, pool) -> eventsDropped.incrementAndGet());

    private final java.time.Duration renewEvery;
    private final java.util.concurrent.ScheduledExecutorService renewer =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("barn-chat-renew").factory());
    private java.util.concurrent.ScheduledFuture<?> renewal;

    private BarnChatNetwork(Barn barn, java.time.Duration renewEvery) {
        this.barn = barn;
        this.renewEvery = renewEvery;
        barn.onEvent(e -> events.execute(() -> event(e)));
    }

    /** A chat network for one IRC connection, through the node whose API socket is {@code socket}. */
    public static BarnChatNetwork connect(Path socket) throws IOException {
        return connect(socket, NICK_RENEWAL);
    }

    /** As above, renewing the nick's registration every {@code renewEvery}. */
    public static BarnChatNetwork connect(Path socket, java.time.Duration renewEvery) throws IOException {
        return new BarnChatNetwork(Barn.connect(socket, "barn-chat", Role.SERVER), renewEvery);
    }

    private static String key(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static String maze(String channel) {
        return NAMESPACE + "/" + key(channel);
    }

    private static final java.util.regex.Pattern BARN_NICK = java.util.regex.Pattern.compile("[a-z0-9]([a-z0-9_-]{0,28}[a-z0-9])?");

    private static String nickName(String nick) {
        return NAMESPACE + "/@" + key(nick);
    }

    /** The stream service private messages to a nick arrive on (service names have no '@'). */
    private static String nickService(String nick) {
        return NAMESPACE + "/nick-" + key(nick);
    }

    @Override
    public String nickProblem(String n) {
        return BARN_NICK.matcher(key(n)).matches() ? null
                : "nicks on BARN are letters, digits, '-' and '_', not first or last";
    }

    @Override
    public void attach(Listener l) {
        listener = l;
    }

    /** Events reach the listener from this network's own event thread, one at a time. */
    @Override
    public boolean callsListenerOnItsOwnThread() {
        return true;
    }

    /** Events dropped because the connection's client did not keep up (10,000 were waiting). */
    public long eventsDropped() {
        return eventsDropped.get();
    }

    @Override
    public synchronized boolean claimNick(String n, String user, String realName) {
        return take(n);
    }

    /** Registers irc/@nick for this node and serves its private messages; false if it is someone else's. */
    private boolean take(String n) {
        BarnListener box;
        try {
            box = barn.listen(nickService(n));
        } catch (IOException e) {
            return false; // another client of this node holds it, or the name cannot be a service
        }
        try {
            if (!register(n)) {
                box.close();
                return false;
            }
        } catch (IOException e) {
            box.close();
            return false;
        }
        BarnListener old = inbox;
        inbox = box;
        nick = n;
        if (renewal != null) {
            renewal.cancel(false);
        }
        long every = renewEvery.toMillis();
        renewal = renewer.scheduleAtFixedRate(() -> {
            try {
                register(n); // the same node registering again moves the lease on
            } catch (IOException | RuntimeException e) {
                // tried again at the next renewal; the lease outlasts several of them
            }
        }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        if (old != null) {
            old.close();
        }
        Thread.ofVirtual().name("barn-chat-inbox").start(() -> serveInbox(box));
        return true;
    }

    private boolean register(String n) throws IOException {
        return barn.name(NameRequest.newBuilder().setOp(NameRequest.Op.REGISTER).setName(nickName(n))
                .setService(nickService(n)).setLeaseDays(NICK_DAYS).build()).found();
    }

    private void serveInbox(BarnListener box) {
        while (true) {
            BarnConnection c;
            try {
                c = box.accept();
            } catch (IOException e) {
                return;
            }
            Thread.ofVirtual().start(() -> {
                try (c) {
                    c.setReadTimeout(10_000);
                    byte[] raw = readAtMost(c.input(), 2048);
                    String[] parts = new String(raw, StandardCharsets.UTF_8).split("\t", 3);
                    Listener l = listener;
                    if (parts.length == 3 && l != null && !parts[0].isEmpty() && owns(c.peer(), parts[0])) {
                        l.message(parts[0], nick, parts[2], parts[1].equals("N"));
                    }
                } catch (IOException ignored) {
                    // a sender that went away: nothing was delivered
                }
            });
        }
    }

    /**
     * True if {@code nick}'s name points at {@code node}: only then may that node speak as the
     * nick. A message claiming a nick its node does not hold is dropped and counted.
     */
    private boolean owns(String node, String who) {
        String k = key(who);
        String owner = owners.get(k);
        if (!node.equals(owner)) {
            try {
                Barn.Name where = barn.nameResolve(nickName(who));
                owner = where.found() ? where.target() : null;
            } catch (IOException e) {
                owner = null;
            }
            if (owner != null) {
                owners.put(k, owner);
            }
        }
        if (node.equals(owner)) {
            return true;
        }
        forged.incrementAndGet();
        return false;
    }

    /** Messages dropped because their sender's node does not hold the nick they claimed. */
    public long forged() {
        return forged.get();
    }

    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        byte[] buf = new byte[max];
        int n = 0;
        int r;
        while (n < max && (r = in.read(buf, n, max - n)) >= 0) {
            n += r;
        }
        return java.util.Arrays.copyOf(buf, n);
    }

    @Override
    public synchronized boolean changeNick(String newNick) {
        String old = nick;
        if (!take(newNick)) {
            return false;
        }
        for (String ch : spelling.keySet()) {
            say(ch, "NICK " + old + " " + newNick);
        }
        return true;
    }

    @Override
    public List<String> join(String channel) {
        String k = key(channel);
        spelling.putIfAbsent(k, channel);
        nicksByNode.computeIfAbsent(k, x -> new ConcurrentHashMap<>())
                .computeIfAbsent(barn.nodeId(), x -> ConcurrentHashMap.newKeySet()).add(nick);
        try {
            barn.mazeJoin(maze(channel), new byte[0], true);
        } catch (IOException e) {
            spelling.remove(k);
            throw new IllegalStateException("cannot join " + channel + ": " + e.getMessage(), e);
        }
        say(k, "HELLO " + nick);
        return members(channel);
    }

    @Override
    public void part(String channel, String reason) {
        String k = key(channel);
        say(k, "PART " + nick + " " + (reason == null ? "" : reason));
        spelling.remove(k);
        nicksByNode.remove(k);
        try {
            barn.mazeLeave(maze(channel));
        } catch (IOException ignored) {
            // leaving anyway
        }
    }

    private void say(String channelKey, String line) {
        try {
            barn.mazeSend(maze(channelKey), line.getBytes(StandardCharsets.UTF_8));
        } catch (IOException ignored) {
            // the maze reports failures as membership changes
        }
    }

    @Override
    public boolean send(String target, String text, boolean notice) {
        if (target.startsWith("#")) {
            if (!spelling.containsKey(key(target))) {
                return false;
            }
            say(key(target), (notice ? "NOTICE " : "MSG ") + nick + " " + text);
            return true;
        }
        try {
            Barn.Name where = barn.nameResolve(nickName(target));
            if (!where.found()) {
                return false;
            }
            try (BarnConnection c = barn.dial(where.target(), where.service())) {
                OutputStream o = c.output();
                o.write((nick + "\t" + (notice ? "N" : "P") + "\t" + text).getBytes(StandardCharsets.UTF_8));
                o.close();
                // Wait for the receiver to finish its side: closing before would reset the stream,
                // and a reset may overtake the message.
                c.setReadTimeout(10_000);
                c.input().readAllBytes();
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public List<String> members(String channel) {
        Set<String> all = new LinkedHashSet<>();
        nicksByNode.getOrDefault(key(channel), Map.of()).values().forEach(all::addAll);
        return new ArrayList<>(all);
    }

    @Override
    public String topic(String channel) {
        return topics.get(key(channel));
    }

    @Override
    public boolean setTopic(String channel, String topic) {
        if (!spelling.containsKey(key(channel))) {
            return false;
        }
        topics.put(key(channel), topic);
        say(key(channel), "TOPIC " + nick + " " + topic);
        return true;
    }

    @Override
    public User whois(String n) {
        for (var byNode : nicksByNode.entrySet()) {
            for (var e : byNode.getValue().entrySet()) {
                if (e.getValue().stream().anyMatch(x -> key(x).equals(key(n)))) {
                    return new User(n, "barn", e.getKey().substring(0, 8), n + " on BARN node " + e.getKey(), channelsOf(n));
                }
            }
        }
        try {
            Barn.Name where = barn.nameResolve(nickName(n));
            return where.found() ? new User(n, "barn", where.target().substring(0, 8), n + " on BARN node " + where.target(),
                    List.of()) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private List<String> channelsOf(String n) {
        List<String> out = new ArrayList<>();
        nicksByNode.forEach((k, byNode) -> {
            if (byNode.values().stream().anyMatch(s -> s.stream().anyMatch(x -> key(x).equals(key(n))))) {
                out.add(spelling.getOrDefault(k, k));
            }
        });
        return out;
    }

    @Override
    public int[] counts() {
        Set<String> nicks = new LinkedHashSet<>();
        nicksByNode.values().forEach(m -> m.values().forEach(nicks::addAll));
        if (nick != null) {
            nicks.add(nick);
        }
        return new int[] {nicks.size(), spelling.size()};
    }

    @Override
    public void quit(String reason) {
        for (String k : new ArrayList<>(spelling.keySet())) {
            say(k, "QUIT " + nick + " " + (reason == null ? "" : reason));
        }
        spelling.clear();
        events.shutdownNow();
        renewer.shutdownNow();
        barn.close(); // the node leaves the mazes and frees the nick's service with the session
    }

    // ---------------------------------------------------------------- from the node

    private void event(BarnEvent e) {
        Listener l = listener;
        if (l == null) {
            return;
        }
        switch (e) {
            case BarnEvent.MazeMessage m -> line(m.maze(), m.sender(), new String(m.payload(), StandardCharsets.UTF_8), l);
            case BarnEvent.MazeMembership m -> {
                if (m.change().equals("joined") && m.maze().startsWith(NAMESPACE + "/")) {
                    // A node joined the channel's maze: tell it who we are (its HELLO may have gone before it could reach us).
                    String k = m.maze().substring(NAMESPACE.length() + 1);
                    if (spelling.containsKey(k)) {
                        say(k, "HERE " + nick);
                        String topic = topics.get(k);
                        if (topic != null) {
                            say(k, "TOPICIS " + nick + " " + topic);
                        }
                    }
                } else {
                    String k = m.maze().substring(NAMESPACE.length() + 1);
                    Set<String> gone = nicksByNode.getOrDefault(k, Map.of()).remove(m.member());
                    if (gone != null) {
                        gone.forEach(n -> l.quit(n, m.change().equals("failed") ? "Connection lost" : "Left"));
                    }
                }
            }
            default -> { }
        }
    }

    private void line(String maze, String node, String text, Listener l) {
        if (!maze.startsWith(NAMESPACE + "/")) {
            return;
        }
        String k = maze.substring(NAMESPACE.length() + 1);
        String channel = spelling.get(k);
        if (channel == null) {
            return;
        }
        String[] w = text.split(" ", 3);
        if (w.length < 2 || w[1].isEmpty()) {
            return; // not our line protocol: ignored
        }
        String who = w[1];
        String rest = w.length > 2 ? w[2] : "";
        if (!owns(node, w[0].equals("NICK") ? rest : who)) {
            return; // a node speaking as a nick it does not hold
        }
        Map<String, Set<String>> byNode = nicksByNode.computeIfAbsent(k, x -> new ConcurrentHashMap<>());
        switch (w[0]) {
            case "HELLO" -> {
                if (byNode.computeIfAbsent(node, x -> ConcurrentHashMap.newKeySet()).add(who)) {
                    l.joined(channel, who);
                    say(k, "HERE " + nick);
                    String topic = topics.get(k);
                    if (topic != null) {
                        say(k, "TOPICIS " + nick + " " + topic);
                    }
                }
            }
            case "HERE" -> {
                if (byNode.computeIfAbsent(node, x -> ConcurrentHashMap.newKeySet()).add(who)) {
                    l.joined(channel, who);
                }
            }
            case "TOPICIS" -> topics.putIfAbsent(k, rest);
            case "MSG", "NOTICE" -> l.message(who, channel, rest, w[0].equals("NOTICE"));
            case "TOPIC" -> {
                topics.put(k, rest);
                l.topic(channel, who, rest);
            }
            case "PART" -> {
                Set<String> s = byNode.get(node);
                if (s != null) {
                    s.remove(who);
                }
                l.parted(channel, who, rest);
            }
            case "NICK" -> {
                Set<String> s = byNode.computeIfAbsent(node, x -> ConcurrentHashMap.newKeySet());
                s.remove(who);
                s.add(rest);
                l.nickChanged(who, rest);
            }
            case "QUIT" -> {
                Set<String> s = byNode.get(node);
                if (s != null) {
                    s.remove(who);
                }
                l.quit(who, rest);
            }
            default -> { }
        }
    }

    /** The nicks a channel's members announced, for tests and status. */
    Map<String, Set<String>> nicks(String channel) {
        return new LinkedHashMap<>(nicksByNode.getOrDefault(key(channel), Map.of()));
    }
}
