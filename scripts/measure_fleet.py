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
  trend column      on (the default at 160 columns: the visible rows' 15-minute series are
                    read in one GET /v1/history every 10 s and as rows change), or off with
                    --no-trend (`t` pressed after the first table).
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
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from measure_fleet_parts.common import COLS, ROWS, log, percentile  # noqa: E402
from measure_fleet_parts.services import Changes, Controller, Proxy  # noqa: E402
from measure_fleet_parts.terminal import (  # noqa: E402
    Console, full_table, search_cleared, search_done, shown_counts)

DEFAULT_QUERIES = "ledger,orders,refunds,billing,warehouse"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- measurements

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
        # The trend column is on by default at 160 columns; `t` turns it off.
        res["trend"] = "off" if args.no_trend else "on"
        if args.no_trend:
            console.write(b"t")
            console.quiet(0.05, 1.0)
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
    parser.add_argument("--no-trend", action="store_true",
                        help="turn the console's trend column off (t) before measuring")
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
