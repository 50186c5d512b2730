package net.barn.cli;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.Callable;
import net.barn.core.identity.Identity;
import net.barn.core.identity.Invite;
import net.barn.core.identity.PowParams;
import net.barn.daemon.store.DataDir;
import net.barn.daemon.store.IdentityStore;
import net.barn.daemon.store.NodeAddresses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "id", mixinStandardHelpOptions = true,
        description = {"Prints the node id and invite of a data directory, creating the identity if it has none.",
                "The invite's addresses are those the node last listened on."})
final class IdCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "DIR", description = "Data directory of the node.")
    Path data;

    @Option(names = "--pow", paramLabel = "STATIC,DYNAMIC", defaultValue = "8,22",
            description = "Proof-of-work difficulty of the network (default ${DEFAULT-VALUE}).")
    PowParams pow;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        java.io.PrintWriter out = spec.commandLine().getOut();
        DataDir dir = DataDir.open(data);
        Identity identity = IdentityStore.loadOrCreate(dir, pow, new SecureRandom());
        Invite invite = NodeAddresses.read(dir)
                .filter(i -> i.nodeId().equals(identity.id()))
                .orElse(new Invite(identity.id(), List.of()));
        out.println("node id: " + identity.id());
        out.println("invite:  " + invite);
        if (invite.addresses().isEmpty()) {
            out.println("(no addresses yet: they appear once the node has run, e.g. bin/barn node --data " + data + ")");
        }
        out.flush();
        return 0;
    }
}
