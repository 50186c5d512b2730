package net.barn.apps.irc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A local IRC endpoint: accepts IRC clients on a TCP address and gives each an
 * {@link IrcSession} over its own {@link ChatNetwork}. Lines longer than 512 bytes are
 * answered with 417 and skipped; a client over the flood limit (a burst of 50 lines, then 10
 * a second) is disconnected with "Excess Flood"; neither touches other clients.
 */
public final class IrcServer implements AutoCloseable {
    public static final int MAX_CLIENTS = 256;
    static final int FLOOD_BURST = 50;
    static final double FLOOD_RATE = 10;

    private final ServerSocket socket;
    private final String serverName;
    private final Supplier<ChatNetwork> networks;
    private final Semaphore slots = new Semaphore(MAX_CLIENTS);
    private final AtomicBoolean closed = new AtomicBoolean();

    private final int floodBurst;
    private final double floodRate;

    private IrcServer(ServerSocket socket, String serverName, Supplier<ChatNetwork> networks, int floodBurst, double floodRate) {
        this.floodBurst = floodBurst;
        this.floodRate = floodRate;
        this.socket = socket;
        this.serverName = serverName;
        this.networks = networks;
    }

    /** Listens on {@code address}; each client gets a network from {@code networks}. */
    public static IrcServer start(InetSocketAddress address, String serverName, Supplier<ChatNetwork> networks) throws IOException {
        return start(address, serverName, networks, FLOOD_BURST, FLOOD_RATE);
    }

    /** As above, with the flood limit: a burst of {@code floodBurst} lines, then {@code floodRate} a second. */
    public static IrcServer start(InetSocketAddress address, String serverName, Supplier<ChatNetwork> networks, int floodBurst,
            double floodRate) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(address);
        IrcServer server = new IrcServer(s, serverName, networks, floodBurst, floodRate);
        Thread.ofVirtual().name("barn-chat-accept").start(server::acceptLoop);
        return server;
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed.get()) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                return;
            }
            if (!slots.tryAcquire()) {
                try (client) {
                    client.getOutputStream().write(("ERROR :Closing Link: too many clients on this endpoint\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // going away anyway
                }
                continue;
            }
            Thread.ofPlatform().daemon().name("barn-chat-client").start(() -> {
                try {
                    serve(client);
                } finally {
                    slots.release();
                }
            });
        }
    }

    private void serve(Socket client) {
        String host = client.getInetAddress().getHostAddress().contains(":") ? "localhost" : client.getInetAddress().getHostAddress();
        OutputStream rawOut;
        InputStream in;
        try {
            client.setTcpNoDelay(true);
            rawOut = client.getOutputStream();
            in = client.getInputStream();
        } catch (IOException e) {
            closeQuietly(client);
            return;
        }
        Object writeLock = new Object();
        ChatNetwork network;
        try {
            network = networks.get();
        } catch (RuntimeException e) {
            write(rawOut, writeLock, "ERROR :Closing Link: " + e.getMessage());
            closeQuietly(client);
            return;
        }
        IrcSession session = new IrcSession(serverName, host, network, line -> write(rawOut, writeLock, line),
                () -> closeQuietly(client));
        // Network events run one at a time on a thread of their own, never inside the network's
        // calls: the network's own event thread if it has one, else a pump started here.
        LinkedBlockingQueue<Runnable> events = new LinkedBlockingQueue<>(10_000);
        boolean direct = network.callsListenerOnItsOwnThread();
        Thread pump = direct ? null : Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    show(session, events.take());
                }
            } catch (InterruptedException done) {
                // connection over
            }
        });
        network.attach(new ChatNetwork.Listener() {
            private void later(Runnable r) {
                if (direct) { // the network's own event thread: one hand-off fewer per message
                    synchronized (session) {
                        r.run();
                    }
                } else {
                    events.offer(r); // a client too slow to drain 10,000 events loses some rather than our memory
                }
            }

            @Override
            public void message(String fromNick, String target, String text, boolean notice) {
                later(() -> session.message(fromNick, target, text, notice));
            }

            @Override
            public void joined(String channel, String nick) {
                later(() -> session.joined(channel, nick));
            }

            @Override
            public void parted(String channel, String nick, String reason) {
                later(() -> session.parted(channel, nick, reason));
            }

            @Override
            public void quit(String nick, String reason) {
                later(() -> session.quit(nick, reason));
            }

            @Override
            public void nickChanged(String oldNick, String newNick) {
                later(() -> session.nickChanged(oldNick, newNick));
            }

            @Override
            public void topic(String channel, String nick, String topic) {
                later(() -> session.topic(channel, nick, topic));
            }
        });
        try {
            readLines(in, session, floodBurst, floodRate);
        } finally {
            synchronized (session) {
                session.connectionLost();
            }
            if (pump != null) {
                pump.interrupt();
            }
            try {
                network.close();
            } catch (Exception ignored) {
                // leaving anyway
            }
            closeQuietly(client);
        }
    }

    private static void show(IrcSession session, Runnable event) {
        synchronized (session) {
            try {
                event.run();
            } catch (RuntimeException e) {
                // one event this session could not show must not silence the ones after it
                System.getLogger("barn.chat").log(System.Logger.Level.WARNING, "chat event dropped", e);
            }
        }
    }

    /** Splits the stream into lines (LF, optional CR), enforcing the length and flood limits. */
    private static void readLines(InputStream in, IrcSession session, int floodBurst, double floodRate) {
        ByteArrayOutputStream line = new ByteArrayOutputStream(512);
        boolean overlong = false;
        double tokens = floodBurst;
        long last = System.nanoTime();
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                for (int i = 0; i < n; i++) {
                    byte b = buf[i];
                    if (b != '\n') {
                        if (line.size() < IrcMessage.MAX_LINE_BYTES) {
                            line.write(b);
                        } else {
                            overlong = true;
                        }
                        continue;
                    }
                    byte[] raw = line.toByteArray();
                    int len = raw.length > 0 && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
                    line.reset();
                    long now = System.nanoTime();
                    tokens = Math.min(floodBurst, tokens + (now - last) / 1e9 * floodRate);
                    last = now;
                    if (tokens < 1) {
                        synchronized (session) {
                            session.flooded();
                        }
                        return;
                    }
                    tokens--;
                    synchronized (session) {
                        if (overlong || len > IrcMessage.MAX_LINE_BYTES - 2) {
                            session.bad("too long", true);
                        } else if (len > 0) {
                            try {
                                session.handle(IrcMessage.parse(java.util.Arrays.copyOf(raw, len)));
                            } catch (IrcMessage.BadLine e) {
                                session.bad(e.getMessage(), false);
                            }
                        }
                    }
                    overlong = false;
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void write(OutputStream out, Object lock, String line) {
        synchronized (lock) {
            try {
                out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException ignored) {
                // the reader notices the closed connection
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
