package net.barn.daemon.store;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** A node's data directory: owner-only, created on first use. */
public final class DataDir {
    private final Path root;

    private DataDir(Path root) {
        this.root = root;
    }

    /** Opens (creating if needed, mode 0700) the directory at {@code root}. */
    public static DataDir open(Path root) throws IOException {
        Path abs = root.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) {
            throw new IOException(abs + " exists and is not a directory");
        }
        if (!Files.exists(abs)) {
            Files.createDirectories(abs.getParent());
            try {
                Files.createDirectory(abs, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException raced) {
                // another process made it first; fine
            }
        }
        return new DataDir(abs);
    }

    public Path root() {
        return root;
    }

    public Path resolve(String name) {
        return root.resolve(name);
    }

    static Set<PosixFilePermission> ownerOnly() {
        return PosixFilePermissions.fromString("rw-------");
    }
}
