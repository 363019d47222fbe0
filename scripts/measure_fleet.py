#!/usr/bin/env python3
"""Measure how the console copes with a large fleet (Python 3 stdlib only).

Usage:
  scripts/measure_fleet.py [--sizes 10000,100000,1000000] [--window 20] [--bin PATH] [--json]
  (--bin defaults to $CARGO_TARGET_DIR/release/jwctl, else target/release/jwctl in the repo;
  build it first with cargo build --release)

For each fleet size N, one line of figures (or one JSON object with --json):

  controller start  `jwctl serve --demo-fleet N --listen 127.0.0.1:0` (temp --data-dir, a
                    --token-file written here): seconds from spawn until /v1/health answers.
  first table       the console runs in a 160x48 pseudo-terminal (TERM=xterm-256color,
                    --fresh, XDG_CONFIG/STATE/DATA_HOME in a temp dir) against a loopback
                    proxy in front of the controller; a tiny terminal model (cursor moves,
                    text, erase; ratatui only writes the cells that changed, so the raw
                    output cannot simply be searched) keeps the screen. Seconds from spawn
                    until the status bar reads `N/N shown`; the bytes the proxy passed
                    controller->console until then are the initial load.
  bytes/s           with ~5 pause/start requests a second going to the controller
                    (POST /v1/writers/{id}/pause, the same writer's /start ~3 s later; each
                    is two status transitions; the demo fleet's progress moves too),
                    controller->console bytes over the next --window seconds / the window.
  RSS               VmRSS of the console (and its peak VmHWM) from /proc at the end of the
                    window (rss_end/hwm_end in the JSON: after the search keys as well).
  key->results      changes still streaming: `/`, then each query typed a key at a time,
                    then Esc. Per key: from just before the write to the pty until the read
                    after which the search box shows the typed text without the pending
                    mark ` …` (the results are drawn in that frame; the hit counts are in
                    the JSON). A screen is only judged when no output is waiting, and a hit
                    is confirmed after 5 ms of silence, so a half-written frame does not
                    count. p50/p95/max over all keys (35 with the default queries).
  embedded demo     `jwctl --demo --demo-fleet N`: first table and RSS after --window seconds
                    only; there is no proxy (no bytes) and no API to drive changes there.

Every wait has a deadline; everything started (controller, consoles, proxy) is killed on
exit, on errors and on Ctrl-C. The script's own work (proxy, terminal model) shares the CPU
with what it measures.
"""

import argparse
import codecs
import collections
import fcntl
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unicodedata
import urllib.error
import urllib.request

