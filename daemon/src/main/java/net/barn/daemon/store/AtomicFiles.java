package net.barn.daemon.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/** Writes small files so that a crash leaves either the old file or the whole new one. */
final class AtomicFiles {
    private AtomicFiles() {}

    /**
     * Creates {@code target} with owner-only permissions; fails with
     * {@link FileAlreadyExistsException} rather than replace an existing file.
     */
    static void createNew(Path target, byte[] content) throws IOException {
        Path tmp = writeTemp(target, content);
        try {
            Files.createLink(target, tmp); // atomic, and refuses to replace
        } finally {
            Files.deleteIfExists(tmp);
        }
        fsyncDirectory(target.getParent());
    }

    /** Replaces {@code target} atomically (rename over it). */
    static void replace(Path target, byte[] content) throws IOException {
        Path tmp = writeTemp(target, content);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory(target.getParent());
    }

    private static Path writeTemp(Path target, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(DataDir.ownerOnly()));
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(content);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        return tmp;
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Not every file system lets a directory be opened for sync; the rename is still atomic.
        }
    }
}
