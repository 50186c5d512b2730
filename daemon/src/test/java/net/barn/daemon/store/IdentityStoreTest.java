package net.barn.daemon.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import net.barn.core.crypto.SeededEntropy;
import net.barn.core.identity.Identity;
import net.barn.core.identity.PowParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityStoreTest {
    @TempDir
    Path tmp;

    @Test
    void createsAKeyReadableOnlyByItsOwnerAndReloadsTheSameId() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("node"));
        Identity first = IdentityStore.loadOrCreate(dir, PowParams.TEST, new SeededEntropy(1));
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.root()))).isEqualTo("rwx------");
        Identity again = IdentityStore.loadOrCreate(dir, PowParams.TEST, new SeededEntropy(2));
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.powNonce()).isEqualTo(first.powNonce());
    }

    @Test
    void neverOverwritesAnExistingKey() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("node"));
        IdentityStore.loadOrCreate(dir, PowParams.TEST, new SeededEntropy(1));
        byte[] before = Files.readAllBytes(dir.resolve(IdentityStore.FILE_NAME));
        Identity other = Identity.generate(new SeededEntropy(3), PowParams.TEST);
        assertThatThrownBy(() -> AtomicFiles.createNew(dir.resolve(IdentityStore.FILE_NAME), IdentityStore.encode(other)))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readAllBytes(dir.resolve(IdentityStore.FILE_NAME))).isEqualTo(before);
    }

    @Test
    void corruptKeyIsAClearErrorAndIsLeftAlone() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("node"));
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        Files.writeString(key, "garbage\n");
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> IdentityStore.loadOrCreate(dir, PowParams.TEST, new SeededEntropy(1)))
                .isInstanceOf(IOException.class).hasMessageContaining("corrupt");
        assertThat(Files.readString(key)).isEqualTo("garbage\n");
    }

    @Test
    void keyReadableByOthersIsRefusedWithTheFix() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("node"));
        IdentityStore.loadOrCreate(dir, PowParams.TEST, new SeededEntropy(1));
        Path key = dir.resolve(IdentityStore.FILE_NAME);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> IdentityStore.load(key, PowParams.TEST))
                .hasMessageContaining("readable by others").hasMessageContaining("chmod 600");
    }

    @Test
    void identityBelowTheNetworkDifficultyIsRefused() throws IOException {
        DataDir dir = DataDir.open(tmp.resolve("node"));
        IdentityStore.loadOrCreate(dir, new PowParams(0, 0), new SeededEntropy(1));
        assertThatThrownBy(() -> IdentityStore.load(dir.resolve(IdentityStore.FILE_NAME), new PowParams(20, 30)))
                .hasMessageContaining("proof of work");
    }
}
