package net.barn.cli;

import java.util.concurrent.Callable;
import net.barn.sim.BeaconScenario;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code barn sim beacon}: one beacon committee's DKG and rounds over a simulated wide-area network. */
@Command(name = "beacon", mixinStandardHelpOptions = true,
        description = {"A random-beacon committee on a wide-area network: the real joint-Feldman DKG,",
                "then threshold-BLS rounds, some members withholding their partials. Reports DKG",
                "time and bytes, round latency, and bytes and CPU per member. Fails (exit 3) if",
                "the members disagree on the group key or on a round's output."})
final class SimBeaconCommand implements Callable<Integer> {
    @Option(names = "--members", defaultValue = "16", description = "Committee size (default ${DEFAULT-VALUE}).")
    int members;

    @Option(names = "--threshold", description = "Partials needed (default: members / 2 + 1).")
    Integer threshold;

    @Option(names = "--rounds", defaultValue = "20", description = "Rounds to run (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--withholding", defaultValue = "0", description = "Members that never send partials (default ${DEFAULT-VALUE}).")
    int withholding;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of everything random (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        BeaconScenario.Params d = BeaconScenario.Params.defaults(members, seed);
        BeaconScenario.Params p = new BeaconScenario.Params(members, threshold != null ? threshold : d.threshold(), rounds, withholding,
                seed, d.phaseNanos(), d.roundIntervalNanos());
        BeaconScenario.Result r = new BeaconScenario(p).run();
        BeaconScenario.summary(r, System.out);
        if (!r.dkgAgreed() || !r.outputsAgreed()) {
            System.out.println("FAILED: seed " + seed + "; replay with:");
            System.out.println("  " + p.replayCommand());
            return 3;
        }
        return 0;
    }
}
