package net.barn.core.overlay;

import static net.barn.core.overlay.Cluster.SECOND;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import org.junit.jupiter.api.Test;

/** Many overlays of one namespace under virtual time: membership and broadcast end to end. */
class OverlayClusterTest {
    private static byte[] payload(int i) {
        return ("move " + i).getBytes(StandardCharsets.UTF_8);
    }

    private static Cluster stable(int n, long seed) {
        Cluster c = new Cluster(n, seed).joinAll(200 * Cluster.MS);
        c.runFor(n * 200 * Cluster.MS + 60 * SECOND);
        return c;
    }

    /** Every member but the origin delivered each broadcast exactly once, with its payload. */
    private static void assertReachedExactlyOnce(Cluster c, List<Cluster.Member> audience, Cluster.Member origin, MessageId id,
            byte[] payload) {
        for (Cluster.Member m : audience) {
            if (m == origin) {
                assertThat(m.deliveries(id)).as("the origin does not deliver its own message").isZero();
                continue;
            }
            assertThat(m.deliveries(id)).as("%s deliveries of %s", m, id).isEqualTo(1);
            OverlayEvent.Delivered d = m.delivered.stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
            assertThat(d.payload()).isEqualTo(payload);
            assertThat(d.origin()).isEqualTo(origin.id);
            assertThat(d.hops()).isBetween(1, OverlayCodec.MAX_HOPS);
        }
    }

