//! The schema in a MySQL-protocol database, versioned like SQLite's (`meta` row
//! `schema_version`). DDL commits on its own there, so replicas starting together take turns
//! through a named lock instead of a transaction.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Row};

use super::{col, lock_name, release_lock, take_lock};
use crate::controller::store::{StoreError, migrations_due};

/// The schema version this jwctl reads and writes.
pub(super) const SCHEMA_VERSION: i64 = 3;

/// How long a replica waits for another one's migration, in seconds.
const LOCK_WAIT_SECS: u32 = 30;

/// `MIGRATIONS[n]` takes a database from version `n` to `n + 1`; each statement is safe to
/// run twice (a replica may die half way): a column or index that is already there is taken
/// as added.
const MIGRATIONS: [&[&str]; 3] = [V1, V2, V3];

/// MySQL's "duplicate column name" and "duplicate key name": what adding one twice answers.
const ALREADY_THERE: [u16; 2] = [1060, 1061];

const TABLE_OPTIONS: &str = "DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin";

const V1: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS stores (
        id           VARCHAR(255) PRIMARY KEY,
        lag_ms       BIGINT NOT NULL,
        retention_ms BIGINT NOT NULL
    ) {options}",
    "CREATE TABLE IF NOT EXISTS writers (
        id            VARCHAR(255) PRIMARY KEY,
        name          VARCHAR(255) NOT NULL UNIQUE,
        server_ip     VARCHAR(255) NOT NULL,
        region        VARCHAR(255) NOT NULL,
        project_id    VARCHAR(255) NOT NULL,
        project_name  VARCHAR(1024) NOT NULL,
        kind          VARCHAR(32) NOT NULL,
        store_id      VARCHAR(255) NOT NULL,
        status        VARCHAR(32) NOT NULL,
        checkpoint_ms BIGINT NULL,
        anchor_ms     BIGINT NOT NULL,
        rate          DOUBLE NOT NULL,
        message       TEXT NULL,
        version       BIGINT NOT NULL,
        updated_at_ms BIGINT NOT NULL,
        CONSTRAINT writers_store FOREIGN KEY (store_id) REFERENCES stores (id)
    ) {options}",
    "CREATE TABLE IF NOT EXISTS audit (
        id             BIGINT AUTO_INCREMENT PRIMARY KEY,
        at_ms          BIGINT NOT NULL,
        actor          VARCHAR(255) NOT NULL,
        writer_id      VARCHAR(255) NOT NULL,
        action         VARCHAR(16) NOT NULL,
        replay_from_ms BIGINT NULL,
        result         VARCHAR(64) NOT NULL,
        message        TEXT NULL,
        INDEX audit_by_writer (writer_id, id)
    ) {options}",
    "CREATE TABLE IF NOT EXISTS history_chunks (
        seq   BIGINT PRIMARY KEY,
        chunk LONGBLOB NOT NULL
    ) {options}",
    "CREATE TABLE IF NOT EXISTS idempotency (
        identity     VARCHAR(255) NOT NULL,
        `key`        VARCHAR(255) NOT NULL,
        fingerprint  VARCHAR(128) NOT NULL,
        status       INT NOT NULL,
        content_type VARCHAR(255) NULL,
        body         LONGBLOB NOT NULL,
        at_ms        BIGINT NOT NULL,
        PRIMARY KEY (identity, `key`)
    ) {options}",
    "CREATE TABLE IF NOT EXISTS lease (
        name       VARCHAR(32) PRIMARY KEY,
        replica    VARCHAR(64) NOT NULL,
        host       VARCHAR(255) NOT NULL,
        pid        BIGINT NOT NULL,
        listen     VARCHAR(255) NOT NULL,
        expires_ms BIGINT NOT NULL
    ) {options}",
    // The one row claims lock, present from the start: two first claims cannot both insert.
    "INSERT IGNORE INTO lease (name, replica, host, pid, listen, expires_ms)
     VALUES ('leader', '', '', 0, '', 0)",
];

/// Several replicas serving together: the revision of each writer's last change (the shared
/// revision log followers read) and the replicas' heartbeats.
const V2: &[&str] = &[
    "ALTER TABLE writers ADD COLUMN revision BIGINT NOT NULL DEFAULT 0",
    "ALTER TABLE writers ADD INDEX writers_by_revision (revision)",
    "CREATE TABLE IF NOT EXISTS replicas (
        replica         VARCHAR(64) PRIMARY KEY,
        host            VARCHAR(255) NOT NULL,
        pid             BIGINT NOT NULL,
        listen          VARCHAR(255) NOT NULL,
        started_ms      BIGINT NOT NULL,
        last_seen_ms    BIGINT NOT NULL,
        leader_since_ms BIGINT NULL
    ) {options}",
];

/// Several replicas serving one OMS: the projects as last described, for every replica; and
/// the idempotency keys by age, for forgetting old ones without reading them all.
const V3: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS oms_projects (
        id       VARCHAR(255) PRIMARY KEY,
        revision BIGINT NOT NULL,
        writers  LONGBLOB NOT NULL,
        failed   TEXT NULL,
        INDEX oms_projects_by_revision (revision)
    ) {options}",
    "ALTER TABLE idempotency ADD INDEX idempotency_by_age (at_ms)",
];

/// Brings the schema of `database` to [`SCHEMA_VERSION`]; one of a newer version is refused
/// unchanged.
pub(super) fn prepare(conn: &mut Conn, database: &str) -> Result<(), StoreError> {
    conn.query_drop(format!(
        "CREATE TABLE IF NOT EXISTS meta (
            `key` VARCHAR(64) PRIMARY KEY,
            value BIGINT NOT NULL
        ) {TABLE_OPTIONS}"
    ))?;
    let name = lock_name(database, "schema");
    if !take_lock(conn, &name, Duration::from_secs(LOCK_WAIT_SECS.into()))? {
        return Err(StoreError::SchemaBusy {
            secs: LOCK_WAIT_SECS,
        });
    }
    let prepared = migrate(conn).and_then(|()| {
        // Rows that transactions lock (FOR UPDATE) are there from the start: locking a row
        // that is missing locks the gap instead, and two replicas doing it together then
        // deadlock on their inserts.
        conn.query_drop(
            "INSERT IGNORE INTO meta (`key`, value)
             VALUES ('revision', 0), ('feed_reserved', 0), ('oms_revision', 0), ('oms_polled', 0)",
        )?;
        Ok(())
    });
    release_lock(conn, &name)?;
    prepared
}

fn migrate(conn: &mut Conn) -> Result<(), StoreError> {
    let found: Option<Row> =
        conn.query_first("SELECT value FROM meta WHERE `key` = 'schema_version'")?;
    let found: i64 = match found {
        Some(row) => col(&row, 0)?,
        None => 0,
    };
    let due = migrations_due(found, SCHEMA_VERSION)?;
    if due == 0 {
        return Ok(());
    }
    for migration in MIGRATIONS.iter().skip(MIGRATIONS.len() - due) {
        for statement in *migration {
            match conn.query_drop(statement.replace("{options}", TABLE_OPTIONS)) {
                Err(mysql::Error::MySqlError(e)) if ALREADY_THERE.contains(&e.code) => {}
                done => done?,
            }
        }
    }
    conn.exec_drop(
        "INSERT INTO meta (`key`, value) VALUES ('schema_version', ?)
         ON DUPLICATE KEY UPDATE value = VALUES(value)",
        (SCHEMA_VERSION,),
    )?;
    Ok(())
}
