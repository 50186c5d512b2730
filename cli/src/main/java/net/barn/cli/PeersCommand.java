package net.barn.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import net.barn.sdk.Barn;
import net.barn.sdk.PeerStatus;
import net.barn.sdk.Role;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "peers", mixinStandardHelpOptions = true,
        description = "Lists a running node's links: peer ids, addresses, round trip, traffic.")
final class PeersCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    NodeChoice node;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        List<PeerStatus> peers;
        try (Barn barn = Barn.connect(node.socket(), "barn-peers", Role.CLIENT)) {
            peers = barn.peers();
        }
        PrintWriter out = spec.commandLine().getOut();
        long now = System.currentTimeMillis();
        if (json) {
            out.println("[" + String.join(", ", peers.stream().map(p -> String.format(
                    "{\"node_id\": %s, \"address\": %s, \"outbound\": %b, \"rtt_us\": %d, \"bytes_in\": %d, \"bytes_out\": %d,"
                            + " \"since_ms\": %d, \"streams\": %d, \"relayed_via\": %s, \"transport\": %s}",
                    Formats.json(p.nodeId()), Formats.json(p.address()), p.outbound(), p.rttMicros(), p.bytesIn(),
                    p.bytesOut(), p.sinceMillis(), p.streams(), Formats.json(p.relayedVia()), Formats.json(p.transport()))).toList()) + "]");
        } else if (peers.isEmpty()) {
            out.println("no links yet: start another node with --peer and this node's invite (bin/barn status shows it)");
        } else {
            out.printf("%-10s %-24s %-4s %-9s %-11s %-11s %-8s %s%n", "PEER", "ADDRESS", "DIR", "RTT", "IN", "OUT", "STREAMS", "UP FOR");
            for (PeerStatus p : peers) {
                out.printf("%-10s %-24s %-4s %-9s %-11s %-11s %-8d %s%n", p.nodeId().substring(0, 8),
                        !p.relayedVia().isEmpty() ? "via " + p.relayedVia().substring(0, 8) + (p.limited() ? " (limited)" : " (member)")
                                : p.transport().equals("quic") ? p.address() + " udp" : p.address(),
                        p.outbound() ? "out" : "in", Formats.rtt(p.rttMicros()), Formats.bytes(p.bytesIn()),
                        Formats.bytes(p.bytesOut()), p.streams(), Formats.duration(now - p.sinceMillis()));
            }
        }
        out.flush();
        return 0;
    }
}