COLS, ROWS = 160, 48
DEFAULT_QUERIES = "ledger,orders,refunds,billing,warehouse"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Timeout(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- terminal model

SEQ = re.compile(
    r"\x1b\[([0-?]*)[ -/]*([@-~])"          # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"   # OSC
    r"|\x1b[()][0-9A-Za-z]"                 # charset
    r"|\x1b[@-Z\\^_78=>]"                   # other two-byte escapes
    r"|([^\x1b\r\n\x08\x07]+)"              # text
    r"|([\r\n\x08\x07])"                    # controls
)


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class Screen:
    """Just enough of a VT100 for ratatui's crossterm backend: CUP, erase, SGR ignored."""

    def __init__(self, cols=COLS, rows=ROWS):
        self.cols, self.rows = cols, rows
        self.grid = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.tail = ""
        self.frames = 0
        self.on_frame = None  # called with no argument at every frame end
        self.replies = []     # answers to the terminal's queries (cursor position)

    def row(self, y):
        return "".join(self.grid[y])

    def feed(self, data):
        text = self.tail + self.decoder.decode(data)
        self.tail = ""
        pos, n = 0, len(text)
        while pos < n:
            m = SEQ.match(text, pos)
            if m is None:
                if n - pos < 256:       # an escape sequence cut by the read: keep it
                    self.tail = text[pos:]
                    return
                pos += 1                # junk: skip the ESC
                continue
            if m.group(3) is not None:
                self._text(m.group(3))
            elif m.group(4) is not None:
                c = m.group(4)
                if c == "\r":
                    self.x = 0
                elif c == "\n":
                    self.y = min(self.y + 1, self.rows - 1)
                elif c == "\x08":
                    self.x = max(self.x - 1, 0)
            elif m.group(2) is not None:
                self._csi(m.group(1), m.group(2))
            pos = m.end()

    def _text(self, s):
        g, y = self.grid, self.y
        for ch in s:
            w = char_width(ch)
            if w == 0:
                continue
            if self.x < self.cols:
                g[y][self.x] = ch
                if w == 2 and self.x + 1 < self.cols:
                    g[y][self.x + 1] = ""
            self.x += w

    def _csi(self, params, final):
        if params.startswith("?"):
            if final in "hl" and "25" in params[1:].split(";"):
                self.frames += 1
                if self.on_frame:
                    self.on_frame()
            return
        nums = [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")] if params else []

        def arg(i, default):
            return nums[i] if len(nums) > i and nums[i] else default

        if final == "n" and arg(0, 0) == 6:
            self.replies.append(f"\x1b[{self.y + 1};{self.x + 1}R".encode())
            return
        if final == "c" and not params.startswith((">", "=")):
            self.replies.append(b"\x1b[?62;22c")
            return
        if final in "Hf":
            self.y = min(arg(0, 1), self.rows) - 1
            self.x = min(arg(1, 1), self.cols) - 1
        elif final == "G":
            self.x = min(arg(0, 1), self.cols) - 1
        elif final == "d":
            self.y = min(arg(0, 1), self.rows) - 1
        elif final == "A":
            self.y = max(self.y - arg(0, 1), 0)
        elif final == "B":
            self.y = min(self.y + arg(0, 1), self.rows - 1)
        elif final == "C":
            self.x = min(self.x + arg(0, 1), self.cols - 1)
        elif final == "D":
            self.x = max(self.x - arg(0, 1), 0)
        elif final == "J":
            mode = arg(0, 0)
            if mode in (2, 3):
                self.grid = [[" "] * self.cols for _ in range(self.rows)]
            elif mode == 0:
                self._erase_line(self.y, self.x, self.cols)
                for y in range(self.y + 1, self.rows):
                    self._erase_line(y, 0, self.cols)
            elif mode == 1:
                for y in range(0, self.y):
                    self._erase_line(y, 0, self.cols)
                self._erase_line(self.y, 0, self.x + 1)
        elif final == "K":
            mode = arg(0, 0)
            if mode == 0:
                self._erase_line(self.y, self.x, self.cols)
            elif mode == 1:
                self._erase_line(self.y, 0, self.x + 1)
            else:
                self._erase_line(self.y, 0, self.cols)
        # SGR (m) and everything else: no effect on the text

    def _erase_line(self, y, x0, x1):
        row = self.grid[y]
        for x in range(max(x0, 0), min(x1, self.cols)):
            row[x] = " "


SHOWN = re.compile(r"(\d+)/(\d+) shown")


# ---------------------------------------------------------------- console in a pty

class Console:
    def __init__(self, argv, env):
        self.screen = Screen()
        self.t_spawn = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:  # child
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.exited = False
        self.raw_bytes = 0

    def pump(self, timeout):
        """Reads what the console wrote for up to `timeout` seconds; returns after the first read."""
        if self.exited:
            time.sleep(timeout)
            return
        r, _, _ = select.select([self.fd], [], [], max(timeout, 0))
        if not r:
            return
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        if not data:
            self.exited = True
            return
        self.read_at = time.monotonic()
        self.raw_bytes += len(data)
        self.screen.feed(data)
        while self.screen.replies:
            os.write(self.fd, self.screen.replies.pop(0))

    def quiet(self, gap=0.005, limit=0.25):
        """Reads until the console has written nothing for `gap` seconds (at most `limit`)."""
        end = time.monotonic() + limit
        while not self.exited and time.monotonic() < end:
            r, _, _ = select.select([self.fd], [], [], gap)
            if not r:
                return
            self.pump(0)

    def wait_frame(self, pred, deadline, what):
        """Pumps until the screen satisfies pred(screen) once the output paused; returns the
        time of the read that completed it.

        The console writes a frame in ~1 KiB pieces, so the screen is only judged when no
        more output is waiting (a frame is not cut in the middle), and a hit is confirmed
        after 5 ms of silence (the frame was whole)."""
        while True:
            now = time.monotonic()
            if now > deadline:
                screen = "\n".join(self.screen.row(y).rstrip() for y in range(ROWS))
                log(f"screen at the timeout:\n{screen}")
                raise Timeout(f"timed out waiting for {what}; status bar: "
                              f"{status_row(self.screen).strip()!r}")
            if self.exited:
                raise RuntimeError(f"the console exited while waiting for {what}")
            self.pump(min(0.5, deadline - now))
            r, _, _ = select.select([self.fd], [], [], 0)
            if r or not pred(self.screen):
                continue
            hit_at = self.read_at
            self.quiet()
            if pred(self.screen):
                return hit_at

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.pump(end - time.monotonic())

    def write(self, data):
        """Writes to the pty; returns the time just before the write (taken after the write,
        the GIL can be held by a proxy thread for a while and make a key look instant)."""
        t = time.monotonic()
        os.write(self.fd, data)
        return t

    def memory(self):
        out = {}
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    if key in ("VmRSS", "VmHWM"):
                        out[key] = int(value.split()[0]) / 1024.0
        except OSError:
            pass
        return out.get("VmRSS"), out.get("VmHWM")

    def kill(self):
        if self.pid is None:
            return
        for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
            try:
                os.kill(self.pid, sig)
            except ProcessLookupError:
                break
            end = time.monotonic() + wait
            while time.monotonic() < end:
                try:
                    # keep the pty drained so the console is not stuck writing
                    r, _, _ = select.select([self.fd], [], [], 0.05)
                    if r:
                        os.read(self.fd, 1 << 16)
                except OSError:
                    pass
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self.pid = None
                    break
            if self.pid is None:
                break
        try:
            os.close(self.fd)
        except OSError:
            pass
        self.pid = None


def status_row(screen):
    """The status bar: the lowest of the last four rows that has `N/T shown`."""
    for y in range(ROWS - 1, ROWS - 5, -1):
        row = screen.row(y)
        if SHOWN.search(row):
            return row
    return ""


def shown_counts(screen):
    m = SHOWN.search(status_row(screen))
    return (int(m.group(1)), int(m.group(2))) if m else None


def full_table(n):
    def pred(screen):
        c = shown_counts(screen)
        return c is not None and c[1] == n and c[0] == n
    return pred


def search_done(query):
    """The search box shows `query` (padded to 24) and no pending mark."""
    def pred(screen):
        title = screen.row(0)
        i = title.rfind("Search: ")
        if i < 0:
            return False
        rest = title[i + 8:]
        if not rest.startswith(query):
            return False
        after = rest[max(len(query), 24):]
        return not after.lstrip(" ").startswith("…") and shown_counts(screen) is not None
    return pred


def search_cleared(n):
    def pred(screen):
        return "/ search" in screen.row(0) and full_table(n)(screen)
    return pred


# ---------------------------------------------------------------- proxy

class Proxy:
    """Loopback TCP proxy counting bytes controller->console (down) and console->controller (up)."""

    def __init__(self, upstream_port):
        self.upstream = ("127.0.0.1", upstream_port)
        self.down = 0
        self.up = 0
        self.lock = threading.Lock()
        self.stopping = False
        self.socks = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.socks += [client, server]
            threading.Thread(target=self._pipe, args=(server, client, "down"), daemon=True).start()
            threading.Thread(target=self._pipe, args=(client, server, "up"), daemon=True).start()

    def _pipe(self, src, dst, direction):
        try:
            while True:
                data = src.recv(1 << 16)
                if not data:
                    break
                with self.lock:
                    if direction == "down":
                        self.down += len(data)
                    else:
                        self.up += len(data)
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.stopping = True
        for s in [self.listener] + self.socks:
            try:
                s.close()
            except OSError:
                pass


# ---------------------------------------------------------------- controller

class Controller:
    def __init__(self, binary, n, tmp, env, deadline_s):
        self.data_dir = os.path.join(tmp, "controller-data")
        self.token = os.urandom(16).hex()
        self.token_file = os.path.join(tmp, "token")
        fd = os.open(self.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (self.token + "\n").encode())
        os.close(fd)
        self.log_path = os.path.join(tmp, "controller.log")
        self.log = open(self.log_path, "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [binary, "serve", "--demo-fleet", str(n), "--listen", "127.0.0.1:0",
             "--data-dir", self.data_dir, "--token-file", self.token_file],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            env=env, start_new_session=True)
        try:
            self._wait_up(t0 + deadline_s, deadline_s)
        except BaseException:
            self.stop()
            raise
        self.start_s = time.monotonic() - t0

    def _wait_up(self, deadline, deadline_s):
        self.port = None
        while self.port is None:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the controller exited ({self.proc.returncode}): {self.tail()}")
            if time.monotonic() > deadline:
                raise Timeout(f"the controller did not listen within {deadline_s:.0f}s: {self.tail()}")
            with open(self.log_path, "rb") as f:
                m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
            else:
                time.sleep(0.1)
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/v1/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise Timeout("the controller's /v1/health did not answer in time")
            time.sleep(0.05)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def tail(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-600:].decode(errors="replace")
        except OSError:
            return ""

    def request(self, method, path, body=None, timeout=10):
        req = urllib.request.Request(
            self.url + path, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                     "X-Jwctl-Actor": "measure_fleet"})
        return urllib.request.urlopen(req, timeout=timeout)

    def running_ids(self, want, timeout):
        """Ids of up to `want` running writers, read from the start of GET /v1/writers."""
        ids, buf = [], b""
        obj = re.compile(rb'"id":"([^"]+?:\d{10})".*?"status":"(\w+)"')
        with self.request("GET", "/v1/writers", timeout=timeout) as r:
            while len(ids) < want:
                chunk = r.read(1 << 20)
                if not chunk:
                    break
                buf += chunk
                # split at writer boundaries the regex can see whole
                last = 0
                for m in obj.finditer(buf):
                    if m.group(2) == b"running":
                        ids.append(m.group(1).decode())
                    last = m.end()
                buf = buf[last:]
        return ids[:want]

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


