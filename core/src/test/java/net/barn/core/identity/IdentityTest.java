package net.barn.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.barn.core.crypto.SeededEntropy;
import org.junit.jupiter.api.Test;

class IdentityTest {
    @Test
    void generatedIdentityMeetsBothPuzzlesAndItsIdIsTheHashOfItsKey() {
        PowParams pow = new PowParams(6, 10);
        Identity identity = Identity.generate(new SeededEntropy(7), pow);
        assertThat(identity.checkWork(pow)).isNull();
        assertThat(ProofOfWork.staticBits(identity.id())).isGreaterThanOrEqualTo(6);
        assertThat(ProofOfWork.dynamicBits(identity.id(), identity.powNonce())).isGreaterThanOrEqualTo(10);
        assertThat(identity.id()).isEqualTo(NodeId.ofPublicKey(identity.publicKey()));
    }

    @Test
    void restoringFromTheSeedGivesTheSameIdentity() {
        Identity identity = Identity.generate(new SeededEntropy(8), PowParams.TEST);
        Identity restored = Identity.restore(identity.seed(), identity.powNonce());
        assertThat(restored.id()).isEqualTo(identity.id());
        assertThat(restored.publicKey()).isEqualTo(identity.publicKey());
    }

    @Test
    void workBelowTheDifficultySaysWhichPuzzleFellShort() {
        Identity identity = Identity.generate(new SeededEntropy(9), new PowParams(0, 0));
        String why = identity.checkWork(new PowParams(0, 40));
        assertThat(why).contains("dynamic puzzle");
    }

    @Test
    void sameSeedSameIdentity() {
        assertThat(Identity.generate(new SeededEntropy(3), PowParams.TEST).id())
                .isEqualTo(Identity.generate(new SeededEntropy(3), PowParams.TEST).id());
    }

    @Test
    void malformedInvitesAreRefusedWithAReason() {
        assertThatThrownBy(() -> Invite.parse("http://x")).hasMessageContaining("barn:");
        assertThatThrownBy(() -> Invite.parse("barn:abc")).hasMessageContaining("node id");
        String id = NodeId.of(new byte[32]).toString();
        assertThatThrownBy(() -> Invite.parse("barn:" + id + "@")).hasMessageContaining("no address");
        assertThatThrownBy(() -> Invite.parse("barn:" + id + "@1.2.3.4:0")).hasMessageContaining("port");
        assertThatThrownBy(() -> Invite.parse("barn:" + id + "@1.2.3.4")).hasMessageContaining("host:port");
        assertThatThrownBy(() -> Invite.parse("barn:" + id + "@256.1.1.1:80x")).isInstanceOf(IllegalArgumentException.class);
    }
}
