package net.barn.daemon.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import net.barn.core.ProtocolException;
import net.barn.core.dht.Contact;
import net.barn.core.dht.DhtCodec;
import net.barn.core.dht.Key;
import net.barn.core.dht.Record;
import net.barn.core.identity.NodeId;
import net.barn.core.identity.PeerAddress;

/**
 * What a node keeps across restarts besides its key: the records it holds for the root
 * network and the peers it knew. SQLite in write-ahead-log mode, so a {@code kill -9} loses at
 * most the last moments and never corrupts what was committed. A damaged file is refused at
 * start with a message that says how to recover, rather than crash the node again and again.
 */
public final class StateStore implements AutoCloseable {
    public static final String FILE_NAME = "state.db";
    private static final int SCHEMA = 1;
    public static final int MAX_PEERS = 1000;

    private final Path file;
    private final Connection db;

    private StateStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** A stored record and whether this node published it. */
    public record StoredRecord(Record record, boolean own) {}

    public static StateStore open(DataDir dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        boolean fresh = !Files.exists(file);
        Connection db;
        try {
            db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        } catch (SQLException e) {
            throw new IOException("cannot open the state database " + file + ": " + e.getMessage(), e);
        }
        try (Statement st = db.createStatement()) {
            try (ResultSet rs = st.executeQuery("PRAGMA quick_check")) {
                String verdict = rs.next() ? rs.getString(1) : "no answer";
                if (!"ok".equals(verdict)) {
                    throw new SQLException("integrity check says: " + verdict);
                }
            }
            st.execute("PRAGMA journal_mode=WAL");
            st.execute("PRAGMA synchronous=NORMAL");
            st.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS records(key BLOB NOT NULL, type INTEGER NOT NULL, record BLOB NOT NULL,"
                    + " own INTEGER NOT NULL, expires INTEGER NOT NULL, PRIMARY KEY(key, type))");
            st.execute("CREATE TABLE IF NOT EXISTS peers(id BLOB PRIMARY KEY, address TEXT NOT NULL, last_seen INTEGER NOT NULL)");
            st.execute("CREATE TABLE IF NOT EXISTS name_pins(name TEXT PRIMARY KEY, commitment TEXT NOT NULL,"
                    + " owners TEXT NOT NULL, first_seen INTEGER NOT NULL)");
            st.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema', '" + SCHEMA + "')");
            try (ResultSet rs = st.executeQuery("SELECT value FROM meta WHERE key = 'schema'")) {
                int schema = rs.next() ? Integer.parseInt(rs.getString(1)) : -1;
                if (schema != SCHEMA) {
                    throw new SQLException("schema version " + schema + ", this node reads " + SCHEMA);
                }
            }
        } catch (SQLException | NumberFormatException e) {
            closeQuietly(db);
            throw new IOException("the state database " + file + " is unreadable (" + e.getMessage() + "); move it aside"
                    + " (mv " + file + " " + file + ".broken) and the node starts afresh, keeping its identity", e);
        }
        if (fresh) {
            try {
                Files.setPosixFilePermissions(file, DataDir.ownerOnly());
            } catch (IOException ignored) {
                // the directory is owner-only anyway
            }
        }
        return new StateStore(file, db);
    }

    private static void closeQuietly(Connection db) {
        try {
            db.close();
        } catch (SQLException ignored) {
            // already failing
        }
    }

    public Path file() {
        return file;
    }

