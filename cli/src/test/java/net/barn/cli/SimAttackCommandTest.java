package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code barn sim attack}: small runs of two kinds, and a bad fraction. */
class SimAttackCommandTest {
    @TempDir
    Path tmp;

    @Test
    void aSmallBeaconRunWritesItsTable() throws Exception {
        CommandLineTest.Result r = CommandLineTest.barn("sim", "attack", "--kind", "beacon", "--nodes", "6", "--trials", "200",
                "--adversary", "0.2", "--out", tmp.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(Files.readString(tmp.resolve("attack-beacon.csv"))).startsWith("kind,setting").contains("n=6 t=4");
        assertThat(tmp.resolve("attack-beacon.png")).exists();
    }

    @Test
    void aSmallEquivocationRunPrintsItsSummaryAndReplayLine() {
        CommandLineTest.Result r = CommandLineTest.barn("sim", "attack", "--kind", "equivocate", "--nodes", "300",
                "--adversary", "0.03");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("replay: bin/barn sim attack --kind equivocate");
    }

    @Test
    void aFractionOfOneIsRefusedInOneLine() {
        CommandLineTest.Result r = CommandLineTest.barn("sim", "attack", "--kind", "sybil", "--adversary", "1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).contains("need 0 <= adversary < 1").doesNotContain("\n");
    }
}
