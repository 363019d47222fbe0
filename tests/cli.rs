//! End to end: the real `jwctl` binary against a real controller on 127.0.0.1:0 with a
//! SQLite database in a temp dir. Each test gets its own controller and its own empty
//! XDG dirs, and no JWCTL_* variable of the user's environment reaches the binary.

use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use chrono::{DateTime, TimeDelta};
use jwctl::api::WriterList;
use jwctl::domain::{Writer, WriterKind, WriterStatus, Zone};

#[path = "support/cli_fixture.rs"]
mod cli_fixture;
use cli_fixture::*;

#[path = "support/pty.rs"]
mod pty;

#[test]
fn list_prints_an_aligned_table_and_a_count() {
    let fx = Fixture::new();
    let output = fx.jwctl(&["list", "--tz", "UTC"]);
    assert_exit(&output, 0);
    let table = stdout(&output);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), FLEET + 1, "{table}");
    let header = lines[0];
    for column in [
        "NAME",
        "SERVER IP",
        "PROJECT",
        "REGION",
        "KIND",
        "STATUS",
        "LATENCY",
        "CHECKPOINT",
    ] {
        assert!(header.contains(column), "{header}");
    }
    // Every row has its region where the header has REGION: the columns line up.
    let region_at = header.find("REGION").expect("REGION column");
    let writers = fx.writers();
    for (line, writer) in lines[1..].iter().zip(&writers) {
        assert!(line.starts_with(&writer.name), "{line}");
        assert_eq!(
            line.get(region_at..region_at + writer.region.len()),
            Some(writer.region.as_str()),
            "{line}"
        );
        assert!(line.contains(writer.project.id.as_str()), "{line}");
    }
    assert!(
        !table.contains('\x1b'),
        "no colour when stdout is not a terminal"
    );
    assert!(
        stderr(&output).contains(&format!("{FLEET} of {FLEET} writers; checkpoints in UTC")),
        "{}",
        stderr(&output)
    );
}

/// `jwctl list | head -1`: the reader goes away long before the table is written.
#[test]
fn a_closed_stdout_ends_list_quietly() {
    let fx = Fixture::with_fleet(2_000);
    for format in ["table", "json"] {
        let mut child = sandboxed_std(fx.sandbox.path())
            .args([
                "list",
                "--controller",
                &fx.url,
                "--token",
                TOKEN,
                "--output",
                format,
            ])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("jwctl runs");
        let mut first = [0u8; 64];
        let read = child
            .stdout
            .take()
            .map(|mut out| out.read(&mut first))
            .expect("stdout")
            .expect("the first bytes");
        assert!(read > 0);
        let output = child.wait_with_output().expect("jwctl exits");
        assert_exit(&output, 0);
        assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
    }
}

#[test]
fn list_json_is_one_document_in_the_controllers_order() {
    let fx = Fixture::new();
    let output = fx.jwctl(&["list", "--output", "json"]);
    assert_exit(&output, 0);
    let list = json_list(&output);
    let api = fx.writers();
    assert_eq!(names(&list.writers), names(&api));
}

