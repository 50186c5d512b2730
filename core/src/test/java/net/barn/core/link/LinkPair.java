package net.barn.core.link;

import java.util.ArrayList;
import java.util.List;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.mux.MuxEvent;

/**
 * Two links joined in memory under virtual time, in the style of quinn's Pair: transmits of
 * one side are delivered to the other by {@link #drive()}, timers fire by {@link #advance}.
 */
public final class LinkPair {
    public final Link client;
    public final Link server;
    public final List<LinkEvent> clientEvents = new ArrayList<>();
    public final List<LinkEvent> serverEvents = new ArrayList<>();
    public final List<MuxEvent> clientMuxEvents = new ArrayList<>();
    public final List<MuxEvent> serverMuxEvents = new ArrayList<>();
    private long now = 1_000_000_000L;
    /** Bytes delivered so far in each direction, to check what travels. */
    public long clientToServerBytes;
    public long serverToClientBytes;
    /** When false, the server's output is held back (a peer that stalls). */
    public boolean serverSends = true;

    public LinkPair(Identity clientId, Identity serverId, LinkConfig clientConfig, LinkConfig serverConfig, NodeId dialed) {
        this(new LinkCredentials(clientId, net.barn.core.crypto.X25519.generate(new SeededEntropy(11))),
                new LinkCredentials(serverId, net.barn.core.crypto.X25519.generate(new SeededEntropy(12))),
                clientConfig, serverConfig, dialed);
    }

    public LinkPair(LinkCredentials clientCreds, LinkCredentials serverCreds, LinkConfig clientConfig,
            LinkConfig serverConfig, NodeId dialed) {
        client = Link.initiate(clientCreds, clientConfig, dialed, new SeededEntropy(21), new VerifiedKeys(16), now);
        server = Link.accept(serverCreds, serverConfig, new SeededEntropy(22), new VerifiedKeys(16), now);
    }

    public long now() {
        return now;
    }

    /** Delivers transmits both ways until neither side has anything to send. */
    public void drive() {
        boolean progress = true;
        while (progress) {
            progress = pump(client, server, true);
            if (serverSends) {
                progress |= pump(server, client, false);
            }
            collect();
        }
    }

    private boolean pump(Link from, Link to, boolean fromClient) {
        boolean any = false;
        Transmit t;
        while ((t = from.pollTransmit(now)) != null) {
            any = true;
            switch (t) {
                case Transmit.Raw raw -> {
                    if (fromClient) {
                        clientToServerBytes += raw.bytes().length;
                    }
                    to.handlePreamble(now, raw.bytes());
                }
                case Transmit.Message m -> {
                    if (fromClient) {
                        clientToServerBytes += m.body().length + 2;
                    } else {
                        serverToClientBytes += m.body().length + 2;
                    }
                    to.handleMessage(now, m.body());
                }
            }
        }
        return any;
    }

    private void collect() {
        LinkEvent e;
        while ((e = client.pollEvent()) != null) {
            clientEvents.add(e);
        }
        while ((e = server.pollEvent()) != null) {
            serverEvents.add(e);
        }
        if (client.mux() != null) {
            MuxEvent m;
            while ((m = client.mux().pollEvent()) != null) {
                clientMuxEvents.add(m);
            }
        }
        if (server.mux() != null) {
            MuxEvent m;
            while ((m = server.mux().pollEvent()) != null) {
                serverMuxEvents.add(m);
            }
        }
    }

    /** Moves virtual time forward, firing due timers on both sides, then drives. */
    public void advance(long nanos) {
        long target = now + nanos;
        for (int guard = 0; guard < 1_000_000; guard++) {
            long next = Math.min(client.pollTimeout(), server.pollTimeout());
            if (next > target) {
                break;
            }
            now = Math.max(now, next);
            client.handleTimeout(now);
            server.handleTimeout(now);
            drive();
        }
        now = target;
        drive();
    }

    public LinkEvent.Closed clientClosed() {
        return closed(clientEvents);
    }

    public LinkEvent.Closed serverClosed() {
        return closed(serverEvents);
    }

    private static LinkEvent.Closed closed(List<LinkEvent> events) {
        return events.stream().filter(LinkEvent.Closed.class::isInstance).map(LinkEvent.Closed.class::cast)
                .findFirst().orElse(null);
    }
}
