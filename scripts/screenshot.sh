#!/usr/bin/env bash
# Regenerates the README screenshots (assets/screenshot*.svg) from the real console: the
# release binary with its embedded demo controller, driven in a pseudo-terminal.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --bin jwctl
cargo run --release --locked --example screenshot -- target/release/jwctl assets
