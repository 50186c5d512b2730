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
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;

/**
 * The node's identity key file, {@code identity.key} in the data directory: created once with
 * owner-only permissions, never overwritten, refused with a clear message when unreadable,
 * corrupt, or readable by others.
 *
 * <pre>
 * barn-identity-v1
 * seed: &lt;base64 of the 32-byte Ed25519 seed&gt;
 * pow-nonce: &lt;decimal dynamic-puzzle nonce&gt;
 * </pre>
 */
public final class IdentityStore {
    public static final String FILE_NAME = "identity.key";
    private static final String HEADER = "barn-identity-v1";

    private IdentityStore() {}

    /** Loads the identity, or generates and stores one if the data directory has none. */
    public static Identity loadOrCreate(DataDir dir, PowParams pow, SecureRandom entropy) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        if (Files.exists(file)) {
            return load(file, pow);
        }
        Identity fresh = Identity.generate(entropy, pow);
        try {
            AtomicFiles.createNew(file, encode(fresh));
            return fresh;
        } catch (FileAlreadyExistsException raced) {
            return load(file, pow); // another process created it first: use theirs, never overwrite
        }
    }

    /** Loads an existing identity; fails if there is none. */
    public static Identity load(Path file, PowParams pow) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read identity key " + file + " (missing or no permission)");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
            throw new IOException("identity key " + file + " is readable by others; run: chmod 600 " + file);
        }
        Identity identity = decode(Files.readAllBytes(file), file);
        String weak = identity.checkWork(pow);
        if (weak != null) {
            throw new IOException("identity in " + file + " does not meet this network's proof of work (" + weak
                    + "); use a new data directory");
        }
        return identity;
    }

    static byte[] encode(Identity identity) {
        String text = HEADER + "\n"
                + "seed: " + Base64.getEncoder().encodeToString(identity.seed()) + "\n"
                + "pow-nonce: " + Long.toUnsignedString(identity.powNonce()) + "\n";
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static Identity decode(byte[] content, Path file) throws IOException {
        String[] lines = new String(content, StandardCharsets.US_ASCII).split("\n");
        if (lines.length < 3 || !lines[0].equals(HEADER)
                || !lines[1].startsWith("seed: ") || !lines[2].startsWith("pow-nonce: ")) {
            throw new IOException("identity key " + file + " is corrupt (expected " + HEADER + " format)");
        }
        try {
            byte[] seed = Base64.getDecoder().decode(lines[1].substring("seed: ".length()).trim());
            long nonce = Long.parseUnsignedLong(lines[2].substring("pow-nonce: ".length()).trim());
            if (seed.length != 32) {
                throw new IOException("identity key " + file + " is corrupt (seed is not 32 bytes)");
            }
            return Identity.restore(seed, nonce);
        } catch (IllegalArgumentException e) {
            throw new IOException("identity key " + file + " is corrupt (" + e.getMessage() + ")");
        }
    }
}
