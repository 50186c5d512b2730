package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.barn.core.dht.Contact;
import net.barn.core.identity.Invite;
import net.barn.core.overlay.OverlayCodec;
import net.barn.core.overlay.OverlayMessage;
import net.barn.wire.names.NamePolicy;
import org.junit.jupiter.api.Test;

/** Namespace networks between in-process nodes: the overlay of an invite-only namespace lets in listed members only. */
class NamespaceServiceTest extends RootNetworkTest {
    private DhtService root(BarnNode node, List<Contact> seeds) throws Exception {
        return roots.root(node, seeds);
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws Exception {
        TestRoots.await(condition, what, 20);
    }

    @Test
    void anUninvitedNodeCannotEnterAClosedNamespacesOverlayByKnowingAMembersAddress() throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode owner = nodes.start(1);
        BarnNode member = nodes.start(2);
        BarnNode outsider = nodes.start(3);
        Contact seed = new Contact(owner.id(), owner.invite().addresses().get(0));
        DhtService ownerDht = root(owner, List.of());
        DhtService memberDht = root(member, List.of(seed));
        DhtService outsiderDht = root(outsider, List.of(seed));
        await(() -> TestRoots.tableSize(ownerDht) >= 2 && TestRoots.tableSize(memberDht) >= 1
                && TestRoots.tableSize(outsiderDht) >= 1, "the root network forms");
        ownerDht.nameService().claim("club", new NameService.ClaimTerms(30 * NameService.DAY_MILLIS, List.of(), 1,
                NamePolicy.newBuilder().setMembership(NamePolicy.Membership.INVITE_ONLY).build())).get(30, TimeUnit.SECONDS);
        ownerDht.namespaces().join("club", this, null).get(30, TimeUnit.SECONDS); // owners need no invitation
        assertThatThrownBy(() -> outsiderDht.namespaces().join("club", this, null).get(30, TimeUnit.SECONDS))
                .hasMessageContaining("invite-only");
        var invitation = ownerDht.nameService().invite("club", member.id(), NameService.DAY_MILLIS).get(30, TimeUnit.SECONDS);
        memberDht.namespaces().join("club", this, invitation).get(30, TimeUnit.SECONDS);
        await(() -> neighbours(memberDht).contains(owner.id().toString()), "the invited member links with the owner");

        // The outsider skips the directory and asks the member straight for a place in its overlay.
        byte[] join = OverlayCodec.encode(new OverlayMessage.Join("club"));
        BarnStream stream = outsider.dial(new Invite(member.id(), member.invite().addresses())).get(10, TimeUnit.SECONDS)
                .openStream(NamespaceService.SERVICE, new StreamHandler() {
                    @Override
                    public void onData(BarnStream s, ByteBuffer data) {
                        s.consumed(data.remaining());
                    }
                }).get(10, TimeUnit.SECONDS);
        stream.eventLoop().submit(() -> stream.write(ByteBuffer.allocate(4 + join.length).putInt(join.length).put(join).flip()))
                .get(5, TimeUnit.SECONDS);
        // The member reads the directory again, does not find the outsider in it, and drops the request.
        await(() -> ignored(memberDht) >= 1, "the member ignores the outsider's Join");
        assertThat(neighbours(memberDht)).doesNotContain(outsider.id().toString());

        // The same at a maze of the closed namespace: the outsider's Join to a member is dropped.
        memberDht.mazes().join("club/#inner", this, invitation).get(30, TimeUnit.SECONDS);
        byte[] mazeJoin = net.barn.core.maze.MazeCodec.encode(new net.barn.core.maze.MazeMessage.Join("club/#inner", List.of(),
                List.of()));
        BarnStream toMaze = outsider.link(member.id()).orElseThrow().openStream(MazeService.SERVICE, new StreamHandler() {
            @Override
            public void onData(BarnStream s, ByteBuffer data) {
                s.consumed(data.remaining());
            }
        }).get(10, TimeUnit.SECONDS);
        toMaze.eventLoop().submit(() -> toMaze.write(ByteBuffer.allocate(4 + mazeJoin.length).putInt(mazeJoin.length)
                .put(mazeJoin).flip())).get(5, TimeUnit.SECONDS);
        await(() -> mazeIgnored(memberDht) >= 1, "the member's maze ignores the outsider's Join");
        assertThat(memberDht.mazes().states().get(5, TimeUnit.SECONDS).get(0).members())
                .doesNotContain(outsider.id());
    }

    private static long mazeIgnored(DhtService d) {
        try {
            return d.mazes().states().get(5, TimeUnit.SECONDS).stream().mapToLong(MazeService.State::strangersIgnored).sum();
        } catch (Exception e) {
            return 0;
        }
    }

