package net.barn.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtConfig;
import net.barn.core.dht.DhtEvent;
import net.barn.core.dht.DhtMessage;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.identity.Identity;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PowParams;
import net.barn.core.namespace.NameClaims;
import net.barn.core.namespace.NamePow;
import net.barn.core.namespace.NameRecords;
import net.barn.core.namespace.NameRules;
import net.barn.core.namespace.NameState;
import net.barn.core.namespace.NameValidator;
import org.junit.jupiter.api.Test;

/**
 * The root namespace registry on the real Dht cores under virtual time: claims ordered by
 * countersigned commitments, updates only by the owners with a higher sequence, expiry with
 * a grace period, and readers that side with the replica majority when some replicas lie.
 */
class NameRegistryClusterTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long MINUTE = 60 * SECOND;
    private static final long DAY_MS = 24 * 3600 * 1000L;
    private final Map<Long, DhtEvent.QueryResult> results = new HashMap<>();
    private final RandomGenerator salts = RandomGeneratorFactory.of("L64X128MixRandom").create(99);
    private NameRules rules = NameRules.forTests(PowParams.TEST);
    private DhtSimulation sim;

    private void cluster(int n, long seed) {
        RandomGenerator.SplittableGenerator root =
                (RandomGenerator.SplittableGenerator) RandomGeneratorFactory.of("L64X128MixRandom").create(seed);
        sim = new DhtSimulation(DhtConfig.DEFAULT, rules, FaultProfile.NONE, root, n);
        sim.onEvent((node, e) -> {
            if (e instanceof DhtEvent.QueryDone d) {
                results.put(d.query() * 100_000 + node.index(), d.result());
            }
        });
        List<DhtSimulation.Node> nodes = sim.nodes();
        for (int i = 0; i < n; i++) {
            DhtSimulation.Node node = nodes.get(i);
            List<Contact> seeds = i == 0 ? List.of() : List.of(nodes.get(i / 2).contact());
            sim.queue().at(i * SECOND / 10, () -> sim.start(node, seeds));
        }
        sim.runUntil(n * SECOND / 10 + 60 * SECOND);
    }

    private DhtSimulation.Node node(int i) {
        return sim.nodes().get(i);
    }

    private long nowMillis() {
        return Math.floorDiv(sim.now() + DhtSimulation.EPOCH_OFFSET_NANOS, 1_000_000L);
    }

    @SuppressWarnings("unchecked")
    private <T extends DhtEvent.QueryResult> T await(DhtSimulation.Node node, long query, Class<T> type) {
        long key = query * 100_000 + node.index();
        for (int i = 0; i < 120 && !results.containsKey(key); i++) {
            sim.runUntil(sim.now() + SECOND);
        }
        assertThat(results).as("query finished").containsKey(key);
        return (T) results.get(key);
    }

    /** What a claimant has after the commit step: its salt, work and the replicas' countersignatures. */
    private record Committed(String name, byte[] salt, long nonce, List<DhtMessage.Countersigned> countersigned,
            DhtEvent.CommitResult result) {}

    private Committed commit(DhtSimulation.Node claimant, String name) {
        byte[] salt = new byte[NameRecords.SALT_BYTES];
        salts.nextBytes(salt);
        byte[] commitment = NameRecords.commitment(name, claimant.identity().publicKey(), salt);
        long nonce = NamePow.solve(commitment, 0, rules);
        long q = sim.act(claimant, d -> d.commit(sim.now(), NameRecords.nameKey(name), commitment));
        DhtEvent.CommitResult r = await(claimant, q, DhtEvent.CommitResult.class);
        return new Committed(name, salt, nonce, r.countersignatures(), r);
    }

    private Record reveal(DhtSimulation.Node claimant, Committed c) {
        return NameClaims.firstClaim(c.name(), claimant.identity(), c.salt(), c.nonce(), c.countersigned(),
                NameClaims.Terms.soleOwner(claimant.identity(), Math.min(30 * DAY_MS, rules.maxLeaseMillis())), nowMillis(), rules);
    }

    private DhtEvent.PutResult put(DhtSimulation.Node from, Record r) {
        long q = sim.act(from, d -> d.put(sim.now(), r));
        return await(from, q, DhtEvent.PutResult.class);
    }

    private Record claim(DhtSimulation.Node claimant, String name) {
        Record r = reveal(claimant, commit(claimant, name));
        DhtEvent.PutResult p = put(claimant, r);
        assertThat(p.stored()).as("replicas that stored the claim; refusals: %s", p.refused()).isGreaterThanOrEqualTo(10);
        return r;
    }

    private DhtEvent.GetResult resolve(DhtSimulation.Node reader, String name) {
        long q = sim.act(reader, d -> d.get(sim.now(), NameRecords.nameKey(name), NameRecords.NAME));
        return await(reader, q, DhtEvent.GetResult.class);
    }

    private NameState state(Record r) {
        return new NameValidator(rules, (k, m, s) -> true).judge(r, nowMillis());
    }

    private NodeId ownerOf(DhtEvent.GetResult g) {
        return g.record() == null ? null : state(g.record()).owners().get(0);
    }

    private static NodeId hex(Identity id) {
        return id.id();
    }

    @Test
    void aClaimedNameResolvesFromAnotherNodeToItsOwnerWithAQuorumAgreeing() {
        cluster(40, 1);
        Committed c = commit(node(3), "irc");
        assertThat(c.countersigned()).hasSizeGreaterThanOrEqualTo(11);
        put(node(3), reveal(node(3), c));
        DhtEvent.GetResult g = resolve(node(30), "irc");
        assertThat(ownerOf(g)).isEqualTo(hex(node(3).identity()));
        assertThat(g.agreeing()).isGreaterThanOrEqualTo(3);
        assertThat(g.conflicting()).isZero();
    }

    @Test
    void replicasRefuseToCountersignOrStoreAClaimForAHeldName() {
        cluster(40, 2);
        claim(node(3), "chess");
        sim.runUntil(sim.now() + 61 * MINUTE); // past the reveal window: the claim is final
        Committed late = commit(node(7), "chess");
        assertThat(late.countersigned()).isEmpty();
        assertThat(late.result().refused()).isNotEmpty().allSatisfy(why -> assertThat(why).contains("is held"));
        // Even with countersignatures gathered before (here: from the claimant's own friends), storing fails.
        DhtEvent.PutResult put = put(node(7), reveal(node(7), new Committed("chess", late.salt(), late.nonce(),
                forgedCountersignatures(late, node(7).identity(), List.of(node(8), node(9), node(10))), late.result())));
        assertThat(put.stored()).isZero();
        assertThat(put.refused()).anySatisfy(why -> assertThat(why).contains("name held since"));
        assertThat(ownerOf(resolve(node(25), "chess"))).isEqualTo(hex(node(3).identity()));
    }

    private List<DhtMessage.Countersigned> forgedCountersignatures(Committed c, Identity claimant,
            List<DhtSimulation.Node> friends) {
        byte[] commitment = NameRecords.commitment(c.name(), claimant.publicKey(), c.salt());
        List<DhtMessage.Countersigned> out = new ArrayList<>();
        for (DhtSimulation.Node f : friends) {
            long at = nowMillis() - 59 * 60 * 1000L; // backdated as far as the reveal window lets it, to look first
            byte[] sig = f.identity().sign(net.barn.core.dht.Countersigning.signedBytes(NameRecords.nameKey(c.name()),
                    commitment, at));
            out.add(new DhtMessage.Countersigned(0, f.contact(), true, "", at, f.identity().publicKey(),
                    f.identity().powNonce(), sig));
        }
        return out;
    }

    @Test
    void anEarlierCommitmentWinsOverAClaimSeenInFlightAndRevealedFirst() {
        cluster(40, 3);
        Committed honest = commit(node(3), "go");
        Record honestClaim = reveal(node(3), honest);
        sim.runUntil(sim.now() + 5 * SECOND);
        // A front-runner sees the claim in flight, commits to the same name and gets its claim in first.
        Committed rival = commit(node(12), "go");
        assertThat(rival.countersigned()).hasSizeGreaterThanOrEqualTo(11); // nothing is held yet
        assertThat(put(node(12), reveal(node(12), rival)).stored()).isGreaterThanOrEqualTo(10);
        assertThat(put(node(3), honestClaim).stored()).as("the earlier commitment replaces the rival")
                .isGreaterThanOrEqualTo(10);
        assertThat(ownerOf(resolve(node(33), "go"))).isEqualTo(hex(node(3).identity()));
    }

    @Test
    void updatesNeedTheOwnersSignatureAndAHigherSequence() {
        cluster(40, 4);
        Record first = claim(node(3), "chat");
        Record renewed = NameClaims.update(state(first), NameClaims.renew(nowMillis(), 60 * DAY_MS), List.of(node(3).identity()),
                node(3).identity(), rules);
        assertThat(put(node(3), renewed).stored()).isGreaterThanOrEqualTo(10);
        // Someone else hands the name to himself, signing as if he were the owner: nobody stores it.
        Identity thief = node(11).identity();
        Record hijack = NameClaims.transfer(state(renewed), List.of(thief.id()), 1, List.of(thief), thief, rules);
        DhtEvent.PutResult refused = put(node(11), hijack);
        assertThat(refused.stored()).isZero();
        assertThat(refused.refused()).anySatisfy(why -> assertThat(why).contains("is not an owner"));
        // Replaying the older version is refused too.
        assertThat(put(node(11), first).refused()).anySatisfy(why -> assertThat(why).contains("holding a newer record"));
        DhtEvent.GetResult g = resolve(node(30), "chat");
        assertThat(g.record().sequence()).isEqualTo(2);
        assertThat(ownerOf(g)).isEqualTo(hex(node(3).identity()));
    }

    @Test
    void aTransferSignedByTheOwnerHandsTheNameOverForGood() {
        cluster(40, 5);
        Identity seller = node(3).identity();
        Identity buyer = node(20).identity();
        Record first = claim(node(3), "games");
        Record moved = NameClaims.transfer(state(first), List.of(buyer.id()), 1, List.of(seller), seller, rules);
        assertThat(put(node(3), moved).stored()).isGreaterThanOrEqualTo(10);
        assertThat(ownerOf(resolve(node(30), "games"))).isEqualTo(buyer.id());
        // The new owner renews; the former owner can no longer change anything.
        Record renewed = NameClaims.update(state(moved), NameClaims.renew(nowMillis(), 90 * DAY_MS), List.of(buyer), buyer, rules);
        assertThat(put(node(20), renewed).stored()).isGreaterThanOrEqualTo(10);
        Record takeBack = NameClaims.transfer(state(renewed), List.of(seller.id()), 1, List.of(seller), seller, rules);
        assertThat(put(node(3), takeBack).stored()).isZero();
        // A fork of the history from when the seller still owned it does not displace the transfer.
        Record fork = NameClaims.update(state(first), NameClaims.renew(nowMillis(), 100 * DAY_MS), List.of(seller), seller, rules);
        Record fork2 = NameClaims.update(state(fork), NameClaims.renew(nowMillis(), 100 * DAY_MS), List.of(seller), seller, rules);
        Record fork3 = NameClaims.update(state(fork2), NameClaims.renew(nowMillis(), 100 * DAY_MS), List.of(seller), seller, rules);
        assertThat(put(node(3), fork3).refused()).anySatisfy(why -> assertThat(why).contains("ownership history departs"));
        DhtEvent.GetResult g = resolve(node(33), "games");
        assertThat(ownerOf(g)).isEqualTo(buyer.id());
        assertThat(g.record().sequence()).isEqualTo(3);
    }

    @Test
    void kOfMOwnersMustSignAnUpdate() {
        cluster(40, 6);
        Identity a = node(3).identity();
        Identity b = node(4).identity();
        Identity c = node(5).identity();
        Committed cm = commit(node(3), "team");
        Record r = NameClaims.firstClaim("team", a, cm.salt(), cm.nonce(), cm.countersigned(),
                new NameClaims.Terms(List.of(a.id(), b.id(), c.id()), 2, net.barn.wire.names.NamePolicy.getDefaultInstance(),
                        30 * DAY_MS), nowMillis(), rules);
        assertThat(put(node(3), r).stored()).isGreaterThanOrEqualTo(10);
        Record byOne = NameClaims.update(state(r), NameClaims.renew(nowMillis(), 40 * DAY_MS), List.of(a), a, rules);
        DhtEvent.PutResult refused = put(node(3), byOne);
        assertThat(refused.stored()).isZero();
        assertThat(refused.refused()).anySatisfy(why -> assertThat(why).contains("signed by 1 of its owners, needs 2"));
        Record byTwo = NameClaims.update(state(r), NameClaims.renew(nowMillis(), 40 * DAY_MS), List.of(a, c), a, rules);
        assertThat(put(node(3), byTwo).stored()).isGreaterThanOrEqualTo(10);
        assertThat(resolve(node(30), "team").record().sequence()).isEqualTo(2);
        // The usual way: one owner proposes, the next co-signs and submits.
        Record proposal = NameClaims.update(state(byTwo), NameClaims.renew(nowMillis(), 50 * DAY_MS), List.of(a), a, rules);
        Record cosigned = NameRecords.cosign(proposal, b, 2);
        assertThat(put(node(4), cosigned).stored()).isGreaterThanOrEqualTo(10);
        // A transfer needs two of them on the handover, then two on the new version.
        Identity d = node(6).identity();
        Record moving = NameClaims.transfer(state(cosigned), List.of(d.id()), 1, List.of(a), a, rules);
        Record round1 = NameRecords.cosign(moving, c, 2);
        assertThat(put(node(5), round1).refused()).anySatisfy(why -> assertThat(why).contains("signed by 0 of its owners"));
        Record round2 = NameRecords.cosign(round1, a, 2);
        assertThat(put(node(3), round2).stored()).isGreaterThanOrEqualTo(10);
        assertThat(ownerOf(resolve(node(31), "team"))).isEqualTo(d.id());
    }

    @Test
    void aLapsedNameIsOnlyRenewableInItsGracePeriodAndFreeAfterIt() {
        rules = NameRules.forTests(PowParams.TEST).withTimes(DAY_MS, 2 * 3600 * 1000L, 3600 * 1000L);
        cluster(40, 7);
        Committed c = commit(node(3), "lapse");
        Record r = NameClaims.firstClaim("lapse", node(3).identity(), c.salt(), c.nonce(), c.countersigned(),
                NameClaims.Terms.soleOwner(node(3).identity(), 3600 * 1000L), nowMillis(), rules);
        assertThat(put(node(3), r).stored()).isGreaterThanOrEqualTo(10);
        sim.runUntil(sim.now() + 70 * MINUTE); // lease over, grace running
        assertThat(commit(node(9), "lapse").result().refused()).anySatisfy(why -> assertThat(why).contains("grace period"));
        sim.runUntil(sim.now() + 2 * 60 * MINUTE); // grace over: the record expired everywhere
        assertThat(resolve(node(30), "lapse").record()).isNull();
        claim(node(9), "lapse");
        assertThat(ownerOf(resolve(node(30), "lapse"))).isEqualTo(hex(node(9).identity()));
    }

    @Test
    void aReaderSidesWithTheReplicaMajorityWhenSomeReplicasLie() {
        cluster(60, 8);
        Record real = claim(node(3), "news");
        Key key = NameRecords.nameKey("news");
        // A rival lineage, valid on its own (countersigned by the liars themselves), served by five replicas.
        List<DhtSimulation.Node> byDistance = new ArrayList<>(sim.nodes());
        byDistance.sort((x, y) -> key.compareDistance(Key.of(x.id()), Key.of(y.id())));
        List<DhtSimulation.Node> liars = byDistance.subList(1, 6);
        Committed fake = new Committed("news", new byte[16], 0, List.of(), null);
        byte[] commitment = NameRecords.commitment("news", liars.get(0).identity().publicKey(), fake.salt());
        long nonce = NamePow.solve(commitment, 0, rules);
        List<DhtMessage.Countersigned> sigs = forgedCountersignatures(fake, liars.get(0).identity(), liars.subList(1, 5));
        Record forged = NameClaims.firstClaim("news", liars.get(0).identity(), fake.salt(), nonce, sigs,
                NameClaims.Terms.soleOwner(liars.get(0).identity(), 30 * DAY_MS), nowMillis(), rules);
        assertThat(new NameValidator(rules, (k, m, s) -> true).judge(forged, nowMillis()).owners())
                .containsExactly(hex(liars.get(0).identity()));
        sim.intercept((from, m) -> liars.contains(from) && m instanceof DhtMessage.Value v && v.record() != null && v.record().key().equals(key)
                ? new DhtMessage.Value(v.id(), v.sender(), forged, v.contacts()) : m);
        DhtEvent.GetResult g = resolve(node(50), "news");
        assertThat(ownerOf(g)).isEqualTo(hex(node(3).identity()));
        assertThat(g.record()).as("resolved %s, claimed %s", g.record(), real).matches(real::sameAs);
        assertThat(g.conflicting()).isPositive();
    }

    private Record membership(DhtSimulation.Node member, String ns, net.barn.wire.names.Invitation invitation) {
        return net.barn.core.namespace.MemberRecords.member(member.identity(), ns, member.contact().address().toString(),
                invitation, false, nowMillis(), 3600 * 1000L);
    }

    @Test
    void membersOfANamespaceFindEachOtherThroughTheRootNetwork() {
        cluster(60, 9);
        DhtEvent.PutResult unclaimed = put(node(10), membership(node(10), "chess", null));
        assertThat(unclaimed.stored()).isZero(); // namespace networks are for claimed names
        assertThat(unclaimed.refused()).anySatisfy(why -> assertThat(why).contains("is not claimed"));
        claim(node(3), "chess");
        for (int i = 10; i < 15; i++) {
            assertThat(put(node(i), membership(node(i), "chess", null)).stored()).isGreaterThanOrEqualTo(10);
        }
        long q = sim.act(node(40), d -> d.get(sim.now(), NameRecords.nameKey("chess"), net.barn.core.namespace.MemberRecords.MEMBER));
        DhtEvent.GetResult g = await(node(40), q, DhtEvent.GetResult.class);
        assertThat(g.records()).extracting(r -> NodeId.ofPublicKey(r.publisherKey()))
                .containsExactlyInAnyOrder(node(10).id(), node(11).id(), node(12).id(), node(13).id(), node(14).id());
        // A member republishing replaces its own listing, not another's.
        sim.runUntil(sim.now() + SECOND);
        assertThat(put(node(10), membership(node(10), "chess", null)).stored()).isGreaterThanOrEqualTo(10);
        q = sim.act(node(41), d -> d.get(sim.now(), NameRecords.nameKey("chess"), net.barn.core.namespace.MemberRecords.MEMBER));
        assertThat(await(node(41), q, DhtEvent.GetResult.class).records()).hasSize(5);
    }

    @Test
    void anInviteOnlyNamespaceListsOnlyMembersWithAnOwnersInvitation() {
        cluster(60, 10);
        Committed c = commit(node(3), "club");
        Record claim = NameClaims.firstClaim("club", node(3).identity(), c.salt(), c.nonce(), c.countersigned(),
                new NameClaims.Terms(List.of(node(3).id()), 1, net.barn.wire.names.NamePolicy.newBuilder()
                        .setMembership(net.barn.wire.names.NamePolicy.Membership.INVITE_ONLY).build(), 30 * DAY_MS), nowMillis(), rules);
        assertThat(put(node(3), claim).stored()).isGreaterThanOrEqualTo(10);
        DhtEvent.PutResult uninvited = put(node(20), membership(node(20), "club", null));
        assertThat(uninvited.stored()).isZero();
        assertThat(uninvited.refused()).anySatisfy(why -> assertThat(why).contains("is invite-only and this membership has no invitation"));
        var byStranger = net.barn.core.namespace.MemberRecords.invite("club", node(21).id(), nowMillis() + DAY_MS, node(22).identity());
        assertThat(put(node(21), membership(node(21), "club", byStranger)).refused())
                .anySatisfy(why -> assertThat(why).contains("neither an owner nor a delegate"));
        var byOwner = net.barn.core.namespace.MemberRecords.invite("club", node(21).id(), nowMillis() + DAY_MS, node(3).identity());
        assertThat(put(node(21), membership(node(21), "club", byOwner)).stored()).isGreaterThanOrEqualTo(10);
        var expired = net.barn.core.namespace.MemberRecords.invite("club", node(23).id(), nowMillis() - 1, node(3).identity());
        assertThat(put(node(23), membership(node(23), "club", expired)).refused()).anySatisfy(why -> assertThat(why).contains("invitation expired"));
    }

    private Record subName(DhtSimulation.Node registrant, String full, Record parent) {
        return net.barn.core.namespace.SubNames.register(registrant.identity(), full, registrant.id(), 6667, "", parent,
                nowMillis(), 7 * DAY_MS);
    }

    @Test
    void subNamesAreFirstComeInAnOpenNamespaceAndForOwnersAndDelegatesInAClosedOne() {
        cluster(60, 11);
        Record irc = claim(node(3), "irc");
        DhtEvent.PutResult first = put(node(10), subName(node(10), "irc/#barn", irc));
        assertThat(first.stored()).isGreaterThanOrEqualTo(10);
        DhtEvent.PutResult second = put(node(11), subName(node(11), "irc/#barn", irc));
        // Replicas that hold the first registration refuse the second; a few at the edge of the
        // replica set that the first did not reach may take it, and readers side with the majority.
        assertThat(second.stored()).isLessThan(first.stored() / 4);
        assertThat(second.refused()).anySatisfy(why -> assertThat(why).contains("sub-name held by"));
        long q = sim.act(node(40), d -> d.get(sim.now(), net.barn.core.namespace.SubNames.key("irc/#barn"),
                net.barn.core.namespace.SubNames.SUBNAME));
        DhtEvent.GetResult g = await(node(40), q, DhtEvent.GetResult.class);
        assertThat(NodeId.ofPublicKey(g.record().publisherKey())).isEqualTo(node(10).id());
        assertThat(net.barn.core.namespace.SubNames.value(g.record()).getPort()).isEqualTo(6667);

        Committed c = commit(node(3), "corp");
        Record corp = NameClaims.firstClaim("corp", node(3).identity(), c.salt(), c.nonce(), c.countersigned(),
                new NameClaims.Terms(List.of(node(3).id()), 1, net.barn.wire.names.NamePolicy.newBuilder()
                        .setSubNames(net.barn.wire.names.NamePolicy.SubNames.OWNERS)
                        .addDelegations(net.barn.wire.names.Delegation.newBuilder().setPrefix("#ops")
                                .setDelegate(com.google.protobuf.ByteString.copyFrom(node(12).id().toBytes())))
                        .build(), 30 * DAY_MS), nowMillis(), rules);
        assertThat(put(node(3), corp).stored()).isGreaterThanOrEqualTo(10);
        assertThat(put(node(13), subName(node(13), "corp/@bob", corp)).refused())
                .anySatisfy(why -> assertThat(why).contains("only owners and delegates create sub-names"));
        assertThat(put(node(12), subName(node(12), "corp/@eve", corp)).stored()).as("a delegate outside its label").isZero();
        assertThat(put(node(12), subName(node(12), "corp/#ops", corp)).stored()).isGreaterThanOrEqualTo(10);
        assertThat(put(node(3), subName(node(3), "corp/@alice", corp)).stored()).isGreaterThanOrEqualTo(10);
    }
}
