//! Several `jwctl serve` replicas on one MySQL-protocol database (a private MariaDB started by
//! the test) serving one OMS: the leader polls and every replica serves what it saw, an
//! operation through any replica reaches the others, If-Match has one winner across them, and
//! an operation whose replica dies before OMS answers is in the audit log.
//! The OMS is the stand-in of `support/oms_standin.rs`: OMS cannot run here, and the stand-in
//! follows OMS's public documentation.

mod common;
#[path = "support/mariadb.rs"]
mod mariadb;
#[path = "support/oms_standin.rs"]
mod oms_standin;
#[path = "support/replica.rs"]
mod replica;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TOKEN, t0, writer_when};
use jwctl::client::{Client, ClientError, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, ControllerHandle, StateLocation, start};
use jwctl::domain::{ManualClock, Writer, WriterStatus};
use mariadb::MariaDb;
use oms_standin::OmsStandin;

/// A replica of `oms` on `database` polling every `poll`, with a data dir of its own.
async fn replica(
    db: &MariaDb,
    database: &str,
    oms: &OmsStandin,
    poll: Duration,
) -> (ControllerHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut on_oms = oms.config(Duration::from_secs(5));
    on_oms.poll = poll;
    let handle = start(ControllerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().to_path_buf(),
        access: Access::Token(TOKEN.into()),
        demo_fleet: None,
        regions: 1,
        transition: Duration::from_millis(300),
        clock: Arc::new(ManualClock::new(t0())),
        oms: Some(on_oms),
        tls: None,
        state: StateLocation::Mysql(db.target(database)),
    })
    .await
    .unwrap();
    (handle, dir)
}

fn client(handle: &ControllerHandle) -> Client {
    Client::new(ClientOptions::new(handle.url(), Some(TOKEN.into()))).unwrap()
}

/// The HTTP status of a refused operation.
fn status_of(answer: &Result<Writer, ClientError>) -> Option<u16> {
    match answer {
        Ok(_) => Some(200),
        Err(ClientError::Api { status, .. }) => Some(*status),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_share_one_oms_the_leader_polling_and_every_replica_operating() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_oms_shared");
    let oms = OmsStandin::start(6, &["cn-hangzhou"]).await;
    // The first leads and polls often; the second would poll only hourly if it led, so what
    // it shows of OMS's changes came through the database.
    let (first, _d1) = replica(&db, &database, &oms, Duration::from_millis(200)).await;
    let (second, _d2) = replica(&db, &database, &oms, Duration::from_secs(3_600)).await;
    let deployment = client(&second).deployment().await.unwrap();
    assert_eq!(deployment.replicas.len(), 2, "{:?}", deployment.replicas);
    let leader: Vec<_> = deployment.replicas.iter().filter(|r| r.leader).collect();
    assert_eq!(leader.len(), 1, "{:?}", deployment.replicas);
    assert_eq!(leader[0].listen, first.addr().to_string());
    let mut names: Vec<String> = client(&second)
        .list_writers(None)
        .await
        .unwrap()
        .writers
        .into_iter()
        .map(|w| w.name.to_string())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        12,
        "an Incr-Sync and a Full-Import per project"
    );

    // OMS's own change (an operator in OMS's console) shows on the replica that does not poll.
    let project = oms.projects()[1].clone();
    let target = project.incr[0].name.clone();
    assert!(oms.edit_component(&target, |c| c.status = "STOPPED".into()));
    writer_when(&second, &target, Duration::from_secs(10), |w| {
        w.status == WriterStatus::Stopped
    })
    .await;
    assert!(oms.edit_component(&target, |c| c.status = "RUNNING".into()));
    let (running, _) = writer_when(&second, &target, Duration::from_secs(10), |w| {
        w.status == WriterStatus::Running
    })
    .await;

    // A pause through the follower: OMS is asked once, and the leader serves the writer
    // stopped within a second.
    let paused = client(&second)
        .pause(&running.id, Some(running.version))
        .await
        .unwrap();
    assert_eq!(paused.status, WriterStatus::Stopped);
    assert_eq!(oms.calls_to("stop").len(), 1);
    let (_, took) = writer_when(&first, &target, Duration::from_secs(1), |w| {
        w.status == WriterStatus::Stopped
    })
    .await;
    println!("a pause through one replica showed on the other after {took:?}");
    let audit = client(&first).audit(&running.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].result, "ok");

    // Two operators start it with the same If-Match through two replicas at once: one wins,
    // the other is told the writer changed, and OMS is asked to resume it once.
    let (through_first, through_second) = (client(&first), client(&second));
    let (one, other) = tokio::join!(
        through_first.start(&paused.id, None, Some(paused.version)),
        through_second.start(&paused.id, None, Some(paused.version)),
    );
    let mut statuses = [status_of(&one), status_of(&other)];
    statuses.sort();
    assert_eq!(statuses, [Some(200), Some(412)], "{one:?} / {other:?}");
    assert_eq!(oms.calls_to("resume").len(), 1);
    let audit = client(&second).audit(&paused.id, 10).await.unwrap();
    let mut results: Vec<&str> = audit.iter().map(|e| e.result.as_str()).collect();
    results.sort();
    assert_eq!(results, ["ok", "ok", "version_mismatch"], "{audit:?}");

    // The leader gone, the other replica leads and polls at once (not an hour later).
    first.shutdown().await;
    let polls = oms.calls_to("ListProjects").len();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let deployment = client(&second).deployment().await.unwrap();
        if deployment.replicas.len() == 1 && deployment.replicas[0].leader {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no lead taken: {:?}",
            deployment.replicas
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while oms.calls_to("ListProjects").len() == polls {
        assert!(Instant::now() < deadline, "the new leader did not poll");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    second.shutdown().await;
}

/// A `jwctl serve --backend oms` process on `database`, with the shared token; killed when
/// dropped.
struct OmsReplica {
    child: std::process::Child,
    client: Client,
    _data: tempfile::TempDir,
}

impl OmsReplica {
    fn start(db: &MariaDb, database: &str, oms: &OmsStandin) -> OmsReplica {
        use std::os::unix::fs::PermissionsExt;
        let private = |name: &str, content: &str| {
            let path = db.dir().join(name);
            std::fs::write(&path, content).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            path.display().to_string()
        };
        let token = private("token", TOKEN);
        let oms_password = private("oms-password", oms_standin::PASSWORD);
        let cm: Vec<String> = oms
            .cm
            .iter()
            .map(|(region, url)| format!("{region}={url}"))
            .collect();
        let data = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--token-file",
            &token,
            "--backend",
            "oms",
            "--oms-url",
            &oms.url,
            "--oms-user",
            oms_standin::USER,
            "--oms-password-file",
            &oms_password,
        ];
        for url in &cm {
            args.extend(["--cm-url", url]);
        }
        let child = replica::serve_bare(&db.url(database), &db.password_file(), data.path(), &args);
        let replica::Started::Listening(child, url, _) = replica::started(child) else {
            panic!("the replica did not start");
        };
        OmsReplica {
            child,
            client: Client::new(ClientOptions::new(url, Some(TOKEN.into()))).unwrap(),
            _data: data,
        }
    }
}

