package net.barn.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PowParams;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BlockingStream;
import net.barn.daemon.BuiltinServices;
import net.barn.daemon.DhtService;
import net.barn.daemon.LinkException;
import net.barn.daemon.NodeConfig;
import net.barn.daemon.PeerLink;
import net.barn.daemon.store.DataDir;
import net.barn.daemon.store.StateStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Runs a small BARN network on this machine and says what happens.",
                "Starts nodes on loopback, links them by invite, opens streams and sends datagrams",
                "between them, and explains each step."})
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "3", description = "How many nodes (2-8, default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--pow", paramLabel = "STATIC,DYNAMIC", defaultValue = "8,22",
            description = "Proof-of-work difficulty of the demo network (default ${DEFAULT-VALUE}).")
    PowParams pow;

    @Option(names = "--irc", defaultValue = "127.0.0.1:6667", paramLabel = "HOST:PORT",
            description = "Where the demo's IRC endpoint listens (default ${DEFAULT-VALUE}; another free port if taken).")
    String irc;

    @Option(names = "--exit", description = "Exit after the steps instead of waiting for Ctrl-C (the default when not on a terminal).")
    boolean exit;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    private PrintWriter out;

    @Override
    public Integer call() throws Exception {
        if (nodes < 2 || nodes > 8) {
            throw new IllegalArgumentException("--nodes must be 2 to 8");
        }
        out = spec.commandLine().getOut();
        Path root = Files.createTempDirectory("barn-demo-");
        List<BarnNode> running = new ArrayList<>();
        List<AutoCloseable> services = new ArrayList<>();
        Thread cleanup = new Thread(() -> stop(services, running, root), "barn-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            run(root, running, services);
        } finally {
            stop(services, running, root);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        return 0;
    }

    private void run(Path root, List<BarnNode> running, List<AutoCloseable> services) throws Exception {
        out.printf("BARN demo: %d nodes on this machine, talking over loopback only.%n%n", nodes);

        out.println("1. Starting the nodes. Each makes an identity: an Ed25519 key whose node id");
        out.println("   (the SHA-256 of the key) is only valid with a proof of work, so ids are not free.");
        for (int i = 0; i < nodes; i++) {
            long t0 = System.nanoTime();
            NodeConfig config = NodeConfig.defaults(root.resolve(name(i)), new InetSocketAddress("127.0.0.1", 0)).withPow(pow);
            BarnNode node = BarnNode.start(config);
            running.add(node);
            out.printf("   node %s  id %s  on %s  (identity made in %.2f s)%n", name(i), node.id().shortForm(),
                    node.invite().addresses().get(0), (System.nanoTime() - t0) / 1e9);
        }
        out.printf("   An invite is how you tell another node where you are, e.g. node A's:%n   %s%n%n",
                running.get(0).invite());

        out.println("2. Linking the nodes by invite. Each link runs a Noise XX handshake; the answering");
        out.println("   node must prove the id written in the invite, or the link is refused.");
        for (int i = 0; i < nodes; i++) {
            for (int j = i + 1; j < nodes; j++) {
                PeerLink link = running.get(i).dial(running.get(j).invite()).get(10, TimeUnit.SECONDS);
                out.printf("   %s -> %s  linked, handshake %.2f ms%n", name(i), name(j), link.handshakeNanos() / 1e6);
            }
        }
        out.println();

        BarnNode a = running.get(0);
        BarnNode b = running.get(1);
        BarnNode last = running.get(nodes - 1);
        PeerLink ab = a.link(b.id()).orElseThrow();

        out.println("3. Streams. One link carries many independent streams, each opened to a port (like");
        out.println("   TCP ports, but on a node id). Every node runs echo on port 7 and discard on port 9.");
        for (int i = 1; i <= 3; i++) {
            String line = "hello " + i + " from " + name(0);
            long t0 = System.nanoTime();
            try (BlockingStream s = ab.openBlocking(BuiltinServices.ECHO_PORT)) {
                s.out().write(line.getBytes(StandardCharsets.UTF_8));
                s.out().close();
                String back = new String(s.in().readAllBytes(), StandardCharsets.UTF_8);
                out.printf("   %s -> %s port 7, stream %d: sent \"%s\", got \"%s\" back in %.2f ms%n", name(0), name(1),
                        s.stream().id(), line, back, (System.nanoTime() - t0) / 1e6);
            }
        }
        out.println();

        int streams = 16;
        int perStream = 4 * 1024 * 1024;
        PeerLink toLast = a.link(last.id()).orElseThrow();
        out.printf("4. Many streams at once: %s sends %d MiB over %d parallel streams to %s's discard port.%n",
                name(0), streams * perStream / (1024 * 1024), streams, name(nodes - 1));
        out.println("   Each stream has its own flow-control window; the link shares itself fairly.");
        long t0 = System.nanoTime();
        List<CompletableFuture<Void>> sends = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            BlockingStream s = toLast.openBlocking(BuiltinServices.DISCARD_PORT);
            sends.add(CompletableFuture.runAsync(() -> send(s, perStream)));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        out.printf("   all %d streams delivered in %.2f s (%.0f MiB/s, encrypted)%n%n", streams, seconds,
                streams * (double) perStream / (1024 * 1024) / seconds);

        out.println("5. Datagrams: small unreliable messages to a port, for games and probes.");
        AtomicReference<String> echoed = new AtomicReference<>();
        CompletableFuture<Void> got = new CompletableFuture<>();
        a.bindDatagrams(4000, (from, dst, src, payload) -> {
            byte[] bytes = new byte[payload.remaining()];
            payload.get(bytes);
            echoed.set(new String(bytes, StandardCharsets.UTF_8));
            got.complete(null);
        });
        ab.sendDatagram(BuiltinServices.ECHO_PORT, 4000, "ping".getBytes(StandardCharsets.UTF_8));
        got.get(5, TimeUnit.SECONDS);
        out.printf("   %s sent \"ping\" to %s port 7 from its port 4000 and got \"%s\" back%n%n", name(0), name(1), echoed.get());

        out.println("6. A forged invite: it names node " + name(1) + "'s id but points at node " + name(nodes - 1) + "'s address.");
        Invite forged = new Invite(b.id(), last.invite().addresses());
        BarnNode probe = BarnNode.start(NodeConfig.defaults(root.resolve("probe"),
                new InetSocketAddress("127.0.0.1", 0)).withPow(pow));
        running.add(probe);
        try {
            probe.dial(forged).get(10, TimeUnit.SECONDS);
            out.println("   unexpectedly linked!");
        } catch (java.util.concurrent.ExecutionException e) {
            String why = e.getCause() instanceof LinkException le ? le.getMessage() : e.getCause().toString();
            out.println("   refused: " + why);
        }
        out.println();
        List<DhtService> dhts = rootNetwork(root, running.subList(0, nodes), services);
        namespace(dhts);
        beacon(dhts);
        chat(root, running.subList(0, nodes), dhts, services);

        out.println("Done. To run nodes yourself, in two terminals:");
        out.println("   bin/barn node --data /tmp/barn-a --listen 127.0.0.1:7001");
        out.println("   bin/barn node --data /tmp/barn-b --listen 127.0.0.1:7002 --peer <invite printed by the first>");
        out.println("and in a third: bin/barn dht put --data /tmp/barn-a greeting hello; bin/barn dht get --data /tmp/barn-b <key>");
    }

    /** Step 7: the nodes join one root network; A publishes a record and the last node reads it. */
    private List<DhtService> rootNetwork(Path root, List<BarnNode> nodesUp, List<AutoCloseable> services) throws Exception {
        out.println("7. The root network. Every node joins one Kademlia network that needs no server:");
        out.println("   records are signed by their publisher, kept by the nodes closest to their key, and");
        out.println("   read from several of them over disjoint paths, the newest valid one winning.");
        List<DhtService> dhts = new ArrayList<>();
        BarnNode a = nodesUp.get(0);
        Contact seed = new Contact(a.id(), a.invite().addresses().get(0));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (int i = 0; i < nodesUp.size(); i++) {
            StateStore store = StateStore.open(DataDir.open(root.resolve(name(i))));
            services.add(store);
            DhtService dht = DhtService.start(nodesUp.get(i), store, DhtConfig.DEFAULT, i == 0 ? List.of() : List.of(seed));
            services.add(0, dht); // closed before its store
            dhts.add(dht);
            awaitRootNetwork(dht, 0, deadline); // one after the other, as nodes join a live network
        }
        // A admits each newcomer once its address has answered a dial-back.
        awaitRootNetwork(dhts.get(0), dhts.size() - 1, deadline);
        long now = System.currentTimeMillis();
        Record greeting = RecordTypes.owned(a.identity(), "greeting", "hello from A".getBytes(StandardCharsets.UTF_8),
                now, now + 3_600_000);
        DhtEvent.PutResult put = dhts.get(0).put(greeting, true).get(20, TimeUnit.SECONDS);
        out.printf("   %s published %s/greeting: stored by %d other node(s), %.0f ms%n", name(0), a.id().shortForm(), put.stored(),
                put.nanos() / 1e6);
        int reader = dhts.size() - 1;
        DhtEvent.GetResult got = dhts.get(reader).get(greeting.key(), RecordTypes.OWNED).get(20, TimeUnit.SECONDS);
        String value = got.record() == null ? "(nothing)" : new String(got.record().value(), StandardCharsets.UTF_8);
        out.printf("   %s read it: \"%s\", %d replica(s) agreeing, %.0f ms%n%n", name(reader), value, got.agreeing(),
                got.nanos() / 1e6);
        return dhts;
    }

    /** Step 8: A claims a name with no registrar; the nodes join its network and A broadcasts to them. */
    private void namespace(List<DhtService> dhts) throws Exception {
        out.println("8. Names and namespace networks. A claims the top-level name \"demo\": seconds of memory-hard");
        out.println("   work, a commitment its replicas countersign (first come), then the claim itself.");
        var claimed = dhts.get(0).nameService().claim("Demo", new net.barn.daemon.NameService.ClaimTerms(
                365 * net.barn.daemon.NameService.DAY_MILLIS, List.of(), 1,
                net.barn.wire.names.NamePolicy.getDefaultInstance())).get(120, TimeUnit.SECONDS);
        out.printf("   %s holds \"%s\" (work %.1f s, countersigned by %d, stored by %d)%n", name(0), claimed.state().name(),
                claimed.workMillis() / 1e3, claimed.state().countersigners().size(), claimed.stored());
        int last = dhts.size() - 1;
        var seen = dhts.get(last).nameService().show("demo", false).get(30, TimeUnit.SECONDS);
        out.printf("   %s resolves it: owner %s, %d replica(s) agreeing%n", name(last), seen.state().owners().get(0).shortForm(),
                seen.agreeing());
        try {
            dhts.get(1).nameService().claim("demo", new net.barn.daemon.NameService.ClaimTerms(
                    365 * net.barn.daemon.NameService.DAY_MILLIS, List.of(), 1,
                    net.barn.wire.names.NamePolicy.getDefaultInstance())).get(120, TimeUnit.SECONDS);
            out.println("   unexpectedly, " + name(1) + " took it too!");
        } catch (java.util.concurrent.ExecutionException e) {
            out.println("   " + name(1) + " tries to claim it too: refused: " + net.barn.daemon.NameService.reason(e.getCause()));
        }
        java.util.concurrent.CountDownLatch heard = new java.util.concurrent.CountDownLatch(dhts.size() - 1);
        java.util.Map<String, String> firstHeard = new java.util.concurrent.ConcurrentSkipListMap<>();
        for (int i = 0; i < dhts.size(); i++) {
            var ns = dhts.get(i).namespaces();
            ns.join("demo", this, null).get(30, TimeUnit.SECONDS);
            if (i > 0) {
                String who = name(i);
                ns.listen("demo", d -> {
                    String line = String.format("   %s received \"%s\" (%d hop(s))", who,
                            new String(d.payload(), StandardCharsets.UTF_8), d.hops());
                    if (firstHeard.putIfAbsent(who, line) == null) {
                        heard.countDown();
                    }
                }).get(5, TimeUnit.SECONDS);
            }
        }
        out.println("   Every node joins demo's network: listed in the root network, linked in a small overlay.");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (DhtService d : dhts) { // a broadcast reaches the members linked when it is sent: wait for the links
            while (d.namespaces().states().get(5, TimeUnit.SECONDS).stream().allMatch(st -> st.neighbours().isEmpty())
                    && System.nanoTime() < deadline) {
                Thread.sleep(20); // polling interval of the wait
            }
        }
        int sent = 0;
        while (heard.getCount() > 0 && System.nanoTime() < deadline) {
            dhts.get(0).namespaces().broadcast("demo", ("hello, demo #" + ++sent).getBytes(StandardCharsets.UTF_8))
                    .get(5, TimeUnit.SECONDS);
            heard.await(2, TimeUnit.SECONDS);
        }
        firstHeard.values().forEach(out::println);
        out.printf("   %s's broadcast reached %d of %d other member(s)%n%n", name(0), dhts.size() - 1 - heard.getCount(),
                dhts.size() - 1);
    }

    /** Step 9: the nodes draw a beacon committee, make a group key together and sign rounds nobody could predict. */
    private void beacon(List<DhtService> dhts) throws Exception {
        out.println("9. A random beacon. The nodes draw a committee by sortition (an odd number: all three here), make");
        out.println("   a group key together that none of them knows (a DKG), and sign a round every second: each");
        out.println("   output is the hash of a threshold signature, unknown until a majority has signed.");
        int size = dhts.size() % 2 == 1 ? dhts.size() : dhts.size() - 1;
        var config = new net.barn.daemon.BeaconService.Config(size, 2000, 500, 1000);
        List<net.barn.daemon.BeaconService> beacons = new ArrayList<>();
        for (DhtService d : dhts) {
            beacons.add(d.startBeacon(null, config));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (beacons.stream().filter(b -> b.status().index() > 0 && b.status().outputs() >= 2).count() < size
                && System.nanoTime() < deadline) {
            Thread.sleep(50); // polling interval of the wait
        }
        var first = beacons.get(0).status();
        out.printf("   committee of %d, threshold %d; %s's DKG took %d ms%n", first.members(), first.threshold(), name(0), first.dkgMillis());
        for (int i = 0; i < beacons.size(); i++) {
            var s = beacons.get(i).status();
            if (s.index() > 0 && s.randomness() != null) {
                out.printf("   %s, member %d: round %d output %s…%n", name(i), s.index(), s.round(),
                        java.util.HexFormat.of().formatHex(s.randomness()).substring(0, 16));
            }
        }
        int last = dhts.size() - 1;
        var v = beacons.get(last).latest(3).get(20, TimeUnit.SECONDS);
        out.printf("   %s asks members for the newest round and checks it: round %d, %d of %d agree on the group key%n",
                name(last), v.round(), v.agreeing(), v.asked());
        long ticketDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (beacons.get(last).presenceTicket() == null && System.nanoTime() < ticketDeadline) {
            Thread.sleep(50); // polling interval of the wait
        }
        var ticket = beacons.get(last).presenceTicket();
        out.print(ticket == null ? "   (no presence ticket yet: this epoch's tickets have closed; the next epoch's come)\n"
                : String.format("   %s holds a presence ticket of epoch %d, signed by the group: later committees are drawn only%n"
                        + "   among ids that were present before their seed was known%n", name(last), ticket.epoch()));
        if (ticket != null && config.placementEpochs() > 0) {
            long next = Math.floorDiv(ticket.epoch(), config.placementEpochs()) * config.placementEpochs() + config.placementEpochs();
            out.printf("   From epoch %d on (a placement period is %d epochs), each name sits where that epoch's seed puts it,%n"
                    + "   held only by ids with a ticket like this one from before it; until then names sit at their keys%n",
                    next, config.placementEpochs());
        }
        out.println();
    }

    /** Step 10: two people chat in a channel (a maze in the irc namespace); an IRC endpoint is left open. */
    private void chat(Path root, List<BarnNode> nodesUp, List<DhtService> dhts, List<AutoCloseable> services) throws Exception {
        out.println("10. Chat with no server. A claims \"irc\"; a channel is a maze in it (a full mesh of its members");
        out.println("   that delivers every message once, in order), a nick is a name in it.");
        dhts.get(0).nameService().claim("irc", new net.barn.daemon.NameService.ClaimTerms(365 * net.barn.daemon.NameService.DAY_MILLIS,
                List.of(), 1, net.barn.wire.names.NamePolicy.getDefaultInstance())).get(120, TimeUnit.SECONDS);
        int last = nodesUp.size() - 1;
        List<Path> sockets = new ArrayList<>();
        for (int i : new int[] {0, last}) {
            Path socket = root.resolve(name(i)).resolve("api.sock");
            var api = net.barn.daemon.api.ApiServer.start(nodesUp.get(i), socket, root.resolve(name(i)).resolve("no-policy.toml"));
            api.attach(dhts.get(i));
            services.add(0, api);
            sockets.add(socket);
        }
        java.util.concurrent.LinkedBlockingQueue<String> said = new java.util.concurrent.LinkedBlockingQueue<>();
        var ann = net.barn.apps.irc.BarnChatNetwork.connect(sockets.get(0));
        var ben = net.barn.apps.irc.BarnChatNetwork.connect(sockets.get(1));
        services.add(0, ann);
        services.add(0, ben);
        ann.attach(printer("ann (node " + name(0) + ")", said));
        ben.attach(printer("ben (node " + name(last) + ")", said));
        if (!ann.claimNick("ann", "ann", "Ann") || !ben.claimNick("ben", "ben", "Ben")) {
            out.println("   could not take the nicks ann and ben");
            return;
        }
        ann.join("#lobby");
        ben.join("#lobby");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (ann.members("#lobby").size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20); // polling interval of the wait: the maze links its members
        }
        ann.send("#lobby", "hello from node " + name(0) + ", is anyone here?", false);
        printNext(said);
        ben.send("#lobby", "yes: ben on node " + name(last) + ". No server between us.", false);
        printNext(said);
        ben.send("ann", "and this one is just for you", false);
        printNext(said);
        var endpoint = net.barn.apps.irc.IrcServer.start(ircAddress(), "barn.demo", () -> {
            try {
                return net.barn.apps.irc.BarnChatNetwork.connect(sockets.get(1));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        services.add(0, endpoint);
        out.printf("   An IRC endpoint for node %s is open on %s:%d: irssi -c %s -p %d, then /join #lobby%n%n", name(last),
                endpoint.address().getHostString(), endpoint.address().getPort(), endpoint.address().getHostString(),
                endpoint.address().getPort());
        if (!exit && System.console() != null) {
            out.println("The network keeps running; ann stays in #lobby. Press Ctrl-C to stop and clean up.");
            out.flush();
            Thread.currentThread().join(); // until Ctrl-C: the shutdown hook stops every node and removes their files
        }
    }

    private java.net.InetSocketAddress ircAddress() {
        java.net.InetSocketAddress wanted = TunnelCommands.address(irc, "--irc");
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.bind(wanted);
            return wanted;
        } catch (IOException taken) {
            return new java.net.InetSocketAddress(wanted.getHostString(), 0);
        }
    }

    private static net.barn.apps.irc.ChatNetwork.Listener printer(String who,
            java.util.concurrent.LinkedBlockingQueue<String> said) {
        return new net.barn.apps.irc.ChatNetwork.Listener() {
            @Override
            public void message(String fromNick, String target, String text, boolean notice) {
                said.add(String.format("   %s reads in %s: <%s> %s", who, target.startsWith("#") ? target : "private",
                        fromNick, text));
            }

            @Override
            public void joined(String channel, String nick) {
            }

            @Override
            public void parted(String channel, String nick, String reason) {
            }

            @Override
            public void quit(String nick, String reason) {
            }

            @Override
            public void nickChanged(String oldNick, String newNick) {
            }

            @Override
            public void topic(String channel, String nick, String topic) {
            }
        };
    }

    private void printNext(java.util.concurrent.LinkedBlockingQueue<String> said) throws InterruptedException {
        String line = said.poll(20, TimeUnit.SECONDS);
        out.println(line == null ? "   (a message did not arrive within 20 s)" : line);
        out.flush();
    }

    private static void send(BlockingStream s, int bytes) {
        byte[] chunk = new byte[64 * 1024];
        new SecureRandom().nextBytes(chunk);
        try (s) {
            OutputStream o = s.out();
            for (int sent = 0; sent < bytes; sent += chunk.length) {
                o.write(chunk, 0, Math.min(chunk.length, bytes - sent));
            }
            o.close();
            InputStream in = s.in();
            if (!s.awaitFinished(30, TimeUnit.SECONDS)) {
                throw new IOException("discard never finished the stream");
            }
            in.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void awaitRootNetwork(DhtService d, int tableSize, long deadline) throws Exception {
        while (!d.stats().get(5, TimeUnit.SECONDS).bootstrapped() || d.stats().get(5, TimeUnit.SECONDS).routingTable() < tableSize) {
            if (System.nanoTime() > deadline) {
                throw new IOException("the demo nodes did not form a root network in 30 s");
            }
            Thread.sleep(20); // polling interval of the wait
        }
    }

    private static String name(int i) {
        return String.valueOf((char) ('A' + i));
    }

    private static synchronized void stop(List<AutoCloseable> services, List<BarnNode> running, Path root) {
        for (AutoCloseable c : List.copyOf(services)) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort on the way out
            }
        }
        services.clear();
        for (BarnNode n : List.copyOf(running)) {
            n.close();
        }
        running.clear();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // already gone
        }
    }
}
