package net.barn.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code barn} command. */
@Command(name = "barn", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"BARN, the Balanced Adaptive Relay Network: serverless peer-to-peer links,",
                "streams and datagrams between nodes, addressed by node id and port."},
        subcommands = {NodeCommand.class, IdCommand.class, StatusCommand.class, PeersCommand.class, DhtCommand.class, NsCommand.class, TunnelCommands.Expose.class, ChatCommand.class,
                TunnelCommands.Connect.class, DemoCommand.class, SimCommand.class,
                BenchCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        Logging.configure(args);
        System.exit(run(args));
    }

    /** Runs a command line and returns its exit code (0 ok, 1 failed, 2 usage). */
    public static int run(String... args) {
        return run(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** As {@link #run(String...)}, printing to the given writers. */
    public static int run(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.registerConverter(net.barn.core.identity.Invite.class, Converters::invite);
        cli.registerConverter(net.barn.core.identity.PowParams.class, Converters::pow);
        cli.registerConverter(java.net.InetSocketAddress.class, Converters::listen);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("barn " + cmd.getCommandName() + ": " + Converters.oneLine(e));
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"barn " + (v == null ? "development build" : v) + ", link protocol 1, Java "
                    + Runtime.version()};
        }
    }
}
