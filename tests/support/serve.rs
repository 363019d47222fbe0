//! A real `jwctl serve` for end-to-end tests, and the console command isolated from the
//! user's environment.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use jwctl::client::{Client, ClientOptions};
use jwctl::domain::Writer;
use portable_pty::CommandBuilder;

pub const TOKEN: &str = "e2e-token-5c1f0a9d7b3e";

/// `jwctl serve` on 127.0.0.1:0 with a demo fleet in a temp dir.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub token_file: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let (child, url, token_file) = spawn_serve(dir.path());
        Server {
            child,
            url,
            token_file,
            _dir: dir,
        }
    }

    pub fn client(&self) -> Client {
        Client::new(ClientOptions::new(&self.url, Some(TOKEN.into()))).expect("client")
    }

    /// The console connected to this controller with its token, times in UTC, then `extra`.
    pub fn console(&self, sandbox: &Path, extra: &[&str]) -> CommandBuilder {
        let token_file = self.token_file.to_string_lossy().to_string();
        let mut args = vec![
            "--controller",
            self.url.as_str(),
            "--token-file",
            token_file.as_str(),
            "--tz",
            "UTC",
        ];
        args.extend_from_slice(extra);
        console(sandbox, &args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `jwctl serve` on 127.0.0.1:0 with a demo fleet of 80 writers in 3 regions, its state
/// and its token file in `dir` (so a later one in the same `dir` is a restart): the child,
/// its URL and the token file.
pub fn spawn_serve(dir: &std::path::Path) -> (Child, String, std::path::PathBuf) {
    let token_file = dir.join("token");
    std::fs::write(&token_file, TOKEN).expect("token file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwctl"))
        .args(["serve", "--listen", "127.0.0.1:0", "--demo-fleet", "80"])
        .args(["--regions", "3", "--transition-ms", "300", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--token-file")
        .arg(&token_file)
        .env_remove("JWCTL_TOKEN")
        .env_remove("JWCTL_CONTROLLER")
        .env_remove("JWCTL_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start jwctl serve");
    let url = listening_url(&mut child);
    (child, url, token_file)
}

/// The URL a just spawned `jwctl serve` (stderr piped) says it listens on; its stderr keeps
/// being drained afterwards so the server never blocks on a full pipe.
pub fn listening_url(child: &mut Child) -> String {
    let stderr = child.stderr.take().expect("stderr piped");
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("jwctl serve ended before it listened")
            .expect("read stderr");
        if let Some(at) = line.find("listening on ") {
            break line[at + "listening on ".len()..].trim().to_string();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    url
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// `jwctl` with `args`, isolated from the user's config and environment.
pub fn console(sandbox: &Path, args: &[&str]) -> CommandBuilder {
    // JWCTL_E2E_BIN runs the tests against another build, e.g. to see a test fail on the
    // build before a fix.
    let binary =
        std::env::var("JWCTL_E2E_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_jwctl").to_string());
    let mut command = CommandBuilder::new(binary);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("JWCTL_") {
            command.env_remove(name);
        }
    }
    command.env_remove("NO_COLOR");
    command.env("TERM", "xterm-256color");
    command.env("XDG_CONFIG_HOME", sandbox.join("config"));
    command.env("XDG_DATA_HOME", sandbox.join("data"));
    command.env("XDG_STATE_HOME", sandbox.join("state"));
    command.args(args);
    command
}

/// The screen line showing writer `name`.
pub fn row_of<'a>(screen: &'a str, name: &str) -> Option<&'a str> {
    screen
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
}

/// Polls writer `id` until `done`, for at most 20 s. `rt` must be the runtime the client's
/// connections were made on.
pub fn poll_writer(
    rt: &tokio::runtime::Runtime,
    client: &Client,
    id: &str,
    done: impl Fn(&Writer) -> bool,
) -> Writer {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let writer = rt.block_on(client.writer(id)).expect("writer");
        if done(&writer) {
            return writer;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "writer never got there: {writer:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
