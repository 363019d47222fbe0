//! Real `jwctl serve` processes sharing one MariaDB: the leader killed with SIGKILL under load
//! (a follower leads within 10 s, no acknowledged operation is lost, the audit holds every
//! one and nothing half), and the real console following one replica while a change goes
//! through another.

mod common;
#[path = "support/mariadb.rs"]
mod mariadb;
#[path = "support/pty.rs"]
mod pty;
#[path = "support/replica.rs"]
mod replica;
#[path = "support/serve.rs"]
mod serve;

use std::collections::HashMap;
use std::path::Path;
use std::process::Child;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jwctl::api::AuditLog;
use jwctl::domain::{Writer, WriterStatus};
use mariadb::MariaDb;
use pty::PtyApp;
use replica::{Started, serve, started};
use serve::{TOKEN, row_of};

/// A `jwctl serve` on the database, with a data dir of its own and the shared token.
struct Replica {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

impl Replica {
    fn start(db: &MariaDb, database: &str, password_file: &Path, token_file: &Path) -> Replica {
        let data = tempfile::tempdir().unwrap();
        let token = token_file.to_str().unwrap();
        let child = serve(
            &db.url(database),
            password_file,
            data.path(),
            &["--token-file", token, "--transition-ms", "200"],
        );
        let Started::Listening(child, url, _) = started(child) else {
            panic!("the replica did not start");
        };
        Replica {
            child,
            url,
            _data: data,
        }
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token_file(db: &MariaDb) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = db.dir().join("token");
    std::fs::write(&path, TOKEN).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    path
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn get<T: serde::de::DeserializeOwned>(http: &reqwest::Client, url: &str) -> Option<T> {
    let answer = http.get(url).bearer_auth(TOKEN).send().await.ok()?;
    if !answer.status().is_success() {
        return None;
    }
    answer.json().await.ok()
}

/// Whether the replica at `url` says it leads.
async fn leads(http: &reqwest::Client, url: &str) -> bool {
    let deployment: Option<jwctl::api::Deployment> =
        get(http, &format!("{url}/v1/deployment")).await;
    deployment.is_some_and(|d| {
        d.replicas
            .iter()
            .any(|r| r.leader && url.ends_with(&r.listen))
    })
}

/// What became of the operations sent to one writer.
#[derive(Debug, Default, Clone, Copy)]
struct Outcomes {
    /// Answered 2xx: applied (or a no-op), and audited.
    acknowledged: usize,
    /// No answer (the replica died, or the database did not answer): applied or not.
    unknown: usize,
}

/// Starts and pauses `writers` in turn through `replicas` (round robin) until `stop`.
async fn load(
    replicas: Vec<String>,
    writers: Vec<String>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    outcomes: Arc<Mutex<HashMap<String, Outcomes>>>,
) {
    let http = http();
    let mut turn = 0usize;
    while !stop.load(std::sync::atomic::Ordering::Acquire) {
        for id in &writers {
            turn += 1;
            let base = &replicas[turn % replicas.len()];
            let action = if turn % 4 < 2 { "pause" } else { "start" };
            let answer = http
                .post(format!("{base}/v1/writers/{id}/{action}"))
                .bearer_auth(TOKEN)
                .send()
                .await;
            let mut outcomes = outcomes.lock().unwrap();
            let outcome = outcomes.entry(id.clone()).or_default();
            match answer {
                Ok(answer) if answer.status().is_success() => outcome.acknowledged += 1,
                // Refused by the rules (a writer mid-transition): audited as refused.
                Ok(answer) if answer.status().is_client_error() => {}
                // Connection refused by a dead replica: never reached it.
                Err(error) if error.is_connect() => {}
                _ => outcome.unknown += 1,
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn when_the_leader_is_killed_under_load_a_follower_leads_and_nothing_acknowledged_is_lost() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_failover");
    let password_file = db.password_file();
    let token_file = token_file(&db);
    let mut leader = Replica::start(&db, &database, &password_file, &token_file);
    let follower = Replica::start(&db, &database, &password_file, &token_file);
    let http = http();

    let list: jwctl::api::WriterList = get(&http, &format!("{}/v1/writers", follower.url))
        .await
        .unwrap();
    let ids: Vec<String> = list.writers.iter().map(|w| w.id.clone()).collect();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let outcomes = Arc::new(Mutex::new(HashMap::new()));
    let urls = vec![leader.url.clone(), follower.url.clone()];
    let clients: Vec<_> = (0..4)
        .map(|part| {
            let writers = ids.iter().skip(part).step_by(4).cloned().collect();
            tokio::spawn(load(urls.clone(), writers, stop.clone(), outcomes.clone()))
        })
        .collect();

    // Under load for a while, then the leader dies without a word.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let acknowledged_now = |outcomes: &Mutex<HashMap<String, Outcomes>>| -> usize {
        outcomes
            .lock()
            .unwrap()
            .values()
            .map(|o| o.acknowledged)
            .sum()
    };
    leader.child.kill().unwrap();
    leader.child.wait().unwrap();
    let killed = Instant::now();
    let at_kill = acknowledged_now(&outcomes);
    // Changes acknowledged while no replica led.
    let mut leaderless = 0;
    let took_over = loop {
        if leads(&http, &follower.url).await {
            break killed.elapsed();
        }
        leaderless = acknowledged_now(&outcomes) - at_kill;
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "no replica led 10 s after the leader's kill"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    eprintln!(
        "the follower led {took_over:?} after the leader's kill; {leaderless} changes were taken meanwhile"
    );
    assert!(leaderless > 0, "no change was taken while no replica led");
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, std::sync::atomic::Ordering::Release);
    for client in clients {
        client.await.unwrap();
    }

    // Every transition ends, under the new leader.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let list: jwctl::api::WriterList = get(&http, &format!("{}/v1/writers", follower.url))
            .await
            .unwrap();
        let moving: Vec<&Writer> = list
            .writers
            .iter()
            .filter(|w| matches!(w.status, WriterStatus::Starting | WriterStatus::Pausing))
            .collect();
        if moving.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still in transition: {moving:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The audit holds every acknowledged operation, and nothing beyond those sent.
    let outcomes = outcomes.lock().unwrap().clone();
    let mut acknowledged = 0;
    for id in &ids {
        let outcome = outcomes.get(id).copied().unwrap_or_default();
        let audit: AuditLog = get(
            &http,
            &format!("{}/v1/audit?writer={id}&limit=500", follower.url),
        )
        .await
        .unwrap();
        assert!(audit.entries.len() < 500, "more than one page of audit");
        let done = audit
            .entries
            .iter()
            .filter(|e| e.result == "ok" || e.result == "noop")
            .count();
        assert!(
            outcome.acknowledged <= done && done <= outcome.acknowledged + outcome.unknown,
            "{id}: {outcome:?}, audited as done: {done}"
        );
        acknowledged += outcome.acknowledged;
    }
    assert!(acknowledged > 20, "the load did little: {acknowledged}");
    eprintln!("{acknowledged} operations acknowledged, all audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_change_through_one_replica_reaches_a_console_following_another() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_console");
    let password_file = db.password_file();
    let token_file = token_file(&db);
    let first = Replica::start(&db, &database, &password_file, &token_file);
    let second = Replica::start(&db, &database, &password_file, &token_file);
    let http = http();
    let list: jwctl::api::WriterList = get(&http, &format!("{}/v1/writers", second.url))
        .await
        .unwrap();
    let target = list
        .writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap()
        .clone();

    let sandbox = tempfile::tempdir().unwrap();
    let token = token_file.to_str().unwrap();
    let console = serve::console(
        sandbox.path(),
        &[
            "--controller",
            &second.url,
            "--token-file",
            token,
            "--tz",
            "UTC",
        ],
    );
    let mut app = PtyApp::spawn(console, 120, 30);
    app.wait_for("10/10 shown");
    app.search_to_top(&target.name);
    assert!(
        row_of(&app.contents(), &target.name).is_some_and(|row| row.contains("Running")),
        "{}",
        app.contents()
    );

    let paused = http
        .post(format!("{}/v1/writers/{}/pause", first.url, target.id))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert!(paused.status().is_success());
    let sent = Instant::now();
    app.wait_until("the pause to show", Duration::from_secs(20), |s| {
        row_of(s, &target.name).is_some_and(|row| row.contains("Stopped"))
    });
    eprintln!(
        "the console showed Stopped {:?} after the pause",
        sent.elapsed()
    );
    app.send("q");
    assert_eq!(app.wait_exit(Duration::from_secs(20)), Some(true));
}

/// A leader whose database stops answering (the server frozen with SIGSTOP) stops leading
/// before the lease it last claimed runs out, counted from before that claim: then no other
/// replica can take the lead while it still drives the fleet. (Before the leader counted
/// from the claim's start and stopped waiting on the database, it said 8,094 ms in one run of
/// four here: where in its renewal the database froze decides, so this cannot fail every
/// time against that.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_leader_cut_off_from_the_database_stops_leading_within_its_lease() {
    let Some(db) = MariaDb::start() else { return };
    let database = db.database("jw_cut_off");
    let (password_file, token) = (db.password_file(), token_file(&db));
    let data = tempfile::tempdir().unwrap();
    let child = serve(
        &db.url(&database),
        &password_file,
        data.path(),
        &["--token-file", token.to_str().unwrap()],
    );
    let (Started::Listening(child, url, _), said) = replica::started_saying(child) else {
        panic!("the replica did not start");
    };
    let _replica = Replica {
        child,
        url: url.clone(),
        _data: data,
    };
    let http = http();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !leads(&http, &url).await {
        assert!(Instant::now() < deadline, "the only replica never led");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    db.freeze();
    let frozen = Instant::now();
    let deadline = frozen + Duration::from_secs(20);
    let stopped = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match said.recv_timeout(left) {
            Ok(line) if line.contains("this replica stops leading") => break line,
            Ok(_) => {}
            Err(error) => panic!("it never stopped leading ({error})"),
        }
    };
    let since_frozen = frozen.elapsed();
    db.thaw();
    let led_for_ms: u64 = stopped
        .split(" for ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no time in {stopped:?}"));
    assert!(
        led_for_ms < 5_000,
        "it led {led_for_ms} ms after its last claim began, past its 5 s lease: {stopped}"
    );
    // Its last claim began before the database froze.
    assert!(
        since_frozen < Duration::from_secs(5),
        "it led {since_frozen:?} after the database froze, past its 5 s lease: {stopped}"
    );
}
