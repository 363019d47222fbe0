#!/usr/bin/env python3
"""Measure starts and pauses per second through jwctl serve replicas, and failover times
(Python 3 stdlib only; needs mariadbd and mariadb-install-db, as scripts/test-deps installs).

Usage:
  scripts/measure_replicas.py [--writers 10000] [--clients 8] [--seconds 20] [--kills 10]
                              [--bin PATH] [--json]
  (--bin defaults to $CARGO_TARGET_DIR/release/jwctl, else target/release/jwctl in the repo)

Throughput: --clients threads, each with a keep-alive connection and its own share of the
--writers demo writers, pause then start each of its writers in turn (transitions of 0 ms:
every request is one committed change and one audit entry) for --seconds, against
  sqlite      one replica keeping its state in SQLite (the default),
  mariadb-1   one replica on a private MariaDB,
  mariadb-2   two replicas on that MariaDB, the clients split between them.
Each reports operations answered 200 per second and their p50 / p95 / max milliseconds.

Failover: two replicas on MariaDB; --kills times, SIGKILL the leader and time until the
other one's GET /v1/deployment says it leads; the killed one is started again as a follower.

Everything started (MariaDB and the replicas) runs in a temp dir and is stopped on exit, on
errors and on Ctrl-C. The figures land in README's Performance section.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "measure-Pw-41c9"


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentile(values, p):
    s = sorted(values)
    if not s:
        return None
    k = (len(s) - 1) * p / 100.0
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, deadline_s, ready):
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} not within {deadline_s} s")


class MariaDb:
    """A private MariaDB in `tmp`, on a free port, with the user jwctl."""

    def __init__(self, tmp):
        server = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        install = shutil.which("mariadb-install-db")
        if not os.path.exists(server) or install is None:
            raise RuntimeError("no MariaDB server here: run scripts/test-deps first")
        self.dir = os.path.join(tmp, "mariadb")
        os.makedirs(os.path.join(self.dir, "tmp"))
        subprocess.run(
            [install, "--no-defaults", "--user=root",
             "--auth-root-authentication-method=normal", "--skip-test-db",
             f"--datadir={self.dir}/data", f"--tmpdir={self.dir}/tmp"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.port = free_port()
        self.proc = subprocess.Popen(
            [server, "--no-defaults", "--user=root", "--bind-address=127.0.0.1",
             f"--port={self.port}", f"--datadir={self.dir}/data", f"--tmpdir={self.dir}/tmp",
             f"--socket={self.dir}/s", f"--pid-file={self.dir}/pid",
             f"--log-error={self.dir}/log", "--innodb-buffer-pool-size=256M"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        wait_for("MariaDB answering", 30, lambda: self.sql("SELECT 1", check=False) == 0)
        self.sql(f"CREATE USER 'jwctl'@'%' IDENTIFIED BY '{PASSWORD}'; "
                 "GRANT ALL ON *.* TO 'jwctl'@'%';")
        self.password_file = os.path.join(tmp, "state-password")
        fd = os.open(self.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.write(fd, (PASSWORD + "\n").encode())
        os.close(fd)

    def sql(self, statement, check=True):
        return subprocess.run(
            ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{self.port}", "-uroot",
             "-e", statement],
            check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode

    def database(self, name):
        self.sql(f"CREATE DATABASE {name}")
        return f"mysql://jwctl@127.0.0.1:{self.port}/{name}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Replica:
    """`jwctl serve` on loopback with a demo fleet, its state in SQLite or at `state_url`."""

    def __init__(self, binary, tmp, name, writers, token_file, state_url=None,
                 password_file=None):
        self.log_path = os.path.join(tmp, f"{name}.log")
        args = [binary, "serve", "--listen", "127.0.0.1:0", "--demo-fleet", str(writers),
                "--transition-ms", "0", "--data-dir", os.path.join(tmp, f"{name}-data"),
                "--token-file", token_file]
        if state_url:
            args += ["--state-url", state_url, "--state-password-file", password_file]
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.port = None

        def listening():
            if self.proc.poll() is not None:
                raise RuntimeError(f"{name} exited: {self.tail()}")
            with open(self.log_path, "rb") as f:
                m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                self.port = int(m.group(1))
            return self.port is not None
        wait_for(f"{name} listening", 300, listening)

    def tail(self):
        with open(self.log_path, "rb") as f:
            return f.read()[-600:].decode(errors="replace")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


class Api:
    """A keep-alive connection to a replica."""

    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        self.headers = {"Authorization": f"Bearer {token}"}

    def call(self, method, path):
        self.conn.request(method, path, headers=self.headers)
        answer = self.conn.getresponse()
        return answer.status, answer.read()


def writer_ids(port, token):
    status, body = Api(port, token).call("GET", "/v1/writers")
    if status != 200:
        raise RuntimeError(f"listing writers: {status} {body[:200]!r}")
    return [w["id"] for w in json.loads(body)["writers"]]


def throughput(ports, token, clients, seconds):
    """Operations per second answered 200 through `ports`, clients split between them."""
    ids = writer_ids(ports[0], token)
    results = [None] * clients
    start_at = time.monotonic() + 0.5
    stop_at = start_at + seconds

    def client(n):
        api = Api(ports[n % len(ports)], token)
        mine = ids[n::clients]
        done, failed, samples = 0, {}, []
        turn = 0
        while time.monotonic() < start_at:
            time.sleep(0.001)
        while time.monotonic() < stop_at:
            writer = mine[(turn // 2) % len(mine)]
            action = "pause" if turn % 2 == 0 else "start"
            turn += 1
            t0 = time.monotonic()
            try:
                status, _ = api.call("POST", f"/v1/writers/{writer}/{action}")
            except (OSError, http.client.HTTPException):
                api = Api(ports[n % len(ports)], token)
                status = None
            if status == 200:
                done += 1
                samples.append((time.monotonic() - t0) * 1000.0)
            else:
                failed[status] = failed.get(status, 0) + 1
        results[n] = (done, failed, samples)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    samples = [s for r in results for s in r[2]]
    done = sum(r[0] for r in results)
    return {
        "ops_per_s": round(done / seconds, 1),
        # Answers other than 200, by status (None: no answer): the demo fleet's failed
        # writers refuse a plain start (422: a replay is needed), for one.
        "failed": {str(k): sum(r[1].get(k, 0) for r in results)
                   for k in sorted({k for r in results for k in r[1]}, key=str)},
        "p50_ms": round(percentile(samples, 50) or 0, 2),
        "p95_ms": round(percentile(samples, 95) or 0, 2),
        "max_ms": round(max(samples, default=0), 2),
    }


def leads(port, token):
    try:
        status, body = Api(port, token).call("GET", "/v1/deployment")
    except (OSError, http.client.HTTPException):
        return False
    if status != 200:
        return False
    return any(r["leader"] and r["listen"].endswith(f":{port}")
               for r in json.loads(body)["replicas"])


def failover(binary, tmp, db, token, token_file, kills):
    url = db.database("jw_failover")
    start = lambda name: Replica(binary, tmp, name, 1000, token_file, url, db.password_file)
    replicas = [start("fo-0"), start("fo-1")]
    times = []
    try:
        for k in range(kills):
            leader = next((r for r in replicas if leads(r.port, token)), None)
            if leader is None:
                raise RuntimeError("no replica leads")
            other = next(r for r in replicas if r is not leader)
            leader.kill()
            t0 = time.monotonic()
            wait_for("the follower leading", 15, lambda: leads(other.port, token))
            times.append(round(time.monotonic() - t0, 2))
            log(f"kill {k + 1}: the follower led after {times[-1]} s")
            replicas = [other, start(f"fo-{k + 2}")]
    finally:
        for r in replicas:
            r.kill()
    return {"kills": kills, "seconds": times, "max_s": max(times),
            "mean_s": round(sum(times) / len(times), 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=10000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--kills", type=int, default=10, help="0 skips the failover")
    parser.add_argument("--bin")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    binary = args.bin or os.path.join(target, "release", "jwctl")
    if not os.path.exists(binary):
        sys.exit(f"{binary} is missing: cargo build --release --locked first, or give --bin")

    tmp = tempfile.mkdtemp(prefix="jwctl-replicas-")
    token = os.urandom(16).hex()
    token_file = os.path.join(tmp, "token")
    fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(fd, (token + "\n").encode())
    os.close(fd)
    started = []
    db = None
    report = {"writers": args.writers, "clients": args.clients, "seconds": args.seconds}
    try:
        log("one replica on SQLite")
        sqlite = Replica(binary, tmp, "sqlite", args.writers, token_file)
        started.append(sqlite)
        report["sqlite"] = throughput([sqlite.port], token, args.clients, args.seconds)
        sqlite.stop()
        log(f"  {report['sqlite']}")

        db = MariaDb(tmp)
        url = db.database("jw_measure")
        log("one replica on MariaDB")
        first = Replica(binary, tmp, "first", args.writers, token_file, url, db.password_file)
        started.append(first)
        report["mariadb-1"] = throughput([first.port], token, args.clients, args.seconds)
        log(f"  {report['mariadb-1']}")
        log("two replicas on MariaDB")
        second = Replica(binary, tmp, "second", args.writers, token_file, url,
                         db.password_file)
        started.append(second)
        report["mariadb-2"] = throughput([first.port, second.port], token, args.clients,
                                         args.seconds)
        log(f"  {report['mariadb-2']}")
        first.stop()
        second.stop()

        if args.kills > 0:
            log(f"failover over {args.kills} leader kills")
            report["failover"] = failover(binary, tmp, db, token, token_file, args.kills)
    except KeyboardInterrupt:
        log("interrupted")
    finally:
        for r in started:
            r.kill()
        if db:
            db.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for mode in ("sqlite", "mariadb-1", "mariadb-2"):
            if mode in report:
                r = report[mode]
                print(f"{mode:10} {r['ops_per_s']:8.1f} ops/s  p50 {r['p50_ms']} ms  "
                      f"p95 {r['p95_ms']} ms  max {r['max_ms']} ms  failed {r['failed']}")
        if "failover" in report:
            f = report["failover"]
            print(f"failover   max {f['max_s']} s  mean {f['mean_s']} s  over {f['kills']} "
                  f"kills: {f['seconds']}")


if __name__ == "__main__":
    main()
