//! `jwctl serve` processes keeping their state in a MySQL-protocol database, for tests that
//! start, watch and kill them.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// `jwctl serve` on 127.0.0.1:0 with a demo fleet of 10 in the database `url`, `data` its data
/// dir, then `extra`.
pub fn serve(url: &str, password_file: &Path, data: &Path, extra: &[&str]) -> Child {
    serve_bare(
        url,
        password_file,
        data,
        &[&["--demo-fleet", "10"], extra].concat(),
    )
}

/// `jwctl serve` on 127.0.0.1:0 keeping its state in the database `url`, `data` its data
/// dir, then `extra`.
pub fn serve_bare(url: &str, password_file: &Path, data: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_jwctl"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(extra)
        .args(["--state-url", url, "--state-password-file"])
        .arg(password_file)
        .arg("--data-dir")
        .arg(data)
        .env_remove("JWCTL_TOKEN")
        .env_remove("JWCTL_CONFIG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// How a `jwctl serve` started.
pub enum Started {
    /// It listens at this URL; what it said before.
    Listening(Child, String, String),
    /// It stopped without listening: whether it exited with success, and what it said.
    Stopped(bool, String),
}

/// Reads `child`'s stderr until it listens or stops (a 30 s deadline).
pub fn started(child: Child) -> Started {
    started_saying(child).0
}

/// [`started`], and what `child` says on stderr after that, line by line.
pub fn started_saying(mut child: Child) -> (Started, Receiver<String>) {
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = String::new();
    loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                if let Some(url) = line.split("jwctl controller listening on ").nth(1) {
                    let url = url.trim().to_string();
                    return (Started::Listening(child, url, seen), lines);
                }
                seen.push_str(&line);
                seen.push('\n');
            }
            Err(RecvTimeoutError::Disconnected) => {
                let status = child.wait().unwrap();
                return (Started::Stopped(status.success(), seen), lines);
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                panic!("jwctl serve neither listened nor stopped within 30 s: {seen}");
            }
        }
    }
}

/// What a `jwctl serve` that must not start said; fails if it started.
pub fn refused(child: Child) -> String {
    match started(child) {
        Started::Stopped(ok, stderr) => {
            assert!(!ok, "{stderr}");
            stderr
        }
        Started::Listening(mut child, url, _) => {
            let _ = child.kill();
            panic!("jwctl serve started on {url}");
        }
    }
}
