//! The fixture of the CLI's end-to-end tests: a real controller on 127.0.0.1:0 with a SQLite
//! database in a temp dir, and the real `jwctl` binary in a sandbox with its own empty XDG
//! dirs, where no JWCTL_* variable of the user's environment reaches it.

#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use chrono::{DateTime, SecondsFormat, Utc};
use jwctl::api::{AuditEntry, WriterList};
use jwctl::client::{Client, ClientOptions};
use jwctl::controller::{Access, ControllerConfig, ControllerHandle};
use jwctl::domain::{SharedClock, SystemClock, Writer, WriterStatus};
use tempfile::TempDir;

pub const TOKEN: &str = "cli-test-token-0123456789";
pub const FLEET: usize = 60;
/// Upper bound on any one CLI run; a hung command fails the test instead of hanging it.
pub const RUN_LIMIT: Duration = Duration::from_secs(60);
/// Upper bound on waiting for a transition to finish.
pub const SETTLE_LIMIT: Duration = Duration::from_secs(20);

/// A controller running in its own runtime, and a sandbox for the binary.
pub struct Fixture {
    pub runtime: tokio::runtime::Runtime,
    handle: Option<ControllerHandle>,
    pub url: String,
    pub client: Client,
    pub sandbox: TempDir,
    _data: TempDir,
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture::with_fleet(FLEET)
    }

    pub fn with_fleet(size: usize) -> Fixture {
        Fixture::with_clock(size, Arc::new(SystemClock))
    }

    /// A controller of `size` demo writers whose time is `clock`'s.
    pub fn with_clock(size: usize, clock: SharedClock) -> Fixture {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let data = tempfile::tempdir().expect("data dir");
        let handle = runtime
            .block_on(jwctl::controller::start(ControllerConfig {
                listen: "127.0.0.1:0".parse().expect("address"),
                data_dir: data.path().to_path_buf(),
                access: Access::Token(TOKEN.into()),
                demo_fleet: Some(size),
                regions: 3,
                transition: Duration::from_millis(200),
                clock,
                oms: None,
                tls: None,
                state: jwctl::controller::StateLocation::DataDir,
            }))
            .expect("controller starts");
        let url = handle.url();
        let client =
            Client::new(ClientOptions::new(url.clone(), Some(TOKEN.into()))).expect("client");
        Fixture {
            runtime,
            handle: Some(handle),
            url,
            client,
            sandbox: tempfile::tempdir().expect("sandbox"),
            _data: data,
        }
    }

    /// `jwctl` with the controller and token given as flags.
    pub fn jwctl(&self, args: &[&str]) -> Output {
        let mut command = sandboxed(self.sandbox.path());
        command.args(&args[..1]);
        command.args(["--controller", &self.url, "--token", TOKEN]);
        command.args(&args[1..]);
        command.output().expect("jwctl runs")
    }

    /// `jwctl` for a pseudo-terminal, sandboxed like [`sandboxed`], with the controller and
    /// token given as flags after the subcommand `args[0]`.
    pub fn pty_command(&self, args: &[&str]) -> portable_pty::CommandBuilder {
        let mut command = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_jwctl"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("JWCTL_") {
                command.env_remove(name);
            }
        }
        let sandbox = self.sandbox.path();
        command.env("XDG_CONFIG_HOME", sandbox.join("config"));
        command.env("XDG_DATA_HOME", sandbox.join("data"));
        command.env("XDG_STATE_HOME", sandbox.join("state"));
        command.env("HOME", sandbox);
        command.env("NO_COLOR", "1");
        command.args(&args[..1]);
        command.args(["--controller", &self.url, "--token", TOKEN]);
        command.args(&args[1..]);
        command
    }

    /// `jwctl` with only the sandbox: the caller says how to connect.
    pub fn bare(&self) -> Command {
        sandboxed(self.sandbox.path())
    }

    pub fn writers(&self) -> Vec<Writer> {
        self.list(None).writers
    }

    pub fn list(&self, region: Option<&str>) -> WriterList {
        self.runtime
            .block_on(self.client.list_writers(region))
            .expect("list via the API")
    }

    pub fn writer(&self, id: &str) -> Writer {
        self.runtime
            .block_on(self.client.writer(id))
            .expect("writer via the API")
    }

    /// The audit log of writer `id`, newest first.
    pub fn audit(&self, id: &str) -> Vec<AuditEntry> {
        self.runtime
            .block_on(self.client.audit(id, 100))
            .expect("audit via the API")
    }

    /// The first writer that satisfies `wanted`.
    pub fn pick(&self, what: &str, wanted: impl Fn(&Writer) -> bool) -> Writer {
        self.writers()
            .into_iter()
            .find(|w| wanted(w))
            .unwrap_or_else(|| panic!("the demo fleet has no {what}"))
    }

    /// Polls until writer `id` reaches `status`.
    pub fn settle(&self, id: &str, status: WriterStatus) -> Writer {
        let deadline = Instant::now() + SETTLE_LIMIT;
        loop {
            let writer = self.writer(id);
            if writer.status == status {
                return writer;
            }
            assert!(
                Instant::now() < deadline,
                "{id} did not become {status}; it is {}",
                writer.status
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}

/// The binary with empty XDG dirs under `sandbox` and no JWCTL_* variables; stdin is a pipe.
pub fn sandboxed(sandbox: &Path) -> Command {
    let mut command = Command::from_std(sandboxed_std(sandbox));
    command.timeout(RUN_LIMIT);
    command
}

/// [`sandboxed`] as a plain `std::process::Command`, for tests that stream its output.
pub fn sandboxed_std(sandbox: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_jwctl"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("JWCTL_") {
            command.env_remove(name);
        }
    }
    command
        .env("XDG_CONFIG_HOME", sandbox.join("config"))
        .env("XDG_DATA_HOME", sandbox.join("data"))
        .env("XDG_STATE_HOME", sandbox.join("state"))
        .env("HOME", sandbox)
        .env("NO_COLOR", "1");
    command
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[track_caller]
pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

pub fn json_list(output: &Output) -> WriterList {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a writer list ({e}):\n{}", stdout(output)))
}

pub fn names(writers: &[Writer]) -> Vec<&str> {
    writers.iter().map(|w| w.name.as_str()).collect()
}

pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}
