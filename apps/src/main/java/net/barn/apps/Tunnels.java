package net.barn.apps;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import net.barn.sdk.Barn;
import net.barn.sdk.BarnConnection;
import net.barn.sdk.BarnListener;
import net.barn.wire.local.NameRequest;

/**
 * Tunnels: a local TCP service published under a BARN name ({@link #expose}), and reached
 * from any other node through a local port ({@link #connect}). Bytes pass unchanged, so any
 * server protocol (a game server, HTTP, SSH) runs over BARN as it is. Built on the client
 * SDK alone: the node's policy decides which names and services a tunnel may use.
 */
public final class Tunnels {
    /** Connections one tunnel end carries at once; further ones are refused, not queued. */
    public static final int MAX_CONNECTIONS = 256;
    private static final int BUFFER = 32 * 1024;

    private Tunnels() {}

    /** A running tunnel end; closing it stops accepting and ends its connections. */
    public static final class Tunnel implements AutoCloseable {
        private final AutoCloseable listener;
        private final AtomicBoolean closed = new AtomicBoolean();
        private final AtomicInteger connections = new AtomicInteger();
        private final String description;

        Tunnel(AutoCloseable listener, String description) {
            this.listener = listener;
            this.description = description;
        }

        /** Connections carried since it started. */
        public int connections() {
            return connections.get();
        }

        @Override
        public String toString() {
            return description;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                try {
                    listener.close();
                } catch (Exception ignored) {
                    // closing anyway
                }
            }
        }
    }

    /**
     * Publishes {@code target} (a TCP address this machine can reach) under the sub-name
     * {@code name} ("games/minecraft"): binds the service {@code name} on this node and
     * registers the name for {@code days}, pointing at it. Each BARN stream to the service
     * becomes a TCP connection to {@code target}.
     */
    public static Tunnel expose(Barn barn, String name, InetSocketAddress target, int days, Consumer<String> log)
            throws IOException {
        // The stream service carries the name itself, so the node's policy on services and
        // namespaces applies to the tunnel as to any application; service names are ASCII.
        String service = name.toLowerCase(java.util.Locale.ROOT);
        BarnListener listener;
        try {
            listener = barn.listen(service);
        } catch (net.barn.sdk.BarnException e) {
            throw new IOException("cannot serve \"" + name + "\": " + e.getMessage()
                    + " (a tunnel's name is a sub-name in ASCII, e.g. games/minecraft)", e);
        }
        Barn.Name registered;
        try {
            registered = barn.name(NameRequest.newBuilder().setOp(NameRequest.Op.REGISTER).setName(name)
                    .setService(listener.service()).setLeaseDays(days).build());
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        Tunnel t = new Tunnel(listener, registered.name() + " -> " + target);
        Semaphore slots = new Semaphore(MAX_CONNECTIONS);
        Thread.ofVirtual().name("barn-expose-" + registered.name()).start(() -> {
            while (!t.closed.get()) {
                BarnConnection c;
                try {
                    c = listener.accept();
                } catch (IOException e) {
                    if (!t.closed.get()) {
                        log.accept("stopped accepting: " + e.getMessage());
                    }
                    return;
                }
                if (!slots.tryAcquire()) {
                    c.reset("tunnel busy: " + MAX_CONNECTIONS + " connections already");
                    continue;
                }
                t.connections.incrementAndGet();
                Thread.ofVirtual().start(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(target, 10_000);
                        s.setTcpNoDelay(true);
                        splice(s, c);
                    } catch (IOException e) {
                        c.reset("cannot reach " + target + ": " + e.getMessage());
                        log.accept("a connection from " + c.peer() + " failed: " + e.getMessage());
                    } finally {
                        slots.release();
                    }
                });
            }
        });
        return t;
    }

    /**
     * Reaches the service registered as {@code name} through {@code listen}, a local TCP
     * address: each connection accepted there becomes a BARN stream to that service.
     */
    public static Tunnel connect(Barn barn, String name, InetSocketAddress listen, Consumer<String> log) throws IOException {
        Barn.Name where = resolve(barn, name);
        ServerSocket server = new ServerSocket();
        server.bind(listen);
        Tunnel t = new Tunnel(server, listen + " -> " + where.name() + " (" + where.target() + ")");
        Semaphore slots = new Semaphore(MAX_CONNECTIONS);
        Barn.Name[] current = {where};
        Thread.ofVirtual().name("barn-connect-" + where.name()).start(() -> {
            while (!t.closed.get()) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException e) {
                    if (!t.closed.get()) {
                        log.accept("stopped accepting: " + e.getMessage());
                    }
                    return;
                }
                if (!slots.tryAcquire()) {
                    closeQuietly(s);
                    continue;
                }
                t.connections.incrementAndGet();
                Thread.ofVirtual().start(() -> {
                    try (s) {
                        s.setTcpNoDelay(true);
                        BarnConnection c;
                        try {
                            c = dial(barn, current[0]);
                        } catch (IOException first) {
                            // The service may have moved to another node: read its name again, once.
                            current[0] = resolve(barn, name);
                            c = dial(barn, current[0]);
                        }
                        splice(s, c);
                    } catch (IOException e) {
                        log.accept("a connection to " + name + " failed: " + e.getMessage());
                    } finally {
                        slots.release();
                    }
                });
            }
        });
        return t;
    }

    private static Barn.Name resolve(Barn barn, String name) throws IOException {
        Barn.Name where = barn.nameResolve(name);
        if (!where.found()) {
            throw new IOException("\"" + name + "\" is not registered (expose it first: barn expose " + name + " --to HOST:PORT)");
        }
        if (!where.policyNote().isEmpty()) {
            throw new IOException("\"" + name + "\" is registered, but " + where.policyNote());
        }
        return where;
    }

    private static BarnConnection dial(Barn barn, Barn.Name where) throws IOException {
        return where.service().isEmpty() ? barn.dial(where.target(), where.port()) : barn.dial(where.target(), where.service());
    }

    /** Copies both ways until both sides have finished, passing each half-close on. */
    static void splice(Socket s, BarnConnection c) throws IOException {
        Thread back = Thread.ofVirtual().start(() -> {
            try {
                copy(c.input(), s.getOutputStream());
                s.shutdownOutput();
            } catch (IOException e) {
                closeQuietly(s);
            }
        });
        try {
            copy(s.getInputStream(), c.output());
            c.output().close();
        } catch (IOException e) {
            c.reset("local connection failed: " + e.getMessage());
        }
        try {
            back.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        c.close();
    }

    private static void copy(InputStream in, OutputStream out) throws IOException {
        byte[] buf = new byte[BUFFER];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            out.flush();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closing
        }
    }
}
