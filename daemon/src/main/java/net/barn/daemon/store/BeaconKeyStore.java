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

/**
 * The node's BLS key for the random beacon, {@code beacon.key} in the data directory: created
 * once with owner-only permissions, never overwritten, refused with a clear message when
 * unreadable, corrupt or readable by others.
 *
 * <pre>
 * barn-beacon-key-v1
 * secret: &lt;base64 of the 32-byte big-endian scalar&gt;
 * </pre>
 */
public final class BeaconKeyStore {
    public static final String FILE_NAME = "beacon.key";
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
}
