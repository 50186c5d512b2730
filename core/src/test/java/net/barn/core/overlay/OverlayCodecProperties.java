package net.barn.core.overlay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.ProtocolException;
import net.barn.core.identity.NodeId;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Whatever bytes a peer sends, the codec answers with a message or a ProtocolException, and the overlay survives it. */
class OverlayCodecProperties {
    @Property(tries = 2000)
    void randomBytesNeverEscapeAsAnythingButProtocolException(@ForAll @Size(max = 600) byte[] garbage) {
        try {
            OverlayMessage m = OverlayCodec.decode(garbage, "irc");
            assertThat(m.namespace()).isEqualTo("irc");
        } catch (ProtocolException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 2000)
    void mutatedValidMessagesNeverEscapeAsAnythingButProtocolException(@ForAll long seed,
            @ForAll @IntRange(min = 1, max = 8) int flips) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] wire = OverlayCodec.encode(sample(r));
        for (int i = 0; i < flips; i++) {
            int at = r.nextInt(wire.length);
            wire[at] = (byte) r.nextInt(256);
        }
        if (r.nextBoolean()) {
            wire = java.util.Arrays.copyOf(wire, r.nextInt(wire.length + 1));
        }
        try {
            OverlayCodec.decode(wire, "irc");
        } catch (ProtocolException expected) {
            // fine: refused
        }
    }

    /** A member fed any sequence of well-formed messages from a handful of peers never throws and stays bounded. */
    @Property(tries = 200)
    void theOverlaySurvivesAnySequenceOfValidMessages(@ForAll long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        OverlayConfig config = OverlayConfig.DEFAULT.withViews(3, 5);
        NodeId self = OverlayClusterTest.id(100);
        NamespaceOverlay o = new NamespaceOverlay(config, "irc", self, r.split());
        o.join(0, List.of(OverlayClusterTest.id(1)));
        long now = 0;
        for (int i = 0; i < 300; i++) {
            now += r.nextLong(2_000_000_000L);
            NodeId from = r.nextInt(10) == 0 ? self : OverlayClusterTest.id(1 + r.nextInt(12));
            switch (r.nextInt(10)) {
                case 0 -> o.handleTimeout(now);
                case 1 -> o.handleLinkDown(now, from);
                case 2 -> o.broadcast(now, new byte[r.nextInt(100)]);
                default -> o.handleMessage(now, from, sample(r));
            }
            while (o.pollTransmit() != null) {
                // drain
            }
            while (o.pollEvent() != null) {
                // drain
            }
            assertThat(o.activeView()).hasSizeLessThanOrEqualTo(3).doesNotContain(self);
            assertThat(o.passiveView()).hasSizeLessThanOrEqualTo(5).doesNotContain(self);
            assertThat(o.pollTimeout()).isGreaterThanOrEqualTo(0);
        }
    }

    private static OverlayMessage sample(SplittableRandom r) {
        String ns = "irc";
        NodeId a = OverlayClusterTest.id(1 + r.nextInt(12));
        List<NodeId> ids = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            ids.add(OverlayClusterTest.id(1 + r.nextInt(12)));
        }
        List<MessageId> mids = new ArrayList<>();
        for (int i = 1 + r.nextInt(3); i > 0; i--) {
            byte[] b = new byte[32];
            b[0] = (byte) r.nextInt(4); // few distinct ids, so duplicates and grafts happen
            mids.add(MessageId.of(b));
        }
        return switch (r.nextInt(12)) {
            case 0 -> new OverlayMessage.Join(ns);
            case 1 -> new OverlayMessage.ForwardJoin(ns, a, r.nextInt(17));
            case 2 -> new OverlayMessage.Neighbor(ns, r.nextBoolean() ? OverlayMessage.Priority.HIGH : OverlayMessage.Priority.LOW);
            case 3 -> new OverlayMessage.NeighborReply(ns, r.nextBoolean());
            case 4 -> new OverlayMessage.Disconnect(ns, r.nextBoolean());
            case 5 -> new OverlayMessage.Shuffle(ns, a, r.nextInt(17), ids.isEmpty() ? List.of(a) : ids);
            case 6 -> new OverlayMessage.ShuffleReply(ns, ids);
            case 7 -> new OverlayMessage.Gossip(ns, mids.get(0), a, 1 + r.nextInt(1024), new byte[r.nextInt(64)]);
            case 8 -> new OverlayMessage.IHave(ns, mids.stream().map(m -> new OverlayMessage.Announcement(m, 1 + r.nextInt(1024))).toList());
            case 9 -> new OverlayMessage.Graft(ns, mids);
            case 10 -> new OverlayMessage.Prune(ns);
            default -> new OverlayMessage.Heartbeat(ns);
        };
    }
}
