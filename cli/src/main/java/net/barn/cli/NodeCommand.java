package net.barn.cli;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.PowParams;
import net.barn.daemon.BarnNode;
import net.barn.daemon.NodeConfig;
import net.barn.daemon.DhtService;
import net.barn.daemon.LanDiscovery;
import net.barn.daemon.store.StateStore;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.daemon.api.ApiServer;
import net.barn.daemon.api.policy.PolicyFile;
import net.barn.daemon.store.NodeAddresses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "node", mixinStandardHelpOptions = true,
        description = {"Runs a BARN node in the foreground until interrupted (Ctrl-C or SIGTERM).",
                "Prints its invite; give that to other nodes' --peer to link with it."})
final class NodeCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Data directory: identity key and state (created on first run, mode 0700).")
    Path data;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "0.0.0.0:" + NodeConfig.DEFAULT_PORT,
            description = "Address to accept links on (default ${DEFAULT-VALUE}; port 0 picks a free one).")
    InetSocketAddress listen;

    @Option(names = "--peer", paramLabel = "INVITE|HOST:PORT",
            description = "A node to join the network through: its invite, or just any node's address (repeatable).")
    List<String> peers = new ArrayList<>();

    @Option(names = "--no-lan", description = "Do not announce or look for nodes on the local network (UDP multicast).")
    boolean noLan;

    @Option(names = "--advertise", paramLabel = "HOST:PORT",
            description = "Address to put in this node's invite instead of the listen address (repeatable).")
    List<String> advertise = new ArrayList<>();

    @Option(names = "--pow", paramLabel = "STATIC,DYNAMIC", defaultValue = "8,22",
            description = "Proof-of-work difficulty in bits, a network parameter every node must share (default ${DEFAULT-VALUE}).")
    PowParams pow;

    @Option(names = "--name-work", paramLabel = "KIB,PASSES,BITS", defaultValue = "4096,1,9",
            description = {"Argon2id work a name claim costs: memory per attempt, passes, zero bits needed; a network",
                    "parameter every node must share (default ${DEFAULT-VALUE}: about 2.5 s of one core to claim, 5 ms to check)."})
    String nameWork;

    @Option(names = "--api", paramLabel = "PATH",
            description = "Local API socket for applications (default DIR/api.sock, mode 0660).")
    java.nio.file.Path api;

    @Option(names = "--policy", paramLabel = "FILE",
            description = "Policy for local applications (default DIR/policy.toml; without one, only this user may use the node). "
                    + "Reloaded on SIGHUP.")
    java.nio.file.Path policy;

    @Option(names = "--io-threads", paramLabel = "N",
            description = "Network threads (default: half the cores, 1 to 4). One link always uses one thread.")
    Integer ioThreads;

    @Option(names = "--relay-reservations", paramLabel = "N", defaultValue = "128",
            description = "Nodes behind NAT this node relays for at most, when it is publicly reachable; 0 relays for "
                    + "nobody (default ${DEFAULT-VALUE}).")
    int relayReservations;

    @Option(names = "--relay-circuit-mib", paramLabel = "MIB", defaultValue = "16",
            description = "Bytes one relayed circuit carries before it is closed, in MiB (default ${DEFAULT-VALUE}).")
    long relayCircuitMib;

    @Option(names = "--relay-circuit-minutes", paramLabel = "MIN", defaultValue = "30",
            description = "How long one relayed circuit lasts (default ${DEFAULT-VALUE}).")
    long relayCircuitMinutes;

    @Option(names = "--punch", paramLabel = "tcp,udp", defaultValue = "tcp,udp", split = ",",
            description = "Transports a hole punch tries: tcp, udp (a QUIC link on the UDP port) or both (default ${DEFAULT-VALUE}).")
    List<String> punch;

    @Option(names = "--beacon-committee", paramLabel = "N", defaultValue = "17",
            description = "Members of the random beacon's committee this node helps draw, at most (an odd number is kept); 0: take no part (default ${DEFAULT-VALUE}).")
    int beaconCommittee;

    @Option(names = "--beacon-round-seconds", paramLabel = "S", defaultValue = "30",
            description = "Seconds per beacon round (default ${DEFAULT-VALUE}).")
    long beaconRoundSeconds;

    @Option(names = "--beacon-epoch-rounds", paramLabel = "R", defaultValue = "0",
            description = "Rounds per beacon epoch, after which a newly drawn committee takes the key over; 0: one hour's worth (default).")
    long beaconEpochRounds;

    @Option(names = "--beacon-start-seconds", paramLabel = "S", defaultValue = "60", hidden = true,
            description = "How long after start to look for the genesis committee (default ${DEFAULT-VALUE}).")
    long beaconStartSeconds;

    @Option(names = "--beacon-phase-millis", paramLabel = "MS", defaultValue = "10000", hidden = true,
            description = "Each DKG phase (default ${DEFAULT-VALUE}).")
    long beaconPhaseMillis;

    @Option(names = {"-v", "--verbose"}, description = "Log debug detail.")
    boolean verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** Parses "KIB,PASSES,BITS" into the root namespace's rules. */
    static net.barn.core.namespace.NameRules nameRules(String work, PowParams pow) {
        String[] p = work.split(",");
        if (p.length != 3) {
            throw new IllegalArgumentException("--name-work is KIB,PASSES,BITS, e.g. 4096,1,9");
        }
        try {
            return net.barn.core.namespace.NameRules.DEFAULT.withIdPow(pow)
                    .withPow(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Integer.parseInt(p[2].trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--name-work is three numbers, KIB,PASSES,BITS: " + work);
        }
    }

    @Override
    public Integer call() throws Exception {
        List<PeerAddress> adv = advertise.stream().map(PeerAddress::parse).toList();
        List<Invite> invites = new ArrayList<>();
        List<PeerAddress> bare = new ArrayList<>();
        for (String p : peers) {
            if (p.regionMatches(true, 0, Invite.SCHEME, 0, Invite.SCHEME.length())) {
                try {
                    invites.add(Converters.invite(p));
                } catch (picocli.CommandLine.TypeConversionException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
                }
            } else {
                try {
                    bare.add(PeerAddress.parse(p));
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                            "bad --peer '" + p + "': give an invite (barn:...) or HOST:PORT (" + e.getMessage() + ")");
                }
            }
        }
        NodeConfig config = NodeConfig.defaults(data, listen).withPow(pow).withPeers(invites).withAdvertise(adv);
        if (ioThreads != null) {
            config = config.withIoThreads(ioThreads);
        }
        // The hook is in place before the node exists, so a SIGTERM at any moment stops it cleanly.
        AtomicReference<BarnNode> running = new AtomicReference<>();
        AtomicReference<ApiServer> serving = new AtomicReference<>();
        AtomicReference<DhtService> rooting = new AtomicReference<>();
        AtomicReference<StateStore> storing = new AtomicReference<>();
        AtomicReference<LanDiscovery> lanning = new AtomicReference<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ApiServer a = serving.getAndSet(null);
            if (a != null) {
                a.close();
            }
            LanDiscovery lan = lanning.getAndSet(null);
            if (lan != null) {
                lan.close();
            }
            DhtService d = rooting.getAndSet(null);
            if (d != null) {
                d.close();
            }
            BarnNode n = running.getAndSet(null);
            if (n != null) {
                n.close();
            }
            StateStore st = storing.getAndSet(null);
            if (st != null) {
                st.close();
            }
            stopped.countDown();
        }, "barn-shutdown"));
        StateStore store = StateStore.open(net.barn.daemon.store.DataDir.open(data)); // a broken store stops us here, clearly
        storing.set(store);
        BarnNode node = BarnNode.start(config);
        running.set(node);
        boolean punchTcp = punch.contains("tcp");
        boolean punchUdp = punch.contains("udp");
        if (!punchTcp && !punchUdp || punch.stream().anyMatch(t -> !t.equals("tcp") && !t.equals("udp"))) {
            node.close();
            throw new IllegalArgumentException("--punch takes tcp, udp or tcp,udp, not " + String.join(",", punch));
        }
        node.setPunchTransports(punchTcp, punchUdp);
        node.reachability().startAsking(); // learn, from linked peers, whether others can reach this node
        if (relayReservations < 0 || relayReservations > 100_000 || relayCircuitMib < 1 || relayCircuitMib > 1 << 20
                || relayCircuitMinutes < 1 || relayCircuitMinutes > 7 * 24 * 60) {
            node.close();
            throw new IllegalArgumentException("need 0 <= --relay-reservations <= 100000, 1 <= --relay-circuit-mib <= 1048576, "
                    + "1 <= --relay-circuit-minutes <= 10080");
        }
        node.relay().useConfig(relayReservations == 0 ? null : net.barn.core.relay.RelayConfig.DEFAULT
                .withMaxReservations(relayReservations)
                .withCircuitLimits(relayCircuitMib << 20, java.util.concurrent.TimeUnit.MINUTES.toNanos(relayCircuitMinutes)));
        ApiServer apiServer;
        try {
            apiServer = ApiServer.start(node, api != null ? api : data.resolve(ApiServer.SOCKET_NAME),
                    policy != null ? policy : data.resolve(PolicyFile.FILE_NAME));
        } catch (java.io.IOException e) {
            node.close();
            running.set(null);
            throw e;
        }
        serving.set(apiServer);
        Signals.onHangup(apiServer::reloadPolicy);
        // The root network: seeds are the invites and addresses given; the store adds the peer cache.
        List<Contact> seeds = new ArrayList<>();
        for (Invite i : invites) {
            i.addresses().stream().findFirst().ifPresent(a -> seeds.add(new Contact(i.nodeId(), a)));
        }
        DhtService dht = DhtService.start(node, store, DhtConfig.DEFAULT, nameRules(nameWork, pow), seeds);
        rooting.set(dht);
        apiServer.attach(dht);
        if (beaconCommittee > 0) {
            var beacon = new net.barn.daemon.BeaconService.Config(beaconCommittee, beaconStartSeconds * 1000, beaconPhaseMillis,
                    beaconRoundSeconds * 1000);
            if (beaconEpochRounds > 0) {
                beacon = new net.barn.daemon.BeaconService.Config(beaconCommittee, beaconStartSeconds * 1000, beaconPhaseMillis,
                        beaconRoundSeconds * 1000, beaconEpochRounds);
            }
            dht.startBeacon(data, beacon);
        }
        for (PeerAddress a : bare) {
            node.dialAddress(a).thenAccept(link -> dht.addSeeds(List.of(new Contact(link.peerId(), a))))
                    .exceptionally(e -> {
                        org.slf4j.LoggerFactory.getLogger(NodeCommand.class).warn("could not reach {}: {}", a, Converters.oneLine(e));
                        return null;
                    });
        }
        if (!noLan) {
            lanning.set(LanDiscovery.start(node.id(), node.invite(),
                    found -> found.addresses().stream().findFirst()
                            .ifPresent(a -> dht.addSeeds(List.of(new Contact(found.nodeId(), a))))));
        }
        NodeAddresses.write(net.barn.daemon.store.DataDir.open(data), node.invite());
        java.io.PrintWriter out = spec.commandLine().getOut();
        out.println("node " + node.id() + " ready");
        out.println("invite: " + node.invite());
        out.flush();
        stopped.await();
        return 0;
    }
}