impl Drop for OmsReplica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A pause through a follower while the leader's poll is under way, having described the
/// writer's project before the pause: neither the leader nor the follower shows the writer
/// running again when that poll ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leaders_poll_under_way_does_not_undo_a_pause_through_a_follower() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_oms_poll_race");
    let oms = OmsStandin::start(2, &["cn-hangzhou"]).await;
    let projects = oms.projects();
    let (ours, slow) = (projects[0].clone(), projects[1].clone());
    let (leader, _d1) = replica(&db, &database, &oms, Duration::from_millis(200)).await;
    let (follower, _d2) = replica(&db, &database, &oms, Duration::from_secs(3_600)).await;
    let (writer, _) = writer_when(
        &follower,
        &ours.incr[0].name,
        Duration::from_secs(10),
        |w| w.status == WriterStatus::Running,
    )
    .await;
    // From now on every poll describes both projects at once and waits for the slow one.
    oms.slow_describe(&slow.id, Duration::from_millis(1_500));
    let (seen, slow_seen) = (oms.describes_of(&ours.id), oms.describes_of(&slow.id));
    oms.until(Duration::from_secs(10), "a poll to begin", |o| {
        o.describes_of(&ours.id) > seen && o.describes_of(&slow.id) > slow_seen
    })
    .await;
    let slow_asked = oms.describes_of(&slow.id);
    let paused = client(&follower)
        .pause(&writer.id, Some(writer.version))
        .await
        .unwrap();
    assert_eq!(paused.status, WriterStatus::Stopped);
    writer_when(&leader, &writer.id, Duration::from_secs(1), |w| {
        w.status == WriterStatus::Stopped
    })
    .await;
    // Until the poll after the one under way has ended and the follower has read it, both
    // show the writer stopped.
    let (on_leader, on_follower) = (client(&leader), client(&follower));
    let deadline = Instant::now() + Duration::from_secs(15);
    while oms.describes_of(&slow.id) < slow_asked + 2 {
        for (replica, on) in [("leader", &on_leader), ("follower", &on_follower)] {
            let now = on.writer(&writer.id).await.unwrap();
            assert_eq!(
                now.status,
                WriterStatus::Stopped,
                "the {replica} shows what a poll that began before the pause saw"
            );
        }
        assert!(Instant::now() < deadline, "the polls never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    leader.shutdown().await;
    follower.shutdown().await;
}

/// A replica killed (SIGKILL) while OMS has not yet answered the pause it sent: the audit
/// log, read through another replica, holds the pause as sent and unanswered, and the pause
/// can be sent again through the other replica at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pause_whose_replica_dies_before_oms_answers_is_in_the_audit_log() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_oms_kill");
    let oms = OmsStandin::start(4, &["cn-hangzhou"]).await;
    let mut first = OmsReplica::start(&db, &database, &oms);
    let second = OmsReplica::start(&db, &database, &oms);
    let target = oms.projects()[0].incr[0].name.clone();
    let writer = first.client.writer(&target).await.unwrap();
    assert_eq!(writer.status, WriterStatus::Running);

    // OMS answers slowly: the pause is sent, and the replica dies before the answer comes.
    oms.set_delay(Duration::from_secs(2));
    let pausing = {
        let client = first.client.clone();
        let id = writer.id.clone();
        tokio::spawn(async move { client.pause(&id, Some(writer.version)).await })
    };
    oms.until(Duration::from_secs(15), "the stop to be sent", |o| {
        !o.calls_to("stop").is_empty()
    })
    .await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(
        pausing.await.unwrap().is_err(),
        "answered by a dead replica"
    );
    oms.set_delay(Duration::ZERO);

    let audit = second.client.audit(&writer.id, 10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].result, "unanswered");
    let said = audit[0].message.clone().unwrap_or_default();
    assert!(said.contains("see the writer's status in OMS"), "{said}");

    // The dead replica's turn ended with its connection: the operator pauses again through
    // the other one at once.
    let again = second.client.writer(&target).await.unwrap();
    let paused = second
        .client
        .pause(&again.id, Some(again.version))
        .await
        .unwrap();
    assert_eq!(paused.status, WriterStatus::Stopped);
    let audit = second.client.audit(&writer.id, 10).await.unwrap();
    let results: Vec<&str> = audit.iter().map(|e| e.result.as_str()).collect();
    assert_eq!(results, ["ok", "unanswered"], "{audit:?}");
}

