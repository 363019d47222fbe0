//! Runs a program in a real pseudo-terminal and keeps a parsed copy of its screen (vt100), for
//! end-to-end tests of the console and for the README screenshot.

#![allow(dead_code)] // each user takes the parts it needs

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};

/// Keys as a terminal sends them.
pub mod keys {
    pub const ENTER: &str = "\r";
    pub const ESC: &str = "\x1b";
    pub const TAB: &str = "\t";
    pub const UP: &str = "\x1b[A";
    pub const DOWN: &str = "\x1b[B";
    pub const RIGHT: &str = "\x1b[C";
    pub const LEFT: &str = "\x1b[D";
    pub const CTRL_U: &str = "\x15";
    pub const CTRL_P: &str = "\x10";
    pub const CTRL_Q: &str = "\x11";
    pub const CTRL_R: &str = "\x12";
    pub const ALT_S: &str = "\x1bs";
}

/// A program running in a pseudo-terminal.
pub struct PtyApp {
    child: Box<dyn Child + Send + Sync>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    _master: Box<dyn MasterPty + Send>,
}

impl PtyApp {
    /// Starts `command` in a `cols` x `rows` terminal.
    pub fn spawn(command: CommandBuilder, cols: u16, rows: u16) -> PtyApp {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let child = pty.slave.spawn_command(command).expect("spawn in the pty");
        // Without dropping the slave the reader never sees the end of the output.
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = Arc::new(Mutex::new(pty.master.take_writer().expect("pty writer")));
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (parser_in, raw_in, answer) = (parser.clone(), raw.clone(), writer.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 16 * 1024];
            // On Linux a read after the child exits fails with EIO: that is the end of file.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let chunk = &buf[..n];
                let mut parser = lock(&parser_in);
                parser.process(chunk);
                // Answer cursor-position queries (ESC [ 6 n) as a real terminal does.
                if chunk.windows(4).any(|w| w == b"\x1b[6n") {
                    let (row, col) = parser.screen().cursor_position();
                    let reply = format!("\x1b[{};{}R", row + 1, col + 1);
                    let mut writer = lock(&answer);
                    let _ = writer.write_all(reply.as_bytes());
                    let _ = writer.flush();
                }
                drop(parser);
                lock(&raw_in).extend_from_slice(chunk);
            }
        });
        PtyApp {
            child,
            writer,
            parser,
            raw,
            _master: pty.master,
        }
    }

    /// Resizes the terminal to `cols` x `rows` (the program gets SIGWINCH).
    pub fn resize(&mut self, cols: u16, rows: u16) {
        lock(&self.parser).screen_mut().set_size(rows, cols);
        self._master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("resize the pty");
    }

    /// Types `text` (keys from [`keys`] included).
    pub fn send(&mut self, text: &str) {
        let mut writer = lock(&self.writer);
        writer.write_all(text.as_bytes()).expect("write to the pty");
        writer.flush().expect("flush the pty");
    }

    /// The screen's text, one line per row.
    pub fn contents(&self) -> String {
        lock(&self.parser).screen().contents()
    }

    /// The screen's text and attributes, for rendering.
    pub fn screen(&self) -> vt100::Screen {
        lock(&self.parser).screen().clone()
    }

    /// Everything the program wrote so far.
    pub fn raw_output(&self) -> Vec<u8> {
        lock(&self.raw).clone()
    }

    /// Waits up to `limit` until `done` holds for the screen text; panics with `what` and the
    /// last screen otherwise.
    pub fn wait_until(&self, what: &str, limit: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let text = self.contents();
            if done(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen shows `needle`.
    pub fn wait_for(&self, needle: &str) -> String {
        self.wait_until(&format!("{needle:?}"), Duration::from_secs(20), |text| {
            text.contains(needle)
        })
    }

    /// Searches the table for writer `name` and waits until it is the first row (the exact
    /// match is the best match, selected at the top).
    pub fn search_to_top(&mut self, name: &str) {
        self.send("/");
        self.send(name);
        self.send(keys::ENTER);
        self.wait_until("the writer found", Duration::from_secs(20), |s| {
            s.lines()
                .nth(2)
                .is_some_and(|l| l.split_whitespace().next() == Some(name))
        });
    }

    /// The line of the screen containing `needle`, once it shows.
    pub fn line_with(&self, needle: &str) -> String {
        let text = self.wait_for(needle);
        text.lines()
            .find(|line| line.contains(needle))
            .unwrap_or_default()
            .to_string()
    }

    /// Waits up to `limit` for the program to exit; its success, or `None` if it is still
    /// running.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<bool> {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.success());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id, to send signals.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("a running child has a pid")
    }
}

impl Drop for PtyApp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
