//! What replicas serving one OMS share in a MySQL-protocol database: the projects as last
//! described (`oms_projects`, numbered by the `meta` row `oms_revision` so followers read
//! only what changed), and when OMS was last polled (`oms_polled`).

use chrono::{DateTime, Utc};
use mysql::prelude::Queryable;
use mysql::{Conn, Row, TxOpts};

use super::{col, from_ms};
use crate::controller::store::{OmsProject, OmsProjects, StoreError};

/// Stores `projects`, each at the next OMS revision (taken holding its row, so revisions
/// commit in order), and when given, the time of the poll, in one transaction.
pub(super) fn save_projects(
    conn: &mut Conn,
    projects: &[OmsProject],
    polled: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let mut tx = conn.start_transaction(TxOpts::default())?;
    let last: Option<i64> =
        tx.query_first("SELECT value FROM meta WHERE `key` = 'oms_revision' FOR UPDATE")?;
    let mut revision = last.unwrap_or(0);
    for project in projects {
        revision = revision.saturating_add(1);
        tx.exec_drop(
            "INSERT INTO oms_projects (id, revision, writers, failed) VALUES (?, ?, ?, ?)
             ON DUPLICATE KEY UPDATE revision = VALUES(revision), writers = VALUES(writers),
                failed = VALUES(failed)",
            (
                project.id.as_str(),
                revision,
                project.writers.as_slice(),
                project.failed.as_deref(),
            ),
        )?;
    }
    tx.exec_drop(
        "UPDATE meta SET value = ? WHERE `key` = 'oms_revision'",
        (revision,),
    )?;
    if let Some(polled) = polled {
        tx.exec_drop(
            "UPDATE meta SET value = ? WHERE `key` = 'oms_polled'",
            (polled.timestamp_millis(),),
        )?;
    }
    tx.commit()?;
    Ok(())
}

/// The projects stored at revisions after `after`, oldest first, and when OMS was last
/// polled.
pub(super) fn projects_since(conn: &mut Conn, after: u64) -> Result<OmsProjects, StoreError> {
    let rows: Vec<Row> = conn.exec(
        "SELECT id, revision, writers, failed FROM oms_projects WHERE revision > ?
         ORDER BY revision",
        (i64::try_from(after).unwrap_or(i64::MAX),),
    )?;
    let projects = rows
        .iter()
        .map(|row| {
            Ok(OmsProject {
                id: col(row, 0)?,
                revision: u64::try_from(col::<i64>(row, 1)?).unwrap_or(0),
                writers: col(row, 2)?,
                failed: col(row, 3)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let polled: Option<i64> =
        conn.query_first("SELECT value FROM meta WHERE `key` = 'oms_polled'")?;
    let polled = polled.filter(|&ms| ms > 0).map(from_ms).transpose()?;
    Ok(OmsProjects { projects, polled })
}
