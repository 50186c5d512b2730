package net.barn.core.trust.beacon;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.crypto.Sha256;
import org.junit.jupiter.api.Test;

class BeaconTest {
    private static final long EPOCH = 7;
    private static final long ROUND_NANOS = 5_000_000_000L;

    private final BlsSecretKey secret = Bls.generate(new SeededEntropy(51));
    private final ThresholdBls.Dealt dealt = ThresholdBls.split(secret, 5, 3, new SeededEntropy(52));
    private final List<Beacon> members = new ArrayList<>();
    private final List<List<BeaconEvent>> events = new ArrayList<>();

    BeaconTest() {
        for (SecretShare s : dealt.shares()) {
            members.add(new Beacon(EPOCH, dealt.group(), s, ROUND_NANOS));
            events.add(new ArrayList<>());
        }
    }

    /** Delivers every queued partial to every other member until nothing moves. */
    private void exchange(long now) {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (int i = 0; i < members.size(); i++) {
                BeaconMessage m;
                while ((m = members.get(i).pollTransmit()) != null) {
                    moved = true;
                    for (int j = 0; j < members.size(); j++) {
                        if (j != i) {
                            members.get(j).handleMessage(now, m);
                        }
                    }
                }
            }
        }
        for (int i = 0; i < members.size(); i++) {
            BeaconEvent e;
            while ((e = members.get(i).pollEvent()) != null) {
                events.get(i).add(e);
            }
        }
    }

    private List<BeaconEvent.Output> outputs(int member) {
        return events.get(member).stream().filter(BeaconEvent.Output.class::isInstance)
                .map(BeaconEvent.Output.class::cast).toList();
    }

    @Test
    void thresholdOfMembersGivesEveryoneTheSameVerifiableOutput() {
        for (int i : List.of(0, 2, 4)) {
            members.get(i).startRound(0, 1);
        }
        exchange(1);
        BlsSignature expected = secret.sign(BeaconRound.message(EPOCH, 1));
        for (int i = 0; i < members.size(); i++) {
            assertThat(outputs(i)).as("member %d", i + 1).singleElement().satisfies(o -> {
                assertThat(o.round()).isEqualTo(1);
                assertThat(o.signature()).isEqualTo(expected);
                assertThat(o.randomness()).isEqualTo(Sha256.hash(expected.toBytes()));
            });
        }
        byte[] randomness = BeaconRound.verify(dealt.group().publicKey(), EPOCH, 1, expected.toBytes()).orElseThrow();
        assertThat(randomness).isEqualTo(outputs(0).getFirst().randomness());
    }

    @Test
    void invalidPartialIsRejectedWithAReasonAndNotUsed() {
        Beacon observer = new Beacon(EPOCH, dealt.group(), null, ROUND_NANOS);
        byte[] forged = Bls.generate(new SeededEntropy(53)).sign(BeaconRound.message(EPOCH, 1)).toBytes();
        observer.handleMessage(0, new BeaconMessage.Partial(EPOCH, 1, 2, forged));
        observer.handleMessage(0, new BeaconMessage.Partial(EPOCH, 1, 3, new byte[96]));
        observer.handleMessage(0, new BeaconMessage.Partial(EPOCH + 1, 1, 4, forged));
        // Malformed and wrong-epoch partials are refused at once; a well-formed forgery only when
        // the round has t partials and their combination does not verify.
        assertThat(((BeaconEvent.PartialRejected) observer.pollEvent()).reason()).startsWith("partial of member 3: not a compressed G2 point");
        assertThat(((BeaconEvent.PartialRejected) observer.pollEvent()).reason()).contains("epoch 8");
        assertThat(observer.pollEvent()).isNull();
        for (int i : List.of(0, 3)) { // members 1 and 4: with the forged 2, three partials
            PartialSignature p = ThresholdBls.signPartial(dealt.shares().get(i), BeaconRound.message(EPOCH, 1));
            observer.handleMessage(1, new BeaconMessage.Partial(EPOCH, 1, p.index(), p.signature().toBytes()));
        }
        assertThat(observer.pollEvent()).isEqualTo(new BeaconEvent.PartialRejected(2, 1,
                "partial signature of member 2 does not verify under its public share"));
        assertThat(observer.pollEvent()).as("two valid partials are not enough").isNull();
        // Member 2 is not heard again in this round, even with a valid partial; member 5's completes it.
        PartialSignature two = ThresholdBls.signPartial(dealt.shares().get(1), BeaconRound.message(EPOCH, 1));
        observer.handleMessage(1, new BeaconMessage.Partial(EPOCH, 1, two.index(), two.signature().toBytes()));
        assertThat(observer.pollEvent()).isNull();
        PartialSignature five = ThresholdBls.signPartial(dealt.shares().get(4), BeaconRound.message(EPOCH, 1));
        observer.handleMessage(1, new BeaconMessage.Partial(EPOCH, 1, five.index(), five.signature().toBytes()));
        BeaconEvent.Output out = (BeaconEvent.Output) observer.pollEvent();
        assertThat(out.signature()).isEqualTo(secret.sign(BeaconRound.message(EPOCH, 1)));
        assertThat(observer.pollEvent()).isNull();
    }

    @Test
    void missedRoundDoesNotBlockTheNext() {
        members.get(0).startRound(0, 1);
        members.get(1).startRound(0, 1);
        exchange(0);
        assertThat(outputs(0)).isEmpty();
        assertThat(members.get(0).pollTimeout()).isEqualTo(ROUND_NANOS);
        for (Beacon b : members) {
            b.startRound(ROUND_NANOS / 2, 2);
        }
        exchange(ROUND_NANOS / 2);
        members.get(0).handleTimeout(ROUND_NANOS);
        exchange(ROUND_NANOS);
        assertThat(outputs(0)).extracting(BeaconEvent.Output::round).containsExactly(2L);
        assertThat(events.get(0)).contains(new BeaconEvent.Missed(EPOCH, 1, 2));
        assertThat(members.get(0).pollTimeout()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void latePartialsOfAFinishedRoundChangeNothing() {
        for (Beacon b : members) {
            b.startRound(0, 1);
        }
        exchange(0);
        for (int i = 0; i < members.size(); i++) {
            assertThat(outputs(i)).hasSize(1);
            assertThat(events.get(i)).allMatch(BeaconEvent.Output.class::isInstance);
        }
    }

    @Test
    void verifyRefusesAnotherRoundEpochOrAFlippedBit() {
        byte[] sig = secret.sign(BeaconRound.message(EPOCH, 9)).toBytes();
        BlsPublicKey key = dealt.group().publicKey();
        assertThat(BeaconRound.verify(key, EPOCH, 9, sig).isValid()).isTrue();
        assertThat(BeaconRound.verify(key, EPOCH, 10, sig).reason()).contains("does not verify");
        assertThat(BeaconRound.verify(key, EPOCH + 1, 9, sig).isValid()).isFalse();
        sig[95] ^= 1;
        assertThat(BeaconRound.verify(key, EPOCH, 9, sig).isValid()).isFalse();
    }

    @Test
    void messageIsTheHashOfDomainEpochAndRound() {
        assertThat(HexFormat.of().formatHex(BeaconRound.message(1, 1))).isEqualTo(HexFormat.of().formatHex(
                Sha256.hash("barn-beacon-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                        HexFormat.of().parseHex("00000000000000010000000000000001"))));
    }
}