    private static long ignored(DhtService d) {
        try {
            return d.namespaces().states().get(5, TimeUnit.SECONDS).stream().mapToLong(NamespaceService.State::ignored).sum();
        } catch (Exception e) {
            return 0;
        }
    }

    private static List<String> neighbours(DhtService d) {
        try {
            return d.namespaces().states().get(5, TimeUnit.SECONDS).stream().flatMap(s -> s.neighbours().stream())
                    .map(Object::toString).toList();
        } catch (Exception e) {
            return List.of();
        }
    }

    @Test
    void membersOfAPublicAndOfAPrivateMazeGetEveryMessageOnceAndInOrder() throws Exception {
        RootNetwork network = rootNetwork(4, 10);
        List<BarnNode> up = network.nodes();
        List<DhtService> dhts = network.roots();
        await(() -> dhts.stream().allMatch(d -> TestRoots.tableSize(d) >= 1) && TestRoots.tableSize(dhts.get(0)) >= 3,
                "the root network forms");
        dhts.get(0).nameService().claim("irc", new NameService.ClaimTerms(30 * NameService.DAY_MILLIS, List.of(), 1,
                NamePolicy.getDefaultInstance())).get(30, TimeUnit.SECONDS);
        List<java.util.concurrent.ConcurrentLinkedQueue<String>> got = new ArrayList<>();
        for (DhtService d : dhts) {
            var inbox = new java.util.concurrent.ConcurrentLinkedQueue<String>();
            got.add(inbox);
            d.mazes().join("irc/#Barn", this, null).get(30, TimeUnit.SECONDS);
            d.mazes().listen("irc/#barn", e -> {
                if (e instanceof MazeService.Event.Delivered del) {
                    inbox.add(del.sender().shortForm() + ":" + new String(del.payload(), java.nio.charset.StandardCharsets.UTF_8));
                }
            }).get(5, TimeUnit.SECONDS);
        }
        await(() -> dhts.stream().allMatch(d -> members(d) >= 4), "every member sees all four");
        for (int i = 0; i < 20; i++) {
            dhts.get(1).mazes().send("irc/#barn", ("m" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            expected.add(up.get(1).id().shortForm() + ":m" + i);
        }
        for (int i : new int[] {0, 2, 3}) {
            int who = i;
            await(() -> got.get(who).size() >= 20, "member " + who + " gets all 20");
            assertThat(new ArrayList<>(got.get(who))).containsExactlyElementsOf(expected);
        }
        assertThatThrownBy(() -> dhts.get(2).mazes().join("nobody/#x", this, null).get(30, TimeUnit.SECONDS))
                .hasMessageContaining("is not claimed");

        // A private maze among the same nodes: delivered the same way, sealed on the wire.
        List<java.util.concurrent.ConcurrentLinkedQueue<String>> quiet = new ArrayList<>();
        for (DhtService d : dhts) {
            var inbox = new java.util.concurrent.ConcurrentLinkedQueue<String>();
            quiet.add(inbox);
            assertThat(d.mazes().join("irc/#quiet", this, null, true).get(30, TimeUnit.SECONDS).isPrivate()).isTrue();
            d.mazes().listen("irc/#quiet", e -> {
                if (e instanceof MazeService.Event.Delivered del) {
                    inbox.add(new String(del.payload(), java.nio.charset.StandardCharsets.UTF_8));
                }
            }).get(5, TimeUnit.SECONDS);
        }
        await(() -> dhts.stream().allMatch(d -> members(d, "irc/#quiet") >= 4), "every member of the private maze sees all four");
        for (int i = 0; i < 20; i++) {
            dhts.get(2).mazes().send("irc/#quiet", ("q" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
        }
        for (int i : new int[] {0, 1, 3}) {
            int who = i;
            await(() -> quiet.get(who).size() >= 20, "member " + who + " opens all 20");
            assertThat(new ArrayList<>(quiet.get(who))).containsExactlyElementsOf(
                    java.util.stream.IntStream.range(0, 20).mapToObj(q -> "q" + q).toList());
        }
        assertThatThrownBy(() -> dhts.get(0).mazes().join("irc/#quiet", "another app", null, false).get(30, TimeUnit.SECONDS))
                .hasMessageContaining("as a private maze");
    }

    private static int members(DhtService d, String maze) {
        try {
            return d.mazes().states().get(5, TimeUnit.SECONDS).stream().filter(s -> s.maze().equals(maze))
                    .mapToInt(s -> s.members().size()).max().orElse(0);
        } catch (Exception e) {
            return 0;
        }
    }

    private static int members(DhtService d) {
        try {
            return d.mazes().states().get(5, TimeUnit.SECONDS).stream().mapToInt(s -> s.members().size()).max().orElse(0);
        } catch (Exception e) {
            return 0;
        }
    }
}
