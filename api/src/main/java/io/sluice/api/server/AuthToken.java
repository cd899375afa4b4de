package io.sluice.api.server;

import io.sluice.SluiceException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The daemon's bearer token, kept in a file only its owner can read or write (mode 0600; by default
 * {@code <data dir>/auth-token}), as Jupyter keeps its token: created with a fresh random value at the first
 * start, read at every later one, so a restarted daemon keeps the token its clients already hold.
 */
public final class AuthToken {
    /** The token file's name inside the data dir. */
    public static final String FILE_NAME = "auth-token";

    private static final Logger LOG = LoggerFactory.getLogger(AuthToken.class);
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private AuthToken() {
    }

    /** The token in {@code file}, created there (owner-only, written atomically) when the file is missing or empty. */
    public static String loadOrCreate(Path file) {
        try {
            String token = read(file);
            if (token != null) {
                return token;
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            String fresh = HexFormat.of().formatHex(bytes);
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".auth-token-", ".tmp",
                    PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            try {
                Files.writeString(tmp, fresh + "\n");
                try {
                    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, file);
                }
            } catch (FileAlreadyExistsException raced) {
                // another daemon starting on the same data dir wrote it first: use that one
                String theirs = read(file);
                if (theirs != null) {
                    return theirs;
                }
                throw raced;
            } finally {
                Files.deleteIfExists(tmp);
            }
            LOG.info("created the API token in {} (mode 0600)", file);
            return fresh;
        } catch (UnsupportedOperationException e) {
            throw SluiceException.unavailable("the file system of " + file + " has no POSIX permissions: the "
                    + "token file could not be made owner-only; give --token-file on another one", e);
        } catch (IOException e) {
            throw SluiceException.unavailable("cannot read or create the token file " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The token in {@code file}, or null when there is none yet (missing or empty); a file others may read
     * is made owner-only again, with a warning, since anyone who read it can act as its owner.
     */
    private static String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        Set<PosixFilePermission> wider = new HashSet<>(perms);
        wider.removeAll(OWNER_ONLY);
        if (!wider.isEmpty()) {
            LOG.warn("token file {} was readable or writable by others ({}): made it owner-only; if others did read "
                    + "it, delete it and restart to get a new token", file, PosixFilePermissions.toString(perms));
            Files.setPosixFilePermissions(file, OWNER_ONLY);
        }
        String token = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        return token.isEmpty() ? null : token;
    }
}
