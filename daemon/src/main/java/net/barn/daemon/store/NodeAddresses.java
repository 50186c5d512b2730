package net.barn.daemon.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import net.barn.core.identity.Invite;

/** The invite a node last started with, {@code invite} in the data directory, for {@code barn id}. */
public final class NodeAddresses {
    public static final String FILE_NAME = "invite";

    private NodeAddresses() {}

    public static void write(DataDir dir, Invite invite) throws IOException {
        AtomicFiles.replace(dir.resolve(FILE_NAME), (invite + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    public static Optional<Invite> read(DataDir dir) {
        Path file = dir.resolve(FILE_NAME);
        try {
            return Optional.of(Invite.parse(Files.readString(file, StandardCharsets.US_ASCII).trim()));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
