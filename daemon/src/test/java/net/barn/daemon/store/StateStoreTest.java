package net.barn.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.dht.Contact;
import net.barn.core.dht.Record;
import net.barn.core.dht.RecordTypes;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PeerAddress;
import net.barn.core.identity.PowParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateStoreTest {
    @TempDir
    Path tmp;
    private final Identity alice = Identity.generate(new SeededEntropy(1), PowParams.TEST);

    @Test
    void recordsAndPeersSurviveReopeningAndExpiredRecordsDoNot() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("n"));
        long now = System.currentTimeMillis();
        Record live = RecordTypes.owned(alice, "live", "v".getBytes(StandardCharsets.UTF_8), 1, now + 60_000);
        Record dead = RecordTypes.owned(alice, "dead", "v".getBytes(StandardCharsets.UTF_8), 1, now + 1);
        Contact peer = new Contact(alice.id(), PeerAddress.parse("127.0.0.1:7345"));
        try (StateStore s = StateStore.open(dir)) {
            s.putRecord(live, true);
            s.putRecord(dead, false);
            s.putPeer(peer, now);
        }
        try (StateStore s = StateStore.open(dir)) {
            List<StateStore.StoredRecord> records = s.records(now + 10);
            assertThat(records).singleElement().satisfies(r -> {
                assertThat(r.record()).isEqualTo(live);
                assertThat(r.own()).isTrue();
            });
            assertThat(s.peers(10)).containsExactly(peer);
        }
    }

    @Test
    void aNewerRecordReplacesTheOlderAndDroppingForgetsIt() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("n"));
        long now = System.currentTimeMillis();
        Record v1 = RecordTypes.owned(alice, "x", "1".getBytes(StandardCharsets.UTF_8), 1, now + 60_000);
        Record v2 = RecordTypes.owned(alice, "x", "2".getBytes(StandardCharsets.UTF_8), 2, now + 60_000);
        try (StateStore s = StateStore.open(dir)) {
            s.putRecord(v1, false);
            s.putRecord(v2, false);
            assertThat(s.records(now)).extracting(StateStore.StoredRecord::record).containsExactly(v2);
            s.dropRecord(v2.key(), v2.type());
            assertThat(s.records(now)).isEmpty();
        }
    }

    @Test
    void aCorruptFileIsAClearErrorThatSaysHowToRecover() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("n"));
        Files.write(dir.resolve(StateStore.FILE_NAME), "this is not a database, it is a shopping list".repeat(100)
                .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> StateStore.open(dir))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unreadable")
                .hasMessageContaining("move it aside");
    }
}
