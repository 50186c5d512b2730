package net.barn.apps.irc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class IrcMessageTest {
    private static IrcMessage parse(String s) throws IrcMessage.BadLine {
        return IrcMessage.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsPrefixCommandParametersAndTrailing() throws Exception {
        IrcMessage m = parse(":nick!u@h privmsg #barn :hello there :)");
        assertThat(m.prefix()).isEqualTo("nick!u@h");
        assertThat(m.command()).isEqualTo("PRIVMSG");
        assertThat(m.params()).containsExactly("#barn", "hello there :)");
        assertThat(parse("@time=x;id=1 PING :t").params()).containsExactly("t");
        assertThat(parse("USER  a  0 * :Real  Name").params()).containsExactly("a", "0", "*", "Real  Name");
        assertThat(parse("JOIN #a,#b").params()).containsExactly("#a,#b");
    }

    @Test
    void writesTheLastParameterAsTrailingWhenItMustBe() {
        assertThat(IrcMessage.of("srv", "001", "alice", "Welcome home").format()).isEqualTo(":srv 001 alice :Welcome home");
        assertThat(IrcMessage.of(null, "PONG", "srv", "token").format()).isEqualTo("PONG srv token");
        assertThat(IrcMessage.of("srv", "353", "alice", "=", "#c", "alice").format()).isEqualTo(":srv 353 alice = #c :alice");
        assertThat(IrcMessage.of("a!b@c", "JOIN", "#c").format()).isEqualTo(":a!b@c JOIN #c");
        assertThat(IrcMessage.of(null, "PRIVMSG", "#c", ":)").format()).isEqualTo("PRIVMSG #c ::)");
        assertThat(IrcMessage.of(null, "TOPIC", "#c", "").format()).isEqualTo("TOPIC #c :");
    }

    @Test
    void refusesLinesThatAreNotIrc() {
        assertThatThrownBy(() -> IrcMessage.parse(new byte[] {(byte) 0xff, 'A'})).hasMessage("not UTF-8");
        assertThatThrownBy(() -> parse("   ")).hasMessage("empty line");
        assertThatThrownBy(() -> parse(":prefixonly")).hasMessage("prefix without a command");
        assertThatThrownBy(() -> parse("X 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16")).hasMessage("more than 15 parameters");
        assertThatThrownBy(() -> parse("PRIVMSG a :b\0c")).hasMessage("NUL in line");
    }
}
