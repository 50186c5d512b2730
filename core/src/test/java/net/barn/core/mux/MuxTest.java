package net.barn.core.mux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.barn.core.ErrorCode;
import org.junit.jupiter.api.Test;

class MuxTest {
    private static final long MS = 1_000_000L;
    private final MuxConfig config = MuxConfig.DEFAULT;

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Application behaviour for tests: consume everything as soon as it arrives. */
    private static void consumeAll(MuxPair pair, Mux side, List<MuxEvent> events, int[] consumedUpTo) {
        for (int i = consumedUpTo[0]; i < events.size(); i++) {
            if (events.get(i) instanceof MuxEvent.StreamData d) {
                side.consumed(pair.now(), d.stream(), d.data().remaining());
            }
        }
        consumedUpTo[0] = events.size();
    }

    @Test
    void opensAStreamToAPortAndCarriesDataBothWays() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(7);
        pair.a.write(s, bytes("hello"));
        pair.settle();
        assertThat(pair.bEvents).first().isEqualTo(new MuxEvent.StreamOpened(s, 7, null));
        assertThat(new String(pair.received(pair.bEvents, s), StandardCharsets.UTF_8)).isEqualTo("hello");
        pair.b.write(s, bytes("world"));
        pair.settle();
        assertThat(new String(pair.received(pair.aEvents, s), StandardCharsets.UTF_8)).isEqualTo("world");
    }

    @Test
    void opensAStreamToANamedService() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream("irc/chat");
        pair.settle();
        assertThat(pair.bEvents).contains(new MuxEvent.StreamOpened(s, 0, "irc/chat"));
        assertThatThrownBy(() -> pair.a.openStream("Bad Name")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void halfCloseLetsTheOtherSideKeepSending() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(9);
        pair.a.write(s, bytes("request"));
        pair.a.finish(s);
        pair.settle();
        assertThat(pair.bEvents).contains(new MuxEvent.StreamFinished(s));
        assertThat(pair.a.write(s, bytes("more"))).isEqualTo(-1);
        pair.b.write(s, bytes("response after the peer's FIN"));
        pair.b.finish(s);
        pair.settle();
        assertThat(new String(pair.received(pair.aEvents, s), StandardCharsets.UTF_8)).isEqualTo("response after the peer's FIN");
        assertThat(pair.aEvents).contains(new MuxEvent.StreamFinished(s), new MuxEvent.StreamClosed(s));
        assertThat(pair.bEvents).contains(new MuxEvent.StreamClosed(s));
        assertThat(pair.a.streamCount()).isZero();
        assertThat(pair.b.streamCount()).isZero();
    }

    @Test
    void resetAbandonsBothHalvesAndTellsThePeerWhy() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(7);
        pair.a.write(s, bytes("x"));
        pair.settle();
        pair.b.reset(s, ErrorCode.CANCELLED, "user pressed stop");
        pair.a.write(s, bytes("in flight"));
        pair.settle();
        assertThat(pair.aEvents).contains(new MuxEvent.StreamReset(s, ErrorCode.CANCELLED, "user pressed stop"));
        assertThat(pair.a.isOpen(s)).isFalse();
        assertThat(pair.bError).as("data in flight on a reset stream is dropped quietly").isNull();
    }

    @Test
    void hundredConcurrentStreamsEachDeliverEveryByteInOrder() {
        MuxPair pair = new MuxPair(config, MS);
        Random random = new Random(42);
        List<Integer> ids = new ArrayList<>();
        List<byte[]> payloads = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            byte[] data = new byte[10_000 + random.nextInt(300_000)];
            random.nextBytes(data);
            int id = pair.a.openStream(1000 + i);
            ids.add(id);
            payloads.add(data);
        }
        int[] offsets = new int[100];
        int[] consumed = {0};
        for (int round = 0; round < 10_000; round++) {
            boolean pending = false;
            for (int i = 0; i < 100; i++) {
                if (offsets[i] < payloads.get(i).length) {
                    pending = true;
                    int accepted = pair.a.write(ids.get(i), ByteBuffer.wrap(payloads.get(i), offsets[i],
                            payloads.get(i).length - offsets[i]));
                    offsets[i] += accepted;
                    if (offsets[i] == payloads.get(i).length) {
                        pair.a.finish(ids.get(i));
                    }
                }
            }
            pair.settle();
            consumeAll(pair, pair.b, pair.bEvents, consumed);
            if (!pending) {
                break;
            }
        }
        pair.settle();
        for (int i = 0; i < 100; i++) {
            assertThat(pair.received(pair.bEvents, ids.get(i))).as("stream %d", i).isEqualTo(payloads.get(i));
            assertThat(pair.bEvents).contains(new MuxEvent.StreamFinished(ids.get(i)));
        }
    }

    @Test
    void schedulerInterleavesStreamsInsteadOfDrainingOneFirst() {
        MuxPair pair = new MuxPair(config, MS);
        int first = pair.a.openStream(1);
        int second = pair.a.openStream(2);
        pair.a.write(first, ByteBuffer.wrap(new byte[200_000]));
        pair.a.write(second, ByteBuffer.wrap(new byte[200_000]));
        byte[] message = new byte[MuxPair.MESSAGE];
        int n = pair.a.writeFrames(0, message, 0, message.length);
        List<Integer> order = new ArrayList<>();
        try {
            for (Frame f : FrameCodec.decodeAll(message, 0, n)) {
                if (f instanceof Frame.Data d) {
                    order.add(d.stream());
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertThat(order).startsWith(first, second, first, second);
    }

    @Test
    void senderStopsAtTheWindowUntilTheReceiverConsumes() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(5);
        int offered = 0;
        for (int i = 0; i < 4; i++) {
            offered += pair.a.write(s, ByteBuffer.wrap(new byte[200_000]));
            pair.settle();
        }
        assertThat(offered).isGreaterThan(MuxConfig.INITIAL_STREAM_WINDOW);
        assertThat(pair.received(pair.bEvents, s)).hasSize(MuxConfig.INITIAL_STREAM_WINDOW);
        pair.b.consumed(pair.now(), s, MuxConfig.INITIAL_STREAM_WINDOW);
        pair.settle();
        assertThat(pair.received(pair.bEvents, s).length).isGreaterThan(MuxConfig.INITIAL_STREAM_WINDOW);
        assertThat(pair.bError).isNull();
    }

    @Test
    void writeIsCutShortAtTheSendBufferAndWritableFollows() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(5);
        int accepted = pair.a.write(s, ByteBuffer.wrap(new byte[config.sendBufferBytes() + 10]));
        assertThat(accepted).isEqualTo(config.sendBufferBytes());
        int[] consumed = {0};
        for (int i = 0; i < 20 && pair.events(pair.aEvents, MuxEvent.StreamWritable.class).isEmpty(); i++) {
            pair.settle();
            consumeAll(pair, pair.b, pair.bEvents, consumed);
        }
        assertThat(pair.aEvents).contains(new MuxEvent.StreamWritable(s));
    }

    @Test
    void dataBeyondTheWindowIsAFlowControlError() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(5);
        pair.settle();
        byte[] flood = new byte[Frame.HEADER_LENGTH + 60_000];
        for (int i = 0; i < 5; i++) { // 5 x 60000 > 256 KiB initial window
            FrameCodec.writeHeader(flood, 0, Frame.TYPE_DATA, 0, s, 60_000);
            pair.inject(pair.b, flood);
        }
        assertThat(pair.bError).isNotNull();
        assertThat(pair.bError.code()).isEqualTo(ErrorCode.FLOW_CONTROL_ERROR);
    }

    @Test
    void streamsBeyondTheInboundLimitAreResetWithStreamLimit() {
        MuxPair pair = new MuxPair(config, config.withMaxInboundStreams(3), MS);
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(pair.a.openStream(80));
        }
        pair.settle();
        assertThat(pair.events(pair.bEvents, MuxEvent.StreamOpened.class)).hasSize(3);
        assertThat(pair.events(pair.aEvents, MuxEvent.StreamReset.class))
                .extracting(MuxEvent.StreamReset::stream, MuxEvent.StreamReset::code)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(ids.get(3), ErrorCode.STREAM_LIMIT),
                        org.assertj.core.groups.Tuple.tuple(ids.get(4), ErrorCode.STREAM_LIMIT));
        assertThat(pair.bError).isNull();
    }

    @Test
    void datagramsArriveAndOversizedOnesAreRefused() {
        MuxPair pair = new MuxPair(config, MS);
        assertThat(pair.a.sendDatagram(53, 1234, bytes("ping"))).isTrue();
        pair.settle();
        MuxEvent.DatagramReceived got = pair.events(pair.bEvents, MuxEvent.DatagramReceived.class).get(0);
        assertThat(got.destinationPort()).isEqualTo(53);
        assertThat(got.sourcePort()).isEqualTo(1234);
        assertThatThrownBy(() -> pair.a.sendDatagram(53, 1, ByteBuffer.wrap(new byte[MuxConfig.MAX_DATAGRAM_PAYLOAD + 1])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1200");
        byte[] oversized = new byte[Frame.HEADER_LENGTH + 4 + MuxConfig.MAX_DATAGRAM_PAYLOAD + 1];
        FrameCodec.writeHeader(oversized, 0, Frame.TYPE_DATAGRAM, 0, 0, oversized.length - Frame.HEADER_LENGTH);
        oversized[Frame.HEADER_LENGTH + 1] = 53;
        pair.inject(pair.b, oversized);
        assertThat(pair.bError.code()).isEqualTo(ErrorCode.DATAGRAM_TOO_LARGE);
    }

    @Test
    void datagramsBeyondTheQueueLimitAreDroppedNotQueued() {
        MuxPair pair = new MuxPair(config, MS);
        int sent = 0;
        for (int i = 0; i < config.datagramQueueLimit() + 10; i++) {
            if (pair.a.sendDatagram(7, 7, bytes("d" + i))) {
                sent++;
            }
        }
        assertThat(sent).isEqualTo(config.datagramQueueLimit());
        assertThat(pair.a.datagramsDropped()).isEqualTo(10);
    }

    @Test
    void windowGrowsWhenTheBandwidthDelayProductOutgrowsIt() {
        MuxPair pair = new MuxPair(config, 25 * MS); // 50 ms round trip
        pair.advance(0);
        pair.settle(); // first PING gives the RTT
        assertThat(pair.b.smoothedRttNanos()).isGreaterThan(40 * MS);
        int s = pair.a.openStream(5);
        int[] consumed = {0};
        for (int i = 0; i < 40; i++) {
            pair.a.write(s, ByteBuffer.wrap(new byte[(int) pair.a.sendBufferRoom(s)]));
            pair.settle();
            consumeAll(pair, pair.b, pair.bEvents, consumed);
        }
        assertThat(pair.b.receiveWindow(s)).isGreaterThan(MuxConfig.INITIAL_STREAM_WINDOW);
        assertThat(pair.b.receiveWindow(s)).isLessThanOrEqualTo(config.maxStreamWindow());
    }

    @Test
    void windowStaysPutWhenTheApplicationReadsSlowly() {
        MuxPair pair = new MuxPair(config, 25 * MS);
        pair.advance(0);
        pair.settle();
        int s = pair.a.openStream(5);
        int[] consumed = {0};
        for (int i = 0; i < 10; i++) {
            pair.a.write(s, ByteBuffer.wrap(new byte[(int) pair.a.sendBufferRoom(s)]));
            pair.settle();
            pair.advance(500 * MS); // the application takes half a second per read
            consumeAll(pair, pair.b, pair.bEvents, consumed);
        }
        assertThat(pair.b.receiveWindow(s)).isEqualTo(MuxConfig.INITIAL_STREAM_WINDOW);
    }

    @Test
    void keepalivePingsMeasureRttAndSilenceEndsTheLink() {
        MuxPair pair = new MuxPair(config, 10 * MS);
        pair.advance(0);
        pair.settle();
        assertThat(pair.events(pair.aEvents, MuxEvent.RttSample.class)).isNotEmpty();
        pair.advance(config.keepaliveNanos());
        pair.settle();
        assertThat(pair.aError).isNull();
        // b goes silent: a sees nothing for the idle timeout.
        Mux a = pair.a;
        long quietSince = pair.now();
        try {
            a.handleTimeout(quietSince + config.idleTimeoutNanos());
        } catch (net.barn.core.ProtocolException e) {
            assertThat(e.code()).isEqualTo(ErrorCode.IDLE_TIMEOUT);
            return;
        }
        throw new AssertionError("idle link was not closed");
    }

    @Test
    void unknownFrameTypesAreSkippedOnlyWhenMarkedIgnorable() {
        MuxPair pair = new MuxPair(config, MS);
        byte[] ignorable = new byte[Frame.HEADER_LENGTH + 3];
        FrameCodec.writeHeader(ignorable, 0, 0x3f, Frame.FLAG_IGNORABLE, 0, 3);
        pair.inject(pair.b, ignorable);
        assertThat(pair.bError).isNull();
        byte[] unknown = new byte[Frame.HEADER_LENGTH];
        FrameCodec.writeHeader(unknown, 0, 0x3f, 0, 0, 0);
        pair.inject(pair.b, unknown);
        assertThat(pair.bError.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void dataForAStreamNeverOpenedIsAProtocolError() {
        MuxPair pair = new MuxPair(config, MS);
        byte[] data = new byte[Frame.HEADER_LENGTH + 1];
        FrameCodec.writeHeader(data, 0, Frame.TYPE_DATA, 0, 41, 1);
        pair.inject(pair.b, data);
        assertThat(pair.bError.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
        assertThat(pair.bError.getMessage()).contains("never opened");
    }

    @Test
    void reusingAStreamIdIsAProtocolError() {
        MuxPair pair = new MuxPair(config, MS);
        byte[] open = FrameCodec.encode(new Frame.Open(7, 80, null));
        pair.inject(pair.b, open);
        assertThat(pair.bError).isNull();
        pair.inject(pair.b, FrameCodec.encode(new Frame.Open(5, 80, null)));
        assertThat(pair.bError.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
    }

    @Test
    void peerThatProvokesResetsWithoutReadingIsCutOffAsAFlood() {
        MuxConfig tiny = config.withMaxInboundStreams(1);
        Mux b = new Mux(false, tiny, 0);
        net.barn.core.ProtocolException error = null;
        try {
            for (int id = 1; id < 2 * tiny.controlQueueLimit() + 10; id += 2) {
                byte[] open = FrameCodec.encode(new Frame.Open(id, 80, null));
                b.handleMessage(0, open, 0, open.length);
            }
        } catch (net.barn.core.ProtocolException e) {
            error = e;
        }
        assertThat(error).isNotNull();
        assertThat(error.code()).isEqualTo(ErrorCode.FLOOD);
    }

    @Test
    void aMoveSendsWhatNeverLeftBackToTheCallerAndEndsTheHalfAfterTheBytesAlreadySent() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(7);
        pair.a.write(s, bytes("sent"));
        pair.settle();
        pair.a.write(s, bytes("queued"));
        pair.a.finish(s);
        Mux.Moved moved = pair.a.move(s);
        assertThat(moved.fin()).as("the FIN moves with the queued bytes").isTrue();
        assertThat(new String(moved.unsent().get(0).array(), StandardCharsets.UTF_8)).isEqualTo("queued");
        assertThat(pair.a.write(s, bytes("more"))).as("a moved half takes no more bytes").isEqualTo(-1);
        assertThat(pair.a.move(s)).as("a half moves once").isNull();
        pair.settle();
        assertThat(new String(pair.received(pair.bEvents, s), StandardCharsets.UTF_8)).isEqualTo("sent");
        assertThat(pair.bEvents).contains(new MuxEvent.StreamMoved(s)).doesNotContain(new MuxEvent.StreamFinished(s));
        pair.b.move(s);
        pair.settle();
        assertThat(pair.a.isOpen(s)).as("both halves moved: the stream is gone").isFalse();
        assertThat(pair.b.isOpen(s)).isFalse();
    }

    @Test
    void dataAfterAMoveIsAProtocolError() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.a.openStream(7);
        pair.settle();
        pair.inject(pair.b, FrameCodec.encode(new Frame.Move(s)));
        pair.inject(pair.b, FrameCodec.encode(new Frame.Data(s, false, bytes("late"))));
        assertThat(pair.bError.code()).isEqualTo(ErrorCode.PROTOCOL_ERROR);
        assertThat(pair.bError.getMessage()).contains("DATA after MOVE");
    }

    @Test
    void aContinuationOpenNamesTheLinkAndStreamItContinues() {
        MuxPair pair = new MuxPair(config, MS);
        int t = pair.a.openContinuation(0, "irc/chat", 0x1122334455667788L, 5);
        pair.settle();
        assertThat(pair.bEvents).contains(new MuxEvent.ContinuationOpened(t, 0, "irc/chat", 0x1122334455667788L, 5));
    }

    @Test
    void aCallersPingIsAnsweredAfterTheOpensThePeerSentBeforeReadingItAndPeerMayOpenFollowsTheIds() {
        MuxPair pair = new MuxPair(config, MS);
        int s = pair.b.openStream(7);
        assertThat(pair.a.peerMayOpen(s)).as("its OPEN is on its way").isTrue();
        assertThat(pair.a.peerMayOpen(1)).as("an id of a's own").isFalse();
        pair.a.ping(0x8000_0000_0000_0001L);
        pair.settle();
        assertThat(pair.aEvents).containsSubsequence(new MuxEvent.StreamOpened(s, 7, null),
                new MuxEvent.PingAnswered(0x8000_0000_0000_0001L));
        assertThat(pair.a.peerMayOpen(s)).isFalse();
        assertThat(pair.a.peerMayOpen(s + 2)).isTrue();

        pair.advance(1); // the keepalive PING's answer is an RTT sample, not a caller's answer
        pair.settle();
        assertThat(pair.aEvents).filteredOn(e -> e instanceof MuxEvent.PingAnswered).hasSize(1);
        assertThat(pair.aEvents).anyMatch(e -> e instanceof MuxEvent.RttSample);
    }
}
