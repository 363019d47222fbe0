//! The controller's state in a MySQL-protocol database (a private MariaDB started by the
//! test): the fleet, operations, audit, idempotent answers and the schema version survive a
//! controller that stops, and another one — with a data dir of its own — carries on from them.

mod common;
#[path = "support/mariadb.rs"]
mod mariadb;
#[path = "support/replica.rs"]
mod replica;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TOKEN, t0};
use jwctl::controller::{
    Access, ControllerConfig, ControllerError, ControllerHandle, StateLocation, start,
};
use jwctl::domain::{ManualClock, WriterStatus};
use mariadb::MariaDb;
use mysql::prelude::Queryable;
use replica::{Started, refused, serve, started};

async fn controller_on(
    db: &MariaDb,
    database: &str,
    clock: Arc<ManualClock>,
) -> Result<(ControllerHandle, tempfile::TempDir), ControllerError> {
    let dir = tempfile::tempdir().unwrap();
    let handle = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: Some(40),
        regions: 2,
        transition: Duration::ZERO,
        clock,
        oms: None,
        tls: None,
        state: StateLocation::Mysql(db.target(database)),
    })
    .await?;
    Ok((handle, dir))
}

fn client(handle: &ControllerHandle) -> jwctl::client::Client {
    jwctl::client::Client::new(jwctl::client::ClientOptions::new(
        handle.url(),
        Some(TOKEN.into()),
    ))
    .unwrap()
}

/// A pause with an idempotency key: status, body and whether it was a replay.
async fn pause_once(handle: &ControllerHandle, id: &str, key: &str) -> (u16, String, bool) {
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/writers/{id}/pause", handle.url()))
        .bearer_auth(TOKEN)
        .header("idempotency-key", key)
        .send()
        .await
        .unwrap();
    let replayed = answer.headers().contains_key("idempotent-replayed");
    (
        answer.status().as_u16(),
        answer.text().await.unwrap(),
        replayed,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_controller_carries_on_from_the_state_in_the_database() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_carry_on");
    let clock = Arc::new(ManualClock::new(t0()));

    let (first, _first_dir) = controller_on(&db, &database, clock.clone()).await.unwrap();
    let writers = client(&first).list_writers(None).await.unwrap().writers;
    assert_eq!(writers.len(), 40);
    let running = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap()
        .clone();
    let (status, body, replayed) = pause_once(&first, &running.id, "key-1").await;
    assert_eq!((status, replayed), (200, false), "{body}");
    first.shutdown().await;

    // Another controller, another data dir: only the database is shared.
    let (second, _second_dir) = controller_on(&db, &database, clock.clone()).await.unwrap();
    let again = client(&second).list_writers(None).await.unwrap().writers;
    assert_eq!(again.len(), 40, "the demo fleet is not seeded twice");
    let paused = again.iter().find(|w| w.id == running.id).unwrap();
    assert_eq!(paused.status, WriterStatus::Stopped);
    let audit = client(&second).audit(&running.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].result, "ok");
    // The same key on the other controller gets the first answer, without acting again.
    let (status, repeated, replayed) = pause_once(&second, &running.id, "key-1").await;
    assert_eq!((status, replayed), (200, true));
    assert_eq!(repeated, body);
    assert_eq!(
        client(&second).audit(&running.id, 10).await.unwrap().len(),
        1
    );
    second.shutdown().await;

    let mut conn = db.connect(&database);
    let version: Option<i64> = conn
        .query_first("SELECT value FROM meta WHERE `key` = 'schema_version'")
        .unwrap();
    assert_eq!(version, Some(3));
}

