#!/usr/bin/env bash
# Runs heaplens' whole test suite. Works on a fresh machine with the Rust toolchain, Node >= 20
# and npm: everything else the tests need is installed under target/ on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