#[test]
fn list_filters_by_region_status_and_search() {
    let fx = Fixture::new();
    let all = fx.writers();

    let region = all[0].region.clone();
    let output = fx.jwctl(&["list", "--region", &region, "--output", "json"]);
    assert_exit(&output, 0);
    let in_region = json_list(&output).writers;
    assert!(!in_region.is_empty() && in_region.len() < all.len());
    assert!(in_region.iter().all(|w| w.region == region));
    assert_eq!(names(&in_region), names(&fx.list(Some(&region)).writers));

    let output = fx.jwctl(&["list", "--region", "mars-1"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("unknown region 'mars-1'"),
        "{}",
        stderr(&output)
    );

    let output = fx.jwctl(&["list", "--status", "stopped,failed", "--output", "json"]);
    assert_exit(&output, 0);
    let halted = json_list(&output).writers;
    let expected: Vec<&Writer> = all
        .iter()
        .filter(|w| matches!(w.status, WriterStatus::Stopped | WriterStatus::Failed))
        .collect();
    assert!(
        !expected.is_empty(),
        "the demo fleet has stopped or failed writers"
    );
    assert_eq!(halted.len(), expected.len());
    assert!(
        halted
            .iter()
            .all(|w| matches!(w.status, WriterStatus::Stopped | WriterStatus::Failed))
    );

    // Part of a migration project's name finds that project's writers, and not everything.
    let project = all[0].project.clone();
    let word = project
        .name
        .split_whitespace()
        .next()
        .expect("a project name has a word")
        .to_string();
    let output = fx.jwctl(&["list", "--search", &word, "--output", "json"]);
    assert_exit(&output, 0);
    let found = json_list(&output).writers;
    let members = all.iter().filter(|w| w.project == project).count();
    assert_eq!(
        found.iter().filter(|w| w.project == project).count(),
        members,
        "searching '{word}' finds every writer of {project:?}"
    );
    assert!(
        found.len() < all.len(),
        "searching '{word}' narrows the list"
    );

    let output = fx.jwctl(&["list", "--status", "bogus"]);
    assert_exit(&output, 2);
}

#[test]
fn pause_by_name_then_start_by_id_with_replay_resets_the_checkpoint() {
    let fx = Fixture::new();
    let writer = fx.pick("running incremental writer", |w| {
        w.status == WriterStatus::Running && w.kind == WriterKind::Incremental
    });

    let output = fx.jwctl(&["pause", &writer.name, "--yes"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).starts_with(&format!("Paused {}: pausing", writer.name)),
        "{}",
        stdout(&output)
    );
    let stopped = fx.settle(&writer.id, WriterStatus::Stopped);
    let kept = stopped.checkpoint.expect("the checkpoint is kept");
    assert!(
        kept >= writer
            .checkpoint
            .expect("a running writer has a checkpoint")
    );

    // Halfway between the store's earliest data and the checkpoint, whole seconds, typed as
    // wall time in UTC+08:00.
    let earliest = stopped.store.earliest;
    let replay = earliest + (kept - earliest) / 2;
    let replay = DateTime::from_timestamp(replay.timestamp(), 0).expect("in range");
    let zone: Zone = "+08:00".parse().expect("zone");
    let typed = zone.format(replay);
    let output = fx.jwctl(&[
        "start",
        &writer.id,
        "--replay-from",
        &typed,
        "--tz",
        "+08:00",
        "--yes",
    ]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!(
            "Started {}: starting (replaying from {typed} UTC+08:00)\n",
            writer.name
        )
    );
    let restarted = fx.writer(&writer.id);
    let reset = restarted
        .checkpoint
        .expect("a replayed writer has a checkpoint");
    assert!(
        reset >= replay && reset < kept,
        "checkpoint {reset} after replay from {replay}"
    );
    let audit = fx
        .runtime
        .block_on(fx.client.audit(&writer.id, 1))
        .expect("audit via the API");
    assert_eq!(audit.first().and_then(|e| e.replay_from), Some(replay));
    fx.settle(&writer.id, WriterStatus::Running);

    // Both are no-ops now and say so.
    let output = fx.jwctl(&["start", &writer.name, "--yes"]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!("{} is already running\n", writer.name)
    );
    let halted = fx.pick("stopped writer", |w| w.status == WriterStatus::Stopped);
    let output = fx.jwctl(&["pause", &halted.id]);
    assert_exit(&output, 0);
    assert_eq!(
        stdout(&output),
        format!("{} is already stopped\n", halted.name)
    );
}

#[test]
fn mutations_without_a_terminal_need_yes_and_change_nothing() {
    let fx = Fixture::new();
    let running = fx.pick("running writer", |w| w.status == WriterStatus::Running);
    let output = fx.jwctl(&["pause", &running.name]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains(
            "refusing to pause without confirmation: stdin is not a terminal; pass --yes"
        ),
        "{}",
        stderr(&output)
    );
    let after = fx.writer(&running.id);
    assert_eq!(
        (after.status, after.version),
        (running.status, running.version)
    );

    let stopped = fx.pick("stopped incremental writer", |w| {
        w.status == WriterStatus::Stopped && w.kind == WriterKind::Incremental
    });
    let output = fx.jwctl(&["start", &stopped.id, "--replay-from", "-1m"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("refusing to start without confirmation"),
        "{}",
        stderr(&output)
    );
    let after = fx.writer(&stopped.id);
    assert_eq!(
        (after.status, after.version),
        (stopped.status, stopped.version)
    );
}

#[test]
fn a_bad_timestamp_is_a_usage_error_listing_the_accepted_forms() {
    let fx = Fixture::new();
    let stopped = fx.pick("stopped writer", |w| w.status == WriterStatus::Stopped);
    let output = fx.jwctl(&[
        "start",
        &stopped.name,
        "--replay-from",
        "yesterday",
        "--yes",
    ]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    for form in [
        "'yesterday'",
        "accepted forms",
        "YYYY-MM-DD HH:MM:SS",
        "RFC 3339",
        "epoch seconds",
        "-2h",
    ] {
        assert!(message.contains(form), "{message}");
    }
    assert_eq!(fx.writer(&stopped.id).version, stopped.version);

    // It is checked before the controller is contacted.
    let output = fx
        .bare()
        .args([
            "start",
            "--controller",
            "http://127.0.0.1:9",
            "w",
            "--replay-from",
            "13:00",
            "--yes",
        ])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains("accepted forms"),
        "{}",
        stderr(&output)
    );
}

/// What the rules refuse is never sent: the refusal comes from jwctl itself, in the
/// operator's zone, with no prompt, and the controller records nothing.
#[test]
fn replay_outside_the_store_range_is_refused_before_anything_is_sent() {
    let fx = Fixture::new();
    let stopped = fx.pick("stopped incremental writer", |w| {
        w.status == WriterStatus::Stopped && w.kind == WriterKind::Incremental
    });
    let audit_before = fx.audit(&stopped.id).len();
    let too_old = stopped.store.earliest - TimeDelta::hours(1);
    let output = fx.jwctl(&[
        "start",
        &stopped.name,
        "--replay-from",
        &rfc3339(too_old),
        "--tz",
        "+08:00",
    ]);
    assert_exit(&output, 1);
    let message = stderr(&output);
    assert!(!message.contains("[y/N]"), "no question: {message}");
    let zone: Zone = "+08:00".parse().expect("zone");
    let refusal = message.trim_end();
    assert!(
        refusal.starts_with(&format!(
            "error: replay timestamp {} is outside the change data {} holds (",
            zone.format(too_old),
            stopped.store.id
        )),
        "{refusal}"
    );
    assert!(
        refusal.ends_with("UTC+08:00); choose a timestamp in that range; nothing was sent"),
        "{refusal}"
    );
    assert_eq!(fx.writer(&stopped.id).version, stopped.version);
    assert_eq!(
        fx.audit(&stopped.id).len(),
        audit_before,
        "the controller heard nothing"
    );
}

#[test]
fn unknown_writers_are_usage_errors_with_suggestions() {
    let fx = Fixture::new();
    let output = fx.jwctl(&["pause", "no-such-writer", "--yes"]);
    assert_exit(&output, 2);
    assert!(
        stderr(&output).contains(
            "no writer with id or name 'no-such-writer'; `jwctl list --search no-such-writer`"
        ),
        "{}",
        stderr(&output)
    );
    // A project id is not a writer, but its writers are suggested.
    let writer = fx.writers().remove(0);
    let output = fx.jwctl(&["start", &writer.project.id, "--yes"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("closest matches:"), "{message}");
    assert!(message.contains(&writer.name), "{message}");

    // A writer the project does not have (its writers are numbered 1 to at most 7): no search
    // finds it, but the names one or two keystrokes away are listed, best first.
    let (stem, _) = writer
        .name
        .rsplit_once("-1-0")
        .expect("demo names end in -N-0");
    let missing = format!("{stem}-9-0");
    let output = fx.jwctl(&["pause", &missing, "--yes"]);
    assert_exit(&output, 2);
    let message = stderr(&output);
    let suggested: Vec<&str> = message
        .lines()
        .skip_while(|line| *line != "closest matches:")
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    let siblings = fx
        .writers()
        .into_iter()
        .filter(|w| w.project == writer.project)
        .count();
    assert_eq!(suggested.len(), siblings.min(5), "{message}");
    assert_eq!(suggested.first(), Some(&writer.name.as_str()), "{message}");
    assert!(
        suggested.iter().all(|name| name.starts_with(stem)),
        "{message}"
    );
}

#[test]
fn tokens_come_from_flags_environment_files_and_config() {
    let fx = Fixture::new();

    let output = fx
        .bare()
        .args(["list", "--controller", &fx.url, "--token", "wrong"])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 1);
    let message = stderr(&output);
    assert!(message.contains("unauthorized"), "{message}");
    assert!(message.contains("check the token"), "{message}");
    assert!(!message.contains(TOKEN));

    let output = fx
        .bare()
        .args(["list", "--controller", &fx.url])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("no token was given"),
        "{}",
        stderr(&output)
    );

    let output = fx
        .bare()
        .env("JWCTL_TOKEN", TOKEN)
        .env("JWCTL_CONTROLLER", &fx.url)
        .args(["list", "--output", "json"])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 0);
    assert_eq!(json_list(&output).writers.len(), FLEET);

    let token_file = fx.sandbox.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("token file");
    let token_path = token_file.to_string_lossy().into_owned();
    let output = fx
        .bare()
        .args(["list", "--controller", &fx.url, "--token-file", &token_path])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 0);

    // The default config file under XDG_CONFIG_HOME names controller, token file and zone.
    let config_dir = fx.sandbox.path().join("config").join("jwctl");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::write(
        config_dir.join("config.toml"),
        format!(
            "controller = \"{}\"\ntoken_file = \"{}\"\ntz = \"Asia/Shanghai\"\n",
            fx.url, token_path
        ),
    )
    .expect("config file");
    let output = fx.bare().arg("list").output().expect("jwctl runs");
    assert_exit(&output, 0);
    assert!(
        stderr(&output).contains("checkpoints in Asia/Shanghai"),
        "{}",
        stderr(&output)
    );

    std::fs::write(config_dir.join("config.toml"), "controler = 'typo'\n").expect("config file");
    let output = fx.bare().arg("list").output().expect("jwctl runs");
    assert_exit(&output, 2);
    assert!(stderr(&output).contains("controler"), "{}", stderr(&output));
}

