package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentLinkedQueue;
import net.barn.core.dht.Contact;
import net.barn.core.identity.PeerAddress;
import net.barn.core.relay.RelayConfig;
import net.barn.wire.names.NamePolicy;
import org.junit.jupiter.api.Test;

/**
 * Members of a private maze relay for each other without the public relays' limits
 * (docs/PROTOCOL.md 16.6): two members nobody can dial (they advertise a closed port, as
 * nodes behind NATs that keep no mapping would) reach each other through a third member.
 */
class MemberRelayTest extends RootNetworkTest {
    private static final PeerAddress CLOSED = new PeerAddress("127.0.0.1", 1);

    @Test
    void twoUndiallableMembersOfAPrivateMazeTalkThroughAThirdMemberWithoutLimits() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode relay = nodes.start(61);
        BarnNode a = nodes.start(62, TestNodes.config(tmp.resolve("a")).withAdvertise(List.of(CLOSED)));
        BarnNode b = nodes.start(63, TestNodes.config(tmp.resolve("b")).withAdvertise(List.of(CLOSED)));
        // The third member would cut a public circuit after 64 KiB (and, not being public, opens none).
        relay.relay().useConfig(RelayConfig.DEFAULT.withCircuitLimits(64 * 1024, TimeUnit.SECONDS.toNanos(5)));
        Contact seed = new Contact(relay.id(), relay.invite().addresses().get(0));
        DhtService relayRoot = roots.root(relay, List.of());
        DhtService aRoot = roots.root(a, List.of(seed));
        DhtService bRoot = roots.root(b, List.of(seed));
        // Nobody can dial the two, so only they hold the third in their tables; that is the network.
        TestRoots.await(() -> TestRoots.tableSize(aRoot) >= 1 && TestRoots.tableSize(bRoot) >= 1, "the root network forms", 20);
        aRoot.nameService().claim("club", new NameService.ClaimTerms(30 * NameService.DAY_MILLIS, List.of(), 1,
                NamePolicy.getDefaultInstance())).get(30, TimeUnit.SECONDS);

        var heard = new ConcurrentLinkedQueue<String>();
        for (DhtService d : List.of(relayRoot, aRoot, bRoot)) {
            d.mazes().join("club/#inner", this, null, true).get(30, TimeUnit.SECONDS);
        }
        bRoot.mazes().listen("club/#inner", e -> {
            if (e instanceof MazeService.Event.Delivered del) {
                heard.add(new String(del.payload(), StandardCharsets.UTF_8));
            }
        }).get(5, TimeUnit.SECONDS);
        TestRoots.await(() -> a.link(b.id()).isPresent() && b.link(a.id()).isPresent(),
                "the two members link through the third", 60);

        PeerLink link = a.link(b.id()).orElseThrow();
        assertThat(link.relayedVia()).as("carried by the third member").isEqualTo(relay.id());
        assertThat(link.limited()).as("a member circuit has no byte or time limit").isFalse();
        assertThat(b.link(a.id()).orElseThrow().limited()).isFalse();

        byte[] big = new byte[1 << 20]; // 16 times what a public circuit of this relay would carry
        new java.util.Random(61).nextBytes(big);
        assertThat(TestRoots.echo(link, big)).isEqualTo(big);
        aRoot.mazes().send("club/#inner", "through a member".getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        TestRoots.await(() -> heard.contains("through a member"), "the message reaches the other member", 20);
    }

    @Test
    void aRelayRefusesAMemberCircuitForAMazeItIsNotInAndATargetRefusesStrangers() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode relay = nodes.start(71);
        BarnNode a = nodes.start(72);
        BarnNode b = nodes.start(73);
        a.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        b.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> relay.link(a.id()).isPresent() && relay.link(b.id()).isPresent(), "the relay holds both links", 10);

        // No maze service holds a membership here: the relay finds no private maze with both ends.
        assertThatThrownBy(() -> a.relay().dialVia(relay.id(), b.id(), "club/#inner").get(10, TimeUnit.SECONDS))
                .hasMessageContaining("refused the circuit")
                .hasMessageContaining("not in private maze \"club/#inner\"");
        // A relay that says the ends are members still meets a target that does not agree.
        relay.relay().relayForMembers((maze, x, y) -> true);
        assertThatThrownBy(() -> a.relay().dialVia(relay.id(), b.id(), "club/#inner").get(10, TimeUnit.SECONDS))
                .hasMessageContaining("refused the circuit")
                .hasMessageContaining("this node is not in private maze \"club/#inner\" with that relay and that node");
        assertThat(a.link(b.id())).isEmpty();
        // And a plain circuit still needs a reservation.
        assertThatThrownBy(() -> a.relay().dialVia(relay.id(), b.id()).get(10, TimeUnit.SECONDS))
                .hasMessageContaining("refused the circuit");
    }
}
