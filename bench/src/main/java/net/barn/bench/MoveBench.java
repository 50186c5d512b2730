package net.barn.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import net.barn.daemon.BarnNode;
import net.barn.daemon.BlockingStream;
import net.barn.daemon.BuiltinServices;
import net.barn.daemon.PeerLink;

/**
 * How long streams take to move from a relayed link to the direct link that replaces it
 * (docs/PROTOCOL.md 5.10), on loopback in one process: a relay, a node told it is behind NAT and
 * a dialler; echo streams opened over the circuit by both ends keep writing while a direct link
 * comes up. Reports the time from the upgrade until the relayed link carries nothing more (every
 * stream moved, the last MOVE sent), as each node measures it, and checks every echoed byte.
 */
public final class MoveBench {
    private MoveBench() {}

    public static void run(int streams, int runs) throws Exception {
        if (streams < 2 || streams > 200 || runs < 1 || runs > 50) {
            throw new IllegalArgumentException("--streams 2..200, --runs 1..50");
        }
        try (RelayTrio trio = RelayTrio.start("barn-bench-move")) {
            BarnNode relay = trio.relay();
            BarnNode hidden = trio.hidden();
            BarnNode dialler = trio.dialler();
            double[] moveMs = new double[runs];
            double[] seenMs = new double[runs];
            long moved = 0;
            for (int r = 0; r < runs; r++) {
                PeerLink via = get(dialler.relay().dialVia(relay.id(), hidden.id()), "the relayed link");
                await(() -> hidden.link(dialler.id()).isPresent(), "the hidden node never saw the relayed link");
                PeerLink viaAtHidden = hidden.link(dialler.id()).orElseThrow();
                List<Echo> echoes = new ArrayList<>();
                for (int i = 0; i < streams; i++) {
                    echoes.add(new Echo((i % 2 == 0 ? via : viaAtHidden).openBlocking(BuiltinServices.ECHO_PORT), r * 1000L + i));
                }
                await(() -> echoes.stream().allMatch(e -> e.echoed.get() > 0), "echo over the relay");
                long before = dialler.streamsMoved() + hidden.streamsMoved();
                long lastD = dialler.lastMoveNanos();
                long lastH = hidden.lastMoveNanos();
                get(hidden.dialAddress(dialler.invite().addresses().get(0)), "the direct link");
                long up = System.nanoTime();
                await(() -> dialler.streamsMoved() + hidden.streamsMoved() == before + 2L * streams,
                        "the streams never moved");
                seenMs[r] = (System.nanoTime() - up) / 1e6;
                await(() -> dialler.lastMoveNanos() != lastD && hidden.lastMoveNanos() != lastH, "the relayed link never emptied");
                moveMs[r] = Math.max(dialler.lastMoveNanos(), hidden.lastMoveNanos()) / 1e6;
                moved += dialler.streamsMoved() + hidden.streamsMoved() - before;
                for (Echo e : echoes) {
                    e.stop();
                }
                for (Echo e : echoes) {
                    get(e.done, "an echo stream's end after " + e.echoed.get() + " bytes");
                }
                PeerLink direct = dialler.link(hidden.id()).orElseThrow();
                if (direct.relayedVia() != null) {
                    throw new IOException("the link to the hidden node is not direct after the move");
                }
                direct.close("bench: next run");
                await(() -> dialler.link(hidden.id()).isEmpty() && hidden.link(dialler.id()).isEmpty(), "the direct link never closed");
            }
            double[] sorted = moveMs.clone();
            Arrays.sort(sorted);
            double[] seen = seenMs.clone();
            Arrays.sort(seen);
            System.out.printf("# barn bench move, %s: 3 nodes in one process on loopback, %d busy echo streams"
                    + " (half opened by each end), %d runs, Java %s%n%n", LocalDate.now(), streams, runs, Runtime.version());
            System.out.println("| measurement | p50 | max |");
            System.out.println("|---|---|---|");
            System.out.printf("| upgrade to relayed link empty (slower node) | %.1f ms | %.1f ms |%n",
                    sorted[sorted.length / 2], sorted[sorted.length - 1]);
            System.out.printf("| direct link up to every half moved (polled each ms) | %.1f ms | %.1f ms |%n",
                    seen[seen.length / 2], seen[seen.length - 1]);
            System.out.printf("%nhalves moved: %d; every echoed byte checked in order%n", moved);
        }
    }

    /** One echo stream: a writer of seeded bytes and a reader that checks them as they come back. */
    private static final class Echo {
        final BlockingStream stream;
        final AtomicLong echoed = new AtomicLong();
        final AtomicBoolean stopping = new AtomicBoolean();
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Echo(BlockingStream stream, long seed) {
            this.stream = stream;
            Thread.ofVirtual().name("move-bench-writer").start(() -> {
                Random bytes = new Random(seed);
                byte[] chunk = new byte[8 * 1024];
                try {
                    OutputStream out = stream.out();
                    while (!stopping.get()) {
                        bytes.nextBytes(chunk);
                        out.write(chunk);
                    }
                    out.close();
                } catch (IOException e) {
                    done.completeExceptionally(e);
                }
            });
            Thread.ofVirtual().name("move-bench-reader").start(() -> {
                Random expected = new Random(seed);
                byte[] want = new byte[8 * 1024];
                byte[] got = new byte[8 * 1024];
                int have = want.length; // bytes of want already compared
                try {
                    InputStream in = stream.in();
                    int n;
                    while ((n = in.read(got)) >= 0) {
                        for (int i = 0; i < n; i++) {
                            if (have == want.length) {
                                expected.nextBytes(want);
                                have = 0;
                            }
                            if (got[i] != want[have++]) {
                                throw new IOException("echoed byte " + (echoed.get() + i) + " differs");
                            }
                        }
                        echoed.addAndGet(n);
                    }
                    done.complete(null);
                } catch (IOException e) {
                    done.completeExceptionally(e);
                }
            });
        }

        void stop() {
            stopping.set(true);
        }
    }

    private static <T> T get(CompletableFuture<T> f, String what) throws Exception {
        try {
            return f.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException(what + ": no answer within 60 s", e);
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String failure) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IOException(failure);
            }
            Thread.sleep(1); // polling interval of the measurement
        }
    }
}