#[test]
fn an_unreachable_controller_fails_quickly_and_clearly() {
    let fx = Fixture::new();
    // A port that was just free: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let output = fx
        .bare()
        .args([
            "pause",
            "--controller",
            &url,
            "--token",
            TOKEN,
            "w",
            "--yes",
        ])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 1);
    let message = stderr(&output);
    assert!(
        message.contains(&format!("cannot reach the controller at {url}")),
        "{message}"
    );
    assert!(started.elapsed() < RUN_LIMIT);
}

/// The real controller cannot hold two writers with one name (names are unique in its
/// database) and a version race cannot be timed from outside the binary, so this test serves
/// a fleet with a duplicated name from a minimal stand-in controller that answers every POST
/// with 412 `version_mismatch`, carrying the writer as it is now as the API documents
/// (`error.writer`). Its GET of one writer answers something else, so the test shows that
/// jwctl tells what the 412 says without asking again.
#[test]
fn ambiguous_names_and_version_races_are_explained() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let template: Writer = serde_json::from_value(serde_json::json!({
        "id": "10.0.0.1-9000:connector_v2:np_a-incr_trans-1-0:0000000001",
        "name": "twin",
        "server_ip": "10.0.0.1",
        "region": "cn-hangzhou",
        "project": {"id": "np_a", "name": "orders"},
        "kind": "incremental",
        "status": "running",
        "checkpoint": "2026-11-24T10:00:00Z",
        "latency_ms": 1000,
        "store": {"id": "store_a", "earliest": "2026-11-23T10:00:00Z", "latest": "2026-11-24T10:00:01Z"},
        "message": null,
        "version": 4,
        "updated_at": "2026-11-24T10:00:00Z"
    }))
    .expect("writer JSON");
    let mut second = template.clone();
    second.id = "10.0.0.2-9000:connector_v2:np_b-incr_trans-1-0:0000000002".into();
    second.region = "cn-shanghai".into();
    second.status = WriterStatus::Stopped;
    let mut solo = template.clone();
    solo.id = "solo-id".into();
    solo.name = "solo".into();
    let fleet = WriterList {
        revision: 9,
        writers: vec![template.clone(), second.clone(), solo.clone()],
    };
    let mut moved = solo.clone();
    moved.status = WriterStatus::Pausing;
    moved.version = 5;
    let posts = Arc::new(AtomicUsize::new(0));
    let gets = Arc::new(AtomicUsize::new(0));
    let url = runtime.block_on(fake_controller(fleet, moved, posts.clone(), gets.clone()));
    let sandbox = tempfile::tempdir().expect("sandbox");

    let output = sandboxed(sandbox.path())
        .args([
            "pause",
            "--controller",
            &url,
            "--token",
            TOKEN,
            "twin",
            "--yes",
        ])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("2 writers are named 'twin'"), "{message}");
    assert!(
        message.contains(&format!("{}  region cn-hangzhou, running", template.id)),
        "{message}"
    );
    assert!(
        message.contains(&format!("{}  region cn-shanghai, stopped", second.id)),
        "{message}"
    );
    assert_eq!(posts.load(Ordering::SeqCst), 0, "nothing was sent");

    let output = sandboxed(sandbox.path())
        .args([
            "pause",
            "--controller",
            &url,
            "--token",
            TOKEN,
            "solo",
            "--yes",
        ])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 1);
    assert!(
        stderr(&output).contains("solo changed since it was shown (now pausing, version 5); check it and run the command again"),
        "{}",
        stderr(&output)
    );
    assert_eq!(posts.load(Ordering::SeqCst), 1, "a POST is never retried");
    assert_eq!(gets.load(Ordering::SeqCst), 0, "the 412 said it all");

    // In a batch each race is a failed row that says what the writer is now.
    let output = sandboxed(sandbox.path())
        .args([
            "pause",
            "--controller",
            &url,
            "--token",
            TOKEN,
            "solo",
            &template.id,
            "--yes",
        ])
        .output()
        .expect("jwctl runs");
    assert_exit(&output, 1);
    let table = stdout(&output);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{table}");
    for (row, name) in rows.iter().zip(["solo", "twin"]) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[..3], [name, "failed", "pausing"], "{table}");
        assert!(
            row.ends_with(
                "changed since it was listed (now pausing, version 5); check it and run the \
                 command again"
            ),
            "{table}"
        );
    }
    assert_eq!(
        stderr(&output).trim_end(),
        "0 paused, 0 no-op, 0 refused, 2 failed"
    );
    assert_eq!(posts.load(Ordering::SeqCst), 3, "a POST is never retried");
    assert_eq!(gets.load(Ordering::SeqCst), 0);
}

