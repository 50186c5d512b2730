package net.barn.apps.irc;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * One IRC client's session with the local endpoint: registration, then the client-facing
 * commands of RFC 1459/2812 that ordinary clients use, answered with the numerics real
 * servers send. Messages go to and come from a {@link ChatNetwork}, which the caller attaches
 * this session to. Not thread-safe: the caller serialises client lines and network events.
 */
public final class IrcSession implements ChatNetwork.Listener {
    public static final int NICK_LENGTH = 30;
    public static final int CHANNEL_LENGTH = 50;
    public static final int TOPIC_LENGTH = 390;
    private static final Pattern NICK = Pattern.compile("[A-Za-z\\[\\]\\\\`_^{|}][A-Za-z0-9\\[\\]\\\\`_^{|}-]{0,29}");
    private static final Pattern CHANNEL = Pattern.compile("#[^\\s,\\x07:]{1,49}");

    private final String server;
    private final String host;
    private final ChatNetwork network;
    private final Consumer<String> out;
    private final Runnable hangUp;
    private final String created = Instant.now().toString();
    private final Set<String> channels = new LinkedHashSet<>();
    private String nick;
    private String user;
    private String realName;
    private boolean registered;
    private boolean closed;

    /**
     * @param server the name this endpoint calls itself
     * @param host the host clients are shown as coming from
     * @param out receives each line to send (without CR LF)
     * @param hangUp ends the connection (after QUIT or a fatal error)
     */
    public IrcSession(String server, String host, ChatNetwork network, Consumer<String> out, Runnable hangUp) {
        this.server = server;
        this.host = host;
        this.network = network;
        this.out = out;
        this.hangUp = hangUp;
    }

    public boolean isRegistered() {
        return registered;
    }

    public String nick() {
        return nick;
    }

    private String me() {
        return nick == null ? "*" : nick;
    }

    private String mask(String n) {
        return n + "!" + (n.equals(nick) && user != null ? user : "barn") + "@" + host;
    }

    private void send(String prefix, String command, String... params) {
        String line = IrcMessage.of(prefix, command, params).format();
        byte[] bytes = line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (bytes.length > IrcMessage.MAX_LINE_BYTES - 2) { // never send more than a client may read
            line = new String(java.util.Arrays.copyOf(bytes, IrcMessage.MAX_LINE_BYTES - 2), java.nio.charset.StandardCharsets.UTF_8)
                    .replace("\uFFFD", "");
        }
        out.accept(line);
    }

    private void numeric(String code, String... params) {
        String[] all = new String[params.length + 1];
        all[0] = me();
        System.arraycopy(params, 0, all, 1, params.length);
        send(server, code, all);
    }

    /** A line the reader could not parse, or that was too long: answered, never fatal. */
    public void bad(String why, boolean tooLong) {
        if (tooLong) {
            numeric("417", "Input line was too long");
        } else {
            send(server, "NOTICE", me(), "Line ignored: " + why);
        }
    }

    /** One client line. */
    public void handle(IrcMessage m) {
        if (closed) {
            return;
        }
        String c = m.command();
        switch (c) {
            case "CAP" -> cap(m);
            case "PASS" -> { } // no passwords: the node's policy decides who may connect
            case "NICK" -> nick(m);
            case "USER" -> user(m);
            case "PING" -> send(server, "PONG", server, m.params().isEmpty() ? server : m.param(0));
            case "PONG" -> { }
            case "QUIT" -> quit(m.params().isEmpty() ? "Quit" : m.param(0));
            default -> {
                if (!registered) {
                    numeric("451", "You have not registered");
                    return;
                }
                registeredCommand(c, m);
            }
        }
    }

