package net.barn.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.NodeId;
import net.barn.core.trust.beacon.Bls;
import net.barn.core.trust.beacon.BlsSecretKey;
import net.barn.core.trust.beacon.PresenceTicket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The presence ticket kept beside the beacon key: replaced by each new one, and a bad file costs only the ticket. */
class BeaconTicketStoreTest {
    @TempDir
    Path tmp;

    private static PresenceTicket ticket(long epoch) {
        BlsSecretKey group = Bls.generate(new SeededEntropy(7));
        NodeId id = NodeId.of(new byte[32]);
        return new PresenceTicket(epoch, group.sign(PresenceTicket.message(id, epoch)));
    }

    @Test
    void keepsTheNewestTicketAcrossARestart() throws IOException {
        assertThat(BeaconKeyStore.loadTicket(tmp).reason()).contains("no presence ticket kept yet");
        BeaconKeyStore.saveTicket(tmp, ticket(4));
        BeaconKeyStore.saveTicket(tmp, ticket(5));
        assertThat(BeaconKeyStore.loadTicket(tmp).orElseThrow()).isEqualTo(ticket(5));
    }

    @Test
    void aMalformedTicketFileIsReportedAndNothingElseIsLost() throws IOException {
        Files.write(tmp.resolve(BeaconKeyStore.TICKET_FILE), new byte[] {1, 2, 3});
        assertThat(BeaconKeyStore.loadTicket(tmp).reason()).contains(BeaconKeyStore.TICKET_FILE).contains("3 bytes");
        BeaconKeyStore.loadOrCreate(tmp, new SeededEntropy(8)); // the key beside it is unaffected
        assertThat(tmp.resolve(BeaconKeyStore.FILE_NAME)).exists();
    }
}
