package net.barn.core.maze;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.barn.core.crypto.Ed25519;
import net.barn.core.crypto.X25519;
import net.barn.core.identity.NodeId;

/**
 * A private maze: the application's messages readable by the current members only and
 * unforgeable by any of them, over a {@link Maze} created private. Each member seals what it
 * sends with its own sending key (ChaCha20-Poly1305) and signs it with its identity key
 * (Ed25519); sending keys travel sealed to each member's X25519 key ({@link PrivateKeys}).
 * A member's key moves one ratchet step when a member is added (the newcomer gets the new
 * step and cannot derive earlier ones) and is replaced by a fresh one when a member leaves
 * or fails (the one gone never gets it). Keys and Hellos are themselves maze messages, so
 * they arrive exactly once and before the messages sealed with them. docs/PROTOCOL.md 13.10.
 *
 * <p>The driver feeds the {@link Maze} ({@link #maze()}) with messages and link reports as
 * for any maze, and calls {@link #send}, {@link #handleTimeout}, {@link #pollEvent} and
 * {@link #pollTimeout} here instead of on the maze. Sans-IO: time and randomness come in.
 */
public final class PrivateMaze implements MazeEndpoint {
    static final long SECOND = 1_000_000_000L;
    /** A message waits this long for its sender's key before it is reported lost. */
    static final long KEY_WAIT_NANOS = 30 * SECOND;
    static final int PENDING_MESSAGES = 256;
    static final long PENDING_BYTES = 1L << 20;
    /** A sealed message may sit this many ratchet steps ahead of the key a member holds, at most. */
    static final int MAX_STEPS_AHEAD = 4096;
    /** Generations of one sender's key kept, for messages sealed just before it changed. */
    static final int GENERATIONS_KEPT = 3;

    private final Maze maze;
    private final String name;
    private final NodeId self;
    private final net.barn.core.crypto.Signer signer;
    private final SecureRandom random;
    private final X25519.KeyPair box;
    private final byte[] helloSignature;

    private int generation = 1;
    private int step;
    private byte[] key;
    private long counter;

    private final Map<NodeId, Member> members = new HashMap<>();
    /** Members that need this member's current key. */
    private final Set<NodeId> needShare = new LinkedHashSet<>();
    private boolean helloAsked;
    private long nextHello = Long.MIN_VALUE;
    private long nextTick = Long.MAX_VALUE;
    /** The time of the latest input: events polled after it happened then. */
    private long now;
    private final ArrayDeque<MazeEvent> events = new ArrayDeque<>();

    private long sealedDelivered;
    private long droppedUnsealed;
    private long droppedForged;
    private long droppedReplayed;
    private long lostWaitingForKey;
    private long rekeys;
    private long keySharesSent;

    /** What this member knows of another. */
    private static final class Member {
        byte[] identityKey;
        byte[] boxKey;
        /** generation -> the lowest step held and its key */
        final Map<Integer, byte[]> keys = new HashMap<>();
        final Map<Integer, Integer> keySteps = new HashMap<>();
        long lastCounter = -1;
        final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
        long waitingBytes;
        long lastShareAt = Long.MIN_VALUE;
    }

    /** A sealed message waiting for its key, or ({@code sealed} null) a gap {@code seq..last} reported meanwhile. */
    private record Waiting(long seq, long last, PrivateKeys.Sealed sealed, long since) {}

    public PrivateMaze(Maze maze, net.barn.core.crypto.Signer signer, SecureRandom random) {
        if (!maze.isPrivate()) {
            throw new IllegalArgumentException("a private maze runs over a Maze created private");
        }
        this.maze = maze;
        this.name = maze.name();
        this.self = maze.self();
        if (!NodeId.ofPublicKey(signer.publicKey()).equals(self)) {
            throw new IllegalArgumentException("the signer's key is not this node's");
        }
        this.signer = signer;
        this.random = random;
        this.box = X25519.generate(random);
        this.helloSignature = signer.sign(PrivateKeys.helloSigned(name, box.publicKey()));
        this.key = freshKey();
    }

    public Maze maze() {
        return maze;
    }

    @Override
    public void join(long now, List<NodeId> knownMembers) {
        this.now = now;
        maze.join(now, knownMembers);
    }

    @Override
    public void leave(long now) {
        this.now = now;
        maze.leave(now);
        nextTick = Long.MAX_VALUE;
    }

    @Override
    public void handleMessage(long now, NodeId from, MazeMessage m) {
        this.now = now;
        maze.handleMessage(now, from, m);
    }

