package net.barn.cli;

import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import net.barn.apps.irc.BarnChatNetwork;
import net.barn.apps.irc.IrcServer;
import net.barn.sdk.Barn;
import net.barn.sdk.Role;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"A local IRC endpoint backed by BARN: point any IRC client (irssi, weechat) at it. Channels are",
                "mazes in the irc namespace and nicks are names in it; there is no IRC server anywhere.",
                "Runs until interrupted."})
final class ChatCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    NodeChoice node;

    @Option(names = "--listen", defaultValue = "127.0.0.1:6667", paramLabel = "HOST:PORT",
            description = "Where IRC clients connect (default ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--server-name", defaultValue = "barn.local", description = "The name this endpoint gives itself (default ${DEFAULT-VALUE}).")
    String serverName;

    /** Hidden: how often nicks are registered again (tests shorten it). */
    @Option(names = "--nick-renew-seconds", hidden = true, defaultValue = "21600")
    long nickRenewSeconds;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path socket = node.socket();
        try (Barn probe = Barn.connect(socket, "barn-chat", Role.CLIENT)) {
            if (!probe.nameShow(BarnChatNetwork.NAMESPACE, false).found()) {
                spec.commandLine().getErr().println("barn chat: the irc namespace is not claimed on this network: claim it"
                        + " (bin/barn ns claim irc) or join a network where it is");
                return 1;
            }
        }
        IrcServer server = IrcServer.start(TunnelCommands.address(listen, "--listen"), serverName, () -> {
            try {
                return BarnChatNetwork.connect(socket, java.time.Duration.ofSeconds(Math.max(1, nickRenewSeconds)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot reach the node: " + e.getMessage(), e);
            }
        });
        InetSocketAddress at = server.address();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("IRC endpoint on %s:%d: connect any IRC client to it, e.g. irssi -c %s -p %d%n",
                at.getHostString(), at.getPort(), at.getHostString(), at.getPort());
        out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
