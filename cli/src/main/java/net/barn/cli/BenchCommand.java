package net.barn.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Runs a benchmark and prints a table for docs/BENCHMARKS.md.",
        subcommands = {BenchCommand.Link.class, BenchCommand.Local.class, BenchCommand.Dht.class, BenchCommand.Names.class, BenchCommand.Chat.class, BenchCommand.Maze.class, BenchCommand.Relay.class,
                BenchCommand.Move.class, BenchCommand.Nat.class,
                BenchCommand.IdentityCost.class, BenchCommand.BeaconBenchCommand.class,
                BenchCommand.Jmh.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options every throughput benchmark takes. */
    static final class Runs {
        @Option(names = "--seconds", defaultValue = "3", description = "Length of each throughput measurement (default ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--runs", defaultValue = "5", description = "Runs per figure; the median is reported (default ${DEFAULT-VALUE}).")
        int runs;
    }

    @Command(name = "link", mixinStandardHelpOptions = true,
            description = {"Throughput, round trip and handshake time between two daemons on loopback,",
                    "beside plain TCP between the same two processes in the same run."})
    static final class Link implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Runs r;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.LinkBench.run(r.seconds, r.runs);
            return 0;
        }
    }

    @Command(name = "local", mixinStandardHelpOptions = true,
            description = {"What the containment boundary costs: app -> daemon -> link -> daemon -> app through the",
                    "local API, beside the direct link (a node inside the app's process) in the same run."})
    static final class Local implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Runs r;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.LocalApiBench.run(r.seconds, r.runs);
            return 0;
        }
    }

    @Command(name = "dht", mixinStandardHelpOptions = true,
            description = {"A root network of daemons on loopback: time until a stored record is readable from every",
                    "node, get latency, and idle traffic per node."})
    static final class Dht implements Callable<Integer> {
        @Option(names = "--nodes", defaultValue = "20", description = "Daemons (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--idle", defaultValue = "180", description = "Seconds of idle traffic to measure (default ${DEFAULT-VALUE}).")
        int idle;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.DhtBench.run(nodes, idle);
            return 0;
        }
    }

    @Command(name = "names", mixinStandardHelpOptions = true,
            description = {"The root namespace on daemons on loopback: claim latency at the network's default work",
                    "(work, countersigning, storing) and resolution latency from every other node."})
    static final class Names implements Callable<Integer> {
        @Option(names = "--nodes", defaultValue = "20", description = "Daemons (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--claims", defaultValue = "10", description = "Names claimed (default ${DEFAULT-VALUE}).")
        int claims;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.NameBench.run(nodes, claims);
            return 0;
        }
    }

    @Command(name = "chat", mixinStandardHelpOptions = true,
            description = {"IRC clients in one channel on ngircd (the anchor, started on loopback) and then each on its own",
                    "BARN node through barn chat, in one run: delivery latency and the highest rate without loss."})
    static final class Chat implements Callable<Integer> {
        @Option(names = "--clients", defaultValue = "20", description = "IRC clients, and BARN nodes (default ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--seconds", defaultValue = "5", description = "Seconds of sending per rate (default ${DEFAULT-VALUE}).")
        int seconds;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.ChatBench.run(clients, seconds);
            return 0;
        }
    }

    @Command(name = "maze", mixinStandardHelpOptions = true,
            description = {"Maze delivery on loopback daemons through the local API: a public and a private maze of the same",
                    "nodes in one run, latency to every member and the daemons' CPU per message."})
    static final class Maze implements Callable<Integer> {
        @Option(names = "--nodes", defaultValue = "20", description = "Daemons, all in the maze (default ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = "--messages", defaultValue = "600", description = "Messages measured per maze (default ${DEFAULT-VALUE}).")
        int messages;

        @Option(names = "--rate", defaultValue = "20", description = "Messages a second (default ${DEFAULT-VALUE}).")
        int rate;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.MazeBench.run(nodes, messages, rate);
            return 0;
        }
    }

    @Command(name = "relay", mixinStandardHelpOptions = true,
            description = "A link through a relay's circuit beside a direct link, in one run: throughput and round trip.")
    static final class Relay implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        Runs r;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.RelayBench.run(r.seconds, r.runs);
            return 0;
        }
    }

    @Command(name = "move", mixinStandardHelpOptions = true,
            description = "Busy streams on a relayed link moving to the direct link that replaces it: time to move.")
    static final class Move implements Callable<Integer> {
        @Option(names = "--streams", defaultValue = "16", description = "Echo streams, half opened by each end (default ${DEFAULT-VALUE}).")
        int streams;

        @Option(names = "--runs", defaultValue = "5", description = "Runs; the median and the worst are reported (default ${DEFAULT-VALUE}).")
        int runs;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.MoveBench.run(streams, runs);
            return 0;
        }
    }

    @Command(name = "beacon", mixinStandardHelpOptions = true,
            description = "The random beacon among daemons on loopback: DKG time, round latency, bytes per member.")
    static final class BeaconBenchCommand implements Callable<Integer> {
        @Option(names = "--members", defaultValue = "16", description = "Daemons, all in the committee (default ${DEFAULT-VALUE}).")
        int members;

        @Option(names = "--rounds", defaultValue = "10", description = "Rounds each member should output (default ${DEFAULT-VALUE}).")
        int rounds;

        @Option(names = "--round-ms", defaultValue = "5000", description = "Milliseconds per round (default ${DEFAULT-VALUE}).")
        long roundMillis;

        @Option(names = "--in-process", description = "All daemons in this one process (no JVM per member: fits 32 or 64 on a small machine).")
        boolean inProcess;

        @Override
        public Integer call() throws Exception {
            net.barn.bench.BeaconBench.run(members, rounds, roundMillis, inProcess);
            return 0;
        }
    }

    @Command(name = "nat", mixinStandardHelpOptions = true,
            description = {"Relayed against direct stream throughput between daemons behind the NATs of the",
                    "testbed (network namespaces; needs root), each NAT's link limited to --rate both ways."})
    static final class Nat implements Callable<Integer> {
        @Option(names = "--rate", defaultValue = "50mbit",
                description = "Limit of each NAT's link, as tc writes it, or none (default ${DEFAULT-VALUE}).")
        String rate;

        @Option(names = "--seconds", defaultValue = "10", description = "Length of each measurement (default ${DEFAULT-VALUE}).")
        double seconds;

        @Option(names = "--runs", defaultValue = "3", description = "Measurements of each path, alternating (default ${DEFAULT-VALUE}).")
        int runs;

        @Override
        public Integer call() throws Exception {
            if (!rate.matches("none|[0-9]+(\\.[0-9]+)?[kmg]?bit")) {
                throw new IllegalArgumentException("--rate is like 50mbit, 800kbit or none");
            }
            NatBench.run(rate, seconds, runs);
            return 0;
        }
    }

    @Command(name = "identity", mixinStandardHelpOptions = true,
            description = "Time to generate identities (key + proof of work) on one core.")
    static final class IdentityCost implements Callable<Integer> {
        @Option(names = "--count", defaultValue = "50", description = "Identities to generate (default ${DEFAULT-VALUE}).")
        int count;

        @Option(names = "--pow", paramLabel = "STATIC,DYNAMIC", defaultValue = "8,22",
                description = "Difficulty (default ${DEFAULT-VALUE}, the network default).")
        net.barn.core.identity.PowParams pow;

        @Override
        public Integer call() {
            if (count < 1 || count > 10_000) {
                throw new IllegalArgumentException("--count must be 1..10000");
            }
            net.barn.bench.IdentityBench.run(count, pow);
            return 0;
        }
    }

    @Command(name = "jmh", mixinStandardHelpOptions = false,
            description = {"JMH micro-benchmarks of the core (handshake, transport, mux); arguments go to JMH,",
                    "e.g. 'barn bench jmh Handshake' or 'barn bench jmh -h'."})
    static final class Jmh implements Callable<Integer> {
        /** Everything after "jmh" belongs to JMH, options included. */
        @picocli.CommandLine.Unmatched
        java.util.List<String> args = new java.util.ArrayList<>();

        @Override
        public Integer call() throws Exception {
            org.openjdk.jmh.Main.main(args.toArray(String[]::new));
            return 0;
        }
    }
}