/// A database at schema version 1 (before several replicas shared one, or an OMS) is brought up to date,
/// also when an earlier attempt died half way through, and served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_at_version_one_is_migrated_even_half_way_through() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_migrate");
    let clock = Arc::new(ManualClock::new(t0()));
    let (first, _dir) = controller_on(&db, &database, clock.clone()).await.unwrap();
    first.shutdown().await;
    let mut conn = db.connect(&database);
    let version = |conn: &mut mysql::Conn| -> Option<i64> {
        conn.query_first("SELECT value FROM meta WHERE `key` = 'schema_version'")
            .unwrap()
    };
    // Back to version 1 as it was (the column's index goes with it), then as a migration that
    // died after adding the column left it.
    let back_to_one = [
        "ALTER TABLE writers DROP COLUMN revision",
        "ALTER TABLE writers DROP INDEX writers_by_revision",
    ];
    for (attempt, undo) in back_to_one.into_iter().enumerate() {
        conn.query_drop(format!(
            "{undo}; DROP TABLE replicas; DROP TABLE oms_projects;
             ALTER TABLE idempotency DROP INDEX idempotency_by_age;
             UPDATE meta SET value = 1 WHERE `key` = 'schema_version'"
        ))
        .unwrap();
        assert_eq!(version(&mut conn), Some(1));

        let (replica, _dir) = controller_on(&db, &database, clock.clone()).await.unwrap();
        assert_eq!(version(&mut conn), Some(3), "after: {undo}");
        let indexed: Option<String> = conn
            .query_first(
                "SELECT column_name FROM information_schema.statistics
                 WHERE table_schema = DATABASE() AND index_name = 'writers_by_revision'",
            )
            .unwrap();
        assert_eq!(indexed.as_deref(), Some("revision"));
        let writers = client(&replica).list_writers(None).await.unwrap().writers;
        assert_eq!(writers.len(), 40);
        let running = writers
            .iter()
            .find(|w| w.status == WriterStatus::Running)
            .unwrap();
        let key = format!("after-migration-{attempt}");
        let (status, body, _) = pause_once(&replica, &running.id, &key).await;
        assert_eq!(status, 200, "{body}");
        replica.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_a_newer_jwctl_wrote_is_refused_and_left_alone() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_newer");
    let clock = Arc::new(ManualClock::new(t0()));
    let (handle, _dir) = controller_on(&db, &database, clock.clone()).await.unwrap();
    handle.shutdown().await;
    let look = || {
        let mut conn = db.connect(&database);
        let writers: Option<i64> = conn.query_first("SELECT COUNT(*) FROM writers").unwrap();
        let tables: Option<i64> = conn
            .query_first(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()",
            )
            .unwrap();
        (writers, tables)
    };
    db.connect(&database)
        .query_drop("UPDATE meta SET value = 99 WHERE `key` = 'schema_version'")
        .unwrap();
    let before = look();
    let error = controller_on(&db, &database, clock).await.err().unwrap();
    let text = error.to_string();
    assert!(text.contains("schema is version 99"), "{text}");
    assert!(text.contains(&db.url(&database)), "{text}");
    assert_eq!(look(), before);
    let version: Option<i64> = db
        .connect(&database)
        .query_first("SELECT value FROM meta WHERE `key` = 'schema_version'")
        .unwrap();
    assert_eq!(version, Some(99));
}

/// `jwctl serve` with its state in the database at `url`, its password in `password_file`
/// and its token in `data`.
/// `jwctl serve --state-url … --state-password-file …`: serves from the database; a password
/// file others can read, a wrong password or a password in the URL are refused with what to
/// do, and the password never shows.
#[test]
fn serve_takes_the_database_from_its_flags_and_never_shows_the_password() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_serve");
    let password_file = db.password_file();
    let data = tempfile::tempdir().unwrap();

    // Readable by others: refused before connecting.
    let open_file = db.dir().join("open-password");
    std::fs::write(&open_file, format!("{}\n", mariadb::PASSWORD)).unwrap();
    let stderr = refused(serve(&db.url(&database), &open_file, data.path(), &[]));
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains(mariadb::PASSWORD), "{stderr}");

    // A wrong password: the database refuses, and says so.
    let wrong = db.dir().join("wrong-password");
    std::fs::write(&wrong, "not-the-password\n").unwrap();
    std::fs::set_permissions(
        &wrong,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o600),
    )
    .unwrap();
    let stderr = refused(serve(&db.url(&database), &wrong, data.path(), &[]));
    assert!(stderr.contains("Access denied"), "{stderr}");
    assert!(stderr.contains(&db.url(&database)), "{stderr}");
    assert!(!stderr.contains("not-the-password"), "{stderr}");

    // A password in the URL is refused.
    let with_password = format!(
        "mysql://jwctl:{}@127.0.0.1:{}/{database}",
        mariadb::PASSWORD,
        db.port
    );
    let stderr = refused(serve(&with_password, &password_file, data.path(), &[]));
    assert!(stderr.contains("--state-password-file"), "{stderr}");
    assert!(!stderr.contains(mariadb::PASSWORD), "{stderr}");

    // The right one: it serves the demo fleet seeded into the database.
    let Started::Listening(mut child, url, seen) =
        started(serve(&db.url(&database), &password_file, data.path(), &[]))
    else {
        panic!("jwctl serve did not start");
    };
    let listed = Command::new(env!("CARGO_BIN_EXE_jwctl"))
        .args(["list", "--output", "json", "--controller", &url])
        .arg("--token-file")
        .arg(data.path().join("token"))
        .env_remove("JWCTL_TOKEN")
        .env_remove("JWCTL_CONFIG")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let writers: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(writers["writers"].as_array().map(Vec::len), Some(10));
    assert!(!seen.contains(mariadb::PASSWORD), "{seen}");
    assert!(seen.contains(&db.url(&database)), "{seen}");
    assert!(
        seen.contains("stored a demo fleet of 10 writers in"),
        "{seen}"
    );

    // Started again, it serves the fleet it finds there.
    let Started::Listening(mut again, _, seen) =
        started(serve(&db.url(&database), &password_file, data.path(), &[]))
    else {
        panic!("jwctl serve did not start again");
    };
    let _ = again.kill();
    let _ = again.wait();
    assert!(
        seen.contains("the database already holds writers; --demo-fleet is ignored"),
        "{seen}"
    );
}

