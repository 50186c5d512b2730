package net.barn.daemon;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import net.barn.core.identity.Invite;
import net.barn.core.identity.NodeId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds nodes on the local network without any server: every node announces its invite by
 * UDP multicast to {@value #GROUP}:{@value #PORT} (site-local scope) every 30 seconds and
 * listens for the others'. An announcement is only a hint: a node dialed from one still has
 * to prove its id in the handshake. Off with {@code --no-lan}.
 */
public final class LanDiscovery implements AutoCloseable {
    public static final String GROUP = "239.255.73.45";
    public static final int PORT = 7346;
    static final String PREFIX = "BARN1 ";
    private static final long PERIOD_MILLIS = 30_000;
    private static final Logger log = LoggerFactory.getLogger(LanDiscovery.class);

    private final NodeId self;
    private final String announcement;
    private final Consumer<Invite> found;
    private final DatagramChannel channel;
    private final List<NetworkInterface> interfaces;
    private final Map<NodeId, Long> lastHeard = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<NodeId, Long> eldest) {
            return size() > 1024;
        }
    };
    private volatile boolean closed;

    private LanDiscovery(NodeId self, Invite invite, Consumer<Invite> found, DatagramChannel channel,
            List<NetworkInterface> interfaces) {
        this.self = self;
        this.announcement = PREFIX + invite;
        this.found = found;
        this.channel = channel;
        this.interfaces = interfaces;
    }

    /** Starts announcing and listening; returns null (and logs why) if no interface can multicast. */
    public static LanDiscovery start(NodeId self, Invite invite, Consumer<Invite> found) {
        List<NetworkInterface> nics = new ArrayList<>();
        try {
            for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (nic.isUp() && nic.supportsMulticast() && !nic.isLoopback()
                        && Collections.list(nic.getInetAddresses()).stream().anyMatch(a -> a instanceof Inet4Address)) {
                    nics.add(nic);
                }
            }
            if (nics.isEmpty()) {
                log.info("LAN discovery off: no interface that can multicast");
                return null;
            }
            DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET)
                    .setOption(StandardSocketOptions.SO_REUSEADDR, true)
                    .bind(new InetSocketAddress(PORT));
            ch.setOption(StandardSocketOptions.IP_MULTICAST_TTL, 1);
            InetAddress group = InetAddress.getByName(GROUP);
            for (NetworkInterface nic : nics) {
                ch.join(group, nic);
            }
            LanDiscovery d = new LanDiscovery(self, invite, found, ch, nics);
            Thread.ofPlatform().daemon().name("barn-lan").start(d::listen);
            Thread.ofPlatform().daemon().name("barn-lan-announce").start(d::announceLoop);
            log.info("LAN discovery on {}:{} ({} interfaces)", GROUP, PORT, nics.size());
            return d;
        } catch (IOException e) {
            log.info("LAN discovery off: {}", e.getMessage());
            return null;
        }
    }

    private void announceLoop() {
        byte[] bytes = announcement.getBytes(StandardCharsets.US_ASCII);
        InetSocketAddress to = new InetSocketAddress(GROUP, PORT);
        while (!closed) {
            for (NetworkInterface nic : interfaces) {
                try {
                    channel.setOption(StandardSocketOptions.IP_MULTICAST_IF, nic);
                    channel.send(ByteBuffer.wrap(bytes), to);
                } catch (IOException e) {
                    log.debug("LAN announcement on {} failed: {}", nic.getName(), e.getMessage());
                }
            }
            try {
                Thread.sleep(PERIOD_MILLIS); // the announcement period, not a wait for an event
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void listen() {
        ByteBuffer buf = ByteBuffer.allocate(1500);
        while (!closed) {
            buf.clear();
            try {
                channel.receive(buf);
            } catch (IOException e) {
                if (!closed) {
                    log.debug("LAN discovery receive failed: {}", e.getMessage());
                }
                return;
            }
            buf.flip();
            String text = StandardCharsets.US_ASCII.decode(buf).toString().trim();
            if (!text.startsWith(PREFIX) || text.length() > Invite.MAX_LENGTH + PREFIX.length()) {
                continue;
            }
            Invite invite;
            try {
                invite = Invite.parse(text.substring(PREFIX.length()));
            } catch (IllegalArgumentException e) {
                continue; // not ours to understand
            }
            if (invite.nodeId().equals(self) || !fresh(invite.nodeId())) {
                continue;
            }
            found.accept(invite);
        }
    }

    /** At most one reaction per node per announcement period. */
    private synchronized boolean fresh(NodeId id) {
        long now = System.currentTimeMillis();
        Long last = lastHeard.get(id);
        if (last != null && now - last < PERIOD_MILLIS) {
            return false;
        }
        lastHeard.put(id, now);
        return true;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
