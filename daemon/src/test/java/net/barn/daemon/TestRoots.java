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

    @Override
    public void close() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        open.clear();
    }
}
