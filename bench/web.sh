#!/usr/bin/env bash
# Response times of `heaplens serve` on a big snapshot, once it is loaded: every request the
# web app makes for a user's click, each timed RUNS times with curl (whole HTTP round trip on
# 127.0.0.1); prints the first and the median time per request, against the 200 ms target.
# Then the load of a user with many tabs: 16 clients at a time mixing every route
# (tests/web/load.mjs, LOAD_REQUESTS requests, 4000 by default), with the server's resident set
# before and during it; against the targets: no request fails, RSS within 1.2x of idle, p99 of
# the views computed ahead under 50 ms, and every bad request refused.
#
#   bench/web.sh [FILE OTHER]   default: bench/data/big-10m.heapsnapshot bench/data/big-10m-b.heapsnapshot
#   RUNS=5 bench/web.sh FILE OTHER
#
# OTHER is a second snapshot for Comparison and "objects allocated after" to work on (of
# another process: ids match by chance only, so nearly every object is added or removed).
# Make the files first (about 10 M nodes, 820 MB each; the generator needs about 5x that in
# memory):
#   node --expose-gc --max-old-space-size=16384 bench/gen-big.js 450 bench/data/big-10m.heapsnapshot
#   node --expose-gc --max-old-space-size=16384 bench/gen-big.js 460 bench/data/big-10m-b.heapsnapshot --seed 7
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
file=${1:-bench/data/big-10m.heapsnapshot}
other=${2:-bench/data/big-10m-b.heapsnapshot}
cargo build --release --quiet
log=$(mktemp)
body=$(mktemp)
load=$(mktemp)
rss=$(mktemp)
target/release/heaplens serve "$other" "$file" --port 0 > "$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$log" "$body" "$load" "$rss"' EXIT
until url=$(grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$log"); do sleep 0.2; done
base=${url%%/?token=*}
token=${url##*token=}
started=$(date +%s.%N)
get() { curl -sf "$base/api/$1?token=$token&$2"; }
until get status '' | jq -e '.prepared' > /dev/null; do sleep 0.5; done
printf 'loaded %s and %s and computed the views ahead in %.1f s: %s nodes\n' "$other" "$file" "$(echo "$(date +%s.%N) - $started" | bc)" \
  "$(get status '' | jq '[.snapshots[].figures.node_count]')"

# time NAME QUERY: the first answer and the median of RUNS answers, in ms; the first answer's
# body is kept in $body for the next request to pick from.
time_request() {
  local name=$1 query=$2 first times=() i
  for ((i = 0; i < runs; i++)); do
    times+=("$(curl -sf -o "$body.$i" -w '%{time_total}' "$base/api/$name?token=$token&$query")")
  done
  mv "$body.0" "$body"
  rm -f "$body".*
  first=${times[0]}
  printf '%s\n' "${times[@]}" | sort -g | awk -v label="$name?$query" -v first="$first" -v n="$runs" '
    { t[NR] = $1 } END {
      med = t[int((n + 1) / 2)] * 1000
      printf "%-62s first %7.1f ms  median %7.1f ms  %s\n", substr(label, 1, 62), first * 1000, med, (first * 1000 < 200 && med < 200 ? "ok" : "OVER 200 ms")
    }'
}
pick() { jq -r "$1" "$body"; }
uri() { jq -rn --arg k "$1" '$k|@uri'; }

root=$(get status '' | jq '.snapshots[1].figures.root')
time_request summary 's=1'
key=$(uri "$(pick '.rows[0].key')")
time_request summary 's=1&sort=name&order=asc&offset=2000'
time_request summary 's=1&filter=array'
time_request summary 's=1&between=0'
time_request instances "s=1&key=$key"
instance=$(pick '.rows[0].node')
deep=$(pick '.rows[-1].node')
time_request instances "s=1&key=$key&offset=100000"
time_request children "s=1&node=$root"
time_request children "s=1&node=$instance"
time_request retainers "s=1&node=$instance"
holder=$(pick '.rows[0].node')
time_request retainers "s=1&node=$instance&ignore=$instance"
time_request retainers "s=1&node=$instance&ignore=$holder"
time_request retainers "s=1&node=$holder&ignore=$holder"
time_request retainers "s=1&node=$deep"
time_request retainers "s=1&node=$deep&ignore=$(pick '.rows[0].node')"
time_request dominated "s=1&node=$root"
big=$(pick '.rows[0].node')
time_request dominated "s=1&node=$big"
time_request dominated "s=1&node=$big&offset=5000"
id=$(pick '.rows[0].id')
time_request statistics 's=1'
time_request node "s=1&id=$id"
time_request comparison 's=1&base=0'
diffkey=$(uri "$(pick '.rows[0].key')")
time_request comparison 's=1&base=0&sort=name&filter=obj'
time_request comparison_objects "s=1&base=0&key=$diffkey&side=added"
time_request comparison_objects "s=1&base=0&key=$diffkey&side=removed&offset=1000"
time_request comparison 's=0&base=1'

echo
echo "== load: 16 clients at a time, ${LOAD_REQUESTS:-4000} requests mixing every route, 1 in 10 a request to refuse"
kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$server/status"; }
idle=$(kib)
(while kill -0 "$server" 2> /dev/null; do kib; sleep 0.05; done > "$rss") &
sampler=$!
node tests/web/load.mjs "$url" --clients 16 --requests "${LOAD_REQUESTS:-4000}" > "$load"
kill "$sampler" 2> /dev/null || true
most=$(sort -n "$rss" | tail -n 1)
jq -r --argjson idle "$idle" --argjson most "$most" '
  def ms: if . == null then "-" else (. * 10 | round / 10 | tostring) + " ms" end;
  "  \(.requests) requests in \(.seconds * 100 | round / 100) s (\(.requests_per_s | round) per s), \(.failures) failed  \(if .failures == 0 then "ok" else "FAILED" end)",
  "  RSS idle \($idle / 1024 | round) MiB, at most \($most / 1024 | round) MiB under load: \($most / $idle * 1000 | round / 1000)x  \(if $most <= $idle * 1.2 then "ok" else "OVER 1.2x" end)",
  "  views computed ahead: p50 \(.computed_views.p50_ms | ms), p99 \(.computed_views.p99_ms | ms), max \(.computed_views.max_ms | ms)  \(if .computed_views.p99_ms < 50 then "ok" else "OVER 50 ms" end)",
  (.routes | to_entries[] | "    \(.key | .[0:28] | . + " " * (28 - length)) n \(.value.count)  p50 \(.value.p50_ms | ms)  p99 \(.value.p99_ms | ms)  max \(.value.max_ms | ms)\(if .value.computed then "" else "  (computed on the spot)" end)"),
  "  refused:",
  (.refusals | to_entries[] | "    \(.key | . + " " * (20 - length)) HTTP \(.value.statuses | map(tostring) | join(","))  p99 \(.value.p99_ms | ms)  \(if .value.statuses == [.value.expected] then "ok" else "expected \(.value.expected)" end)")
' "$load"