/// An answer the database could not take when it was given (it froze while OMS was being
/// asked) is kept once the database answers again, so the request sent again with its
/// Idempotency-Key gets it, without OMS being asked again and without waiting in vain; and
/// OMS's answer, which the database could not take either, reaches the audit log.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_answer_the_database_missed_is_kept_once_it_is_back() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_kept_later");
    let oms = OmsStandin::start(2, &["cn-hangzhou"]).await;
    let (only, _dir) = replica(&db, &database, &oms, Duration::from_secs(3_600)).await;
    let writer = client(&only)
        .writer(&oms.projects()[0].incr[0].name)
        .await
        .unwrap();
    let writer_id = writer.id.clone();
    let pause = {
        let (http, url) = (reqwest::Client::new(), only.url());
        move || {
            http.post(format!("{url}/v1/writers/{}/pause", writer.id))
                .bearer_auth(TOKEN)
                .header("Idempotency-Key", "kept-later")
                .send()
        }
    };
    oms.set_delay(Duration::from_millis(500));
    let first = tokio::spawn(pause());
    // Once OMS is asked to stop it, its audit entry is in the database and its answer is not.
    oms.until(Duration::from_secs(10), "OMS to be asked to stop it", |o| {
        !o.calls_to("stop").is_empty()
    })
    .await;
    db.freeze();
    let answered = first.await.unwrap().unwrap();
    db.thaw();
    oms.set_delay(Duration::ZERO);
    assert_eq!(answered.status().as_u16(), 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    let again = loop {
        let again = pause().await.unwrap();
        if again.status().as_u16() != 503 {
            break again;
        }
        assert!(Instant::now() < deadline, "the database never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let replayed = again.headers().contains_key("idempotent-replayed");
    let status = again.status().as_u16();
    assert_eq!(
        (status, replayed),
        (200, true),
        "{}",
        again.text().await.unwrap()
    );
    assert_eq!(oms.calls_to("stop").len(), 1);
    // OMS's answer, which the database could not take either, is in the audit log too.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let audit = client(&only).audit(&writer_id, 10).await.unwrap();
        let results: Vec<&str> = audit.iter().map(|e| e.result.as_str()).collect();
        if results == ["ok"] {
            break;
        }
        assert!(Instant::now() < deadline, "{audit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    only.shutdown().await;
}
