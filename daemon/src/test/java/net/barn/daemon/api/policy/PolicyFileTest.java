package net.barn.daemon.api.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyFileTest {
    private static final int OWNER = 1000;

    private static Caller caller(int uid, String user, String app) {
        return new Caller(uid, user, uid, user, Set.of(), app);
    }

    @Test
    void withoutAFileOnlyTheOwnerMayDoAnything() {
        Policy p = Policy.ownerOnly(OWNER);
        assertThat(p.grantFor(caller(OWNER, "me", "x"))).contains(Grant.OWNER);
        assertThat(p.grantFor(caller(1001, "other", "x"))).isEmpty();
    }

    @Test
    void firstMatchingRuleDecidesWithAppNamesAndDefaults() throws Exception {
        Policy p = PolicyFile.parse("""
                [[allow]]
                user = "alice"
                app = "chat"
                role = "server"
                namespaces = ["irc"]
                ports = ["6667", "7000-7100"]
                services = ["irc/*"]
                max_streams = 10
                bytes_per_second = 1000

                [[allow]]
                uid = 1002
                """, "test", OWNER);
        Grant chat = p.grantFor(caller(1001, "alice", "chat")).orElseThrow();
        assertThat(chat.server()).isTrue();
        assertThat(chat.allowsPort(7050)).isTrue();
        assertThat(chat.allowsPort(7101)).isFalse();
        assertThat(chat.allowsService("irc/nick")).isTrue();
        assertThat(chat.allowsService("chess/x")).isFalse();
        assertThat(chat.allowsNamespace("irc")).isTrue();
        assertThat(chat.maxStreams()).isEqualTo(10);
        assertThat(chat.bytesPerSecond()).isEqualTo(1000);
        assertThat(p.grantFor(caller(1001, "alice", "browser"))).as("alice's other apps").isEmpty();
        Grant bare = p.grantFor(caller(1002, "bob", "anything")).orElseThrow();
        assertThat(bare.server()).as("role defaults to client").isFalse();
        assertThat(bare.allowsPort(1)).as("nothing unless listed").isFalse();
        assertThat(bare.maxStreams()).isEqualTo(Grant.DEFAULT_MAX_STREAMS);
    }

    @Test
    void aRuleForTheOwnerReplacesTheOwnersDefault() throws Exception {
        Policy p = PolicyFile.parse("""
                [[allow]]
                uid = 1000
                ports = ["80"]
                """, "test", OWNER);
        assertThat(p.grantFor(caller(OWNER, "me", "x")).orElseThrow().allowsPort(81)).isFalse();
    }

    @Test
    void theShippedExamplePolicyParsesAndMeansWhatItsCommentsSay() throws Exception {
        Policy p = PolicyFile.load(java.nio.file.Path.of("packaging/policy.example.toml"), OWNER);
        assertThat(p.rules()).hasSize(3);
        assertThat(p.grantFor(caller(1001, "nobody-special", "barn-status"))).isPresent();
        assertThat(p.grantFor(caller(1001, "nobody-special", "worm"))).isEmpty();
    }

    @Test
    void syntaxErrorsNameTheLine() {
        assertThatThrownBy(() -> PolicyFile.parse("[[allow]]\nuser = \"a\"\nports = [\"1\"\n", "policy.toml", OWNER))
                .isInstanceOf(PolicyFile.PolicyException.class).hasMessageStartingWith("policy.toml:");
    }

    @Test
    void unknownKeysBadRolesAndBadPortsAreRefusedWithTheirLine() {
        assertThatThrownBy(() -> PolicyFile.parse("[[allow]]\nuser = \"a\"\nport = [\"1\"]\n", "p", OWNER))
                .hasMessage("p:3: unknown key 'port'");
        assertThatThrownBy(() -> PolicyFile.parse("[[allow]]\nuser = \"a\"\nrole = \"admin\"\n", "p", OWNER))
                .hasMessageContaining("p:3:").hasMessageContaining("role must be");
        assertThatThrownBy(() -> PolicyFile.parse("[[allow]]\nuser = \"a\"\nports = [\"9-2\"]\n", "p", OWNER))
                .hasMessageContaining("p:3:");
        assertThatThrownBy(() -> PolicyFile.parse("[[allow]]\napp = \"x\"\n", "p", OWNER))
                .hasMessageContaining("needs user, uid, group or gid");
        assertThatThrownBy(() -> PolicyFile.parse("[[allow]]\nuser = \"a\"\nmax_streams = -1\n", "p", OWNER))
                .hasMessageContaining("max_streams");
        assertThatThrownBy(() -> PolicyFile.parse("users = 1\n", "p", OWNER)).hasMessageContaining("unknown key 'users'");
    }
}