    public synchronized void putRecord(Record r, boolean own) throws IOException {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO records(key, type, record, own, expires) VALUES (?, ?, ?, ?, ?)"
                        + " ON CONFLICT(key, type) DO UPDATE SET record = excluded.record, own = max(own, excluded.own),"
                        + " expires = excluded.expires")) {
            ps.setBytes(1, r.key().toBytes());
            ps.setInt(2, r.type());
            ps.setBytes(3, DhtCodec.encodeRecord(r));
            ps.setInt(4, own ? 1 : 0);
            ps.setLong(5, r.expiresAtMillis());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("cannot store a record: " + e.getMessage(), e);
        }
    }

    public synchronized void dropRecord(Key key, int type) throws IOException {
        try (PreparedStatement ps = db.prepareStatement("DELETE FROM records WHERE key = ? AND type = ?")) {
            ps.setBytes(1, key.toBytes());
            ps.setInt(2, type);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("cannot drop a record: " + e.getMessage(), e);
        }
    }

    /** Every record not yet expired at {@code nowMillis}; expired ones are deleted. Undecodable rows are skipped. */
    public synchronized List<StoredRecord> records(long nowMillis) throws IOException {
        List<StoredRecord> out = new ArrayList<>();
        try (PreparedStatement del = db.prepareStatement("DELETE FROM records WHERE expires <= ?")) {
            del.setLong(1, nowMillis);
            del.executeUpdate();
        } catch (SQLException e) {
            throw new IOException("cannot read records: " + e.getMessage(), e);
        }
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT record, own FROM records")) {
            while (rs.next()) {
                try {
                    out.add(new StoredRecord(DhtCodec.decodeRecord(rs.getBytes(1)), rs.getInt(2) != 0));
                } catch (ProtocolException skipped) {
                    // a row this version cannot read is left for a newer one
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot read records: " + e.getMessage(), e);
        }
        return out;
    }

    public synchronized void putPeer(Contact c, long nowMillis) throws IOException {
        if (c.address() == null) {
            return;
        }
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO peers(id, address, last_seen) VALUES (?, ?, ?)"
                + " ON CONFLICT(id) DO UPDATE SET address = excluded.address, last_seen = excluded.last_seen")) {
            ps.setBytes(1, c.id().toBytes());
            ps.setString(2, c.address().toString());
            ps.setLong(3, nowMillis);
            ps.executeUpdate();
            try (Statement st = db.createStatement()) {
                st.executeUpdate("DELETE FROM peers WHERE id NOT IN (SELECT id FROM peers ORDER BY last_seen DESC LIMIT "
                        + MAX_PEERS + ")");
            }
        } catch (SQLException e) {
            throw new IOException("cannot store a peer: " + e.getMessage(), e);
        }
    }

    /** Known peers, most recently seen first. */
    public synchronized List<Contact> peers(int limit) throws IOException {
        List<Contact> out = new ArrayList<>();
        try (PreparedStatement ps = db.prepareStatement("SELECT id, address FROM peers ORDER BY last_seen DESC LIMIT ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    try {
                        out.add(new Contact(NodeId.of(rs.getBytes(1)), PeerAddress.parse(rs.getString(2))));
                    } catch (IllegalArgumentException skipped) {
                        // a malformed row costs one peer, not the start
                    }
                }
            }
        } catch (SQLException e) {
            throw new IOException("cannot read peers: " + e.getMessage(), e);
        }
        return out;
    }

    /** What this node saw first for a name: the claim (its commitment) and its owners then. */
    public record NamePin(String name, String commitment, String owners, long firstSeenMillis) {}

    public synchronized NamePin pin(String name) throws IOException {
        try (PreparedStatement ps = db.prepareStatement("SELECT commitment, owners, first_seen FROM name_pins WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new NamePin(name, rs.getString(1), rs.getString(2), rs.getLong(3)) : null;
            }
        } catch (SQLException e) {
            throw new IOException("cannot read a name pin: " + e.getMessage(), e);
        }
    }

    /** Pins a name (replacing an earlier pin: only when the user accepts a change). At most 10,000 pins. */
    public synchronized void savePin(NamePin pin) throws IOException {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT OR REPLACE INTO name_pins(name, commitment, owners, first_seen) VALUES (?, ?, ?, ?)")) {
            ps.setString(1, pin.name());
            ps.setString(2, pin.commitment());
            ps.setString(3, pin.owners());
            ps.setLong(4, pin.firstSeenMillis());
            ps.executeUpdate();
            try (Statement st = db.createStatement()) {
                st.execute("DELETE FROM name_pins WHERE name NOT IN (SELECT name FROM name_pins ORDER BY first_seen DESC LIMIT 10000)");
            }
        } catch (SQLException e) {
            throw new IOException("cannot save a name pin: " + e.getMessage(), e);
        }
    }

    public synchronized int recordCount() throws IOException {
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM records")) {
            return rs.next() ? rs.getInt(1) : 0;
        } catch (SQLException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        closeQuietly(db);
    }
}
