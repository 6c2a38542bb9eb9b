#!/usr/bin/env bash
# The main job on a bundled example: a whole leak hunt on examples/hunt/rate-limited-api.js
# (an HTTP service whose rate limiter never forgets a client). heaplens starts it under the
# inspector, sends it HTTP requests on loopback, takes three heap snapshots, stops it and says
# what leaks. Needs only the Rust toolchain and Node.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
out=target/demo/hunt
rm -rf "$out"
url='http://127.0.0.1:{port}/items?client=c{i}'
echo "\$ heaplens hunt --url '$url' --out $out -- node examples/hunt/rate-limited-api.js"
target/release/heaplens hunt --url "$url" --out "$out" -- node examples/hunt/rate-limited-api.js
