package net.barn.cli;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import net.barn.apps.Tunnels;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code barn expose} and {@code barn connect}: TCP services over BARN, unchanged. */
final class TunnelCommands {
    private TunnelCommands() {}

    static InetSocketAddress address(String text, String option) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(option + " is HOST:PORT, e.g. 127.0.0.1:8000");
        }
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " has no port number: " + text);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(option + ": port out of range: " + port);
        }
        return new InetSocketAddress(host, port);
    }

    /** Runs until the process is interrupted; the shutdown hook closes the tunnel. */
    static int runUntilStopped(Tunnels.Tunnel t, Barn barn) throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            t.close();
            barn.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }

    @Command(name = "expose", mixinStandardHelpOptions = true,
            description = {"Publishes a local TCP service under NAME (a sub-name, e.g. games/minecraft: its namespace",
                    "must be claimed and let this node register names); any node reaches it with barn connect NAME.",
                    "Runs until interrupted."})
    static final class Expose implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        NodeChoice node;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "The service to publish.")
        String to;

        @Option(names = "--days", defaultValue = "7", description = "How long the name holds (default ${DEFAULT-VALUE}; run again to renew).")
        int days;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            InetSocketAddress target = address(to, "--to");
            PrintWriter out = spec.commandLine().getOut();
            Barn barn = Barn.connect(node.socket(), "barn-expose", Role.SERVER);
            Tunnels.Tunnel t = Tunnels.expose(barn, name, target, days, line -> System.err.println("barn expose: " + line));
            out.printf("exposing %s on node %s; from another node: bin/barn connect %s --listen 127.0.0.1:PORT%n", t,
                    barn.nodeId(), name.toLowerCase(java.util.Locale.ROOT));
            out.flush();
            return runUntilStopped(t, barn);
        }
    }

    @Command(name = "connect", mixinStandardHelpOptions = true,
            description = {"Reaches the service published as NAME (barn expose) through a local port: every connection",
                    "to --listen travels over BARN to it. Runs until interrupted."})
    static final class Connect implements Callable<Integer> {
        @ArgGroup(exclusive = true, multiplicity = "1")
        NodeChoice node;

        @Parameters(index = "0", paramLabel = "NAME")
        String name;

        @Option(names = "--listen", required = true, paramLabel = "HOST:PORT", description = "Local address to accept on.")
        String listen;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            InetSocketAddress at = address(listen, "--listen");
            PrintWriter out = spec.commandLine().getOut();
            Barn barn = Barn.connect(node.socket(), "barn-connect", Role.CLIENT);
            Tunnels.Tunnel t = Tunnels.connect(barn, name, at, line -> System.err.println("barn connect: " + line));
            out.printf("listening: %s%n", t);
            out.flush();
            return runUntilStopped(t, barn);
        }
    }
}
