package net.barn.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Runs a benchmark and prints a table for docs/BENCHMARKS.md.", "  link   throughput, latency and handshake time of two daemons on loopback, beside plain TCP"})
final class BenchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "WHICH", description = "link")
    String which;

    @Parameters(index = "1..*", paramLabel = "ARGS", description = "options of the benchmark (see its --help)")
    String[] args = new String[0];

    @Override
    public Integer call() throws Exception {
        return switch (which) {
            case "link" -> net.barn.bench.LinkBench.run(args);
            default -> throw new IllegalArgumentException("unknown benchmark '" + which + "' (known: link)");
        };
    }
}
