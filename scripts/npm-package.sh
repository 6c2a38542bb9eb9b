#!/usr/bin/env bash
# Builds the npm packages of heaplens into target/npm/ (cargo's target folder: $CARGO_TARGET_DIR
# when set): heaplens-VERSION.tgz, the main package (the `heaplens` launcher and
# `heaplens/trigger`), and one heaplens-PLATFORM-VERSION.tgz per platform package, each holding
# only the binary. Only this machine's binary is built; binaries cross-built for the other
# platforms of npm/heaplens/platforms.js (cargo build --release --target T) are packed too.
#   bash scripts/npm-package.sh
#   npm install target/npm/*.tgz      # anywhere: no registry, no download, no install script
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -p heaplens
# Where cargo put the binary, and what the package says of itself, from the workspace's manifests.
metadata=$(cargo metadata --format-version 1 --no-deps --locked | node -e '
  const meta = JSON.parse(require("fs").readFileSync(0, "utf8"));
  const cli = meta.packages.find((p) => p.name === "heaplens");
  console.log([meta.target_directory, cli.version, cli.license].join("\n"));
')
{ read -r cargo_target; read -r version; read -r license; } <<<"$metadata"
repository=$(sed -n 's/^repository = "\(.*\)"$/\1/p' Cargo.toml)
host=$(rustc -vV | sed -n 's/^host: //p')

out=$cargo_target/npm
stage=$(mktemp -d "${TMPDIR:-/tmp}/heaplens-npm.XXXXXX")
trap 'rm -rf "$stage"' EXIT
rm -rf "$out"
mkdir -p "$out"

node npm/stage-packages.js --version "$version" --license "$license" --repository "$repository" \
  --host-target "$host" --cargo-target-dir "$cargo_target" --out "$stage" >"$stage/folders"
while read -r folder; do
  npm pack --silent --pack-destination "$out" "$folder" >/dev/null
done <"$stage/folders"

for tarball in "$out"/*.tgz; do
  echo "$tarball: $(wc -c <"$tarball") bytes"
done
