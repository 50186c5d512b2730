package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Contact;
import net.barn.core.identity.NodeId;
import net.barn.core.overlay.OverlayMessage;
import net.barn.core.trust.evidence.EvidenceCodec;
import net.barn.core.trust.evidence.StewardCouncil;
import net.barn.core.trust.evidence.StewardVote;
import net.barn.wire.names.NamePolicy;
import org.junit.jupiter.api.Test;

/** A namespace's members agree on its stewards each epoch, who vote a flooding member out; nobody else's votes count. */
class StewardsTest extends RootNetworkTest {
    private static final int MEMBERS = 6;
    private static final int LIMIT = 2;

    private static void await(java.util.function.BooleanSupplier condition, String what) throws Exception {
        TestRoots.await(condition, what, 60);
    }

    private static NamespaceService.State state(DhtService d) {
        try {
            return d.namespaces().states().get(5, TimeUnit.SECONDS).stream().findFirst().orElse(null);
        } catch (Exception e) {
            return null;
        }
    }

    private static List<NodeId> stewards(DhtService d) {
        NamespaceService.State s = state(d);
        return s == null ? List.of() : s.stewards();
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void membersAgreeOnStewardsWhoRefuseANonStewardsVoteVoteOutAFloodingMemberAndRotateWithTheEpoch() throws Exception {
        nodes = new TestNodes(tmp);
        List<BarnNode> up = new ArrayList<>();
        List<DhtService> dhts = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            up.add(nodes.start(40 + i));
        }
        Contact seed = new Contact(up.get(0).id(), up.get(0).invite().addresses().get(0));
        for (int i = 0; i < MEMBERS; i++) {
            DhtService d = roots.root(up.get(i), i == 0 ? List.of() : List.of(seed));
            d.namespaces().stewardship(StewardCouncil.Config.DEFAULT, 200, 1000);
            dhts.add(d);
        }
        await(() -> dhts.stream().allMatch(d -> TestRoots.tableSize(d) >= 1) && TestRoots.tableSize(dhts.get(0)) >= MEMBERS - 1,
                "the root network forms");
        dhts.get(0).nameService().claim("chess", new NameService.ClaimTerms(30 * NameService.DAY_MILLIS, List.of(), 1,
                NamePolicy.newBuilder().setBroadcastsPerMinute(LIMIT).build())).get(30, TimeUnit.SECONDS);
        List<ConcurrentLinkedQueue<String>> inboxes = new ArrayList<>();
        for (DhtService d : dhts) {
            ConcurrentLinkedQueue<String> inbox = new ConcurrentLinkedQueue<>();
            inboxes.add(inbox);
            d.namespaces().join("chess", this, null).get(30, TimeUnit.SECONDS);
            d.namespaces().listen("chess", del -> inbox.add(new String(del.payload(), StandardCharsets.UTF_8)))
                    .get(5, TimeUnit.SECONDS);
        }

        // Every member reads the same directory and draws the same five stewards of six.
        await(() -> dhts.stream().allMatch(d -> stewards(d).size() == 5 && stewards(d).equals(stewards(dhts.get(0)))),
                "every member draws the same five stewards");
        List<NodeId> stewards = stewards(dhts.get(0));
        assertThat(state(dhts.get(0)).epoch()).isZero();
        int bad = 0;
        while (stewards.contains(up.get(bad).id())) {
            bad++;
        }
        DhtService flooder = dhts.get(bad);
        NodeId flooderId = up.get(bad).id();
        await(() -> dhts.stream().allMatch(d -> !state(d).neighbours().isEmpty()), "every member is in the overlay");

        // A vote from the member that is no steward is refused by every other member, with the reason.
        NodeId victim = stewards.get(0);
        StewardVote forged = StewardVote.sign(up.get(bad).identity(), "chess", 0, victim, true, "made up");
        flooder.namespaces().broadcastKind("chess", OverlayMessage.Gossip.STEWARD_VOTE,
                EvidenceCodec.encodeStatement(forged.statement())).get(5, TimeUnit.SECONDS);
        int flooderIndex = bad;
        await(() -> java.util.stream.IntStream.range(0, MEMBERS).filter(i -> i != flooderIndex)
                .anyMatch(i -> state(dhts.get(i)).votesRefused() >= 1), "a member refuses the non-steward's vote");
        NamespaceService.State refusing = dhts.stream().map(StewardsTest::state).filter(s -> s.votesRefused() >= 1)
                .findFirst().orElseThrow();
        assertThat(refusing.lastRefusal()).isEqualTo(flooderId.shortForm() + ": not a steward of chess in epoch 0");
        assertThat(dhts.stream().map(StewardsTest::state).allMatch(s -> s.excluded().isEmpty())).isTrue();

        // An honest member is held to the policy's limit by its own node.
        flooder.namespaces().broadcast("chess", text("hello 1")).get(5, TimeUnit.SECONDS);
        flooder.namespaces().broadcast("chess", text("hello 2")).get(5, TimeUnit.SECONDS);
        assertThatThrownBy(() -> flooder.namespaces().broadcast("chess", text("hello 3")).get(5, TimeUnit.SECONDS))
                .hasMessageContaining("allows 2 broadcasts a minute");

        // A member that ignores it floods; the stewards see it, vote, and every other member excludes it.
        for (int i = 0; i < 20; i++) {
            flooder.namespaces().broadcast("chess", text("flood " + i), false).get(5, TimeUnit.SECONDS);
        }
        await(() -> java.util.stream.IntStream.range(0, MEMBERS).filter(i -> i != flooderIndex)
                .allMatch(i -> state(dhts.get(i)).excluded().contains(flooderId)), "every other member excludes the flooder");
        await(() -> java.util.stream.IntStream.range(0, MEMBERS).filter(i -> i != flooderIndex)
                .noneMatch(i -> state(dhts.get(i)).neighbours().contains(flooderId)), "nobody keeps the flooder as a neighbour");

        // Its broadcasts now reach nobody, while an honest member's still reach everyone.
        flooder.namespaces().broadcast("chess", text("after exclusion"), false).get(5, TimeUnit.SECONDS);
        int honest = flooderIndex == 0 ? 1 : 0;
        dhts.get(honest).namespaces().broadcast("chess", text("still here")).get(5, TimeUnit.SECONDS);
        for (int i = 0; i < MEMBERS; i++) {
            if (i == flooderIndex || i == honest) {
                continue;
            }
            ConcurrentLinkedQueue<String> inbox = inboxes.get(i);
            await(() -> inbox.contains("still here"), "member " + i + " hears the honest member");
            assertThat(inbox).doesNotContain("after exclusion");
        }

        // A member that joins afterwards never saw the votes: the stewards send theirs again, and
        // it excludes the flooder too. (It is started with a seed whose ticket makes it no steward,
        // so that the steward set, and the votes' weight, stay as they were.)
        BarnNode late = null;
        for (long candidateSeed = 60; late == null; candidateSeed++) {
            BarnNode candidate = nodes.start(candidateSeed);
            byte[] ticket = net.barn.core.trust.beacon.Sortition.stewardTicket(net.barn.core.trust.beacon.Sortition.GENESIS_SEED, "chess",
                    candidate.id());
            boolean steward = stewards.stream().anyMatch(id -> java.util.Arrays.compareUnsigned(ticket,
                    net.barn.core.trust.beacon.Sortition.stewardTicket(net.barn.core.trust.beacon.Sortition.GENESIS_SEED, "chess", id)) < 0);
            if (steward) {
                candidate.close();
            } else {
                late = candidate;
            }
        }
        DhtService lateRoot = roots.root(late, List.of(seed));
        lateRoot.namespaces().stewardship(StewardCouncil.Config.DEFAULT, 200, 1000);
        await(() -> TestRoots.tableSize(lateRoot) >= 1, "the late member joins the root network");
        lateRoot.namespaces().join("chess", this, null).get(30, TimeUnit.SECONDS);
        await(() -> state(lateRoot).stewards().equals(stewards), "the late member draws the same stewards");
        await(() -> state(lateRoot).excluded().contains(flooderId), "the late member learns the exclusion from votes sent again");

        // The next epoch draws the stewards again from its seed, the same on every member; the exclusion outlives it.
        byte[] nextSeed = net.barn.core.crypto.Sha256.hash(text("epoch 1"));
        for (DhtService d : dhts) {
            d.namespaces().epochSeeds(() -> new EpochSeeds.Epoch(1, nextSeed));
        }
        lateRoot.namespaces().epochSeeds(() -> new EpochSeeds.Epoch(1, nextSeed));
        List<NodeId> all = new ArrayList<>(up.stream().map(BarnNode::id).toList());
        all.add(late.id()); // the directory lists the late member too
        List<NodeId> drawn = net.barn.core.trust.beacon.Sortition.stewards(nextSeed, "chess", all, 5);
        await(() -> dhts.stream().allMatch(d -> state(d).epoch() == 1 && stewards(d).equals(drawn)),
                "every member draws epoch 1's stewards");
        assertThat(drawn).isNotEqualTo(stewards);
        assertThat(state(dhts.get(honest)).excluded()).containsExactly(flooderId);
    }
}
