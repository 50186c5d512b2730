package net.barn.daemon;

import java.util.ArrayList;
import java.util.List;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.identity.PowParams;
import net.barn.core.namespace.NameRules;
import net.barn.daemon.store.DataDir;
import net.barn.daemon.store.StateStore;

/** Root networks of in-process test nodes: one DhtService per node on its own store, closed in order (service, then store). */
final class TestRoots implements AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();

    DhtService root(BarnNode node, List<Contact> seeds) throws Exception {
        StateStore store = StateStore.open(DataDir.open(node.config().dataDir()));
        open.add(store);
        DhtService dht = DhtService.start(node, store, DhtConfig.DEFAULT, NameRules.forTests(PowParams.TEST), seeds);
        open.add(0, dht);
        return dht;
    }

    /** Contacts in a node's routing table (0 while it does not answer). */
    static int tableSize(DhtService d) {
        try {
            return d.stats().get(5, java.util.concurrent.TimeUnit.SECONDS).routingTable();
        } catch (Exception e) {
            return 0;
        }
    }

    /** Polls {@code condition} until it holds; fails naming {@code what} after {@code seconds}. */
    static void await(java.util.function.BooleanSupplier condition, String what, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            org.assertj.core.api.Assertions.assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(20); // polling interval of the wait
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        open.clear();
    }

    /** Writes {@code sent} to the echo service over {@code link} (on a thread of its own) and returns what came back. */
    static byte[] echo(PeerLink link, byte[] sent) throws Exception {
        try (BlockingStream s = link.openBlocking(BuiltinServices.ECHO_PORT)) {
            s.setReadTimeout(20_000);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    s.out().write(sent);
                    s.out().close();
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            byte[] back = s.in().readAllBytes();
            writer.join(20_000);
            return back;
        }
    }
}
