package net.barn.core.overlay;

import static net.barn.core.overlay.OverlayClusterTest.id;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.ErrorCode;
import net.barn.core.ProtocolException;
import net.barn.wire.overlay.ForwardJoin;
import net.barn.wire.overlay.Gossip;
import net.barn.wire.overlay.Graft;
import net.barn.wire.overlay.IHave;
import net.barn.wire.overlay.Join;
import net.barn.wire.overlay.Neighbor;
import net.barn.wire.overlay.Shuffle;
import net.barn.wire.overlay.ShuffleReply;
import org.junit.jupiter.api.Test;

class OverlayCodecTest {
    private static final String NS = "irc";
    private static final MessageId MID = MessageId.random(new SplittableRandom(1));
    private static final ByteString ID32 = ByteString.copyFrom(new byte[32]);
    private static final ByteString ID31 = ByteString.copyFrom(new byte[31]);

    private static net.barn.wire.overlay.OverlayMessage.Builder msg() {
        return net.barn.wire.overlay.OverlayMessage.newBuilder().setNamespace(NS);
    }

    private static net.barn.wire.overlay.Announcement ann(ByteString id, int hops) {
        return net.barn.wire.overlay.Announcement.newBuilder().setMessageId(id).setHops(hops).build();
    }

    private static void rejects(net.barn.wire.overlay.OverlayMessage.Builder b, String reason) {
        assertThatThrownBy(() -> OverlayCodec.decode(b.build().toByteArray(), NS))
                .isInstanceOf(ProtocolException.class)
                .hasMessageContaining(reason)
                .satisfies(e -> assertThat(((ProtocolException) e).code()).isEqualTo(ErrorCode.PROTOCOL_ERROR));
    }