    private void registeredCommand(String c, IrcMessage m) {
        switch (c) {
            case "JOIN" -> join(m);
            case "PART" -> part(m);
            case "PRIVMSG" -> message(m, false);
            case "NOTICE" -> message(m, true);
            case "TOPIC" -> topic(m);
            case "NAMES" -> {
                if (m.params().isEmpty()) {
                    channels.forEach(this::names);
                } else {
                    for (String ch : m.param(0).split(",")) {
                        names(ch);
                    }
                }
            }
            case "WHO" -> who(m);
            case "WHOIS" -> whois(m);
            case "LUSERS" -> lusers();
            case "MOTD" -> motd();
            case "MODE" -> mode(m);
            case "USERHOST" -> {
                List<String> replies = new ArrayList<>();
                for (String n : m.params()) {
                    if (network.whois(n) != null) {
                        replies.add(n + "=+" + (n.equalsIgnoreCase(nick) ? user : "barn") + "@" + host);
                    }
                }
                numeric("302", String.join(" ", replies));
            }
            case "ISON" -> {
                List<String> on = new ArrayList<>();
                for (String p : m.params()) {
                    for (String n : p.split(" ")) {
                        if (!n.isEmpty() && network.whois(n) != null) {
                            on.add(n);
                        }
                    }
                }
                numeric("303", String.join(" ", on));
            }
            case "AWAY" -> numeric(m.params().isEmpty() || m.param(0).isEmpty() ? "305" : "306",
                    m.params().isEmpty() || m.param(0).isEmpty() ? "You are no longer marked as being away"
                            : "You have been marked as being away");
            default -> numeric("421", c, "Unknown command");
        }
    }