class Changes(threading.Thread):
    """~rate requests/s: pause a running writer, start it again ~3 s later. Each request runs
    in its own thread (at most 32 in flight), so a slow controller does not lower the rate the
    requests are sent at; what came back, and how fast, is counted."""

    def __init__(self, controller, ids, rate=5.0):
        super().__init__(daemon=True)
        self.controller, self.ids, self.period = controller, list(ids), 1.0 / rate
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.sent = collections.Counter()
        self.latencies = []
        self.in_flight = threading.Semaphore(32)
        self.t_start = self.t_stop = None

    def _send(self, wid, action):
        t0 = time.monotonic()
        try:
            body = {"replay_from": None} if action == "start" else None
            path = f"/v1/writers/{urllib.request.quote(wid, safe='')}/{action}"
            with self.controller.request("POST", path, body=body, timeout=30) as r:
                r.read()
            outcome = f"{action}_ok"
        except urllib.error.HTTPError as e:
            outcome = f"{action}_{e.code}"
        except OSError:
            outcome = f"{action}_error"
        finally:
            self.in_flight.release()
        with self.lock:
            self.sent[outcome] += 1
            if outcome.endswith("_ok"):
                self.latencies.append((time.monotonic() - t0) * 1000.0)

    def run(self):
        paused = collections.deque()
        fresh = collections.deque(self.ids)
        self.t_start = next_at = time.monotonic()
        while not self.stop_event.is_set():
            now = time.monotonic()
            if paused and now - paused[0][1] > 3.0:
                wid, _ = paused.popleft()
                action = "start"
                fresh.append(wid)
            elif fresh:
                wid = fresh.popleft()
                action = "pause"
                paused.append((wid, now))
            else:
                self.stop_event.wait(0.05)
                continue
            if self.in_flight.acquire(blocking=False):
                with self.lock:
                    self.sent["requests"] += 1
                threading.Thread(target=self._send, args=(wid, action), daemon=True).start()
            else:
                with self.lock:
                    self.sent["skipped_32_in_flight"] += 1
            next_at += self.period
            self.stop_event.wait(max(0.0, next_at - time.monotonic()))

    def stop(self):
        self.stop_event.set()
        self.join(5)
        self.t_stop = time.monotonic()

    def summary(self):
        with self.lock:
            out = dict(self.sent)
            lat = list(self.latencies)
        ok = sum(v for k, v in out.items() if k.endswith("_ok"))
        seconds = (self.t_stop or time.monotonic()) - (self.t_start or time.monotonic())
        out["seconds"] = round(seconds, 1)
        out["ok_per_s"] = round(ok / seconds, 2) if seconds > 0 else None
        out["ok_latency_p50_ms"] = round(percentile(lat, 50), 1) if lat else None
        out["ok_latency_max_ms"] = round(max(lat), 1) if lat else None
        return out