    @Override
    public void handleLinkDown(long now, NodeId peer) {
        this.now = now;
        maze.handleLinkDown(now, peer);
    }

    @Override
    public Maze.Transmit pollTransmit() {
        return maze.pollTransmit();
    }

    /** Seals and sends {@code plaintext} to every member; returns its sequence number in this member's stream. */
    @Override
    public long send(long now, byte[] plaintext) {
        this.now = now;
        if (plaintext.length > maxPlaintext(maze)) {
            throw new IllegalArgumentException("payload of " + plaintext.length + " bytes, limit " + maxPlaintext(maze)
                    + " in a private maze");
        }
        counter++;
        byte[] ciphertext = PrivateKeys.seal(key, PrivateKeys.dataNonce(counter),
                PrivateKeys.dataAad(name, self, generation, step, counter), plaintext);
        byte[] signature = signer.sign(PrivateKeys.dataSigned(name, self, generation, step, counter, ciphertext));
        return maze.send(now, PrivateKeys.encode(new PrivateKeys.Sealed(generation, step, counter, ciphertext, signature)));
    }

    @Override
    public int maxPayload() {
        return maxPlaintext(maze);
    }

    /** The largest application payload a private maze over {@code maze} takes. */
    public static int maxPlaintext(Maze maze) {
        return maze.maxPayloadBytes() - PrivateKeys.SEALED_OVERHEAD;
    }

    @Override
    public void handleTimeout(long now) {
        this.now = now;
        maze.handleTimeout(now);
        if (now >= nextTick) {
            tick(now);
        }
    }

    @Override
    public long pollTimeout() {
        return Math.min(maze.pollTimeout(), nextTick);
    }

    /** The next event: the maze's, with sealed messages opened (or reported lost) and key traffic kept inside. */
    @Override
    public MazeEvent pollEvent() {
        while (events.isEmpty()) {
            MazeEvent e = maze.pollEvent();
            if (e == null) {
                return null;
            }
            onMazeEvent(e);
        }
        return events.poll();
    }

    // ---------------------------------------------------------------- events from the maze

    private void onMazeEvent(MazeEvent e) {
        switch (e) {
            case MazeEvent.Delivered d -> onDelivered(now, d);
            case MazeEvent.Joined j -> {
                nextTick = now + SECOND;
                sendHello(now);
                events.add(e);
            }
            case MazeEvent.MemberJoined j -> {
                members.computeIfAbsent(j.member(), x -> new Member());
                // The newcomer gets the next step: it cannot derive the keys of messages sent before it came.
                ratchetOwn();
                needShare.add(j.member());
                flushShares(now);
                events.add(e);
            }
            case MazeEvent.MemberLeft l -> {
                gone(now, l.member());
                events.add(e);
            }
            case MazeEvent.MemberFailed f -> {
                gone(now, f.member());
                events.add(e);
            }
            case MazeEvent.Lost l -> {
                Member m = members.get(l.sender());
                if (m != null && !m.waiting.isEmpty()) {
                    // keep the sender's order: messages waiting for a key come before this gap
                    m.waiting.add(new Waiting(l.first(), l.last(), null, now));
                } else {
                    events.add(e);
                }
            }
            case MazeEvent.JoinRefused r -> {
                nextTick = Long.MAX_VALUE;
                events.add(e);
            }
            case MazeEvent.LinkSuspect s -> events.add(e);
            case MazeEvent.LinkRestored r -> events.add(e);
        }
    }

    /** A member left or failed: it must not read what follows, so this member's key is replaced. */
    private void gone(long now, NodeId who) {
        Member m = members.remove(who);
        needShare.remove(who);
        if (m != null) {
            lostWaitingForKey += m.waiting.size();
        }
        generation++;
        step = 0;
        key = freshKey();
        rekeys++;
        needShare.clear();
        for (NodeId p : maze.members()) {
            if (!p.equals(self)) {
                needShare.add(p);
            }
        }
        flushShares(now);
    }

