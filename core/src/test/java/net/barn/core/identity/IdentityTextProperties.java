package net.barn.core.identity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class IdentityTextProperties {
    @Property
    void base32RoundTrips(@ForAll byte[] data) {
        assertThat(Base32.decode(Base32.encode(data))).isEqualTo(data);
    }

    @Property
    void nodeIdTextRoundTrips(@ForAll @Size(32) byte[] bytes) {
        NodeId id = NodeId.of(bytes);
        assertThat(id.toString()).hasSize(NodeId.TEXT_LENGTH).matches("[a-z2-7]+");
        assertThat(NodeId.parse(id.toString())).isEqualTo(id);
        assertThat(NodeId.parse(id.toHex())).isEqualTo(id);
    }

    @Property
    void inviteRoundTrips(@ForAll @Size(32) byte[] id, @ForAll @IntRange(min = 1, max = 65535) int port,
            @ForAll @IntRange(min = 0, max = 255) int octet) {
        Invite invite = new Invite(NodeId.of(id), List.of(new PeerAddress("10.0.0." + octet, port),
                new PeerAddress("::1", port), new PeerAddress("node.example", port)));
        assertThat(Invite.parse(invite.toString())).isEqualTo(invite);
    }

    @Property(tries = 3000)
    void anyTextIsAnInviteOrAClearRefusal(@ForAll String text) {
        try {
            Invite.parse("barn:" + text);
        } catch (IllegalArgumentException refused) {
            assertThat(refused.getMessage()).isNotBlank();
        }
    }
}
