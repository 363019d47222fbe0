//! A private MariaDB server for tests (the MySQL-protocol server Debian ships): its own data
//! dir in a temp dir, its own free port on loopback, an ordinary child process killed when the
//! value is dropped. Never a system server: a test connects only to the port it started.
//!
//! Without a server installed, [`MariaDb::start`] says so loudly and answers `None` (the test
//! then returns early); with `JWCTL_REQUIRE_MARIADB=1` (README's test command, CI) it fails.

#![allow(dead_code)] // each test binary uses its own subset

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jwctl::controller::MysqlTarget;
use jwctl::oms::Secret;
use mysql::prelude::Queryable;

/// The password of the test user.
pub const PASSWORD: &str = "jw-test-Pw-6d1e";
/// The test user, allowed everything on every database.
pub const USER: &str = "jwctl";

fn binary(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path).chain(["/usr/sbin".into(), "/usr/bin".into()]);
    let dirs: Vec<PathBuf> = dirs.collect();
    names.iter().find_map(|name| {
        dirs.iter()
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A running private server.
pub struct MariaDb {
    child: Option<Child>,
    dir: tempfile::TempDir,
    server: PathBuf,
    /// Options of the server beyond the ones every test's has.
    options: Vec<String>,
    pub port: u16,
}

impl MariaDb {
    /// Starts a server with the test user, or `None` when none is installed (see the module).
    pub fn start() -> Option<MariaDb> {
        MariaDb::start_with(&[])
    }

    /// [`MariaDb::start`] with these server options besides.
    pub fn start_with(options: &[String]) -> Option<MariaDb> {
        let (Some(server), Some(install)) = (
            binary(&["mariadbd", "mysqld"]),
            binary(&["mariadb-install-db", "mysql_install_db"]),
        ) else {
            let required = std::env::var("JWCTL_REQUIRE_MARIADB").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "JWCTL_REQUIRE_MARIADB=1 but no mariadbd is installed; run scripts/test"
            );
            eprintln!(
                "\n*** SKIPPED: no MariaDB server is installed (mariadbd); run scripts/test, \
                 which installs mariadb-server, to run the shared-state tests ***\n"
            );
            return None;
        };
        let dir = tempfile::tempdir().expect("a temp dir");
        let data = dir.path().join("data");
        // Temporary tables of its own: in a shared /tmp, servers bootstrapping side by side
        // trip over each other's.
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).expect("a tmp dir");
        let installed = Command::new(&install)
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
            ])
            .args(["--skip-test-db", "--innodb-log-file-size=8M"])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .stdin(Stdio::null())
            .output()
            .expect("mariadb-install-db runs");
        assert!(
            installed.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&installed.stdout),
            String::from_utf8_lossy(&installed.stderr)
        );
        let mut db = MariaDb {
            child: None,
            dir,
            server,
            options: options.to_vec(),
            port: 0,
        };
        db.launch(None);
        db.root()
            .query_drop(format!(
                "CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}';
                 GRANT ALL ON *.* TO '{USER}'@'%';"
            ))
            .expect("the test user is created");
        Some(db)
    }

    /// Starts the server on its data dir: on `port`, or on a free one.
    fn launch(&mut self, port: Option<u16>) {
        for _ in 0..5 {
            let port = port.unwrap_or_else(free_port);
            let child = Command::new(&self.server)
                .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1"])
                .arg("--innodb-buffer-pool-size=32M")
                .arg(format!(
                    "--datadir={}",
                    self.dir.path().join("data").display()
                ))
                .arg(format!(
                    "--tmpdir={}",
                    self.dir.path().join("tmp").display()
                ))
                .arg(format!("--socket={}", self.dir.path().join("s").display()))
                .arg(format!(
                    "--pid-file={}",
                    self.dir.path().join("pid").display()
                ))
                .arg(format!(
                    "--log-error={}",
                    self.dir.path().join("log").display()
                ))
                .arg(format!("--port={port}"))
                .args(&self.options)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("mariadbd starts");
            self.child = Some(child);
            self.port = port;
            if self.wait_ready() {
                return;
            }
            self.kill();
        }
        panic!(
            "the private MariaDB did not start; its log:\n{}",
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    /// Polls until the server answers (true) or exits (false), for at most 30 s.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(child) = self.child.as_mut()
                && child.try_wait().ok().flatten().is_some()
            {
                return false;
            }
            if mysql::Conn::new(self.options("root", None, None)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn options(&self, user: &str, password: Option<&str>, db: Option<&str>) -> mysql::OptsBuilder {
        mysql::OptsBuilder::new()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(self.port)
            .user(Some(user))
            .pass(password)
            .db_name(db)
            .prefer_socket(false)
            .tcp_connect_timeout(Some(Duration::from_secs(2)))
            .read_timeout(Some(Duration::from_secs(10)))
    }

    /// A root connection, for setting up and looking inside.
    pub fn root(&self) -> mysql::Conn {
        mysql::Conn::new(self.options("root", None, None)).expect("root connects")
    }

    /// A new empty database; answers its name.
    pub fn database(&self, name: &str) -> String {
        self.root()
            .query_drop(format!("CREATE DATABASE {name}"))
            .expect("the database is created");
        name.to_string()
    }

    /// A connection to `database` as root.
    pub fn connect(&self, database: &str) -> mysql::Conn {
        mysql::Conn::new(self.options("root", None, Some(database))).expect("root connects")
    }

    /// `mysql://jwctl@127.0.0.1:PORT/DATABASE`.
    pub fn url(&self, database: &str) -> String {
        format!("mysql://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// The target of `database`, with the test user's password.
    pub fn target(&self, database: &str) -> MysqlTarget {
        let mut target = MysqlTarget::parse(&self.url(database)).expect("a valid URL");
        target.password = Some(Secret::new(PASSWORD));
        target
    }

    /// A password file (mode 0600) holding the test user's password.
    pub fn password_file(&self) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.dir.path().join("password");
        std::fs::write(&path, format!("{PASSWORD}\n")).expect("the password file is written");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .expect("the password file is private");
        path
    }

    /// Kills the server at once (SIGKILL) and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the killed server again on the same data dir and port.
    pub fn restart(&mut self) {
        self.kill();
        let port = self.port;
        self.launch(Some(port));
    }

    /// Freezes the server (SIGSTOP): connections are accepted by the kernel, nothing answers.
    pub fn freeze(&self) {
        self.signal(libc::SIGSTOP);
    }

    /// Lets a frozen server go on (SIGCONT).
    pub fn thaw(&self) {
        self.signal(libc::SIGCONT);
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = self.child.as_ref().map(Child::id).expect("the server runs");
        let pid = libc::pid_t::try_from(pid).expect("a pid");
        // SAFETY: kill takes plain integers; the pid is our own child's, still running.
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "signal {signal} sent"
        );
    }

    /// The data dir's parent, for files next to the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}