# ---------------------------------------------------------------- measurements

def percentile(values, p):
    s = sorted(values)
    if not s:
        return None
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def console_env(tmp):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JWCTL_") and k not in ("NO_COLOR",)}
    for var in ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        d = os.path.join(tmp, var.lower())
        os.makedirs(d, exist_ok=True)
        env[var] = d
    env["TERM"] = "xterm-256color"
    env["COLUMNS"], env["LINES"] = str(COLS), str(ROWS)
    return env


def measure_search(console, n, queries, key_deadline):
    samples = []
    detail = []
    for q in queries:
        console.write(b"/")
        console.wait_frame(search_done(""), time.monotonic() + key_deadline, "the search box")
        typed = ""
        for ch in q:
            typed += ch
            console.quiet(0.02, 0.5)  # type into a settled screen, as a person would
            t0 = console.write(ch.encode())
            t1 = console.wait_frame(search_done(typed), t0 + key_deadline, f"results for {typed!r}")
            ms = (t1 - t0) * 1000.0
            samples.append(ms)
            detail.append((typed, round(ms, 1), shown_counts(console.screen)))
        console.write(b"\x1b")
        console.wait_frame(search_cleared(n), time.monotonic() + key_deadline, "the cleared search")
    return samples, detail


def measure_controller(args, n, tmp):
    res = {"n": n, "mode": "controller"}
    env = console_env(tmp)
    controller = proxy = console = changes = None
    try:
        start_deadline = args.start_deadline or max(120.0, n * 0.0008)
        log(f"N={n}: starting the controller (deadline {start_deadline:.0f}s)")
        controller = Controller(args.bin, n, tmp, env, start_deadline)
        res["controller_start_s"] = round(controller.start_s, 2)
        log(f"N={n}: controller up in {controller.start_s:.1f}s on port {controller.port}")
        ids = controller.running_ids(400, timeout=max(60.0, n * 0.0003))
        log(f"N={n}: {len(ids)} running writers to pause/start")
        proxy = Proxy(controller.port)
        argv = [args.bin, "--controller", f"http://127.0.0.1:{proxy.port}",
                "--token-file", controller.token_file, "--fresh"]
        console = Console(argv, env)
        table_deadline = args.table_deadline or max(60.0, n * 0.0005)
        t_table = console.wait_frame(full_table(n), console.t_spawn + table_deadline,
                                     f"the first table ({n}/{n} shown)")
        res["first_table_s"] = round(t_table - console.t_spawn, 3)
        res["initial_down_bytes"] = proxy.down
        res["initial_up_bytes"] = proxy.up
        log(f"N={n}: first table after {res['first_table_s']}s, {proxy.down} bytes")
        changes = Changes(controller, ids, rate=args.rate)
        changes.start()
        console.drain(1.0)  # let the first changes arrive
        d0, u0, w0 = proxy.down, proxy.up, time.monotonic()
        console.drain(args.window)
        d1, u1, w1 = proxy.down, proxy.up, time.monotonic()
        res["window_s"] = round(w1 - w0, 2)
        res["down_bytes_per_s"] = round((d1 - d0) / (w1 - w0))
        res["up_bytes_per_s"] = round((u1 - u0) / (w1 - w0))
        rss, hwm = console.memory()
        res["rss_mib"], res["hwm_mib"] = round(rss, 1), round(hwm, 1)
        log(f"N={n}: window done: {res['down_bytes_per_s']} B/s down, RSS {rss:.1f} MiB")
        samples, detail = measure_search(console, n, args.queries, args.key_deadline)
        res["key_samples"] = len(samples)
        res["key_p50_ms"] = round(percentile(samples, 50), 1)
        res["key_p95_ms"] = round(percentile(samples, 95), 1)
        res["key_max_ms"] = round(max(samples), 1)
        res["key_detail"] = detail
        rss, hwm = console.memory()
        res["rss_end_mib"], res["hwm_end_mib"] = round(rss, 1), round(hwm, 1)
    except Exception as e:  # noqa: BLE001 - reported, the next size still runs
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"N={n}: {res['error']}")
    finally:
        if changes:
            changes.stop()
            res["changes"] = changes.summary()
        if console:
            console.kill()
        if proxy:
            proxy.close()
        if controller:
            controller.stop()
    return res


