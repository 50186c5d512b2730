package net.barn.daemon.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import net.barn.core.trust.beacon.Bls;
import net.barn.core.trust.beacon.BlsSecretKey;
import net.barn.core.trust.beacon.Checked;
import net.barn.core.trust.beacon.PresenceTicket;

/**
 * The node's BLS key for the random beacon, {@code beacon.key} in the data directory: created
 * once with owner-only permissions, never overwritten, refused with a clear message when
 * unreadable, corrupt or readable by others.
 *
 * <pre>
 * barn-beacon-key-v1
 * secret: &lt;base64 of the 32-byte big-endian scalar&gt;
 * </pre>
 *
 * <p>Beside it, {@code beacon.ticket}: the node's newest presence ticket (PROTOCOL 17.5), the
 * 104 bytes of its encoding, replaced atomically on each new one, so that a restarted node
 * publishes it again and stays eligible for committees instead of waiting for the next epoch.
 */
public final class BeaconKeyStore {
    public static final String FILE_NAME = "beacon.key";
    public static final String TICKET_FILE = "beacon.ticket";
    /** The tickets a node keeps for placement periods (PROTOCOL 11.8): 104 bytes each, oldest first. */
    public static final String TICKETS_FILE = "beacon.tickets";
    /** Tickets kept in {@link #TICKETS_FILE} at most. */
    public static final int TICKETS_KEPT = 64;
    private static final String HEADER = "barn-beacon-key-v1";

    private BeaconKeyStore() {}

    /** Loads the key in {@code dir}, or generates and stores one. */
    public static BlsSecretKey loadOrCreate(Path dir, SecureRandom entropy) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return load(file);
        }
        BlsSecretKey fresh = Bls.generate(entropy);
        try {
            AtomicFiles.createNew(file, (HEADER + "\nsecret: " + Base64.getEncoder().encodeToString(fresh.toBytes()) + "\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return fresh;
        } catch (FileAlreadyExistsException raced) {
            return load(file);
        }
    }

    static BlsSecretKey load(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read beacon key " + file + " (missing or no permission)");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
            throw new IOException("beacon key " + file + " is readable by others; run: chmod 600 " + file);
        }
        String[] lines = new String(Files.readAllBytes(file), StandardCharsets.US_ASCII).split("\n");
        if (lines.length < 2 || !lines[0].equals(HEADER) || !lines[1].startsWith("secret: ")) {
            throw new IOException("beacon key " + file + " is not a " + HEADER + " file");
        }
        byte[] secret;
        try {
            secret = Base64.getDecoder().decode(lines[1].substring("secret: ".length()).trim());
        } catch (IllegalArgumentException e) {
            throw new IOException("beacon key " + file + " has a secret that is not base64");
        }
        Checked<BlsSecretKey> key = BlsSecretKey.decode(secret);
        if (!key.isValid()) {
            throw new IOException("beacon key " + file + ": " + key.reason());
        }
        return key.orElseThrow();
    }

    /** Keeps {@code ticket} in {@code dir}, replacing the one there (write, fsync, rename). */
    public static void saveTicket(Path dir, PresenceTicket ticket) throws IOException {
        AtomicFiles.replace(dir.resolve(TICKET_FILE), ticket.encode());
    }

    /** The ticket kept in {@code dir}, or why there is none usable (absent, unreadable, malformed). */
    public static Checked<PresenceTicket> loadTicket(Path dir) {
        Path file = dir.resolve(TICKET_FILE);
        if (!Files.exists(file)) {
            return Checked.invalid("no presence ticket kept yet");
        }
        try {
            return switch (PresenceTicket.decode(Files.readAllBytes(file))) {
                case Checked.Valid<PresenceTicket> v -> v;
                case Checked.Invalid<PresenceTicket> i -> Checked.invalid(file + ": " + i.reason());
            };
        } catch (IOException e) {
            return Checked.invalid("cannot read " + file + ": " + e.getMessage());
        }
    }

    /** Keeps the newest {@link #TICKETS_KEPT} of {@code tickets} (oldest first) in {@code dir}, replacing the file there. */
    public static void saveTickets(Path dir, java.util.Collection<PresenceTicket> tickets) throws IOException {
        java.util.List<PresenceTicket> all = new java.util.ArrayList<>(tickets);
        java.util.List<PresenceTicket> kept = all.subList(Math.max(0, all.size() - TICKETS_KEPT), all.size());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(kept.size() * PresenceTicket.BYTES);
        for (PresenceTicket t : kept) {
            out.writeBytes(t.encode());
        }
        AtomicFiles.replace(dir.resolve(TICKETS_FILE), out.toByteArray());
    }

    /** The tickets kept in {@code dir} (empty if none), or why the file is unusable. */
    public static Checked<java.util.List<PresenceTicket>> loadTickets(Path dir) {
        Path file = dir.resolve(TICKETS_FILE);
        if (!Files.exists(file)) {
            return Checked.valid(java.util.List.of());
        }
        try {
            byte[] all = Files.readAllBytes(file);
            if (all.length % PresenceTicket.BYTES != 0 || all.length > TICKETS_KEPT * PresenceTicket.BYTES) {
                return Checked.invalid(file + ": " + all.length + " bytes, not a list of at most " + TICKETS_KEPT + " tickets");
            }
            java.util.List<PresenceTicket> out = new java.util.ArrayList<>();
            for (int at = 0; at < all.length; at += PresenceTicket.BYTES) {
                switch (PresenceTicket.decode(java.util.Arrays.copyOfRange(all, at, at + PresenceTicket.BYTES))) {
                    case Checked.Valid<PresenceTicket> v -> out.add(v.value());
                    case Checked.Invalid<PresenceTicket> i -> {
                        return Checked.invalid(file + ": ticket " + (at / PresenceTicket.BYTES + 1) + ": " + i.reason());
                    }
                }
            }
            return Checked.valid(out);
        } catch (IOException e) {
            return Checked.invalid("cannot read " + file + ": " + e.getMessage());
        }
    }
}
