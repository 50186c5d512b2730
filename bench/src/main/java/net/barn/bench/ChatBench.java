package net.barn.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import net.barn.apps.irc.BarnChatNetwork;
import net.barn.apps.irc.IrcServer;
import net.barn.core.identity.PowParams;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;

/**
 * Chat beside a real IRC server, in one run: the same IRC clients in one channel, first all
 * on ngircd (on loopback), then each on its own BARN node through the barn chat endpoint.
 * One client sends at fixed rates; every other one records when each message arrives.
 */
public final class ChatBench {
    private ChatBench() {}

    private static final int[] RATES = {20, 50, 100, 200, 400, 800, 1600, 3200};
    private static final int WARMUP_MESSAGES = 1000;

    /** What one setup measured. */
    record Result(String label, double p50Ms, double p99Ms, int reference, int highestWithoutLoss, String lossNote) {}

    public static void run(int clients, int seconds) throws Exception {
        if (clients < 2 || clients > 64 || seconds < 1 || seconds > 60) {
            throw new IllegalArgumentException("--clients must be 2..64, --seconds 1..60");
        }
        Path dir = Files.createTempDirectory("barn-bench-chat");
        Result irc = ngircd(dir, clients, seconds);
        Result barn = barn(dir, clients, seconds);
        System.out.printf("# barn bench chat, %s: %d IRC clients in one channel, %d s per rate, Java %s%n%n", LocalDate.now(),
                clients, seconds, Runtime.version());
        System.out.println("| setup | latency p50 | latency p99 (at " + RATES[0] + " msg/s) | highest rate without loss |");
        System.out.println("|---|---|---|---|");
        for (Result r : List.of(irc, barn)) {
            System.out.printf("| %s | %.1f ms | %.1f ms | %d msg/s%s |%n", r.label(), r.p50Ms(), r.p99Ms(), r.highestWithoutLoss(),
                    r.lossNote().isEmpty() ? "" : " (" + r.lossNote() + ")");
        }
        System.out.printf("%nratios BARN / ngircd: p99 %.2f, sustained rate %.2f%n", barn.p99Ms() / irc.p99Ms(),
                barn.highestWithoutLoss() / (double) Math.max(1, irc.highestWithoutLoss()));
    }

