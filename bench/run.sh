#!/usr/bin/env bash
# Whole-process benchmark of heaplens on big snapshots, every figure beside the floor of reading
# the same bytes (`cat FILE > /dev/null`, page cache warm), all measured in one run with
# /usr/bin/time -v.
#
#   bench/run.sh [FILE...]            default: bench/data/*.heapsnapshot
#   SERIES=DIR bench/run.sh [FILE...] also `heaplens leaks` on DIR's three snapshots (baseline,
#                                     target, final), beside `summary` of the last one
#   RUNS=5 ORACLE_RUNS=0 ORACLE=target/devtools-oracle/oracle.mjs bench/run.sh
#
# Make the files first (the generator needs about 5x the file size in memory):
#   node --expose-gc --max-old-space-size=16384 bench/gen-big.js 390 bench/data/big-700.heapsnapshot
#   node --expose-gc --max-old-space-size=16384 bench/gen-big.js 700 bench/data/big-1300.heapsnapshot
#   node --expose-gc --max-old-space-size=20000 bench/gen-big.js 1450 /tmp/big-2700.heapsnapshot
#   node --expose-gc --max-old-space-size=16384 bench/leak-series.js --out bench/data/series700 --scale 300
# A ~5 GB snapshot without 25 GB to generate it: six copies of a 0.85 GB one, side by side,
#   cargo run --release -p heaplens-snapshot --example multiply -- big-850.heapsnapshot /tmp/big-5g.heapsnapshot 6
#
# One line per tool and file: wall seconds (median, min, max and max/min over the runs), CPU
# seconds per wall second (both cores busy: near 2), MB of file per second, the median wall time
# as a multiple of the floor's, and the median peak RSS in MB and as a share of the file size.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
oracle_runs=${ORACLE_RUNS:-0}
oracle=${ORACLE:-target/devtools-oracle/oracle.mjs}
cargo build --release --quiet
bin=target/release/heaplens
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(bench/data/*.heapsnapshot)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure NAME N SIZE LABEL CMD...: runs CMD N times; prints one line of figures and leaves the
# median wall time in $work/median.
measure() {
  local name=$1 n=$2 size=$3 label=$4 i log=$work/time
  shift 4
  : > "$work/runs"
  for ((i = 0; i < n; i++)); do
    if ! /usr/bin/time -v "$@" > /dev/null 2> "$log"; then
      echo "$name $label: failed: $(grep -v '^\s' "$log" | tail -n 1)"
      echo 0 > "$work/median"
      return
    fi
    awk -F': ' '
      /Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
      /User time/ { cpu += $2 } /System time/ { cpu += $2 }
      /Maximum resident set size/ { rss = $2 }
      END { print wall, cpu, rss }' "$log" >> "$work/runs"
  done
  sort -g "$work/runs" | awk -v name="$name" -v label="$label" -v size="$size" -v n="$n" -v floor="${floor:-0}" \
    -v out="$work/median" '
    { wall[NR] = $1; cpu[NR] = $2; rss[NR] = $3 }
    END {
      m = int((n + 1) / 2); med = wall[m]
      # CPU of the median run by wall time; the RSS median on its own.
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (rss[j] < rss[i]) { t = rss[i]; rss[i] = rss[j]; rss[j] = t }
      rmed = rss[m]
      printf "%-9s %-26s %6.0f MB  median %6.2f s (min %.2f, max %.2f, max/min %.2f)  cpu/wall %.2f  %5.0f MB/s  %5.1fx cat  peak RSS %6.0f MB (%.2fx file)\n",
        name, label, size / 1e6, med, wall[1], wall[n], (wall[1] > 0 ? wall[n] / wall[1] : 0),
        (med > 0 ? cpu[m] / med : 0), (med > 0 ? size / 1e6 / med : 0), (floor > 0 ? med / floor : 0),
        rmed * 1024 / 1e6, rmed * 1024 / size
      print med > out
    }'
}

# floor_of LABEL FILE...: the median time to read FILEs with cat, page cache warm; sets $floor.
floor_of() {
  local label=$1 size=0 f
  shift
  for f in "$@"; do size=$((size + $(stat -c %s "$f"))); done
  cat "$@" > /dev/null
  floor=0
  measure cat "$runs" "$size" "$label" cat "$@"
  floor=$(cat "$work/median")
}

for file in "${files[@]}"; do
  size=$(stat -c %s "$file")
  label=$(basename "$file")
  floor_of "$label" "$file"
  measure heaplens "$runs" "$size" "$label" "$bin" summary "$file" --json
  if [ "$oracle_runs" -gt 0 ] && [ -f "$oracle" ]; then
    measure devtools "$oracle_runs" "$size" "$label" node --max-old-space-size=16384 "$oracle" "$file"
  fi
done

if [ -n "${SERIES:-}" ]; then
  series=("$SERIES/baseline.heapsnapshot" "$SERIES/target.heapsnapshot" "$SERIES/final.heapsnapshot")
  last=${series[2]}
  total=0
  for f in "${series[@]}"; do total=$((total + $(stat -c %s "$f"))); done
  label="$(basename "$SERIES") (3 files)"
  floor_of "$label" "${series[@]}"
  measure leaks "$runs" "$total" "$label" "$bin" leaks "${series[@]}"
  leaks=$(cat "$work/median")
  floor_of "$(basename "$last")" "$last"
  measure summary "$runs" "$(stat -c %s "$last")" "$(basename "$last")" "$bin" summary "$last" --json
  summary=$(cat "$work/median")
  awk -v l="$leaks" -v s="$summary" 'BEGIN { printf "leaks of the 3 / summary of the last: %.2fx\n", (s > 0 ? l / s : 0) }'
fi
