package net.barn.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import net.barn.daemon.store.IdentityStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** The barn command's contract: help everywhere, one-line errors, exit codes. */
class CommandLineTest {
    @TempDir
    Path tmp;

    record Result(int exit, String out, String err) {}

    static Result barn(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "node", "id", "demo", "bench"})
    void everyCommandHasHelp(String command) {
        Result r = command.isEmpty() ? barn("--help") : barn(command, "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: barn");
    }

    @Test
    void demoLinksNodesRefusesAForgedInviteReadsARecordAndClaimsANameWhoseNetworkHearsABroadcast() {
        Result r = barn("demo", "--pow", "2,6");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("A -> B  linked").contains("refused: IDENTITY_MISMATCH")
                .contains("C read it: \"hello from A\"").containsPattern("stored by [12] other node")
                .contains("A holds \"demo\"").contains("C resolves it: owner").contains("B tries to claim it too: refused:")
                .contains("A's broadcast reached 2 of 2 other member(s)")
                .contains("committee of 3, threshold 2").containsPattern("C asks members for the newest round and checks it: round \\d+, 3 of 3 agree")
                .contains("ben (node C) reads in #lobby: <ann> hello from node A")
                .contains("ann (node A) reads in #lobby: <ben> yes: ben on node C")
                .contains("ann (node A) reads in private: <ben> and this one is just for you")
                .contains("An IRC endpoint for node C is open on 127.0.0.1:");
    }

    @Test
    void idPrintsTheNodeIdAndAnInviteAndIsStable() {
        String dir = tmp.resolve("a").toString();
        Result first = barn("id", "--data", dir, "--pow", "2,6");
        assertThat(first.exit()).isZero();
        assertThat(first.out()).containsPattern("node id: [a-z2-7]{52}").contains("invite:  barn:");
        assertThat(barn("id", "--data", dir, "--pow", "2,6").out()).isEqualTo(first.out());
    }

    @Test
    void badInviteIsAUsageErrorWithOneLineSayingWhy() {
        Result r = barn("node", "--data", tmp.toString(), "--peer", "barn:not-an-id@127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("bad invite").contains("node id");
    }

    @Test
    void portInUseIsAOneLineError() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            Result r = barn("node", "--data", tmp.resolve("n").toString(), "--pow", "2,6",
                    "--listen", "127.0.0.1:" + taken.getLocalPort());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().strip()).startsWith("barn node: cannot listen on 127.0.0.1:" + taken.getLocalPort())
                    .contains("in use").doesNotContain("\n").doesNotContain("Exception");
        }
    }

    @Test
    void unreadableOrCorruptKeyIsAOneLineError() throws Exception {
        Path dir = tmp.resolve("broken");
        Files.createDirectories(dir);
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        Files.writeString(key, "not a key\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Result r = barn("id", "--data", dir.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).contains("corrupt").doesNotContain("\n");
    }
}