async fn fake_controller(
    fleet: WriterList,
    moved: Writer,
    posts: Arc<AtomicUsize>,
    gets: Arc<AtomicUsize>,
) -> String {
    use axum::Json;
    use axum::http::StatusCode;
    use axum::routing::{get, post};

    let app = axum::Router::new()
        .route(
            "/v1/writers",
            get(move || {
                let fleet = fleet.clone();
                async move { Json(fleet) }
            }),
        )
        .route(
            "/v1/writers/{id}",
            get(move || {
                gets.fetch_add(1, Ordering::SeqCst);
                async move { (StatusCode::SERVICE_UNAVAILABLE, "not asked for") }
            }),
        )
        .route(
            "/v1/writers/{id}/pause",
            post(move || {
                posts.fetch_add(1, Ordering::SeqCst);
                let body = serde_json::json!({"error": {
                    "code": "version_mismatch",
                    "message": "stale",
                    "writer": moved.clone(),
                }});
                async move { (StatusCode::PRECONDITION_FAILED, Json(body)) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// On a terminal the operator is asked, and only "y" or "yes" goes ahead.
#[test]
fn on_a_terminal_the_operator_confirms() {
    use pty::PtyApp;

    let fx = Fixture::new();
    let running = fx.pick("running writer", |w| w.status == WriterStatus::Running);
    // Answers the prompt with `answer`, waits for `outcome`, and returns the screen and
    // whether jwctl succeeded.
    let ask = |answer: &str, outcome: &str| -> (String, bool) {
        let command = fx.pty_command(&["pause", &running.name]);
        let mut app = PtyApp::spawn(command, 200, 40);
        app.wait_for("[y/N]");
        app.send(&format!("{answer}\r"));
        let screen = app.wait_for(outcome);
        let ok = app
            .wait_exit(RUN_LIMIT)
            .unwrap_or_else(|| panic!("jwctl did not exit:\n{screen}"));
        (screen, ok)
    };

    let (screen, ok) = ask("n", "nothing was changed");
    assert!(!ok, "{screen}");
    assert!(
        screen.contains(&format!(
            "Pause {} ({}, {})? [y/N]",
            running.name, running.server_ip, running.region
        )),
        "{screen}"
    );
    assert!(
        screen.contains("stops writing to the destination until it is started again"),
        "{screen}"
    );
    assert!(screen.contains("nothing was changed"), "{screen}");
    assert_eq!(fx.writer(&running.id).version, running.version);

    let (screen, ok) = ask("yes", "Paused");
    assert!(ok, "{screen}");
    assert!(
        screen.contains(&format!("Paused {}", running.name)),
        "{screen}"
    );
    fx.settle(&running.id, WriterStatus::Stopped);
}