    private void cap(IrcMessage m) {
        String sub = m.param(0) == null ? "" : m.param(0).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "LS", "LIST" -> send(server, "CAP", me(), sub, "");
            case "REQ" -> send(server, "CAP", me(), "NAK", m.param(1) == null ? "" : m.param(1));
            default -> { } // END and the rest: nothing to negotiate
        }
    }

    private void nick(IrcMessage m) {
        String wanted = m.param(0);
        if (wanted == null || wanted.isEmpty()) {
            numeric("431", "No nickname given");
            return;
        }
        if (!NICK.matcher(wanted).matches()) {
            numeric("432", wanted, "Erroneous nickname");
            return;
        }
        String why = network.nickProblem(wanted);
        if (why != null) {
            numeric("432", wanted, "Erroneous nickname: " + why);
            return;
        }
        if (wanted.equals(nick)) {
            return;
        }
        if (!registered) {
            if (nick != null && !nick.equalsIgnoreCase(wanted)) {
                network.quit("changing nick before registering");
            }
            nick = wanted;
            tryRegister();
            return;
        }
        String old = mask(nick);
        if (!network.changeNick(wanted)) {
            numeric("433", wanted, "Nickname is already in use");
            return;
        }
        nick = wanted;
        send(old, "NICK", wanted);
    }

    private void user(IrcMessage m) {
        if (registered) {
            numeric("462", "You may not reregister");
            return;
        }
        if (m.params().size() < 4) {
            numeric("461", "USER", "Not enough parameters");
            return;
        }
        user = m.param(0).replaceAll("[^A-Za-z0-9._-]", "");
        if (user.isEmpty()) {
            user = "user";
        }
        realName = m.param(3);
        tryRegister();
    }

    private void tryRegister() {
        if (nick == null || user == null || registered) {
            return;
        }
        if (!network.claimNick(nick, user, realName)) {
            String taken = nick;
            nick = null; // still unregistered: numerics address "*"
            numeric("433", taken, "Nickname is already in use");
            return;
        }
        registered = true;
        numeric("001", "Welcome to the BARN IRC network " + mask(nick));
        numeric("002", "Your host is " + server + ", running barn-chat (no IRC server: every message travels over BARN)");
        numeric("003", "This server was created " + created);
        numeric("004", server, "barn-chat", "io", "nt");
        numeric("005", "CHANTYPES=#", "NICKLEN=" + NICK_LENGTH, "CHANNELLEN=" + CHANNEL_LENGTH, "TOPICLEN=" + TOPIC_LENGTH,
                "CASEMAPPING=ascii", "NETWORK=BARN", "PREFIX=()", "CHANMODES=,,,nt", "are supported by this server");
        lusers();
        motd();
    }

    private void lusers() {
        int[] c = network.counts();
        numeric("251", "There are " + c[0] + " users and 0 invisible on 1 servers");
        numeric("254", String.valueOf(c[1]), "channels formed");
        numeric("255", "I have " + c[0] + " clients and 1 servers");
    }

    private void motd() {
        numeric("375", "- " + server + " Message of the day - ");
        numeric("372", "- This endpoint is your own BARN node: channels and nicks live in the");
        numeric("372", "- 'irc' namespace of a network with no server anywhere.");
        numeric("376", "End of /MOTD command.");
    }

    private static String key(String name) {
        return name.toLowerCase(Locale.ROOT);
    }

    private String ourChannel(String name) {
        for (String c : channels) {
            if (key(c).equals(key(name))) {
                return c;
            }
        }
        return null;
    }

    private void join(IrcMessage m) {
        if (m.params().isEmpty()) {
            numeric("461", "JOIN", "Not enough parameters");
            return;
        }
        if (m.param(0).equals("0")) {
            for (String c : new ArrayList<>(channels)) {
                part(IrcMessage.of(null, "PART", c, "Left all channels"));
            }
            return;
        }
        for (String name : m.param(0).split(",")) {
            if (!CHANNEL.matcher(name).matches()) {
                numeric("403", name, "No such channel");
                continue;
            }
            if (ourChannel(name) != null) {
                continue;
            }
            List<String> members;
            try {
                members = network.join(name);
            } catch (RuntimeException e) {
                numeric("403", name, "Cannot join: " + e.getMessage());
                continue;
            }
            channels.add(name);
            send(mask(nick), "JOIN", name);
            String topic = network.topic(name);
            if (topic == null || topic.isEmpty()) {
                numeric("331", name, "No topic is set");
            } else {
                numeric("332", name, topic);
            }
            namesReply(name, members);
        }
    }

    private void part(IrcMessage m) {
        if (m.params().isEmpty()) {
            numeric("461", "PART", "Not enough parameters");
            return;
        }
        String reason = m.param(1) == null ? "" : m.param(1);
        for (String name : m.param(0).split(",")) {
            String ch = ourChannel(name);
            if (ch == null) {
                numeric("442", name, "You're not on that channel");
                continue;
            }
            network.part(ch, reason);
            channels.remove(ch);
            if (reason.isEmpty()) {
                send(mask(nick), "PART", ch);
            } else {
                send(mask(nick), "PART", ch, reason);
            }
        }
    }

    private void message(IrcMessage m, boolean notice) {
        String command = notice ? "NOTICE" : "PRIVMSG";
        if (m.params().isEmpty()) {
            if (!notice) {
                numeric("411", "No recipient given (" + command + ")");
            }
            return;
        }
        if (m.params().size() < 2 || m.param(1).isEmpty()) {
            if (!notice) {
                numeric("412", "No text to send");
            }
            return;
        }
        for (String target : m.param(0).split(",")) {
            if (target.startsWith("#")) {
                String ch = ourChannel(target);
                if (ch == null) {
                    if (!notice) {
                        numeric(CHANNEL.matcher(target).matches() ? "404" : "403", target,
                                CHANNEL.matcher(target).matches() ? "Cannot send to channel (join it first)" : "No such channel");
                    }
                    continue;
                }
                network.send(ch, m.param(1), notice);
            } else if (!network.send(target, m.param(1), notice) && !notice) {
                numeric("401", target, "No such nick/channel");
            }
        }
    }

    private void topic(IrcMessage m) {
        if (m.params().isEmpty()) {
            numeric("461", "TOPIC", "Not enough parameters");
            return;
        }
        String ch = ourChannel(m.param(0));
        if (ch == null) {
            numeric("442", m.param(0), "You're not on that channel");
            return;
        }
        if (m.params().size() == 1) {
            String topic = network.topic(ch);
            if (topic == null || topic.isEmpty()) {
                numeric("331", ch, "No topic is set");
            } else {
                numeric("332", ch, topic);
            }
            return;
        }
        String topic = m.param(1);
        if (topic.length() > TOPIC_LENGTH) {
            topic = topic.substring(0, TOPIC_LENGTH);
        }
        network.setTopic(ch, topic);
        send(mask(nick), "TOPIC", ch, topic);
    }

    private void names(String channel) {
        String ch = ourChannel(channel);
        if (ch == null) {
            numeric("366", channel, "End of /NAMES list");
            return;
        }
        namesReply(ch, network.members(ch));
    }

    private void namesReply(String ch, List<String> members) {
        // Several 353 lines if needed: each stays well under 512 bytes.
        StringBuilder line = new StringBuilder();
        for (String n : members) {
            if (line.length() + n.length() + 1 > 400) {
                numeric("353", "=", ch, line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(n);
        }
        if (line.length() > 0) {
            numeric("353", "=", ch, line.toString());
        }
        numeric("366", ch, "End of /NAMES list");
    }

    private void who(IrcMessage m) {
        String mask = m.param(0) == null ? "*" : m.param(0);
        String ch = mask.startsWith("#") ? ourChannel(mask) : null;
        List<String> nicks = ch != null ? network.members(ch) : mask.equals("*") ? List.of() : List.of(mask);
        for (String n : nicks) {
            ChatNetwork.User u = network.whois(n);
            if (u != null) {
                numeric("352", ch == null ? "*" : ch, u.user(), u.host(), server, u.nick(), "H", "0 " + u.realName());
            }
        }
        numeric("315", mask, "End of /WHO list");
    }

    private void whois(IrcMessage m) {
        if (m.params().isEmpty()) {
            numeric("431", "No nickname given");
            return;
        }
        String target = m.param(m.params().size() - 1);
        ChatNetwork.User u = network.whois(target);
        if (u == null) {
            numeric("401", target, "No such nick/channel");
        } else {
            numeric("311", u.nick(), u.user(), u.host(), "*", u.realName());
            if (!u.channels().isEmpty()) {
                numeric("319", u.nick(), String.join(" ", u.channels()));
            }
            numeric("312", u.nick(), server, "a BARN node");
        }
        numeric("318", target, "End of /WHOIS list");
    }

    private void mode(IrcMessage m) {
        String target = m.param(0);
        if (target == null) {
            numeric("461", "MODE", "Not enough parameters");
        } else if (target.startsWith("#")) {
            String ch = ourChannel(target);
            if (ch == null) {
                numeric("403", target, "No such channel");
            } else if (m.params().size() == 1) {
                numeric("324", ch, "+nt");
            } else if (m.param(1).equals("b") || m.param(1).equals("+b")) {
                numeric("368", ch, "End of channel ban list");
            } else {
                numeric("482", ch, "Channel modes are fixed on BARN");
            }
        } else if (target.equalsIgnoreCase(nick)) {
            numeric("221", "+i");
        } else {
            numeric("502", "Cannot change mode for other users");
        }
    }

    private void quit(String reason) {
        if (closed) {
            return;
        }
        closed = true;
        network.quit(reason);
        send(null, "ERROR", "Closing Link: " + host + " (Quit: " + reason + ")");
        hangUp.run();
    }

    /** The connection ended without a QUIT. */
    public void connectionLost() {
        if (!closed) {
            closed = true;
            network.quit("Connection closed");
        }
    }

    /** The reader saw more lines than the flood limit allows: end this session only. */
    public void flooded() {
        if (!closed) {
            closed = true;
            network.quit("Excess Flood");
            send(null, "ERROR", "Closing Link: " + host + " (Excess Flood)");
            hangUp.run();
        }
    }

    // ---------------------------------------------------------------- from the network

    @Override
    public void message(String fromNick, String target, String text, boolean notice) {
        String to = target.startsWith("#") ? ourChannel(target) : me();
        if (to != null) { // channels as this client spelled them when it joined
            send(mask(fromNick), notice ? "NOTICE" : "PRIVMSG", to, text);
        }
    }

    @Override
    public void joined(String channel, String who) {
        String ch = ourChannel(channel);
        if (ch != null && !who.equals(nick)) {
            send(mask(who), "JOIN", ch);
        }
    }

    @Override
    public void parted(String channel, String who, String reason) {
        String ch = ourChannel(channel);
        if (ch != null && !who.equals(nick)) {
            if (reason == null || reason.isEmpty()) {
                send(mask(who), "PART", ch);
            } else {
                send(mask(who), "PART", ch, reason);
            }
        }
    }

    @Override
    public void quit(String who, String reason) {
        if (!who.equals(nick)) {
            send(mask(who), "QUIT", reason == null ? "Quit" : reason);
        }
    }

    @Override
    public void nickChanged(String oldNick, String newNick) {
        if (!oldNick.equals(nick)) {
            send(mask(oldNick), "NICK", newNick);
        }
    }

    @Override
    public void topic(String channel, String who, String topic) {
        String ch = ourChannel(channel);
        if (ch != null && !who.equals(nick)) {
            send(mask(who), "TOPIC", ch, topic);
        }
    }
}