    private void onDelivered(long now, MazeEvent.Delivered d) {
        Member from = members.computeIfAbsent(d.sender(), x -> new Member());
        PrivateKeys.Payload p;
        try {
            p = PrivateKeys.decode(d.payload());
        } catch (PrivateKeys.BadPayload ex) {
            droppedUnsealed++;
            events.add(new MazeEvent.Lost(d.sender(), d.seq(), d.seq()));
            return;
        }
        switch (p) {
            case PrivateKeys.Hello h -> onHello(now, d.sender(), from, h);
            case PrivateKeys.KeyShare k -> onKeyShare(now, d.sender(), from, k);
            case PrivateKeys.Sealed s -> {
                if (!from.waiting.isEmpty() || !canOpen(from, s)) {
                    hold(now, d.sender(), from, d.seq(), s);
                } else {
                    open(d.sender(), from, d.seq(), s);
                }
            }
        }
    }

    private void onHello(long now, NodeId sender, Member from, PrivateKeys.Hello h) {
        if (!NodeId.ofPublicKey(h.identityKey()).equals(sender)
                || !Ed25519.verify(h.identityKey(), PrivateKeys.helloSigned(name, h.boxKey()), h.signature())) {
            droppedForged++;
            return;
        }
        try {
            X25519.agree(box.privateKey(), h.boxKey()); // a low-order key would fail every share sealed to it
        } catch (GeneralSecurityException ex) {
            droppedForged++;
            return;
        }
        if (from.boxKey != null && !Arrays.equals(from.boxKey, h.boxKey())) {
            // A new box key is a new incarnation of the sender: what it had is void.
            from.keys.clear();
            from.keySteps.clear();
            from.lastCounter = -1;
            needShare.add(sender);
        }
        if (from.boxKey == null) {
            needShare.add(sender);
        }
        from.identityKey = h.identityKey();
        from.boxKey = h.boxKey();
        if (h.wantHello().contains(self)) {
            helloAsked = true;
        }
        for (PrivateKeys.KeyWant w : h.wantKeys()) {
            if (w.member().equals(self) && w.generation() <= generation && now - from.lastShareAt >= SECOND) {
                needShare.add(sender);
            }
        }
        flushShares(now);
    }

    private void onKeyShare(long now, NodeId sender, Member from, PrivateKeys.KeyShare k) {
        if (!NodeId.ofPublicKey(k.identityKey()).equals(sender)
                || !Ed25519.verify(k.identityKey(), PrivateKeys.keysSigned(name, k), k.signature())) {
            droppedForged++;
            return;
        }
        from.identityKey = k.identityKey();
        for (PrivateKeys.SealedKey s : k.keys()) {
            if (!s.member().equals(self)) {
                continue;
            }
            byte[] opened;
            try {
                opened = PrivateKeys.openShare(box.privateKey(), k.ephemeral(), name, sender, self, k.generation(), k.step(),
                        s.sealed());
            } catch (GeneralSecurityException ex) {
                droppedForged++;
                return;
            }
            Integer heldStep = from.keySteps.get(k.generation());
            if (heldStep == null || k.step() < heldStep) {
                from.keys.put(k.generation(), opened);
                from.keySteps.put(k.generation(), k.step());
                while (from.keys.size() > GENERATIONS_KEPT) {
                    int oldest = from.keys.keySet().stream().min(Integer::compare).orElseThrow();
                    from.keys.remove(oldest);
                    from.keySteps.remove(oldest);
                }
            }
        }
        release(now, sender, from);
    }

    private boolean canOpen(Member from, PrivateKeys.Sealed s) {
        Integer held = from.keySteps.get(s.generation());
        return from.identityKey != null && held != null && held <= s.step();
    }

    /**
     * Whether no key for the message can come any more: the sender moved on to a later
     * generation, or the step is before the one this member was given (sent before it came).
     */
    private static boolean stale(Member from, PrivateKeys.Sealed s) {
        Integer held = from.keySteps.get(s.generation());
        if (held != null) {
            return held > s.step();
        }
        return !from.keys.isEmpty() && from.keys.keySet().stream().allMatch(g -> g > s.generation());
    }

    private void hold(long now, NodeId sender, Member from, long seq, PrivateKeys.Sealed s) {
        if (from.waiting.isEmpty() && stale(from, s)) {
            lost(sender, seq);
            return;
        }
        if (from.waiting.size() >= PENDING_MESSAGES || from.waitingBytes + s.ciphertext().length > PENDING_BYTES) {
            lost(sender, seq);
            return;
        }
        from.waiting.add(new Waiting(seq, seq, s, now));
        from.waitingBytes += s.ciphertext().length;
        if (nextTick == Long.MAX_VALUE) {
            nextTick = now + SECOND;
        }
    }

