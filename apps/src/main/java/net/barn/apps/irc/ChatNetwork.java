package net.barn.apps.irc;

import java.util.List;

/**
 * What the IRC endpoint needs from a chat network: nicks that belong to one user at a time,
 * channels with members and a topic, and messages to a channel or a nick. One instance
 * serves one local IRC connection ({@link IrcSession}); events arrive through the
 * {@link Listener} given at {@link #attach}.
 */
public interface ChatNetwork extends AutoCloseable {
    /** What the network tells a connection. */
    interface Listener {
        void message(String fromNick, String target, String text, boolean notice);

        void joined(String channel, String nick);

        void parted(String channel, String nick, String reason);

        void quit(String nick, String reason);

        void nickChanged(String oldNick, String newNick);

        void topic(String channel, String nick, String topic);
    }

    /** A user as WHOIS and WHO show it. */
    record User(String nick, String user, String host, String realName, List<String> channels) {}

    void attach(Listener listener);

    /**
     * True if this network calls its listener only from a thread of its own, one event at a
     * time, never from inside one of its methods and never waiting on the connection: the
     * endpoint then shows events on that thread instead of handing them to another.
     */
    default boolean callsListenerOnItsOwnThread() {
        return false;
    }

    /** Null if {@code nick} can be a nick on this network, else why not (stricter than IRC's syntax is allowed). */
    default String nickProblem(String nick) {
        return null;
    }

    /** Takes {@code nick} for this connection; false if someone else holds it. */
    boolean claimNick(String nick, String user, String realName);

    /** Moves this connection to {@code newNick}; false if someone else holds it. */
    boolean changeNick(String newNick);

    /** Joins a channel; returns its members (nicks, this one included). */
    List<String> join(String channel);

    void part(String channel, String reason);

    /** Sends to a channel this connection is in, or to a nick; false if there is no such channel or nick. */
    boolean send(String target, String text, boolean notice);

    List<String> members(String channel);

    /** The channel's topic, or null. */
    String topic(String channel);

    /** Sets the topic; false if this connection is not in the channel. */
    boolean setTopic(String channel, String topic);

    /** Null if no one holds the nick. */
    User whois(String nick);

    /** Users and channels this network knows of, for LUSERS. */
    int[] counts();

    /** Leaves every channel and gives the nick up. */
    void quit(String reason);

    @Override
    default void close() {
        quit("connection closed");
    }
}
