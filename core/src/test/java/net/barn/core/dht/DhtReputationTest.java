package net.barn.core.dht;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;
import net.barn.core.testing.TestIdentities;
import net.barn.core.trust.reputation.Reputation;
import org.junit.jupiter.api.Test;

/** A Dht given a reputation feeds it from what its requests bring back: prompt answers, timeouts, forged records. */
class DhtReputationTest {
    private static final long MS = 1_000_000L;

    private static Contact contact(int i) {
        byte[] id = new byte[32];
        new SplittableRandom(i).nextBytes(id);
        return new Contact(NodeId.of(id), new PeerAddress("10." + i + ".0.1", 7345));
    }

    private static List<Dht.Transmit> drain(Dht dht) {
        List<Dht.Transmit> out = new ArrayList<>();
        for (Dht.Transmit tx; (tx = dht.pollTransmit()) != null;) {
            out.add(tx);
        }
        return out;
    }

    private static Dht dht(Reputation reputation) {
        Dht dht = new Dht(DhtConfig.DEFAULT, contact(1), new SplittableRandom(1), SignatureVerifier.ED25519, 0, 0);
        dht.reputeWith(reputation);
        return dht;
    }

    @Test
    void aPromptAnswerRaisesAPeersScoreAndATimeoutLowersIt() {
        Reputation scores = new Reputation(Reputation.Config.DEFAULT);
        Dht dht = dht(scores);
        Contact answers = contact(2);
        Contact silent = contact(3);
        dht.bootstrap(0, List.of(answers, silent));
        for (Dht.Transmit tx : drain(dht)) {
            if (tx.to().equals(answers)) {
                DhtMessage reply = tx.message() instanceof DhtMessage.FindNode f ? new DhtMessage.Nodes(f.id(), answers, List.of())
                        : new DhtMessage.Pong(tx.message().id(), answers, null);
                dht.handleMessage(5 * MS, answers.id(), reply);
            }
        }
        dht.handleTimeout(DhtConfig.DEFAULT.rpcTimeoutNanos() + 10 * MS);
        assertThat(scores.score(answers.id())).isGreaterThan(0.5);
        assertThat(scores.score(silent.id())).isLessThan(0.5);
    }

    @Test
    void aRecordForAnotherKeyInAnAnswerOutweighsTheRespondersEarlierGoodAnswers() {
        Reputation scores = new Reputation(Reputation.Config.DEFAULT);
        Dht dht = dht(scores);
        Contact liar = contact(4);
        dht.bootstrap(0, List.of(liar));
        for (Dht.Transmit tx : drain(dht)) { // it answers the join honestly, and enters the table
            DhtMessage reply = tx.message() instanceof DhtMessage.FindNode f ? new DhtMessage.Nodes(f.id(), liar, List.of())
                    : new DhtMessage.Pong(tx.message().id(), liar, null);
            dht.handleMessage(MS, liar.id(), reply);
        }
        assertThat(scores.score(liar.id())).isGreaterThan(0.5);
        Record genuine = RecordTypes.owned(TestIdentities.of(9), "status", "here".getBytes(StandardCharsets.UTF_8), 1,
                Long.MAX_VALUE / 2);
        Key asked = RecordTypes.ownedKey(NodeId.ofPublicKey(TestIdentities.of(9).publicKey()),
                "other".getBytes(StandardCharsets.UTF_8));
        dht.get(2 * MS, asked, RecordTypes.OWNED);
        for (Dht.Transmit tx : drain(dht)) {
            if (tx.message() instanceof DhtMessage.FindValue f) {
                dht.handleMessage(3 * MS, liar.id(), new DhtMessage.Value(f.id(), liar, genuine, List.of()));
            }
        }
        // Two good answers (ping, join lookup) against one invalid record, weighing four: (2 + 1) / (2 + 4 + 2).
        assertThat(scores.score(liar.id())).as("a signed record, but not for the key asked").isCloseTo(0.375,
                org.assertj.core.data.Offset.offset(0.01));
    }
}