    /** Opens what waited for a key, in order, up to the first message that still cannot be opened. */
    private void release(long now, NodeId sender, Member from) {
        while (!from.waiting.isEmpty()) {
            Waiting w = from.waiting.peek();
            if (w.sealed() == null) {
                from.waiting.poll();
                events.add(new MazeEvent.Lost(sender, w.seq(), w.last()));
                continue;
            }
            boolean expired = now - w.since() >= KEY_WAIT_NANOS;
            if (!canOpen(from, w.sealed()) && !expired && !stale(from, w.sealed())) {
                return;
            }
            from.waiting.poll();
            from.waitingBytes -= w.sealed().ciphertext().length;
            if (canOpen(from, w.sealed())) {
                open(sender, from, w.seq(), w.sealed());
            } else {
                lost(sender, w.seq());
            }
        }
    }

    private void open(NodeId sender, Member from, long seq, PrivateKeys.Sealed s) {
        if (s.counter() <= from.lastCounter) {
            droppedReplayed++; // a member repeated an old sealed message under a new sequence number
            lost(sender, seq);
            return;
        }
        if (!Ed25519.verify(from.identityKey, PrivateKeys.dataSigned(name, sender, s.generation(), s.step(), s.counter(),
                s.ciphertext()), s.signature())) {
            droppedForged++;
            lost(sender, seq);
            return;
        }
        int held = from.keySteps.get(s.generation());
        if (s.step() - held > MAX_STEPS_AHEAD) {
            droppedForged++;
            lost(sender, seq);
            return;
        }
        byte[] k = from.keys.get(s.generation());
        for (int i = held; i < s.step(); i++) {
            k = PrivateKeys.ratchet(k);
        }
        byte[] plaintext;
        try {
            plaintext = PrivateKeys.open(k, PrivateKeys.dataNonce(s.counter()),
                    PrivateKeys.dataAad(name, sender, s.generation(), s.step(), s.counter()), s.ciphertext());
        } catch (GeneralSecurityException ex) {
            droppedForged++;
            lost(sender, seq);
            return;
        }
        from.lastCounter = s.counter();
        if (s.step() > held) {
            // A sender's steps only grow within a generation, and its messages arrive in order:
            // later messages never need the earlier step, so keep the one reached.
            from.keys.put(s.generation(), k);
            from.keySteps.put(s.generation(), s.step());
        }
        sealedDelivered++;
        events.add(new MazeEvent.Delivered(sender, seq, plaintext));
    }

    private void lost(NodeId sender, long seq) {
        lostWaitingForKey++;
        events.add(new MazeEvent.Lost(sender, seq, seq));
    }

    // ---------------------------------------------------------------- keys going out

    private byte[] freshKey() {
        byte[] k = new byte[32];
        random.nextBytes(k);
        return k;
    }

    private void ratchetOwn() {
        key = PrivateKeys.ratchet(key);
        step++;
        rekeys++;
    }

    /** Sends the current key to every member that needs it and whose box key is known. */
    private void flushShares(long now) {
        if (needShare.isEmpty() || !isMember()) {
            return;
        }
        List<NodeId> ready = new ArrayList<>();
        for (NodeId id : needShare) {
            Member m = members.get(id);
            if (m != null && m.boxKey != null && maze.members().contains(id)) {
                ready.add(id);
            }
        }
        for (int i = 0; i < ready.size(); i += PrivateKeys.MAX_KEYS) {
            List<NodeId> chunk = ready.subList(i, Math.min(ready.size(), i + PrivateKeys.MAX_KEYS));
            X25519.KeyPair eph = X25519.generate(random);
            List<PrivateKeys.SealedKey> keys = new ArrayList<>();
            for (NodeId to : chunk) {
                keys.add(new PrivateKeys.SealedKey(to, PrivateKeys.sealShare(eph.privateKey(), members.get(to).boxKey, name, self, to,
                        generation, step, key)));
                members.get(to).lastShareAt = now;
            }
            PrivateKeys.KeyShare unsigned = new PrivateKeys.KeyShare(signer.publicKey(), generation, step, eph.publicKey(), keys,
                    new byte[Ed25519.SIGNATURE_LENGTH]);
            byte[] sig = signer.sign(PrivateKeys.keysSigned(name, unsigned));
            maze.send(now, PrivateKeys.encode(new PrivateKeys.KeyShare(signer.publicKey(), generation, step, eph.publicKey(),
                    keys, sig)));
            keySharesSent++;
        }
        ready.forEach(needShare::remove);
    }

    private boolean isMember() {
        return !maze.members().isEmpty();
    }

