//! Several `jwctl serve` replicas on one MySQL-protocol database (a private MariaDB started by
//! the test): every replica serves reads, changes and the event stream, a change through one
//! reaches the others within a second, If-Match has one winner across replicas, an
//! idempotency key is honoured whichever replica the retry reaches, one replica leads and
//! another takes over when it goes, and the database going away and coming back is survived.

mod common;
#[path = "support/mariadb.rs"]
mod mariadb;
#[path = "support/sse.rs"]
mod sse;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TOKEN, t0, writer_when};
use jwctl::controller::{Access, ControllerConfig, ControllerHandle, StateLocation, start};
use jwctl::domain::{ManualClock, Writer, WriterStatus};
use mariadb::MariaDb;
use mysql::prelude::Queryable;
use sse::Events;

/// How long transitions last here: the leader ends them.
const TRANSITION: Duration = Duration::from_millis(300);

/// A replica on `database`, with a data dir of its own (only the database is shared).
async fn replica(db: &MariaDb, database: &str) -> (ControllerHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let handle = start(config(db, database, &dir)).await.unwrap();
    (handle, dir)
}

/// A replica's configuration: a demo fleet of 40 in 2 regions, transitions of 300 ms.
fn config(db: &MariaDb, database: &str, dir: &tempfile::TempDir) -> ControllerConfig {
    ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: Some(40),
        regions: 2,
        transition: TRANSITION,
        clock: Arc::new(ManualClock::new(t0())),
        oms: None,
        tls: None,
        state: StateLocation::Mysql(db.target(database)),
    }
}

fn client(handle: &ControllerHandle) -> jwctl::client::Client {
    jwctl::client::Client::new(jwctl::client::ClientOptions::new(
        handle.url(),
        Some(TOKEN.into()),
    ))
    .unwrap()
}

/// `POST /v1/writers/{id}/pause` through `handle` with these headers: status and body.
async fn pause(handle: &ControllerHandle, id: &str, headers: &[(&str, String)]) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/v1/writers/{id}/pause", handle.url()))
        .bearer_auth(TOKEN);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    let replayed = answer.headers().contains_key("idempotent-replayed");
    let body = answer.text().await.unwrap();
    (
        status,
        format!("{}{body}", if replayed { "replayed " } else { "" }),
    )
}