    @Test
    void everyMessageSurvivesARoundTrip() throws ProtocolException {
        List<OverlayMessage> all = List.of(
                new OverlayMessage.Join(NS),
                new OverlayMessage.ForwardJoin(NS, id(4), 6),
                new OverlayMessage.Neighbor(NS, OverlayMessage.Priority.HIGH),
                new OverlayMessage.Neighbor(NS, OverlayMessage.Priority.LOW),
                new OverlayMessage.NeighborReply(NS, true),
                new OverlayMessage.NeighborReply(NS, false),
                new OverlayMessage.Disconnect(NS, true),
                new OverlayMessage.Shuffle(NS, id(5), 3, List.of(id(5), id(6))),
                new OverlayMessage.ShuffleReply(NS, List.of(id(7))),
                new OverlayMessage.ShuffleReply(NS, List.of()),
                new OverlayMessage.IHave(NS, List.of(new OverlayMessage.Announcement(MID, 3), new OverlayMessage.Announcement(MID, 1024))),
                new OverlayMessage.Graft(NS, List.of(MID)),
                new OverlayMessage.Prune(NS),
                new OverlayMessage.Heartbeat(NS));
        for (OverlayMessage m : all) {
            assertThat(OverlayCodec.decode(OverlayCodec.encode(m), NS)).isEqualTo(m);
        }
        byte[] payload = new byte[OverlayCodec.MAX_PAYLOAD];
        new SplittableRandom(2).nextBytes(payload);
        OverlayMessage.Gossip g = new OverlayMessage.Gossip(NS, MID, id(8), 1024, payload);
        OverlayMessage.Gossip back = (OverlayMessage.Gossip) OverlayCodec.decode(OverlayCodec.encode(g), NS);
        assertThat(back.id()).isEqualTo(MID);
        assertThat(back.origin()).isEqualTo(id(8));
        assertThat(back.hops()).isEqualTo(1024);
        assertThat(back.payload()).isEqualTo(payload);
        assertThat(OverlayCodec.encode(g).length).isLessThanOrEqualTo(OverlayCodec.MAX_MESSAGE);
        // Signed, at the largest payload, it still fits; and a key or signature of the wrong length is refused.
        OverlayMessage.Gossip signed = new OverlayMessage.Gossip(NS, MID, id(8), 1024, payload, 0, new byte[32], new byte[64]);
        assertThat(OverlayCodec.encode(signed).length).isLessThanOrEqualTo(OverlayCodec.MAX_MESSAGE);
        OverlayMessage.Gossip shortKey = new OverlayMessage.Gossip(NS, MID, id(8), 1, new byte[1], 0, new byte[31], new byte[64]);
        assertThatThrownBy(() -> OverlayCodec.decode(OverlayCodec.encode(shortKey), NS)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("32-byte key and a 64-byte signature, got 31 and 64");
    }

    @Test
    void rejectsGarbageAndEmptyMessages() {
        assertThatThrownBy(() -> OverlayCodec.decode(new byte[] {(byte) 0xff, 0x01, 0x02}, NS)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("not an OverlayMessage");
        assertThatThrownBy(() -> OverlayCodec.decode(null, NS)).isInstanceOf(ProtocolException.class);
        rejects(msg(), "empty or unknown");
        assertThatThrownBy(() -> OverlayCodec.decode(new byte[OverlayCodec.MAX_MESSAGE + 1], NS))
                .isInstanceOf(ProtocolException.class).hasMessageContaining("limit");
    }

    @Test
    void rejectsBadOrForeignNamespaces() {
        rejects(msg().setNamespace("").setJoin(Join.getDefaultInstance()), "bad namespace");
        rejects(msg().setNamespace("Chess").setJoin(Join.getDefaultInstance()), "bad namespace");
        rejects(msg().setNamespace("a b").setJoin(Join.getDefaultInstance()), "bad namespace");
        rejects(msg().setNamespace("x".repeat(33)).setJoin(Join.getDefaultInstance()), "bad namespace");
        rejects(msg().setNamespace("irc/#barn").setJoin(Join.getDefaultInstance()), "bad namespace");
        rejects(msg().setNamespace("chess").setJoin(Join.getDefaultInstance()), "namespace 'chess'");
        assertThat(OverlayCodec.validNamespace("x".repeat(32))).isTrue();
        assertThat(OverlayCodec.validNamespace("my-ns_v1")).isTrue();
        assertThat(OverlayCodec.validNamespace("\u0161achy")).isTrue(); // names are Unicode, in normal form
    }

    @Test
    void rejectsNodeIdsOfTheWrongLength() {
        rejects(msg().setForwardJoin(ForwardJoin.newBuilder().setNewMember(ID31).setTtl(1)), "32-byte node id");
        rejects(msg().setForwardJoin(ForwardJoin.newBuilder().setTtl(1)), "32-byte node id");
        rejects(msg().setShuffle(Shuffle.newBuilder().setOrigin(ID31).setTtl(1).addSample(ID32)), "shuffle origin");
        rejects(msg().setShuffle(Shuffle.newBuilder().setOrigin(ID32).setTtl(1).addSample(ID31)), "sample entry");
        rejects(msg().setShuffleReply(ShuffleReply.newBuilder().addSample(ByteString.copyFrom(new byte[33]))), "sample entry");
        rejects(msg().setGossip(Gossip.newBuilder().setMessageId(ID32).setOrigin(ID31).setHops(1)), "gossip origin");
    }

    @Test
    void rejectsMessageIdsOfTheWrongLength() {
        rejects(msg().setGossip(Gossip.newBuilder().setMessageId(ID31).setOrigin(ID32).setHops(1)), "message ids are 32 bytes");
        rejects(msg().setIhave(IHave.newBuilder().addAnnouncements(ann(ID32, 1)).addAnnouncements(ann(ID31, 1))),
                "message ids are 32 bytes");
        rejects(msg().setGraft(Graft.newBuilder().addMessageIds(ByteString.EMPTY)), "message ids are 32 bytes");
    }

    @Test
    void rejectsTtlsOutOfRange() {
        rejects(msg().setForwardJoin(ForwardJoin.newBuilder().setNewMember(ID32).setTtl(17)), "ttl 17 above 16");
        rejects(msg().setForwardJoin(ForwardJoin.newBuilder().setNewMember(ID32).setTtl(-1)), "ttl 4294967295");
        rejects(msg().setShuffle(Shuffle.newBuilder().setOrigin(ID32).setTtl(100).addSample(ID32)), "ttl 100");
    }

    @Test
    void aGossipKeepsItsKindAndAnUnknownKindIsRejected() throws ProtocolException {
        OverlayMessage.Gossip vote = new OverlayMessage.Gossip(NS, MID, id(8), 3, new byte[] {1, 2},
                OverlayMessage.Gossip.STEWARD_VOTE);
        assertThat(((OverlayMessage.Gossip) OverlayCodec.decode(OverlayCodec.encode(vote), NS)).kind())
                .isEqualTo(OverlayMessage.Gossip.STEWARD_VOTE);
        rejects(msg().setGossip(Gossip.newBuilder().setMessageId(ID32).setOrigin(ID32).setHops(1).setKind(2)),
                "unknown gossip kind 2");
    }

    @Test
    void rejectsHopsOutOfRange() {
        rejects(msg().setGossip(Gossip.newBuilder().setMessageId(ID32).setOrigin(ID32).setHops(0)), "hops 0");
        rejects(msg().setGossip(Gossip.newBuilder().setMessageId(ID32).setOrigin(ID32).setHops(1025)), "hops 1025");
        rejects(msg().setGossip(Gossip.newBuilder().setMessageId(ID32).setOrigin(ID32).setHops(Integer.MIN_VALUE)), "hops 2147483648");
        rejects(msg().setIhave(IHave.newBuilder().addAnnouncements(ann(ID32, 0))), "hops 0");
        rejects(msg().setIhave(IHave.newBuilder().addAnnouncements(ann(ID32, 2000))), "hops 2000");
    }

    @Test
    void rejectsOversizePayloads() throws ProtocolException {
        net.barn.wire.overlay.OverlayMessage.Builder big = msg().setGossip(Gossip.newBuilder().setMessageId(ID32).setOrigin(ID32)
                .setHops(1).setPayload(ByteString.copyFrom(new byte[OverlayCodec.MAX_PAYLOAD + 1])));
        rejects(big, "payload of 8193 bytes");
        byte[] mid = msg().setGossip(Gossip.newBuilder().setMessageId(ID32).setOrigin(ID32).setHops(1)
                .setPayload(ByteString.copyFrom(new byte[1000]))).build().toByteArray();
        assertThat(OverlayCodec.decode(mid, NS)).isInstanceOf(OverlayMessage.Gossip.class);
        assertThatThrownBy(() -> OverlayCodec.decode(mid, NS, 999)).isInstanceOf(ProtocolException.class)
                .hasMessageContaining("limit 999");
    }

    @Test
    void rejectsOversizeOrEmptyLists() {
        Shuffle.Builder s = Shuffle.newBuilder().setOrigin(ID32).setTtl(1);
        Collections.nCopies(OverlayCodec.MAX_SAMPLE + 1, ID32).forEach(s::addSample);
        rejects(msg().setShuffle(s), "sample of 33");
        ShuffleReply.Builder r = ShuffleReply.newBuilder();
        Collections.nCopies(OverlayCodec.MAX_SAMPLE + 1, ID32).forEach(r::addSample);
        rejects(msg().setShuffleReply(r), "sample of 33");
        rejects(msg().setShuffle(Shuffle.newBuilder().setOrigin(ID32).setTtl(1)), "empty shuffle sample");
        IHave.Builder h = IHave.newBuilder();
        Collections.nCopies(OverlayCodec.MAX_IDS + 1, ann(ID32, 1)).forEach(h::addAnnouncements);
        rejects(msg().setIhave(h), "257 announcements");
        Graft.Builder g = Graft.newBuilder();
        Collections.nCopies(OverlayCodec.MAX_IDS + 1, ID32).forEach(g::addMessageIds);
        rejects(msg().setGraft(g), "257 message ids");
        rejects(msg().setIhave(IHave.getDefaultInstance()), "IHave without announcements");
    }

    @Test
    void rejectsUnknownPriorities() {
        rejects(msg().setNeighbor(Neighbor.newBuilder().setPriorityValue(7)), "unknown neighbour priority 7");
    }
}