/// The `Jwctl-Stale-Since` header of the answer to `GET /v1/writers`.
async fn stale_since(handle: &ControllerHandle) -> Option<String> {
    let answer = reqwest::Client::new()
        .get(format!("{}/v1/writers", handle.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    answer
        .headers()
        .get("jwctl-stale-since")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A database that stops answering: a start or pause is refused with 503 `state_unavailable`
/// within 5 s, reads still answer from memory marked `Jwctl-Stale-Since`, and once the
/// database answers again the controller takes changes again by itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_stops_answering_refuses_changes_in_time_then_takes_them_again() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_frozen");
    let clock = Arc::new(ManualClock::new(t0()));
    let (handle, _dir) = controller_on(&db, &database, clock).await.unwrap();
    let api = client(&handle);
    let mut running = api
        .list_writers(None)
        .await
        .unwrap()
        .writers
        .into_iter()
        .filter(|w| w.status == WriterStatus::Running);
    let (first, second) = (running.next().unwrap(), running.next().unwrap());
    // Waits for the demo fleet to be in the database.
    api.pause(&first.id, Some(first.version)).await.unwrap();

    db.freeze();
    let asked = Instant::now();
    let answer = reqwest::Client::new()
        .post(format!("{}/v1/writers/{}/pause", handle.url(), second.id))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let took = asked.elapsed();
    let status = answer.status().as_u16();
    let body = answer.text().await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("state_unavailable"), "{body}");
    assert!(body.contains(&db.url(&database)), "{body}");
    assert!(took < Duration::from_secs(5), "refused after {took:?}");
    let listed = api.list_writers(None).await.unwrap().writers;
    let unchanged = listed.iter().find(|w| w.id == second.id).unwrap();
    assert_eq!(unchanged.status, WriterStatus::Running);
    assert_eq!(
        stale_since(&handle).await.as_deref(),
        Some("2026-11-24T10:00:00.000Z")
    );

    db.thaw();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match api.pause(&second.id, Some(second.version)).await {
            Ok(writer) => {
                assert_eq!(writer.status, WriterStatus::Stopped);
                assert_eq!(stale_since(&handle).await, None);
                break;
            }
            Err(error) => assert!(
                Instant::now() < deadline,
                "no change taken 15 s after the database came back: {error}"
            ),
        }
    }
    handle.shutdown().await;
}

/// `--state-url` given as a flag still takes `password_file` from the config's `[state]`
/// table (read, and refused here for being open to others, before any connection).
#[test]
fn a_state_url_flag_takes_the_password_file_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let open_file = dir.path().join("open-password");
    std::fs::write(&open_file, "pw\n").unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[state]\npassword_file = {:?}\n",
            open_file.display().to_string()
        ),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_jwctl"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--state-url", "mysql://jwctl@127.0.0.1:1/jw", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .env_remove("JWCTL_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = refused(child);
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

/// A replica starting while another holds the schema lock (migrating, say, a large table)
/// waits for it, however much longer than one read may take (3 s); and the lock is its
/// database's own: one of the same name in another database of the server is not waited for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_waits_for_another_ones_migration_longer_than_a_read() {
    use sha2::Digest;
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_schema_wait");
    let other = db.database("jw_schema_other");
    // The lock as jwctl names it: the whole server's, so it carries the database's digest.
    let lock_of = |database: &str| {
        let digest = sha2::Sha256::digest(database.as_bytes());
        let short: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("jwctl.{short}.schema")
    };
    let mut holder = db.connect(&database);
    let held: Option<i64> = holder
        .exec_first("SELECT GET_LOCK(?, 0)", (lock_of(&other),))
        .unwrap();
    assert_eq!(held, Some(1));
    // Another database's lock held: this replica starts at once.
    let clock = Arc::new(ManualClock::new(t0()));
    let (first, _dir) = controller_on(&db, &database, clock.clone()).await.unwrap();
    first.shutdown().await;

    let held: Option<i64> = holder
        .exec_first("SELECT GET_LOCK(?, 0)", (lock_of(&database),))
        .unwrap();
    assert_eq!(held, Some(1));
    let dir = tempfile::tempdir().unwrap();
    let starting = tokio::spawn(start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: Some(40),
        regions: 2,
        transition: Duration::ZERO,
        clock,
        oms: None,
        tls: None,
        state: StateLocation::Mysql(db.target(&database)),
    }));
    // Held for over 4 s while the replica asks for it (it asks in the process list).
    let asked = || {
        let mut watcher = db.connect(&database);
        let waiting: Option<i64> = watcher
            .query_first(
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST
                 WHERE INFO LIKE 'SELECT GET_LOCK%' AND ID <> CONNECTION_ID()",
            )
            .unwrap();
        waiting.unwrap_or(0) > 0
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut first_seen = None;
    while first_seen.is_none_or(|seen: Instant| seen.elapsed() < Duration::from_secs(4)) {
        if first_seen.is_none() && asked() {
            first_seen = Some(Instant::now());
        }
        assert!(!starting.is_finished(), "started while the lock was held");
        assert!(
            Instant::now() < deadline,
            "the replica never asked for the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _: Option<i64> = holder
        .exec_first("SELECT RELEASE_LOCK(?)", (lock_of(&database),))
        .unwrap();
    let second = starting.await.unwrap().unwrap();
    second.shutdown().await;
}
