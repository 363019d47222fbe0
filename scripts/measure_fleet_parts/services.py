"""What the console is measured against: the controller, a byte-counting proxy in front of it,
and a driver of pause/start requests."""

import collections
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

from .common import Timeout, percentile


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