fn running(writers: &[Writer]) -> Vec<Writer> {
    writers
        .iter()
        .filter(|w| w.status == WriterStatus::Running)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_serve_one_state_and_a_change_through_one_reaches_the_others_within_a_second()
 {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_three");
    let (first, _d1) = replica(&db, &database).await;
    let (second, _d2) = replica(&db, &database).await;
    let (third, _d3) = replica(&db, &database).await;

    // One state: the fleet the first one seeded, served by all three.
    let writers = client(&third).list_writers(None).await.unwrap();
    assert_eq!(writers.writers.len(), 40, "the demo fleet is seeded once");
    let deployment = client(&second).deployment().await.unwrap();
    assert_eq!(deployment.replicas.len(), 3, "{:?}", deployment.replicas);
    let leaders: Vec<_> = deployment.replicas.iter().filter(|r| r.leader).collect();
    assert_eq!(leaders.len(), 1, "{:?}", deployment.replicas);
    assert_eq!(leaders[0].listen, first.addr().to_string());
    assert!(leaders[0].leader_since.is_some());

    // The third one's event stream, and the first one's revision before the change.
    let events = reqwest::Client::new()
        .get(format!(
            "{}/v1/events?since={}",
            third.url(),
            writers.revision
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    let mut events = Events::new(events);
    let before = client(&first).list_writers(None).await.unwrap().revision;

    // Paused through the second, which does not lead.
    let target = running(&writers.writers).remove(0);
    let sent = Instant::now();
    let (status, body) = pause(&second, &target.id, &[]).await;
    assert_eq!(status, 200, "{body}");
    let delta = events
        .delta_until(Duration::from_secs(1), |delta| {
            delta.writers.iter().any(|w| w.id == target.id)
        })
        .await;
    let reached = sent.elapsed();
    assert!(reached < Duration::from_secs(1), "{reached:?}");
    let shown = delta.writers.iter().find(|w| w.id == target.id).unwrap();
    assert!(
        matches!(shown.status, WriterStatus::Pausing | WriterStatus::Stopped),
        "{shown:?}"
    );
    eprintln!("a pause through one replica reached another's events after {reached:?}");

    // The leader ends the transition; every replica serves its end.
    for replica in [&first, &second, &third] {
        writer_when(replica, &target.id, Duration::from_secs(5), |w| {
            w.status == WriterStatus::Stopped
        })
        .await;
    }
    let delta = client(&first).writers_since(before).await.unwrap();
    assert!(delta.writers.iter().any(|w| w.id == target.id), "{delta:?}");
    let audit = client(&third).audit(&target.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].result, "ok");

    // Started through the third: the same, the other way round.
    let started = client(&third).start(&target.id, None, None).await.unwrap();
    assert_eq!(started.status, WriterStatus::Starting);
    writer_when(&second, &target.id, Duration::from_secs(5), |w| {
        w.status == WriterStatus::Running
    })
    .await;

    for replica in [first, second, third] {
        replica.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn if_match_on_three_replicas_at_once_has_exactly_one_winner() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_one_winner");
    let (first, _d1) = replica(&db, &database).await;
    let (second, _d2) = replica(&db, &database).await;
    let (third, _d3) = replica(&db, &database).await;
    let writers = client(&first).list_writers(None).await.unwrap().writers;

    for target in running(&writers).into_iter().take(8) {
        let if_match = [("if-match", format!("\"{}\"", target.version))];
        let (a, b, c) = tokio::join!(
            pause(&first, &target.id, &if_match),
            pause(&second, &target.id, &if_match),
            pause(&third, &target.id, &if_match),
        );
        let mut statuses = [a.0, b.0, c.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412, 412], "{a:?} {b:?} {c:?}");
        let audit = client(&second).audit(&target.id, 10).await.unwrap();
        let mut results: Vec<&str> = audit.iter().map(|e| e.result.as_str()).collect();
        results.sort_unstable();
        assert_eq!(results, ["ok", "version_mismatch", "version_mismatch"]);
    }
    for replica in [first, second, third] {
        replica.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idempotency_key_retried_on_another_replica_gets_the_first_answer() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_retry_elsewhere");
    let (first, _d1) = replica(&db, &database).await;
    let (second, _d2) = replica(&db, &database).await;
    let writers = client(&first).list_writers(None).await.unwrap().writers;
    let target = running(&writers).remove(0);
    let key = [("idempotency-key", "retry-7".to_string())];

    let (status, body) = pause(&first, &target.id, &key).await;
    assert_eq!(status, 200, "{body}");
    let (again, repeated) = pause(&second, &target.id, &key).await;
    assert_eq!(again, 200);
    assert_eq!(repeated, format!("replayed {body}"));
    let audit = client(&second).audit(&target.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "acted once: {audit:?}");
    first.shutdown().await;
    second.shutdown().await;
}

/// Another replica answering a key is a claim row without an answer in the database: a repeat
/// waits for its answer, and a claim whose replica died without answering is taken over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_another_replica_is_still_answering_gets_that_answer_once_given() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_key_answering");
    let (replica, _dir) = replica(&db, &database).await;
    let writers = client(&replica).list_writers(None).await.unwrap().writers;
    let targets = running(&writers);
    let mut conn = db.connect(&database);
    // The same request as one answered with another key has its fingerprint.
    let fingerprint = |conn: &mut mysql::Conn, key: &str| -> String {
        conn.exec_first(
            "SELECT fingerprint FROM idempotency WHERE `key` = ?",
            (key,),
        )
        .unwrap()
        .unwrap()
    };
    let claim = |conn: &mut mysql::Conn, key: &str, fingerprint: &str, at: i64| {
        conn.exec_drop(
            "INSERT INTO idempotency (identity, `key`, fingerprint, status, content_type, body,
                at_ms) VALUES ('default', ?, ?, 0, NULL, '', ?)",
            (key, fingerprint, at),
        )
        .unwrap();
    };

    // Being answered elsewhere: the repeat waits, and gets the answer once it is kept.
    let (status, _) = pause(&replica, &targets[0].id, &[("idempotency-key", "a".into())]).await;
    assert_eq!(status, 200);
    let answered_elsewhere = fingerprint(&mut conn, "a");
    claim(&mut conn, "b", &answered_elsewhere, t0().timestamp_millis());
    let key_b = [("idempotency-key", "b".to_string())];
    let repeat = pause(&replica, &targets[0].id, &key_b);
    let answer = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        db.connect(&database)
            .exec_drop(
                "UPDATE idempotency SET status = 200, content_type = 'application/json',
                    body = '{\"answered\":\"elsewhere\"}' WHERE `key` = 'b'",
                (),
            )
            .unwrap();
    };
    let ((status, body), ()) = tokio::join!(repeat, answer);
    assert_eq!(status, 200);
    assert_eq!(body, "replayed {\"answered\":\"elsewhere\"}");
    let audit = client(&replica).audit(&targets[0].id, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "only the first acted: {audit:?}");

    // Claimed by a replica that died two minutes ago without answering: taken over, and acted
    // on afresh (a no-op here, the writer being paused already).
    let (status, _) = pause(&replica, &targets[1].id, &[("idempotency-key", "c".into())]).await;
    assert_eq!(status, 200);
    let same_request = fingerprint(&mut conn, "c");
    claim(
        &mut conn,
        "d",
        &same_request,
        t0().timestamp_millis() - 121_000,
    );
    let (status, body) = pause(&replica, &targets[1].id, &[("idempotency-key", "d".into())]).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body.starts_with("replayed"), "{body}");
    let audit = client(&replica).audit(&targets[1].id, 10).await.unwrap();
    let results: Vec<&str> = audit.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(results, ["noop", "ok"], "{audit:?}");
    replica.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_follower_leads_once_the_leader_stops_and_ends_the_transitions_it_left() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_handover");
    let (first, _d1) = replica(&db, &database).await;
    let (second, _d2) = replica(&db, &database).await;
    let writers = client(&second).list_writers(None).await.unwrap().writers;
    let target = running(&writers).remove(0);

    // Paused through the leader, which stops before the transition ends.
    let paused = client(&first).pause(&target.id, None).await.unwrap();
    assert_eq!(paused.status, WriterStatus::Pausing);
    first.shutdown().await;

    // A graceful stop gives the lead up: the follower takes it within a renewal.
    let stopped = Instant::now();
    loop {
        let deployment = client(&second).deployment().await.unwrap();
        if deployment.replicas.len() == 1 && deployment.replicas[0].leader {
            assert_eq!(deployment.replicas[0].listen, second.addr().to_string());
            break;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(5),
            "{:?}",
            deployment.replicas
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    writer_when(&second, &target.id, Duration::from_secs(5), |w| {
        w.status == WriterStatus::Stopped
    })
    .await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_recover_by_themselves_when_the_database_is_stopped_and_started_again() {
    let Some(mut db) = MariaDb::start() else {
        return;
    };
    let database = db.database("jw_db_restart");
    let (first, _d1) = replica(&db, &database).await;
    let (second, _d2) = replica(&db, &database).await;
    let writers = client(&first).list_writers(None).await.unwrap().writers;
    let targets = running(&writers);

    db.kill();
    let sent = Instant::now();
    let (status, body) = pause(&second, &targets[0].id, &[]).await;
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("state_unavailable"), "{body}");
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "{:?}",
        sent.elapsed()
    );
    // Reads go on from what each replica had.
    assert_eq!(
        client(&first)
            .list_writers(None)
            .await
            .unwrap()
            .writers
            .len(),
        40
    );

    db.restart();
    let restarted = Instant::now();
    let target = &targets[1].id;
    loop {
        let (status, body) = pause(&second, target, &[]).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(
            restarted.elapsed() < Duration::from_secs(15),
            "changes still refused 15 s after the database came back: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "changes taken again {:?} after the restart",
        restarted.elapsed()
    );
    // And the other replica follows the log again, its leader ending the transition.
    writer_when(&first, target, Duration::from_secs(15), |w| {
        w.status == WriterStatus::Stopped
    })
    .await;
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_started_together_on_an_empty_database_store_one_demo_fleet() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_together");
    let ((first, _d1), (second, _d2)) =
        tokio::join!(replica(&db, &database), replica(&db, &database));
    let ids = |writers: Vec<Writer>| {
        let mut ids: Vec<(String, u64)> = writers.into_iter().map(|w| (w.id, w.version)).collect();
        ids.sort();
        ids
    };
    let one = ids(client(&first).list_writers(None).await.unwrap().writers);
    let other = ids(client(&second).list_writers(None).await.unwrap().writers);
    assert_eq!(one.len(), 40);
    assert_eq!(one, other);
    first.shutdown().await;
    second.shutdown().await;
}