def measure_demo(args, n, tmp):
    res = {"n": n, "mode": "embedded demo"}
    env = console_env(tmp)
    console = None
    try:
        data_dir = os.path.join(tmp, "demo-data")
        argv = [args.bin, "--demo", "--demo-fleet", str(n), "--data-dir", data_dir, "--fresh"]
        log(f"N={n}: embedded demo")
        console = Console(argv, env)
        deadline = args.table_deadline or max(120.0, n * 0.0008)
        t_table = console.wait_frame(full_table(n), console.t_spawn + deadline,
                                     f"the first table ({n}/{n} shown)")
        res["first_table_s"] = round(t_table - console.t_spawn, 3)
        console.drain(args.window)
        rss, hwm = console.memory()
        res["rss_mib"], res["hwm_mib"] = round(rss, 1), round(hwm, 1)
    except Exception as e:  # noqa: BLE001
        res["error"] = f"{type(e).__name__}: {e}"
        log(f"N={n} demo: {res['error']}")
    finally:
        if console:
            console.kill()
    return res


def human_bytes(b):
    for unit in ("B", "KB", "MB", "GB"):
        if abs(b) < 1000 or unit == "GB":
            return f"{b:.0f}{unit}" if unit == "B" else f"{b:.1f}{unit}"
        b /= 1000.0


