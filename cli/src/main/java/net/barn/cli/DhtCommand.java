package net.barn.cli;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "dht", mixinStandardHelpOptions = true,
        description = "Stores and reads signed records in the root network, through a running node.",
        subcommands = {DhtCommand.Put.class, DhtCommand.Get.class})
final class DhtCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "put", mixinStandardHelpOptions = true,
            description = {"Publishes VALUE under NAME, signed by the node; prints the key others read it with",
                    "(<node id>/<name>). Publishing again under the same name replaces it everywhere."})
    static final class Put implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        NodeChoice node;

        @Parameters(index = "0", paramLabel = "NAME", description = "1-64 bytes, no '/'.")
        String name;

        @Parameters(index = "1", paramLabel = "VALUE", description = "Up to 8 KiB of text.")
        String value;

        @Option(names = "--ttl", defaultValue = "86400", description = "Seconds until it expires (default ${DEFAULT-VALUE}; at most 172800).")
        int ttl;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Barn barn = Barn.connect(node.socket(), "barn-dht", Role.CLIENT)) {
                Barn.Published p = barn.dhtPut(name, value.getBytes(StandardCharsets.UTF_8), ttl);
                PrintWriter out = spec.commandLine().getOut();
                out.printf("stored %s (sequence %d) on %d replicas%n", p.key(), p.sequence(), p.stored());
                if (p.stored() == 0) {
                    out.println("no replica took it" + (p.refused().isEmpty() ? " (no other node known yet?)" : ": " + p.refused()));
                }
                out.flush();
                return p.stored() > 0 ? 0 : 1;
            }
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true,
            description = "Reads KEY (<node id>/<name>, or a bare name of this node's) from a quorum of replicas.")
    static final class Get implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        NodeChoice node;

        @Parameters(index = "0", paramLabel = "KEY")
        String key;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            try (Barn barn = Barn.connect(node.socket(), "barn-dht", Role.CLIENT)) {
                Barn.DhtValue v = barn.dhtGet(key);
                PrintWriter out = spec.commandLine().getOut();
                if (v == null) {
                    spec.commandLine().getErr().println("barn dht get: no record " + key + " found");
                    return 1;
                }
                String text = new String(v.value(), StandardCharsets.UTF_8);
                if (json) {
                    out.printf("{\"key\": %s, \"value\": %s, \"sequence\": %d, \"agreeing\": %d, \"conflicting\": %d, \"hops\": %d,"
                                    + " \"latency_us\": %d, \"expires_at_ms\": %d}%n", Formats.json(v.publisher() + "/" + v.name()),
                            Formats.json(text), v.sequence(), v.agreeing(), v.conflicting(), v.hops(), v.latencyMicros(),
                            v.expiresAtMillis());
                } else {
                    out.println(text);
                    spec.commandLine().getErr().printf("(sequence %d, %d replicas agreed%s, %d hops, %.1f ms)%n", v.sequence(),
                            v.agreeing(), v.conflicting() > 0 ? ", " + v.conflicting() + " CONFLICTING" : "", v.hops(),
                            v.latencyMicros() / 1000.0);
                }
                out.flush();
                return 0;
            }
        }
    }
}
