package net.barn.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.barn.core.nat.Reachability;
import org.junit.jupiter.api.Test;

/**
 * Streams opened over a relayed link move to the direct link when one comes up
 * (docs/PROTOCOL.md 5.10): real nodes on loopback, the relayed link forced by a relay circuit
 * to a node that says it is behind NAT, the direct link by a plain dial the other way.
 */
class StreamMoveTest extends RootNetworkTest {
    /** relay, hidden (behind "NAT", reserved on relay), dialler linked to hidden over relay's circuit. */
    private BarnNode[] relayedPair(long seed) throws Exception {
        return relayedPair(seed, false);
    }

    /** @param hiddenWithoutMove the hidden node does not announce {@code move/1}, as one that predates it */
    private BarnNode[] relayedPair(long seed, boolean hiddenWithoutMove) throws Exception {
        nodes = new TestNodes(tmp);
        BarnNode relay = nodes.start(seed);
        BarnNode hidden = nodes.start(seed + 1);
        BarnNode dialler = nodes.start(seed + 2);
        if (hiddenWithoutMove) {
            hidden.leaveOutMoveCapability();
        }
        relay.reachability().assume(Reachability.Verdict.PUBLIC);
        hidden.reachability().assume(Reachability.Verdict.CONE_NAT);
        hidden.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        dialler.dial(relay.invite()).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> hidden.relay().relays().contains(relay.id()), "the hidden node reserves on the relay", 30);
        PeerLink relayed = dialler.relay().dialVia(relay.id(), hidden.id()).get(15, TimeUnit.SECONDS);
        assertThat(relayed.relayedVia()).isEqualTo(relay.id());
        TestRoots.await(() -> hidden.link(dialler.id()).isPresent(), "the hidden node holds the relayed link", 30);
        return new BarnNode[] {relay, hidden, dialler};
    }

    /** Makes the relay's event loops wait, so that what the circuit carries waits there too; returns the release. */
    private static Runnable holdRelay(BarnNode relay) {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        for (io.netty.util.concurrent.EventExecutor e : relay.eventLoopGroup()) {
            e.execute(() -> {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        return release::countDown;
    }

    /** Asks a link's loop, where its state lives. */
    private static boolean onLoop(LinkDriver driver, java.util.function.BooleanSupplier question) {
        try {
            return driver.eventLoop().submit(question::getAsBoolean).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes seeded bytes to an echo stream on one thread and checks what comes back on another. */
    private static final class EchoTraffic {
        final BlockingStream stream;
        final Random random;
        final ByteArrayOutputStream sent = new ByteArrayOutputStream();
        final CompletableFuture<byte[]> received = new CompletableFuture<>();
        volatile long echoed;

        EchoTraffic(BlockingStream stream, long seed) {
            this.stream = stream;
            this.random = new Random(seed);
            stream.setReadTimeout(30_000);
            Thread.ofVirtual().name("echo-reader").start(() -> {
                ByteArrayOutputStream back = new ByteArrayOutputStream();
                byte[] buf = new byte[32 * 1024];
                try {
                    InputStream in = stream.in();
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        back.write(buf, 0, n);
                        echoed += n;
                    }
                    received.complete(back.toByteArray());
                } catch (IOException | RuntimeException e) {
                    received.completeExceptionally(e);
                }
            });
        }

        void write(int bytes) throws IOException {
            byte[] chunk = new byte[bytes];
            random.nextBytes(chunk);
            stream.out().write(chunk);
            sent.write(chunk, 0, chunk.length);
        }
    }

    @Test
    void anEchoStreamMovesFromTheRelayedLinkToTheDirectOneMidTransferWithEveryByteInOrder() throws Exception {
        BarnNode[] trio = relayedPair(71);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        EchoTraffic echo = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 71);
        BarnStream stream = echo.stream.stream();

        for (int i = 0; i < 16; i++) {
            echo.write(16 * 1024);
        }
        TestRoots.await(() -> echo.echoed > 64 * 1024, "bytes echo over the relay", 30);
        long relayedBytesBefore = relayed.bytesSent();
        assertThat(relayedBytesBefore).isPositive();

        // The direct link comes up (here by a dial to its address; a hole punch gives the same) while bytes flow.
        CompletableFuture<PeerLink> direct = hidden.dialAddress(dialler.invite().addresses().get(0));
        for (int i = 0; i < 32 && !direct.isDone(); i++) {
            echo.write(8 * 1024);
        }
        direct.get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> !relayed.isActive(), "the relayed link closes once its stream moved", 30);
        long relayedBytesAfter = relayed.bytesSent();

        for (int i = 0; i < 64; i++) {
            echo.write(16 * 1024);
        }
        echo.stream.out().close(); // the half-close moved too: echo finishes after the last byte
        byte[] back = echo.received.get(30, TimeUnit.SECONDS);

        assertThat(back).as("every byte echoed, in order, none twice").isEqualTo(echo.sent.toByteArray());
        assertThat(stream.hasMoved()).isTrue();
        assertThat(stream.link().relayedVia()).as("the stream now runs on the direct link").isNull();
        assertThat(relayed.bytesSent()).as("nothing more went over the relay").isEqualTo(relayedBytesAfter);
        assertThat(dialler.streamsMoved()).isEqualTo(1);
        assertThat(hidden.streamsMoved()).isEqualTo(1);
        assertThat(hidden.link(dialler.id()).orElseThrow().relayedVia()).isNull();
    }

    @Test
    void streamsOpenedByEitherSideMoveAndTheFigureIsTheTimeFromDirectLinkToLastMove() throws Exception {
        BarnNode[] trio = relayedPair(81);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        int perSide = 4;
        List<EchoTraffic> traffic = new ArrayList<>();
        for (int i = 0; i < perSide; i++) {
            traffic.add(new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 100 + i));
            traffic.add(new EchoTraffic(relayedAtHidden.openBlocking(BuiltinServices.ECHO_PORT), 200 + i));
        }
        for (EchoTraffic t : traffic) {
            t.write(4 * 1024);
        }
        TestRoots.await(() -> traffic.stream().allMatch(t -> t.echoed == 4 * 1024), "every stream echoes over the relay", 30);

        long upAt = System.nanoTime();
        hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
        long directUp = System.nanoTime();
        TestRoots.await(() -> dialler.streamsMoved() == 2 * perSide && hidden.streamsMoved() == 2 * perSide,
                "both sides moved their half of every stream", 30);
        long moved = System.nanoTime();
        TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(), "the relayed link closes", 30);
        long closed = System.nanoTime();
        // The nodes time it from the upgrade to the last MOVE; the test's own waits poll every 20 ms.
        TestRoots.await(() -> dialler.lastMoveNanos() > 0 && hidden.lastMoveNanos() > 0, "both nodes timed the move", 30);
        System.out.printf("stream move: %d streams; direct link up in %.1f ms; from the upgrade to the last stream moved:"
                + " %.1f ms (dialler), %.1f ms (hidden); the test saw every move within %.1f ms and the relayed links"
                + " closed within %.1f ms%n", 2 * perSide, (directUp - upAt) / 1e6, dialler.lastMoveNanos() / 1e6,
                hidden.lastMoveNanos() / 1e6, (moved - directUp) / 1e6, (closed - directUp) / 1e6);

        for (EchoTraffic t : traffic) {
            t.write(4 * 1024);
            t.stream.out().close();
        }
        for (EchoTraffic t : traffic) {
            assertThat(t.received.get(30, TimeUnit.SECONDS)).isEqualTo(t.sent.toByteArray());
            assertThat(t.stream.stream().link().relayedVia()).isNull();
        }
    }

    @Test
    void halfClosesAndResetsStillWorkAfterAMove() throws Exception {
        BarnNode[] trio = relayedPair(91);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        java.util.concurrent.LinkedBlockingQueue<BlockingStream> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
        hidden.bind("probe", s -> accepted.add(BlockingStream.attach(s)));
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        BlockingStream closing = relayed.openBlocking("probe");
        BlockingStream resetting = relayed.openBlocking("probe");
        closing.out().write("before".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        closing.out().flush();
        resetting.out().write(1);
        resetting.out().flush();
        BlockingStream closingThere = accepted.poll(10, TimeUnit.SECONDS);
        BlockingStream resettingThere = accepted.poll(10, TimeUnit.SECONDS);
        closingThere.setReadTimeout(10_000);
        resettingThere.setReadTimeout(10_000);
        assertThat(closingThere.in().readNBytes(6)).asString().isEqualTo("before");
        assertThat(resettingThere.in().read()).isEqualTo(1);

        hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> dialler.streamsMoved() == 2 && hidden.streamsMoved() == 2, "both streams moved", 30);
        TestRoots.await(() -> !relayed.isActive(), "the relayed link closes", 30);

        // Half-close each way over the direct link; the reply written after the peer's FIN arrives.
        closing.out().write("after".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        closing.out().close();
        assertThat(closingThere.in().readAllBytes()).asString().isEqualTo("after");
        closingThere.out().write("reply".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        closingThere.out().close();
        closing.setReadTimeout(10_000);
        assertThat(closing.in().readAllBytes()).asString().isEqualTo("reply");
        assertThat(closing.stream().link().relayedVia()).isNull();
        assertThat(closingThere.stream().link().relayedVia()).isNull();

        // A reset after the move reaches the peer's same stream object.
        resetting.reset(net.barn.core.ErrorCode.CANCELLED, "changed my mind");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> resettingThere.in().read())
                .isInstanceOf(LinkException.class).hasMessageContaining("changed my mind");
    }

    @Test
    void aWriterHeldUpByAFullSendBufferGoesOnAfterTheMoveAndItsQueuedBytesArriveInOrder() throws Exception {
        BarnNode[] trio = relayedPair(101);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        java.util.concurrent.LinkedBlockingQueue<BlockingStream> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
        hidden.bind("sink", s -> accepted.add(BlockingStream.attach(s)));
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        BlockingStream out = relayed.openBlocking("sink");
        Random random = new Random(101);
        byte[] all = new byte[4 * 1024 * 1024];
        random.nextBytes(all);
        java.util.concurrent.atomic.AtomicLong written = new java.util.concurrent.atomic.AtomicLong();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int off = 0; off < all.length; off += 64 * 1024) {
                    out.out().write(all, off, 64 * 1024);
                    written.addAndGet(64 * 1024);
                }
                out.out().close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
        BlockingStream sink = accepted.poll(10, TimeUnit.SECONDS);
        // Nobody reads yet: the window (256 KiB) and then the send buffer (1 MiB) fill, and the writer waits.
        TestRoots.await(() -> written.get() >= 1024 * 1024, "the writer fills the window and the send buffer", 30);
        long stalled = written.get();
        assertThat(writer).isNotDone();

        hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> dialler.streamsMoved() == 1 && hidden.streamsMoved() == 1, "the stream moved", 30);
        TestRoots.await(() -> written.get() > stalled, "the writer goes on after the move, before anyone reads", 30);

        sink.setReadTimeout(30_000);
        assertThat(sink.in().readAllBytes()).as("every byte, in order").isEqualTo(all);
        writer.get(30, TimeUnit.SECONDS);
        TestRoots.await(() -> !relayed.isActive(), "the relayed link closes", 30);
    }

    @Test
    void aStreamOpenedOnTheReplacedRelayedLinkRunsOnTheDirectLinkAndTheRelayedLinkStillCloses() throws Exception {
        BarnNode[] trio = relayedPair(111);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        EchoTraffic first = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 111);
        for (int i = 0; i < 16; i++) {
            first.write(16 * 1024);
        }

        hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> dialler.link(hidden.id()).orElseThrow().relayedVia() == null
                && hidden.link(dialler.id()).orElseThrow().relayedVia() == null, "both sides took the direct link", 30);
        // Code that took the link before the upgrade (a service, an application) opens on it while the first stream
        // moves, from both ends: these streams must not hold the relayed link open.
        EchoTraffic late = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 112);
        EchoTraffic lateFromHidden = new EchoTraffic(relayedAtHidden.openBlocking(BuiltinServices.ECHO_PORT), 113);
        late.write(4 * 1024);
        lateFromHidden.write(4 * 1024);
        TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(),
                "the relayed link closes while the streams opened on it late are still open", 10);
        assertThat(late.received).isNotDone();
        assertThat(lateFromHidden.received).isNotDone();

        for (EchoTraffic t : List.of(first, late, lateFromHidden)) {
            t.write(16 * 1024);
            t.stream.out().close();
        }
        for (EchoTraffic t : List.of(first, late, lateFromHidden)) {
            assertThat(t.received.get(30, TimeUnit.SECONDS)).as("every byte echoed, in order").isEqualTo(t.sent.toByteArray());
            assertThat(t.stream.stream().link().relayedVia()).as("the stream runs on the direct link").isNull();
        }
    }

    @Test
    void aStreamWhoseOpenIsStillOnTheRelayWhenTheLinksSwitchMovesOnceItArrivesAndIsNotCutOffByTheRelayedLinkClosing()
            throws Exception {
        BarnNode[] trio = relayedPair(121);
        BarnNode relay = trio[0];
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        // The relay holds what the circuit carries (its event loops wait), as a slow relay would.
        Runnable release = holdRelay(relay);
        EchoTraffic late;
        try {
            // Opened on the relayed link just before the direct one comes up: its OPEN is still at the relay
            // when the dialler opens its continuation on the direct link, and when the hidden node has nothing
            // of its own left on the relayed link.
            late = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 121);
            late.write(4 * 1024);
            hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
            LinkDriver oldAtHidden = relayedAtHidden.driver();
            TestRoots.await(() -> onLoop(oldAtHidden, () -> oldAtHidden.continuationsAwaitingOpen() > 0 || oldAtHidden.isClosed()),
                    "the continuation reaches the hidden node before the stream's OPEN", 10);
            assertThat(relayedAtHidden.isActive())
                    .as("the hidden node keeps the relayed link while a stream the peer opened may be on its way").isTrue();
        } finally {
            release.run();
        }
        TestRoots.await(() -> dialler.streamsMoved() == 1 && hidden.streamsMoved() == 1, "the stream moved once its OPEN came", 30);
        TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(), "the relayed link closes", 30);
        late.write(16 * 1024);
        late.stream.out().close();
        assertThat(late.received.get(30, TimeUnit.SECONDS)).as("every byte echoed, in order").isEqualTo(late.sent.toByteArray());
        assertThat(late.stream.stream().link().relayedVia()).isNull();
    }

    @Test
    void withAPeerThatDoesNotAnnounceMoveTheStreamsStayOnTheRelayedLinkWhichClosesOnceTheyEnded() throws Exception {
        BarnNode[] trio = relayedPair(131, true);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        assertThat(relayed.canMoveStreams()).isFalse();
        assertThat(relayedAtHidden.canMoveStreams()).as("the peer announced it, this node did not").isFalse();
        EchoTraffic fromDialler = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 131);
        EchoTraffic fromHidden = new EchoTraffic(relayedAtHidden.openBlocking(BuiltinServices.ECHO_PORT), 132);
        fromDialler.write(8 * 1024);
        fromHidden.write(8 * 1024);
        TestRoots.await(() -> fromDialler.echoed == 8 * 1024 && fromHidden.echoed == 8 * 1024, "both streams echo over the relay", 30);

        hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> dialler.link(hidden.id()).orElseThrow().relayedVia() == null
                && hidden.link(dialler.id()).orElseThrow().relayedVia() == null, "both sides took the direct link", 30);
        // A new stream takes the direct link, even one asked of the relayed link.
        EchoTraffic fresh = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 133);
        assertThat(fresh.stream.stream().link().relayedVia()).isNull();

        // The two streams keep working where they are, over the relay.
        fromDialler.write(16 * 1024);
        fromHidden.write(16 * 1024);
        fresh.write(16 * 1024);
        TestRoots.await(() -> fromDialler.echoed == 24 * 1024 && fromHidden.echoed == 24 * 1024 && fresh.echoed == 16 * 1024,
                "the old streams echo over the relay, the new one over the direct link", 30);
        assertThat(fromDialler.stream.stream().link()).isSameAs(relayed);
        assertThat(fromHidden.stream.stream().link()).isSameAs(relayedAtHidden);
        assertThat(dialler.streamsMoved()).isZero();
        assertThat(hidden.streamsMoved()).isZero();
        assertThat(relayed.isActive()).isTrue();

        fromDialler.stream.out().close();
        assertThat(fromDialler.received.get(30, TimeUnit.SECONDS)).isEqualTo(fromDialler.sent.toByteArray());
        TestRoots.await(() -> relayed.streamCount() == 1 && relayedAtHidden.streamCount() == 1, "one stream ended", 30);
        assertThat(relayed.isActive()).as("the relayed link still carries the other stream").isTrue();
        assertThat(relayedAtHidden.isActive()).isTrue();

        fromHidden.stream.out().close();
        assertThat(fromHidden.received.get(30, TimeUnit.SECONDS)).isEqualTo(fromHidden.sent.toByteArray());
        TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(), "the relayed link closes once both ended", 30);
        fresh.stream.out().close();
        assertThat(fresh.received.get(30, TimeUnit.SECONDS)).isEqualTo(fresh.sent.toByteArray());
    }

    @Test
    void whenTheDirectLinkIsLostBeforeTheAcceptorsMoveTheMoveIsOffAndTheStreamCarriesOnOverTheRelay() throws Exception {
        BarnNode[] trio = relayedPair(141);
        BarnNode relay = trio[0];
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        Runnable release = holdRelay(relay);
        EchoTraffic stream;
        try {
            // The stream's OPEN waits at the relay, so its continuation waits at the hidden node, unanswered.
            stream = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 141);
            stream.write(4 * 1024);
            PeerLink direct = hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
            LinkDriver oldAtHidden = relayedAtHidden.driver();
            TestRoots.await(() -> onLoop(oldAtHidden, () -> oldAtHidden.continuationsAwaitingOpen() > 0),
                    "the continuation waits at the hidden node", 10);
            direct.driver().eventLoop().execute(direct.driver()::loseConnection);
            TestRoots.await(() -> !direct.isActive() && dialler.link(hidden.id()).isEmpty(), "both ends lost the direct link", 10);
            TestRoots.await(() -> onLoop(oldAtHidden, () -> oldAtHidden.continuationsAwaitingOpen() == 0),
                    "the continuation is forgotten", 10);
        } finally {
            release.run();
        }
        // No MOVE was sent: the stream still runs on the relayed link, which closes once it ends.
        stream.write(16 * 1024);
        TestRoots.await(() -> stream.echoed == 20 * 1024, "the stream echoes over the relay", 30);
        assertThat(stream.stream.stream().link()).isSameAs(relayed);
        assertThat(stream.stream.stream().hasMoved()).isFalse();
        assertThat(relayed.isActive()).isTrue();
        stream.stream.out().close();
        assertThat(stream.received.get(30, TimeUnit.SECONDS)).as("every byte echoed, in order").isEqualTo(stream.sent.toByteArray());
        TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(), "the relayed link closes once the stream ended", 30);
        assertThat(dialler.streamsMoved()).isZero();
        assertThat(hidden.streamsMoved()).isZero();
    }

    @Test
    void whenTheDirectLinkIsLostAfterTheAcceptorsMoveBothEndsSeeTheStreamLostAndNothingIsLeftOpen() throws Exception {
        BarnNode[] trio = relayedPair(151);
        BarnNode relay = trio[0];
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        java.util.concurrent.LinkedBlockingQueue<BlockingStream> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
        hidden.bind("probe", s -> accepted.add(BlockingStream.attach(s)));
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        BlockingStream mine = relayed.openBlocking("probe");
        mine.out().write(1);
        mine.out().flush();
        BlockingStream theirs = accepted.poll(10, TimeUnit.SECONDS);
        theirs.setReadTimeout(10_000);
        mine.setReadTimeout(10_000);
        assertThat(theirs.in().read()).isEqualTo(1);

        Runnable release = holdRelay(relay);
        try {
            // The hidden node accepts the continuation and sends its MOVE, which waits at the relay: the dialler
            // has not moved its half yet when the direct link is lost.
            PeerLink direct = hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
            TestRoots.await(() -> hidden.streamsMoved() == 1, "the hidden node moved its half", 10);
            assertThat(dialler.streamsMoved()).isZero();
            direct.driver().eventLoop().execute(direct.driver()::loseConnection);
            TestRoots.await(() -> !direct.isActive() && dialler.link(hidden.id()).isEmpty(), "both ends lost the direct link", 10);
        } finally {
            release.run();
        }
        // The hidden half went with the direct link; the dialler learns it from the MOVE: a clear error at both ends.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> mine.in().read())
                .isInstanceOfSatisfying(LinkException.class, e -> assertThat(e.code()).isEqualTo(net.barn.core.ErrorCode.CONNECTION_LOST));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> theirs.in().read()).isInstanceOf(LinkException.class);
        assertThat(dialler.streamsMoved()).isZero();
        TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(), "the relayed link closes, empty", 30);
        assertThat(mine.stream().isGone()).isTrue();
        assertThat(theirs.stream().isGone()).isTrue();
    }

    @Test
    void aStreamWhosePeerMovedAndClosedTheRelayedLinkBeforeItsOwnContinuationWasKnownStillMoves() throws Exception {
        BarnNode[] trio = relayedPair(161);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        java.util.concurrent.LinkedBlockingQueue<BlockingStream> accepted = new java.util.concurrent.LinkedBlockingQueue<>();
        hidden.bind("probe", s -> accepted.add(BlockingStream.attach(s)));
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        BlockingStream mine = relayed.openBlocking("probe");
        mine.out().write("request".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        mine.out().close(); // the dialler's half ends here; the hidden node's half stays open
        BlockingStream theirs = accepted.poll(10, TimeUnit.SECONDS);
        theirs.setReadTimeout(10_000);
        assertThat(theirs.in().readAllBytes()).asString().isEqualTo("request");

        // The dialler learns late that its continuation is open: the hidden node's MOVE, and its GOAWAY (nothing is
        // left on the relayed link there), arrive first.
        CompletableFuture<Void> gate = new CompletableFuture<>();
        relayed.driver().continuationReadyGate = gate;
        hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
        try {
            TestRoots.await(() -> hidden.streamsMoved() == 1, "the hidden node moved its half", 10);
            TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(), "the relayed link closed", 10);
        } finally {
            gate.complete(null);
        }
        TestRoots.await(() -> dialler.streamsMoved() == 1, "the dialler's stream moved all the same", 10);
        theirs.out().write("reply".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        theirs.out().close();
        mine.setReadTimeout(10_000);
        assertThat(mine.in().readAllBytes()).asString().isEqualTo("reply");
        assertThat(mine.stream().link().relayedVia()).isNull();
    }

    @Test
    void aRelayedLinkWithoutStreamsClosesOnceTheDirectLinkReplacedItAtBothEnds() throws Exception {
        BarnNode[] trio = relayedPair(171);
        BarnNode hidden = trio[1];
        BarnNode dialler = trio[2];
        PeerLink relayed = dialler.link(hidden.id()).orElseThrow();
        PeerLink relayedAtHidden = hidden.link(dialler.id()).orElseThrow();
        hidden.dialAddress(dialler.invite().addresses().get(0)).get(10, TimeUnit.SECONDS);
        TestRoots.await(() -> !relayed.isActive() && !relayedAtHidden.isActive(), "the relayed link closes", 10);
        assertThat(dialler.link(hidden.id()).orElseThrow().relayedVia()).isNull();
        assertThat(hidden.link(dialler.id()).orElseThrow().relayedVia()).isNull();
        // Asked of the closed relayed link, a stream still opens, on the direct one.
        EchoTraffic late = new EchoTraffic(relayed.openBlocking(BuiltinServices.ECHO_PORT), 171);
        late.write(1024);
        late.stream.out().close();
        assertThat(late.received.get(10, TimeUnit.SECONDS)).isEqualTo(late.sent.toByteArray());
        // So does a datagram: sent through the closed relayed link, it goes over the direct one.
        CompletableFuture<String> got = new CompletableFuture<>();
        dialler.bindDatagrams(5000, (from, dst, src, payload) -> got.complete(
                (from.relayedVia() == null ? "direct" : "relayed") + " " + java.nio.charset.StandardCharsets.UTF_8.decode(payload)));
        assertThat(relayed.sendDatagram(BuiltinServices.ECHO_PORT, 5000, "ping".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .get(5, TimeUnit.SECONDS)).isTrue();
        assertThat(got.get(10, TimeUnit.SECONDS)).isEqualTo("direct ping");
    }
}