def line_for(c, d):
    n = c["n"]
    parts = [f"N={n}"]
    if "controller_start_s" in c:
        parts.append(f"controller start {c['controller_start_s']}s")
    if "first_table_s" in c:
        parts.append(f"first table {c['first_table_s']}s "
                     f"(initial load {human_bytes(c['initial_down_bytes'])})")
    if "down_bytes_per_s" in c:
        parts.append(f"controller->console {human_bytes(c['down_bytes_per_s'])}/s "
                     f"over {c['window_s']}s")
    if "rss_mib" in c:
        parts.append(f"RSS {c['rss_mib']} MiB (peak {c['hwm_mib']})")
    if "key_p50_ms" in c:
        parts.append(f"key->results p50 {c['key_p50_ms']} ms p95 {c['key_p95_ms']} ms "
                     f"max {c['key_max_ms']} ms (n={c['key_samples']})")
    if "changes" in c:
        ch = c["changes"]
        failed = sum(v for k, v in ch.items()
                     if k.startswith(("pause_", "start_")) and not k.endswith("_ok"))
        parts.append(f"API changes {ch['ok_per_s']}/s ok ({failed} failed, "
                     f"p50 {ch['ok_latency_p50_ms']} ms)")
    if "error" in c:
        parts.append(f"ERROR {c['error']}")
    text = " | ".join(parts)
    if d is not None:
        demo = [f"embedded demo: first table {d['first_table_s']}s" if "first_table_s" in d
                else "embedded demo:"]
        if "rss_mib" in d:
            demo.append(f"RSS {d['rss_mib']} MiB (peak {d['hwm_mib']}), no proxy/bytes")
        if "error" in d:
            demo.append(f"ERROR {d['error']}")
        text += " || " + " ".join(demo)
    return text