    @Test
    void broadcastReachesEveryMemberOfAStableOverlay() {
        Cluster c = stable(100, 11);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 20; i++) {
            Cluster.Member origin = c.members.get(r.nextInt(c.members.size()));
            MessageId id = c.broadcast(origin, payload(i));
            c.runFor(5 * SECOND);
            assertReachedExactlyOnce(c, c.members, origin, id, payload(i));
        }
        assertThat(c.violations).isEmpty();
        assertThat(c.symmetric()).isTrue();
        for (Cluster.Member m : c.members) {
            assertThat(m.overlay.activeView()).isNotEmpty();
        }
    }

    @Test
    void theBroadcastTreeSettlesSoMostLinksCarryOnlyAnnouncements() {
        Cluster c = stable(100, 12);
        for (int i = 0; i < 30; i++) {
            c.broadcast(c.members.get(i % 7), payload(i));
            c.runFor(3 * SECOND);
        }
        long dupsBefore = c.members.stream().mapToLong(m -> m.overlay.duplicates()).sum();
        MessageId id = c.broadcast(c.members.get(3), payload(99));
        c.runFor(5 * SECOND);
        long dupsAfter = c.members.stream().mapToLong(m -> m.overlay.duplicates()).sum();
        assertReachedExactlyOnce(c, c.members, c.members.get(3), id, payload(99));
        // Once pruned, a broadcast travels a tree: few duplicate copies (a fresh overlay sends ~4 per member).
        assertThat(dupsAfter - dupsBefore).isLessThan(c.members.size() / 5);
        long eager = c.members.stream().mapToLong(m -> m.overlay.eagerPeers().size()).sum();
        long lazy = c.members.stream().mapToLong(m -> m.overlay.lazyPeers().size()).sum();
        assertThat(lazy).isGreaterThan(eager);
    }

    @Test
    void broadcastStillReachesEveryLiveMemberAfterAThirdCrash() {
        Cluster c = stable(120, 13);
        SplittableRandom r = new SplittableRandom(2);
        List<Cluster.Member> shuffled = new ArrayList<>(c.members);
        java.util.Collections.shuffle(shuffled, new java.util.Random(3));
        for (Cluster.Member m : shuffled.subList(0, 40)) {
            c.crash(m);
        }
        // Right after the crash the tree is torn: lazy links (IHave, then Graft) must carry the message.
        List<Cluster.Member> live = c.alive();
        Cluster.Member origin = live.get(r.nextInt(live.size()));
        MessageId early = c.broadcast(origin, payload(1));
        c.runFor(10 * SECOND);
        long reached = live.stream().filter(m -> m == origin || m.deliveries(early) == 1).count();
        assertThat(reached).as("members reached while the crashes are undetected").isGreaterThanOrEqualTo(live.size() - 2);
        // Once the failure detector has removed the dead and the passive views have replaced them: everyone.
        c.runFor(60 * SECOND);
        for (int i = 0; i < 10; i++) {
            Cluster.Member o = live.get(r.nextInt(live.size()));
            MessageId id = c.broadcast(o, payload(10 + i));
            c.runFor(5 * SECOND);
            assertReachedExactlyOnce(c, live, o, id, payload(10 + i));
        }
        Set<NodeId> dead = new HashSet<>();
        shuffled.subList(0, 40).forEach(m -> dead.add(m.id));
        for (Cluster.Member m : live) {
            assertThat(m.overlay.activeView()).as("%s keeps no dead neighbour", m).doesNotContainAnyElementsOf(dead);
            assertThat(m.overlay.activeView()).isNotEmpty();
        }
        assertThat(c.violations).isEmpty();
    }

    @Test
    void broadcastReachesEveryMemberDespiteMessageLoss() {
        Cluster c = new Cluster(80, 14).joinAll(200 * Cluster.MS);
        c.loss = 0.02;
        c.runFor(80 * 200 * Cluster.MS + 60 * SECOND);
        for (int i = 0; i < 10; i++) {
            Cluster.Member origin = c.members.get(i * 7);
            MessageId id = c.broadcast(origin, payload(i));
            c.runFor(10 * SECOND);
            assertReachedExactlyOnce(c, c.members, origin, id, payload(i));
        }
        assertThat(c.violations).isEmpty();
    }

    @Test
    void duplicateGossipIsPrunedAndNotDeliveredTwice() {
        NodeId a = id(1);
        NodeId b = id(2);
        NodeId x = id(3);
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", a, new SplittableRandom(5));
        o.join(0, List.of());
        o.handleMessage(0, b, new OverlayMessage.Join("chess"));
        o.handleMessage(0, x, new OverlayMessage.Join("chess"));
        drain(o);
        MessageId mid = MessageId.random(new SplittableRandom(6));
        OverlayMessage.Gossip g = new OverlayMessage.Gossip("chess", mid, id(9), 3, payload(1));
        o.handleMessage(1, b, g);
        o.handleMessage(2, x, g);
        List<OverlayEvent> events = drainEvents(o);
        assertThat(events.stream().filter(e -> e instanceof OverlayEvent.Delivered)).hasSize(1);
        OverlayEvent.Delivered d = (OverlayEvent.Delivered) events.stream().filter(e -> e instanceof OverlayEvent.Delivered)
                .findFirst().orElseThrow();
        assertThat(d.hops()).isEqualTo(3);
        List<NamespaceOverlay.Transmit> out = drain(o);
        // The first copy was pushed on to x (hops + 1); the second made a prune to x.
        assertThat(out).anySatisfy(t -> {
            assertThat(t.to()).isEqualTo(x);
            assertThat(t.message()).isInstanceOf(OverlayMessage.Gossip.class);
            assertThat(((OverlayMessage.Gossip) t.message()).hops()).isEqualTo(4);
        });
        assertThat(out).anySatisfy(t -> {
            assertThat(t.to()).isEqualTo(x);
            assertThat(t.message()).isInstanceOf(OverlayMessage.Prune.class);
        });
        assertThat(o.lazyPeers()).containsExactly(x);
        assertThat(o.eagerPeers()).containsExactly(b);
        assertThat(o.duplicates()).isEqualTo(1);
        // A lazy peer gets announcements, not copies.
        o.handleMessage(3, b, new OverlayMessage.Gossip("chess", MessageId.random(new SplittableRandom(7)), id(9), 1, payload(2)));
        o.handleTimeout(3 + OverlayConfig.DEFAULT.lazyPushDelayNanos());
        List<NamespaceOverlay.Transmit> later = drain(o);
        assertThat(later).filteredOn(t -> t.to().equals(x)).singleElement()
                .satisfies(t -> assertThat(t.message()).isInstanceOf(OverlayMessage.IHave.class));
    }

    @Test
    void aLazyPeerWithAMuchShorterPathBecomesTheEagerLinkInstead() {
        NodeId b = id(2);
        NodeId x = id(3);
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(5));
        o.join(0, List.of());
        o.handleMessage(0, b, new OverlayMessage.Join("chess"));
        o.handleMessage(0, x, new OverlayMessage.Join("chess"));
        SplittableRandom r = new SplittableRandom(6);
        OverlayMessage.Gossip first = new OverlayMessage.Gossip("chess", MessageId.random(r), id(9), 2, payload(1));
        o.handleMessage(1, b, first);
        o.handleMessage(1, x, first); // duplicate: x becomes lazy
        assertThat(o.eagerPeers()).containsExactly(b);
        drain(o);
        MessageId m2 = MessageId.random(r);
        o.handleMessage(2, b, new OverlayMessage.Gossip("chess", m2, id(9), 10, payload(2)));
        drain(o);
        // Two hops shorter is not worth a change (threshold 3)...
        o.handleMessage(3, x, new OverlayMessage.IHave("chess", List.of(new OverlayMessage.Announcement(m2, 8))));
        assertThat(drain(o)).isEmpty();
        // ...three hops is: graft x, prune b.
        o.handleMessage(4, x, new OverlayMessage.IHave("chess", List.of(new OverlayMessage.Announcement(m2, 7))));
        assertThat(drain(o)).containsExactlyInAnyOrder(
                new NamespaceOverlay.Transmit(x, new OverlayMessage.Graft("chess", List.of())),
                new NamespaceOverlay.Transmit(b, new OverlayMessage.Prune("chess")));
        assertThat(o.eagerPeers()).containsExactly(x);
        assertThat(o.lazyPeers()).containsExactly(b);
    }

    @Test
    void aMemberThatRequiresSignaturesTakesOnlyBroadcastsSignedByTheirOrigin() {
        var pow = net.barn.core.identity.PowParams.TEST;
        var me = net.barn.core.identity.Identity.generate(new net.barn.core.crypto.SeededEntropy(1), pow);
        var origin = net.barn.core.identity.Identity.generate(new net.barn.core.crypto.SeededEntropy(2), pow);
        var relay = net.barn.core.identity.Identity.generate(new net.barn.core.crypto.SeededEntropy(3), pow);
        NodeId b = relay.id();
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", me.id(), new SplittableRandom(5));
        o.signBroadcasts(me, net.barn.core.dht.SignatureVerifier.ED25519);
        o.join(0, List.of());
        o.handleMessage(0, b, new OverlayMessage.Join("chess"));
        drain(o);
        drainEvents(o);
        SplittableRandom r = new SplittableRandom(6);
        // Unsigned, or signed by the relay in the origin's name, or with the payload changed: refused, not relayed.
        o.handleMessage(1, b, new OverlayMessage.Gossip("chess", MessageId.random(r), origin.id(), 1, payload(1)));
        MessageId forgedId = MessageId.random(r);
        byte[] body = payload(2);
        o.handleMessage(1, b, new OverlayMessage.Gossip("chess", forgedId, origin.id(), 2, body, OverlayMessage.Gossip.APPLICATION,
                relay.publicKey(), relay.sign(OverlayMessage.Gossip.signedBytes("chess", forgedId, origin.id(), 0, body))));
        MessageId changedId = MessageId.random(r);
        o.handleMessage(1, b, new OverlayMessage.Gossip("chess", changedId, origin.id(), 2, payload(4), OverlayMessage.Gossip.APPLICATION,
                origin.publicKey(), origin.sign(OverlayMessage.Gossip.signedBytes("chess", changedId, origin.id(), 0, payload(3)))));
        assertThat(drainEvents(o)).isEmpty();
        assertThat(drain(o)).isEmpty();
        assertThat(o.badSignatures()).isEqualTo(3);
        // Signed by its origin: delivered, whoever relays it, hops and all.
        MessageId good = MessageId.random(r);
        o.handleMessage(2, b, new OverlayMessage.Gossip("chess", good, origin.id(), 3, body, OverlayMessage.Gossip.APPLICATION,
                origin.publicKey(), origin.sign(OverlayMessage.Gossip.signedBytes("chess", good, origin.id(), 0, body))));
        assertThat(drainEvents(o)).singleElement().isInstanceOf(OverlayEvent.Delivered.class);
        // This member's own broadcasts go out signed, and verify.
        o.broadcast(3, payload(5));
        assertThat(drain(o)).filteredOn(t -> t.message() instanceof OverlayMessage.Gossip).singleElement().satisfies(t -> {
            OverlayMessage.Gossip g = (OverlayMessage.Gossip) t.message();
            assertThat(g.signatureProblem(net.barn.core.dht.SignatureVerifier.ED25519)).isNull();
            OverlayMessage.Gossip back = (OverlayMessage.Gossip) OverlayCodec.decode(OverlayCodec.encode(g), "chess");
            assertThat(back.signatureProblem(net.barn.core.dht.SignatureVerifier.ED25519)).as("the signature survives the codec").isNull();
        });
    }

    @Test
    void aBroadcastTheFilterRefusesIsNeitherDeliveredNorRelayedAndAShunnedPeerIsEvictedAndUnheard() {
        NodeId b = id(2);
        NodeId x = id(3);
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(5));
        Set<NodeId> shunned = new HashSet<>();
        o.filterGossip((from, g) -> g.origin().equals(id(9)) ? "origin excluded" : null);
        o.shun(shunned::contains);
        o.join(0, List.of());
        o.handleMessage(0, b, new OverlayMessage.Join("chess"));
        o.handleMessage(0, x, new OverlayMessage.Join("chess"));
        drain(o);
        drainEvents(o);
        MessageId refused = MessageId.random(new SplittableRandom(6));
        o.handleMessage(1, b, new OverlayMessage.Gossip("chess", refused, id(9), 1, payload(1)));
        assertThat(drain(o)).isEmpty();
        assertThat(drainEvents(o)).isEmpty();
        assertThat(o.filtered()).isEqualTo(1);
        // Announced again by x: already seen, not grafted.
        o.handleMessage(2, x, new OverlayMessage.IHave("chess", List.of(new OverlayMessage.Announcement(refused, 2))));
        o.handleTimeout(2 + OverlayConfig.DEFAULT.ihaveTimeoutNanos());
        assertThat(drain(o)).noneMatch(t -> t.message() instanceof OverlayMessage.Graft);

        // A vote-kind broadcast passes with its kind.
        MessageId vote = MessageId.random(new SplittableRandom(7));
        o.handleMessage(3, b, new OverlayMessage.Gossip("chess", vote, id(8), 1, payload(2), OverlayMessage.Gossip.STEWARD_VOTE));
        assertThat(drainEvents(o)).singleElement().isInstanceOfSatisfying(OverlayEvent.Delivered.class,
                d -> assertThat(d.kind()).isEqualTo(OverlayMessage.Gossip.STEWARD_VOTE));
        assertThat(drain(o)).singleElement().satisfies(t -> assertThat(((OverlayMessage.Gossip) t.message()).kind())
                .isEqualTo(OverlayMessage.Gossip.STEWARD_VOTE));

        shunned.add(x);
        o.evict(4, x);
        assertThat(o.activeView()).containsExactly(b);
        assertThat(o.passiveView()).doesNotContain(x);
        assertThat(drain(o)).contains(new NamespaceOverlay.Transmit(x, new OverlayMessage.Disconnect("chess", false)));
        long ignored = o.ignored();
        o.handleMessage(5, x, new OverlayMessage.Join("chess"));
        o.handleMessage(5, b, new OverlayMessage.ForwardJoin("chess", x, 0));
        assertThat(o.ignored()).isEqualTo(ignored + 1);
        assertThat(o.activeView()).containsExactly(b);
        assertThat(o.passiveView()).doesNotContain(x);
    }

    @Test
    void aMissingAnnouncedMessageIsGraftedFromTheAnnouncer() {
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(5));
        o.join(0, List.of());
        o.handleMessage(0, id(2), new OverlayMessage.Join("chess"));
        drain(o);
        MessageId mid = MessageId.random(new SplittableRandom(6));
        o.handleMessage(10, id(2), new OverlayMessage.IHave("chess", List.of(new OverlayMessage.Announcement(mid, 2))));
        assertThat(drain(o)).isEmpty();
        o.handleTimeout(10 + OverlayConfig.DEFAULT.ihaveTimeoutNanos());
        assertThat(drain(o)).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(id(2));
            assertThat(t.message()).isEqualTo(new OverlayMessage.Graft("chess", List.of(mid)));
        });
        o.handleMessage(20 + SECOND, id(2), new OverlayMessage.Gossip("chess", mid, id(2), 1, payload(1)));
        assertThat(drainEvents(o)).anySatisfy(e -> assertThat(e).isInstanceOf(OverlayEvent.Delivered.class));
        assertThat(o.missingCount()).isZero();
    }

    @Test
    void leavingMemberIsReplacedFromThePassiveView() {
        Cluster c = stable(60, 15);
        Cluster.Member leaver = c.members.get(17);
        List<Cluster.Member> former = leaver.overlay.activeView().stream().map(c::member).toList();
        assertThat(former).isNotEmpty();
        java.util.Map<Cluster.Member, List<NodeId>> passiveBefore = new java.util.HashMap<>();
        java.util.Map<Cluster.Member, List<NodeId>> activeBefore = new java.util.HashMap<>();
        for (Cluster.Member m : former) {
            passiveBefore.put(m, m.overlay.passiveView());
            activeBefore.put(m, m.overlay.activeView());
        }
        c.leave(leaver);
        c.runFor(30 * SECOND);
        int replaced = 0;
        for (Cluster.Member m : former) {
            List<NodeId> now = m.overlay.activeView();
            assertThat(now).doesNotContain(leaver.id);
            assertThat(m.overlay.passiveView()).as("a leaving member is not kept as a replacement").doesNotContain(leaver.id);
            List<NodeId> added = now.stream().filter(p -> !activeBefore.get(m).contains(p)).toList();
            if (!added.isEmpty()) {
                assertThat(passiveBefore.get(m)).as("the replacement came from the passive view").containsAnyElementsOf(added);
                replaced++;
            }
            assertThat(now).hasSizeGreaterThanOrEqualTo(activeBefore.get(m).size() - 1);
        }
        // Full members refuse LOW requests, so the vacancies pair up among themselves: with an
        // odd number of them one member stays a neighbour short (as HyParView intends).
        assertThat(replaced).isGreaterThanOrEqualTo(former.size() - 1);
        MessageId id = c.broadcast(c.members.get(0), payload(1));
        c.runFor(5 * SECOND);
        assertReachedExactlyOnce(c, c.alive(), c.members.get(0), id, payload(1));
    }

    @Test
    void activeViewNeverExceedsItsSize() {
        OverlayConfig small = OverlayConfig.DEFAULT.withViews(3, 8);
        Cluster c = new Cluster(80, 16, small).joinAll(50 * Cluster.MS);
        c.loss = 0.01;
        c.runFor(30 * SECOND);
        SplittableRandom r = new SplittableRandom(4);
        for (int round = 0; round < 20; round++) {
            Cluster.Member m = c.members.get(r.nextInt(c.members.size()));
            if (m.alive) {
                if (r.nextBoolean()) {
                    c.crash(m);
                } else {
                    c.leave(m);
                }
            }
            List<Cluster.Member> live = c.alive();
            c.broadcast(live.get(r.nextInt(live.size())), payload(round));
            c.runFor(3 * SECOND);
        }
        c.runFor(60 * SECOND);
        // The harness checked the bounds after every single step.
        assertThat(c.violations).isEmpty();
        for (Cluster.Member m : c.alive()) {
            assertThat(m.overlay.activeView()).hasSizeLessThanOrEqualTo(3).isNotEmpty();
            assertThat(m.overlay.passiveView()).hasSizeLessThanOrEqualTo(8);
        }
        assertThat(c.symmetric()).isTrue();
    }

    @Test
    void aSilentNeighbourIsDroppedAfterTheFailureTimeoutAndHeartbeatsOnlyFlowWhenIdle() {
        Cluster c = stable(30, 17);
        Cluster.Member victim = c.members.get(5);
        List<Cluster.Member> neighbours = victim.overlay.activeView().stream().map(c::member).toList();
        c.crash(victim);
        c.runFor(OverlayConfig.DEFAULT.failureTimeoutNanos() + OverlayConfig.DEFAULT.heartbeatIntervalNanos() + SECOND);
        for (Cluster.Member m : neighbours) {
            assertThat(m.overlay.activeView()).doesNotContain(victim.id);
            assertThat(m.events).anySatisfy(e -> assertThat(e).isEqualTo(new OverlayEvent.NeighborDown(victim.id)));
        }
        // An idle overlay sends about one heartbeat per link and interval, each way: nothing more.
        long before = c.sent;
        c.runFor(60 * SECOND);
        long links = c.alive().stream().mapToLong(m -> m.overlay.activeView().size()).sum();
        double perLinkPerInterval = (c.sent - before) / (double) links / (60.0 * SECOND / OverlayConfig.DEFAULT.heartbeatIntervalNanos());
        assertThat(perLinkPerInterval).isBetween(0.5, 2.0);
    }

    @Test
    void dedupCacheStaysBounded() {
        long minute = 60 * SECOND;
        OverlayConfig tiny = OverlayConfig.DEFAULT.withDedup(32, 2 * minute, 8, minute);
        Cluster c = new Cluster(12, 18, tiny).joinAll(100 * Cluster.MS);
        c.runFor(30 * SECOND);
        for (int i = 0; i < 200; i++) {
            Cluster.Member origin = c.members.get(i % 12);
            MessageId id = c.broadcast(origin, payload(i));
            c.runFor(300 * Cluster.MS);
            c.runFor(2 * SECOND);
            assertReachedExactlyOnce(c, c.members, origin, id, payload(i));
        }
        for (Cluster.Member m : c.members) {
            assertThat(m.overlay.dedupCacheSize()).isLessThanOrEqualTo(32);
            assertThat(m.overlay.payloadCacheSize()).isLessThanOrEqualTo(8);
        }
        // Ids also age out: after the age bound, an idle member remembers none of them.
        c.runFor(3 * minute);
        for (Cluster.Member m : c.members) {
            assertThat(m.overlay.dedupCacheSize()).isZero();
            assertThat(m.overlay.payloadCacheSize()).isZero();
        }
        assertThat(c.violations).isEmpty();
    }

    @Test
    void aFloodOfAnnouncementsKeepsTheMissingStateBounded() {
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(5));
        o.join(0, List.of());
        o.handleMessage(0, id(2), new OverlayMessage.Join("chess"));
        SplittableRandom r = new SplittableRandom(9);
        long now = 0;
        for (int batch = 0; batch < 40; batch++) {
            List<OverlayMessage.Announcement> ids = new ArrayList<>();
            for (int i = 0; i < OverlayCodec.MAX_IDS; i++) {
                ids.add(new OverlayMessage.Announcement(MessageId.random(r), 1));
            }
            now += 100 * Cluster.MS;
            o.handleMessage(now, id(2), new OverlayMessage.IHave("chess", ids));
            o.handleTimeout(now);
            drain(o);
            assertThat(o.missingCount()).isLessThanOrEqualTo(NamespaceOverlay.MAX_MISSING);
        }
        // Every tracked id is grafted at most MAX_GRAFTS times, then forgotten.
        for (int i = 0; i < 50; i++) {
            now += SECOND;
            o.handleTimeout(now);
            drain(o);
        }
        assertThat(o.missingCount()).isZero();
        assertThat(o.graftsSent()).isLessThanOrEqualTo((long) 40 * OverlayCodec.MAX_IDS * NamespaceOverlay.MAX_GRAFTS);
    }

    @Test
    void aJoinWhoseContactNeverAnswersTriesTheNextThenReportsIsolation() {
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(8));
        o.join(0, List.of(id(2), id(3)));
        assertThat(drain(o)).singleElement().satisfies(t -> {
            assertThat(t.to()).isEqualTo(id(2));
            assertThat(t.message()).isInstanceOf(OverlayMessage.Join.class);
        });
        long t = o.pollTimeout();
        o.handleTimeout(t);
        assertThat(drain(o)).anySatisfy(x -> {
            assertThat(x.to()).isEqualTo(id(3));
            assertThat(x.message()).isInstanceOf(OverlayMessage.Join.class);
        });
        for (int i = 0; i < 5 && o.pollTimeout() != Long.MAX_VALUE; i++) {
            o.handleTimeout(o.pollTimeout());
            drain(o);
        }
        assertThat(drainEvents(o)).contains(new OverlayEvent.Isolated());
        assertThat(o.activeView()).isEmpty();
    }

    @Test
    void aLoneSurvivorReportsIsolationOnceThenWaitsToBeJoined() {
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(8));
        o.join(0, List.of(id(2)));
        o.handleMessage(1, id(2), new OverlayMessage.NeighborReply("chess", true));
        assertThat(drainEvents(o)).contains(new OverlayEvent.Joined(1));
        o.handleMessage(2, id(2), new OverlayMessage.Disconnect("chess", true));
        assertThat(drainEvents(o)).containsExactly(new OverlayEvent.NeighborDown(id(2)), new OverlayEvent.Isolated());
        // The application found no other member: the node waits, without asking again and again.
        o.join(3, List.of());
        o.handleTimeout(4);
        assertThat(drainEvents(o)).isEmpty();
        drain(o);
        o.handleMessage(5, id(4), new OverlayMessage.Join("chess"));
        assertThat(o.activeView()).containsExactly(id(4));
        assertThat(drain(o)).containsExactly(new NamespaceOverlay.Transmit(id(4), new OverlayMessage.NeighborReply("chess", true)));
    }

    @Test
    void messagesForAnotherNamespaceOrFromItselfAreIgnored() {
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(8));
        o.join(0, List.of());
        o.handleMessage(0, id(2), new OverlayMessage.Join("irc"));
        o.handleMessage(0, id(1), new OverlayMessage.Join("chess"));
        assertThat(o.activeView()).isEmpty();
        assertThat(drain(o)).isEmpty();
        assertThat(o.ignored()).isEqualTo(2);
    }

    @Test
    void aPeerThatHoldsUsWithoutUsHoldingItIsToldToDisconnect() {
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(8));
        o.join(0, List.of());
        o.handleMessage(0, id(2), new OverlayMessage.Heartbeat("chess"));
        assertThat(drain(o)).singleElement().isEqualTo(
                new NamespaceOverlay.Transmit(id(2), new OverlayMessage.Disconnect("chess", false)));
    }

    @Test
    void aBroadcastMadeBeforeTheFirstNeighbourIsSentWhenItArrives() {
        Cluster c = stable(20, 19);
        Cluster.Member late = c.members.get(19);
        c.leave(late);
        c.runFor(5 * SECOND);
        late.alive = true;
        c.act(late, () -> late.overlay.join(c.now(), List.of(c.members.get(0).id)));
        MessageId id = c.broadcast(late, payload(1));
        assertThat(late.overlay.activeView()).isEmpty();
        c.runFor(5 * SECOND);
        assertReachedExactlyOnce(c, c.members, late, id, payload(1));
    }

    @Test
    void anOversizeBroadcastIsRefused() {
        NamespaceOverlay o = new NamespaceOverlay(OverlayConfig.DEFAULT, "chess", id(1), new SplittableRandom(8));
        o.join(0, List.of());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> o.broadcast(0, new byte[8193]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    static NodeId id(int i) {
        byte[] b = new byte[32];
        b[0] = (byte) i;
        b[31] = (byte) (i * 7);
        return NodeId.of(b);
    }

    static List<NamespaceOverlay.Transmit> drain(NamespaceOverlay o) {
        List<NamespaceOverlay.Transmit> out = new ArrayList<>();
        NamespaceOverlay.Transmit t;
        while ((t = o.pollTransmit()) != null) {
            out.add(t);
        }
        return out;
    }

    static List<OverlayEvent> drainEvents(NamespaceOverlay o) {
        List<OverlayEvent> out = new ArrayList<>();
        OverlayEvent e;
        while ((e = o.pollEvent()) != null) {
            out.add(e);
        }
        return out;
    }
}
