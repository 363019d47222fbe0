//! The database's schema, versioned: jwctl creates it, brings an older one up to date, and
//! refuses one a newer jwctl wrote rather than guess at what it holds. The version is the
//! `meta` row `schema_version`.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::controller::store::{StoreError, migrations_due};

/// The schema version this jwctl reads and writes.
pub(crate) const SCHEMA_VERSION: i64 = 1;

/// `MIGRATIONS[n]` takes a database from version `n` to `n + 1`. Version 1 is the schema as
/// it was before it had a version, so a database from then is taken as it is and stamped.
const MIGRATIONS: [&str; 1] = [V1];

const V1: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stores (
    id           TEXT PRIMARY KEY,
    lag_ms       INTEGER NOT NULL,
    retention_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS writers (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    server_ip         TEXT NOT NULL,
    region            TEXT NOT NULL,
    project_id        TEXT NOT NULL,
    project_name      TEXT NOT NULL,
    kind              TEXT NOT NULL,
    store_id          TEXT NOT NULL REFERENCES stores(id),
    status            TEXT NOT NULL,
    checkpoint_ms     INTEGER,
    anchor_ms         INTEGER NOT NULL,
    rate              REAL NOT NULL,
    message           TEXT,
    version           INTEGER NOT NULL,
    updated_at_ms     INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms          INTEGER NOT NULL,
    actor          TEXT NOT NULL,
    writer_id      TEXT NOT NULL,
    action         TEXT NOT NULL,
    replay_from_ms INTEGER,
    result         TEXT NOT NULL,
    message        TEXT
);
CREATE INDEX IF NOT EXISTS audit_by_writer ON audit (writer_id, id);
CREATE TABLE IF NOT EXISTS history_chunks (
    seq   INTEGER PRIMARY KEY,
    chunk BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency (
    identity       TEXT NOT NULL,
    key            TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    status         INTEGER NOT NULL,
    content_type   TEXT,
    body           BLOB NOT NULL,
    at_ms          INTEGER NOT NULL,
    PRIMARY KEY (identity, key)
);
";

/// Brings the schema of `conn`'s database to [`SCHEMA_VERSION`], in one transaction; a
/// database already there is left untouched, one of a newer version is refused unchanged.
pub(crate) fn prepare(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    )?;
    let found: i64 = tx
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(0);
    let due = migrations_due(found, SCHEMA_VERSION)?;
    if due == 0 {
        return Ok(());
    }
    for migration in MIGRATIONS.iter().skip(MIGRATIONS.len() - due) {
        tx.execute_batch(migration)?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [SCHEMA_VERSION],
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(conn: &Connection) -> rusqlite::Result<Option<i64>> {
        conn.query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |row| row.get(0),
        )
        .optional()
    }

    fn tables(conn: &Connection) -> rusqlite::Result<Vec<String>> {
        let mut stmt =
            conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")?;
        let names = stmt.query_map([], |row| row.get(0))?;
        names.collect()
    }

    #[test]
    fn a_new_database_gets_every_table_and_the_current_version()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = Connection::open_in_memory()?;
        prepare(&mut conn)?;
        assert_eq!(version(&conn)?, Some(SCHEMA_VERSION));
        let tables = tables(&conn)?;
        for table in [
            "audit",
            "history_chunks",
            "idempotency",
            "meta",
            "stores",
            "writers",
        ] {
            assert!(tables.iter().any(|t| t == table), "{table} in {tables:?}");
        }
        prepare(&mut conn)?;
        assert_eq!(version(&conn)?, Some(SCHEMA_VERSION));
        Ok(())
    }

    #[test]
    fn a_database_from_before_versions_keeps_its_rows_and_is_stamped()
    -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = Connection::open_in_memory()?;
        conn.execute_batch(V1)?;
        conn.execute("INSERT INTO meta (key, value) VALUES ('revision', 41)", [])?;
        prepare(&mut conn)?;
        assert_eq!(version(&conn)?, Some(1));
        let revision: i64 =
            conn.query_row("SELECT value FROM meta WHERE key = 'revision'", [], |row| {
                row.get(0)
            })?;
        assert_eq!(revision, 41);
        Ok(())
    }

    #[test]
    fn a_newer_schema_is_refused_and_left_as_it_was() -> Result<(), Box<dyn std::error::Error>> {
        let mut conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
             INSERT INTO meta (key, value) VALUES ('schema_version', 7);",
        )?;
        let error = prepare(&mut conn)
            .err()
            .ok_or("a newer schema was accepted")?;
        assert!(
            matches!(
                error,
                StoreError::SchemaTooNew {
                    found: 7,
                    known: SCHEMA_VERSION
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("version 7"), "{error}");
        assert_eq!(tables(&conn)?, ["meta"]);
        assert_eq!(version(&conn)?, Some(7));
        Ok(())
    }
}
