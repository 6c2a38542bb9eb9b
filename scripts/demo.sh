#!/usr/bin/env bash
# The main job on a bundled example: runs examples/leaks/pending-promise.js (a database client
# whose queries all wait on a promise that never settles), which writes three heap snapshots
# as it works, then asks heaplens what leaks. Needs only the Rust toolchain and Node.
#   scripts/demo.sh [EXAMPLE]    EXAMPLE: a program of examples/leaks/ (default pending-promise)
set -euo pipefail
cd "$(dirname "$0")/.."
example=${1:-pending-promise}
cargo build --release --quiet
out=target/demo/$example
rm -rf "$out"
node --expose-gc "examples/leaks/$example.js" --out "$out" --ops 400 --warmup 100
echo "\$ heaplens leaks $out/"
target/release/heaplens leaks "$out/"