    private static Result ngircd(Path dir, int clients, int seconds) throws Exception {
        int port = freePort();
        Path conf = dir.resolve("ngircd.conf");
        Files.writeString(conf, """
                [Global]
                Name = bench.irc
                Info = ngircd for barn bench chat
                Listen = 127.0.0.1
                Ports = %d
                [Limits]
                MaxConnections = 0
                MaxConnectionsIP = 0
                MaxJoins = 0
                MaxPenaltyTime = 0
                PingTimeout = 120
                [Options]
                DNS = no
                Ident = no
                PAM = no
                """.formatted(port));
        Process ngircd;
        try {
            ngircd = new ProcessBuilder("ngircd", "-n", "-f", conf.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("ngircd.log").toFile()).start();
        } catch (IOException e) {
            throw new IOException("ngircd is not installed: apt-get install ngircd (the anchor of this benchmark)", e);
        }
        try {
            awaitPort(port);
            return measure("ngircd (one server, " + clients + " clients)", clients, seconds, i -> port);
        } finally {
            ngircd.destroy();
            ngircd.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Result barn(Path dir, int clients, int seconds) throws Exception {
        PowParams pow = new PowParams(2, 6);
        List<DhtBench.Daemon> daemons = new ArrayList<>();
        List<IrcServer> endpoints = new ArrayList<>();
        Random random = new Random(clients);
        try {
            for (int i = 0; i < clients; i++) {
                List<String> seeds = new ArrayList<>();
                if (!daemons.isEmpty()) {
                    seeds.add(daemons.get(random.nextInt(daemons.size())).invite().toString());
                }
                daemons.add(DhtBench.start(Files.createDirectories(dir.resolve("n" + i)), pow, seeds));
            }
            for (DhtBench.Daemon d : daemons) {
                DhtBench.awaitTable(d, 3);
            }
            try (Barn owner = Barn.connect(daemons.get(0).socket(), "bench", Role.CLIENT)) {
                owner.nameClaim(BarnChatNetwork.NAMESPACE, 30);
            }
            for (DhtBench.Daemon d : daemons) {
                Path socket = d.socket();
                // The endpoint of barn chat, without its flood limit: the sender is the load.
                endpoints.add(IrcServer.start(new InetSocketAddress("127.0.0.1", 0), "bench.barn", () -> {
                    try {
                        return BarnChatNetwork.connect(socket);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, 1_000_000, 1_000_000));
            }
            return measure("BARN (" + clients + " nodes, barn chat on each)", clients, seconds,
                    i -> endpoints.get(i).address().getPort());
        } finally {
            endpoints.forEach(IrcServer::close);
            for (DhtBench.Daemon d : daemons) {
                d.process().getOutputStream().close();
            }
            for (DhtBench.Daemon d : daemons) {
                if (!d.process().waitFor(10, TimeUnit.SECONDS)) {
                    d.process().destroyForcibly();
                }
            }
        }
    }

    /** A client: registered, in #bench, recording latencies of the messages it reads. */
    private static final class Client {
        final Socket socket;
        final OutputStream out;
        final List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
        final AtomicLong names = new AtomicLong();
        volatile int lastNames;
        final java.util.concurrent.ConcurrentLinkedDeque<String> recent = new java.util.concurrent.ConcurrentLinkedDeque<>();

        Client(int port, String nick) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8))) {
                    String l;
                    while ((l = r.readLine()) != null) {
                        if (!l.contains(" 366 ") && recent.size() < 40) {
                            recent.add(l);
                        }
                        int at = l.indexOf("PRIVMSG #bench :t=");
                        if (at >= 0) {
                            long sent = Long.parseLong(l.substring(at + "PRIVMSG #bench :t=".length()).split(" ")[0]);
                            latencies.add(System.nanoTime() - sent);
                        } else if (l.contains(" 353 ")) {
                            lastNames = l.substring(l.lastIndexOf(':') + 1).split(" ").length;
                            names.incrementAndGet();
                        } else if (l.startsWith("PING")) {
                            send("PONG " + l.substring(5));
                        }
                    }
                } catch (IOException ignored) {
                    // closed
                }
            });
            send("NICK " + nick, "USER " + nick + " 0 * :bench", "JOIN #bench");
        }

        synchronized void send(String... lines) {
            try {
                for (String l : lines) {
                    out.write((l + "\r\n").getBytes(StandardCharsets.UTF_8));
                }
                out.flush();
            } catch (IOException ignored) {
                // measured as loss
            }
        }
    }

    private static Result measure(String label, int clients, int seconds, IntFunction<Integer> portOf) throws Exception {
        List<Client> all = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            all.add(new Client(portOf.apply(i), "c" + i));
        }
        // Everyone is in before anyone speaks: the sender's NAMES lists them all.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Client sender = all.get(0);
        while (sender.lastNames < clients && System.nanoTime() < deadline) {
            sender.send("NAMES #bench");
            Thread.sleep(200); // polling interval: the channel forms
        }
        if (sender.lastNames < clients) {
            throw new IOException(label + ": only " + sender.lastNames + " of " + clients + " clients in the channel after 90 s;"
                    + " the sender's last lines: " + sender.recent);
        }
        List<Client> receivers = all.subList(1, all.size());
        // Warm-up, not measured: 1,000 messages at 100 a second, so that code paths are compiled
        // (a running node is warm; a JVM that just started is not) and every link is open.
        for (int n = 0; n < WARMUP_MESSAGES; n++) {
            sender.send("PRIVMSG #bench :warm-up " + n);
            Thread.sleep(10); // the warm-up's pace
        }
        Thread.sleep(2000); // the warm-up drains
        List<Long> reference = new ArrayList<>();
        int best = 0;
        String note = "";
        for (int rate : RATES) {
            receivers.forEach(c -> c.latencies.clear());
            int count = rate * seconds;
            long gap = 1_000_000_000L / rate;
            long start = System.nanoTime();
            for (int n = 0; n < count; n++) {
                long due = start + n * gap;
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                sender.send("PRIVMSG #bench :t=" + System.nanoTime() + " n=" + n);
            }
            Thread.sleep(3000); // the drain window being measured: late arrivals still count
            int lost = 0;
            for (Client c : receivers) {
                lost += Math.max(0, count - c.latencies.size());
            }
            if (rate == RATES[0]) {
                receivers.forEach(c -> reference.addAll(c.latencies));
            }
            if (lost > 0) {
                note = "at " + rate + " msg/s " + lost + " of " + count * receivers.size() + " deliveries missing";
                break;
            }
            best = rate;
        }
        all.forEach(c -> {
            try {
                c.socket.close();
            } catch (IOException ignored) {
                // done
            }
        });
        double[] ms = reference.stream().mapToDouble(n -> n / 1e6).sorted().toArray();
        return new Result(label, DhtBench.pct(ms, 0.5), DhtBench.pct(ms, 0.99), RATES[0], best, note);
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void awaitPort(int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50); // polling interval: the server starts
            }
        }
        throw new IOException("ngircd did not start on port " + port);
    }
}
