//! `jwctl token add|list|revoke` run as a new user would, the scripting commands of a viewer
//! against a controller that reads the tokens file they wrote, and `jwctl audit`.

#[path = "support/cli_fixture.rs"]
mod cli_fixture;

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cli_fixture::sandboxed;
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig};
use jwctl::domain::{SystemClock, WriterStatus};

fn token(sandbox: &Path, args: &[&str]) -> Output {
    let tokens = sandbox.join("tokens.toml");
    let mut command = sandboxed(sandbox);
    command
        .arg("token")
        .args(args)
        .arg("--tokens-file")
        .arg(tokens);
    command.output().expect("jwctl token runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `jwctl token add NAME --role ROLE`: the token, alone on stdout.
fn add(sandbox: &Path, name: &str, role: &str) -> String {
    let out = token(sandbox, &["add", name, "--role", role]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let token = stdout.strip_suffix('\n').unwrap_or(&stdout).to_string();
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "stdout is the token alone: {stdout:?}"
    );
    assert!(text(&out.stderr).contains("shown only this once"));
    token
}

#[test]
fn tokens_are_added_listed_and_revoked_and_a_viewer_cannot_pause() {
    let sandbox = tempfile::tempdir().unwrap();
    let vera = add(sandbox.path(), "vera", "viewer");
    let otto = add(sandbox.path(), "otto", "operator");
    let file = std::fs::read_to_string(sandbox.path().join("tokens.toml")).unwrap();
    assert!(!file.contains(&vera) && !file.contains(&otto), "{file}");

    let list = token(sandbox.path(), &["list"]);
    assert_eq!(list.status.code(), Some(0));
    let listed = text(&list.stdout);
    assert!(
        listed.contains("vera  viewer") && listed.contains("otto  operator"),
        "{listed}"
    );

    let again = token(sandbox.path(), &["add", "vera", "--role", "operator"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already"),
        "{}",
        text(&again.stderr)
    );
    let bad = token(sandbox.path(), &["add", "no spaces", "--role", "viewer"]);
    assert_eq!(bad.status.code(), Some(2));
    let no_file = sandboxed(sandbox.path())
        .args(["token", "list"])
        .output()
        .unwrap();
    assert_eq!(no_file.status.code(), Some(2));
    assert!(text(&no_file.stderr).contains("--tokens-file"));

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data = tempfile::tempdir().unwrap();
    let handle = runtime
        .block_on(jwctl::controller::start(ControllerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: data.path().to_path_buf(),
            access: Access::TokensFile(sandbox.path().join("tokens.toml")),
            demo_fleet: Some(20),
            regions: 1,
            transition: Duration::from_millis(100),
            clock: Arc::new(SystemClock),
            oms: None,
            tls: None,
            state: jwctl::controller::StateLocation::DataDir,
        }))
        .unwrap();
    let url = handle.url();
    let client = Client::new(ClientOptions::new(url.clone(), Some(otto.clone()))).unwrap();
    let writers = runtime.block_on(client.list_writers(None)).unwrap().writers;
    let running = writers
        .iter()
        .find(|w| w.status == WriterStatus::Running)
        .unwrap();
    let as_vera = |args: &[&str]| {
        sandboxed(sandbox.path())
            .args(&args[..1])
            .args(["--controller", &url, "--token", &vera])
            .args(&args[1..])
            .output()
            .unwrap()
    };
    let pause = as_vera(&["pause", &running.id, "--yes"]);
    assert_eq!(pause.status.code(), Some(1), "{}", text(&pause.stderr));
    assert!(
        text(&pause.stderr).contains("operator role"),
        "{}",
        text(&pause.stderr)
    );
    assert_eq!(as_vera(&["list"]).status.code(), Some(0));

    let revoke = token(sandbox.path(), &["revoke", "vera"]);
    assert_eq!(revoke.status.code(), Some(0), "{}", text(&revoke.stderr));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = as_vera(&["list"]);
        if list.status.code() == Some(1) {
            assert!(
                text(&list.stderr).contains("not accepted"),
                "{}",
                text(&list.stderr)
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the revoked token still works after 10 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    runtime.block_on(handle.shutdown());
}
