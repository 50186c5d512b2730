package net.barn.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Name hijacking, behind {@code barn sim attack --kind hijack}: {@link NameAttackScenario}
 * (squat, forged transfer, backdated claim, front-running by colluding ids that lie on every
 * read) at the given adversary share, with trials spread over runs of at most
 * {@code trialsPerRun} on seeds {@code seed}, {@code seed+1}, ... Besides the real rules it
 * runs, with fewer trials, the two read-side defences switched off in the simulated nodes:
 * reads of a name that end at the first quorum of answers instead of hearing every replica,
 * and empty replicas that take an old-looking claim on the sender's word instead of reading
 * the other replicas first. The other defences (commitments countersigned by the replicas,
 * sequence and signature checks, holders refusing a competing claim) cannot be switched off
 * without changing the core and stay on in every setting.
 */
public final class HijackScenario {
    /**
     * @param trials attacks with every defence on
     * @param weakenedTrials attacks in each setting with a defence off (0: those settings are skipped)
     */
    public record Params(int nodes, long seed, double adversary, int trials, int weakenedTrials, int trialsPerRun, int names) {
        public static Params defaults(int nodes, long seed, double adversary, int trials) {
            return new Params(nodes, seed, adversary, trials, Math.min(trials, 400), 2000, 100);
        }

        public String replayCommand() {
            return String.format(Locale.ROOT, "bin/barn sim attack --kind hijack --adversary %s --nodes %d --seed %d --trials %d",
                    adversary, nodes, seed, trials);
        }
    }

    private record Setting(String label, boolean readAll, boolean askNeighbours, boolean grind, boolean placed) {
        Setting(String label, boolean readAll, boolean askNeighbours) {
            this(label, readAll, askNeighbours, false, false);
        }
    }

    /** Names the grinding setting attacks, and ids ground next to each: a majority of a name's 40 replicas. */
    static final int GROUND_NAMES = 4;
    static final int GROUND_PER_NAME = 25;

    private final Params p;
    private Consumer<String> progress = line -> { };
    private final List<String> violations = new ArrayList<>();

    public HijackScenario(Params p) {
        this.p = p;
    }

    public void onProgress(Consumer<String> sink) {
        progress = sink;
    }

    /** Violations of runs with every defence on (an honest read that returned an attacker as owner). */
    public List<String> violations() {
        return List.copyOf(violations);
    }

    public AttackTable run() {
        AttackTable table = new AttackTable("hijack", String.format(Locale.ROOT,
                "barn sim attack hijack: %d nodes, %.0f%% colluding ids, seed %d", p.nodes(), 100 * p.adversary(), p.seed()));
        List<Setting> settings = new ArrayList<>(List.of(new Setting("all defences (the real rules)", true, true)));
        if (p.weakenedTrials() > 0) {
            settings.add(new Setting(String.format(Locale.ROOT, "all defences; %d ids ground next to each of %d names once claimed",
                    GROUND_PER_NAME, GROUND_NAMES), true, true, true, false));
            settings.add(new Setting(String.format(Locale.ROOT, "all defences and salted placement with presence tickets; %d ids"
                    + " ground next to each of %d names' points once the period's salt is out", GROUND_PER_NAME, GROUND_NAMES),
                    true, true, true, true));
            settings.add(new Setting("reads end at a quorum (not all replicas)", false, true));
            settings.add(new Setting("empty replicas take old claims unread", true, false));
            settings.add(new Setting("both off", false, false));
        }
        for (Setting s : settings) {
            table.add(run(s, s.readAll() && s.askNeighbours() && !s.grind() && !s.placed() ? p.trials() : p.weakenedTrials()));
        }
        table.note("trial = one attack on one name (squat, forged transfer, backdated claim, front-run in turn) followed by 3"
                + " honest reads; attack success = any of those reads returned an owner other than the honest one");
        table.note("ground ids: identities generated until their id shares a name key's first log2(nodes) + 1 bits, the nearest"
                + " to it; they join after the names are claimed and collude; with names at their keys, their wins are the attack"
                + " TRUST-MODEL 6 names; with salted placement (names claimed in period 1, attacked in period 2, ids ground next to"
                + " the period-2 points, which no presence ticket from before the period covers) any win is a safety violation");
        table.note("real Dht cores and name rules (NameAttackScenario) with churn of 10%/h; id puzzles at test difficulty; runs of"
                + " at most " + p.trialsPerRun() + " trials on seeds seed, seed+1, ...; " + p.names() + " names claimed first in each run");
        return table.replay(p.replayCommand());
    }

    /** Runs with every defence on, or with all the switchable ones off. */
    public AttackTable.Row run(boolean defences, int trials) {
        return run(new Setting(defences ? "all defences (the real rules)" : "both off", defences, defences), trials);
    }

    private AttackTable.Row run(Setting s, int trials) {
        int runs = (trials + p.trialsPerRun() - 1) / p.trialsPerRun();
        int done = 0;
        int wins = 0;
        int reads = 0;
        int notFound = 0;
        int flagged = 0;
        int stored = 0;
        long requests = 0;
        long wall0 = System.nanoTime();
        for (int i = 0; i < runs; i++) {
            int chunk = Math.min(p.trialsPerRun(), trials - i * p.trialsPerRun());
            NameAttackScenario.Params base = NameAttackScenario.Params.defaults(p.nodes(), p.seed() + i)
                    .with(p.adversary(), p.names(), chunk, 0.1).withDefences(s.readAll(), s.askNeighbours());
            NameAttackScenario.Params ground = s.grind() ? base.withGrinding(GROUND_NAMES, GROUND_PER_NAME) : base;
            NameAttackScenario.Params np = s.placed() ? ground.withPlacement() : ground;
            NameAttackScenario.Result r = new NameAttackScenario(np).run();
            done += r.trials();
            wins += r.successes();
            for (NameAttackScenario.Tally t : r.tallies().values()) {
                reads += t.reads();
                notFound += t.readsNotFound();
                flagged += t.readsFlaggingConflict();
                stored += t.honestReplicasStoringForgery();
                requests += t.readRequests();
            }
            if (!np.weakened() && (!np.grinding() || np.placed())) {
                r.violations().forEach(v -> violations.add("seed " + np.seed() + ": " + v));
            }
            progress.accept(String.format(Locale.ROOT, "%s: run %d of %d (seed %d): %d of %d attacks won, %.0f s wall so far",
                    s.label(), i + 1, runs, np.seed(), r.successes(), r.trials(), (System.nanoTime() - wall0) / 1e9));
        }
        return new AttackTable.Row(s.label(), p.adversary(), done, wins, 0, 0, String.format(Locale.ROOT,
                "%d honest reads: %d found nothing, %d flagged a conflict, %.1f requests each; honest replicas storing a forgery: %d",
                reads, notFound, flagged, reads == 0 ? 0.0 : (double) requests / reads, stored));
    }
}
