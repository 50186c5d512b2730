package net.barn.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import net.barn.sdk.Barn;
import net.barn.sdk.NodeStatus;
import net.barn.sdk.Role;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Shows a running node: its id, invite, addresses, links, traffic and uptime.")
final class StatusCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    NodeChoice node;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        NodeStatus s;
        try (Barn barn = Barn.connect(node.socket(), "barn-status", Role.CLIENT)) {
            s = barn.status();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.printf("{\"node_id\": %s, \"invite\": %s, \"listen_addresses\": [%s], \"uptime_ms\": %d, \"links\": %d,"
                            + " \"links_outbound\": %d, \"bytes_in\": %d, \"bytes_out\": %d, \"sessions\": %d, \"version\": %s,"
                            + " \"routing_table\": %d, \"records\": %d, \"reachability\": %s, \"beacon\": %s}%n",
                    Formats.json(s.nodeId()), Formats.json(s.invite()),
                    String.join(", ", s.listenAddresses().stream().map(Formats::json).toList()), s.uptimeMillis(), s.links(),
                    s.linksOutbound(), s.bytesIn(), s.bytesOut(), s.sessions(), Formats.json(s.version()), s.routingTable(),
                    s.records(), Formats.json(s.reachability()), Formats.json(s.beacon()));
        } else {
            out.printf("node     %s%n", s.nodeId());
            out.printf("invite   %s%n", s.invite());
            out.printf("listen   %s%n", String.join(", ", s.listenAddresses()));
            out.printf("uptime   %s%n", Formats.duration(s.uptimeMillis()));
            out.printf("links    %d (%d outbound, %d inbound)%n", s.links(), s.linksOutbound(), s.links() - s.linksOutbound());
            out.printf("traffic  %s in, %s out%n", Formats.bytes(s.bytesIn()), Formats.bytes(s.bytesOut()));
            out.printf("root net %d contacts in the routing table, %d records held%n", s.routingTable(), s.records());
            out.printf("reach    %s%n", s.reachability());
            if (!s.beacon().isEmpty()) {
                out.printf("beacon   %s%n", s.beacon());
            }
            out.printf("apps     %d connected (this one included)%n", s.sessions());
            out.printf("version  %s%n", s.version());
        }
        out.flush();
        return 0;
    }
}
