package net.barn.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a client command finds its node: by data directory, or by API socket path. */
final class NodeChoice {
    @Option(names = "--data", paramLabel = "DIR", required = true,
            description = "Data directory of the node (its API socket is DIR/api.sock).")
    Path data;

    @Option(names = "--api", paramLabel = "PATH", required = true, description = "The node's API socket.")
    Path api;

    Path socket() {
        return api != null ? api : net.barn.sdk.Barn.socketIn(data);
    }
}
