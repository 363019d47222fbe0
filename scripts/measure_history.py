#!/usr/bin/env python3
"""Measure the controller's latency history at fleet scale (Python 3 stdlib only).

Usage:
  scripts/measure_history.py [--sizes 100000] [--settle 15] [--calls 200] [--bin PATH] [--json]
  (--bin defaults to $CARGO_TARGET_DIR/release/jwctl, else target/release/jwctl in the repo)

For each fleet size N: `jwctl serve --demo-fleet N` on loopback (temp --data-dir), then

  RSS          the controller's VmRSS once the demo fleet is written and --settle seconds of
               scans have filled the history (compare with a build without history for what
               the history itself takes);
  /v1/history  --calls requests for 200 running writers' 15-minute series, one after the
               other (what a console's trend column asks): p50 / p95 / max milliseconds and
               the body size;
  writer       --calls requests of GET /v1/writers/{id}/history?window=6h: p50 / p95 / max;
  save         how long the graceful stop took to save every history (from the log).

Everything started is stopped on exit, on errors and on Ctrl-C.
"""

import argparse
import json
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from measure_fleet_parts.common import log, percentile  # noqa: E402
from measure_fleet_parts.services import Controller  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return None


def timed(controller, path, calls):
    samples, size = [], 0
    for _ in range(calls):
        t0 = time.monotonic()
        with controller.request("GET", path, timeout=30) as r:
            body = r.read()
        samples.append((time.monotonic() - t0) * 1000.0)
        size = len(body)
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
        "max_ms": round(max(samples), 2),
        "bytes": size,
    }


def measure(args, n):
    res = {"n": n}
    with tempfile.TemporaryDirectory(prefix="jwctl-history-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JWCTL_")}
        controller = None
        try:
            controller = Controller(args.bin, n, tmp, env, max(120.0, n * 0.0008))
            ids = controller.running_ids(200, timeout=max(60.0, n * 0.0003))
            # The demo fleet is written to the database in the background: wait for it.
            deadline = time.monotonic() + max(120.0, n * 0.001)
            while b"demo fleet written" not in open(controller.log_path, "rb").read():
                if time.monotonic() > deadline:
                    raise RuntimeError("the demo fleet was not written in time")
                time.sleep(0.2)
            time.sleep(args.settle)
            res["controller_rss_mib"] = round(rss_mib(controller.proc.pid), 1)
            log(f"N={n}: controller RSS {res['controller_rss_mib']} MiB")
            if not args.rss_only:
                query = "/v1/history?window=15m&ids=" + ",".join(ids)
                res["history_200_ids"] = timed(controller, query, args.calls)
                one = f"/v1/writers/{ids[0]}/history?window=6h"
                res["writer_history_6h"] = timed(controller, one, args.calls)
                log(f"N={n}: {res['history_200_ids']} / {res['writer_history_6h']}")
        finally:
            if controller:
                controller.stop()
                # A graceful stop saves every history: how long that took, from its log.
                m = re.search(rb"histories saved.*?writers=(\d+).*?ms=(\d+)|"
                              rb"ms=(\d+).*?writers=(\d+).*?histories saved",
                              open(controller.log_path, "rb").read())
                if m:
                    res["history_save_ms"] = int(m.group(2) or m.group(3))
    return res


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--settle", type=float, default=15.0,
                        help="seconds of scans before measuring")
    parser.add_argument("--calls", type=int, default=200)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    parser.add_argument("--bin", default=os.path.join(target, "release", "jwctl"))
    parser.add_argument("--rss-only", action="store_true",
                        help="only the RSS (for a build without the history routes)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        res = measure(args, n)
        print(json.dumps(res) if args.json else res, flush=True)


if __name__ == "__main__":
    main()