    private void sendHello(long now) {
        Set<NodeId> wantHello = new LinkedHashSet<>();
        List<PrivateKeys.KeyWant> wantKeys = new ArrayList<>();
        for (NodeId id : needShare) {
            Member m = members.get(id);
            if (m == null || m.boxKey == null) {
                wantHello.add(id);
            }
        }
        members.forEach((id, m) -> {
            Waiting w = m.waiting.peek();
            if (w != null && w.sealed() != null) {
                if (m.identityKey == null) {
                    wantHello.add(id);
                }
                if (wantKeys.size() < PrivateKeys.MAX_WANTS) {
                    wantKeys.add(new PrivateKeys.KeyWant(id, w.sealed().generation()));
                }
            }
        });
        List<NodeId> hello = new ArrayList<>(wantHello).subList(0, Math.min(wantHello.size(), PrivateKeys.MAX_WANTS));
        maze.send(now, PrivateKeys.encode(new PrivateKeys.Hello(signer.publicKey(), box.publicKey(), helloSignature, hello,
                wantKeys)));
        helloAsked = false;
        nextHello = now + SECOND;
    }

    /** Once a second: expire what waited too long, ask for what is missing, answer who asked. */
    private void tick(long now) {
        nextTick = now + SECOND;
        if (!isMember()) {
            return;
        }
        members.forEach((id, m) -> release(now, id, m));
        boolean missing = members.values().stream().anyMatch(m -> !m.waiting.isEmpty())
                || needShare.stream().anyMatch(id -> members.get(id) == null || members.get(id).boxKey == null);
        if ((missing || helloAsked) && now >= nextHello) {
            sendHello(now);
        }
        flushShares(now);
        // Nothing bounded may outlive its member.
        Set<NodeId> view = new HashSet<>(maze.members());
        members.keySet().removeIf(id -> !view.contains(id));
        needShare.removeIf(id -> !view.contains(id));
    }

    /**
     * Whether any key this member holds for {@code sender}, ratcheted up to 64 steps, opens
     * {@code payload} (a Sealed): what a member that kept its keys could read. For tests.
     */
    boolean opens(NodeId sender, byte[] payload) {
        Member from = members.get(sender);
        PrivateKeys.Sealed s;
        try {
            if (from == null || !(PrivateKeys.decode(payload) instanceof PrivateKeys.Sealed sealed)) {
                return false;
            }
            s = sealed;
        } catch (PrivateKeys.BadPayload e) {
            return false;
        }
        byte[] aad = PrivateKeys.dataAad(name, sender, s.generation(), s.step(), s.counter());
        for (byte[] held : from.keys.values()) {
            byte[] k = held;
            for (int i = 0; i <= 64; i++, k = PrivateKeys.ratchet(k)) {
                try {
                    PrivateKeys.open(k, PrivateKeys.dataNonce(s.counter()), aad, s.ciphertext());
                    return true;
                } catch (GeneralSecurityException e) {
                    // not this one
                }
            }
        }
        return false;
    }

    /** The key this member holds for {@code sender}'s (generation, step), or null. For tests. */
    byte[] heldKey(NodeId sender, int generation, int step) {
        Member from = members.get(sender);
        Integer held = from == null ? null : from.keySteps.get(generation);
        if (held == null || held > step) {
            return null;
        }
        byte[] k = from.keys.get(generation);
        for (int i = held; i < step; i++) {
            k = PrivateKeys.ratchet(k);
        }
        return k;
    }

    // ---------------------------------------------------------------- counters

    /** Application messages opened and delivered. */
    public long sealedDelivered() {
        return sealedDelivered;
    }

    /** Payloads that were not private-maze payloads (a member in the wrong mode, or garbage). */
    public long droppedUnsealed() {
        return droppedUnsealed;
    }

    /** Hellos, key shares and messages whose signature or seal failed: forged or altered by a member. */
    public long droppedForged() {
        return droppedForged;
    }

    /** Sealed messages repeated under a new sequence number. */
    public long droppedReplayed() {
        return droppedReplayed;
    }

    /** Messages reported lost because they could not be opened. */
    public long lostWaitingForKey() {
        return lostWaitingForKey;
    }

    /** Times this member's sending key changed (ratchet steps and fresh keys). */
    public long rekeys() {
        return rekeys;
    }

    public long keySharesSent() {
        return keySharesSent;
    }

    /** This member's current key position, for tests and status. */
    public int generation() {
        return generation;
    }

    public int step() {
        return step;
    }
}