def default_bin():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    return os.path.join(target, "release", "jwctl")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000",
                        help="fleet sizes, comma-separated (default: %(default)s)")
    parser.add_argument("--window", type=float, default=20.0,
                        help="seconds of streamed changes before bytes/s and RSS (default: 20)")
    parser.add_argument("--bin", default=default_bin(),
                        help="the jwctl release binary (default: %(default)s)")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON object per size on stdout (the line of figures goes "
                             "to stderr)")
    parser.add_argument("--queries", default=DEFAULT_QUERIES,
                        help="search queries typed key by key (default: %(default)s)")
    parser.add_argument("--rate", type=float, default=5.0,
                        help="pause/start requests per second during the measurement (default: 5)")
    parser.add_argument("--key-deadline", type=float, default=30.0,
                        help="seconds one key may take before the run fails (default: 30)")
    parser.add_argument("--start-deadline", type=float, default=None,
                        help="seconds the controller may take to answer /v1/health "
                             "(default: max(120, N*0.0008))")
    parser.add_argument("--table-deadline", type=float, default=None,
                        help="seconds the console may take to draw its first table "
                             "(default: max(60, N*0.0005); demo: max(120, N*0.0008))")
    parser.add_argument("--no-demo", action="store_true", help="skip the embedded demo")
    parser.add_argument("--no-controller", action="store_true",
                        help="skip the controller runs")
    args = parser.parse_args()
    args.queries = [q for q in args.queries.split(",") if q]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    if not os.access(args.bin, os.X_OK):
        parser.error(f"no executable at {args.bin} (build with cargo build --release)")

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)
    sys.setswitchinterval(0.0005)  # the proxy threads must not delay the pty reader for long

    try:
        commit = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %cI"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    log(f"binary {args.bin}; repo commit {commit}")
    try:
        for n in sizes:
            tmp = tempfile.mkdtemp(prefix=f"measure-fleet-{n}-")
            try:
                c = measure_controller(args, n, tmp) if not args.no_controller else {"n": n}
                d = measure_demo(args, n, tmp) if not args.no_demo else None
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            if args.json:
                log(line_for(c, d))
                print(json.dumps({"n": n, "commit": commit, "controller": c, "embedded_demo": d}),
                      flush=True)
            else:
                print(line_for(c, d), flush=True)
    except KeyboardInterrupt:
        log("interrupted; everything started was stopped")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
