#!/usr/bin/env bash
# Whole-process benchmark of heaplens' full analysis (read + every DevTools analysis + the
# Summary) on big generated snapshots, beside the floor (`cat FILE > /dev/null`) and DevTools'
# own code (the oracle), all measured in the same run with /usr/bin/time -v.
#
#   bench/run.sh [FILE...]          default: bench/data/*.heapsnapshot
#   RUNS=5 ORACLE_RUNS=1 ORACLE=target/devtools-oracle/oracle.mjs bench/run.sh
#
# Make the files first (the generator needs about 5x the file size in memory):
#   node --expose-gc --max-old-space-size=16384 bench/gen-big.js 390 bench/data/big-700.heapsnapshot
#   node --expose-gc --max-old-space-size=16384 bench/gen-big.js 700 bench/data/big-1300.heapsnapshot
#   node --expose-gc --max-old-space-size=16384 bench/gen-big.js 60 bench/data/strings-600.heapsnapshot --string-mb 600
#   node --expose-gc --max-old-space-size=20000 bench/gen-big.js 1450 /tmp/big-2500.heapsnapshot   (2.75 GB, 14 GB
#     to generate; kept out of bench/data so it is measured only when named: bench/run.sh /tmp/big-2500.heapsnapshot)
#
# Prints one line per tool and file: median / min / max wall seconds, MB of file per second
# (median), and the median peak RSS in MB and as a share of the file size.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
oracle_runs=${ORACLE_RUNS:-1}
oracle=${ORACLE:-target/devtools-oracle/oracle.mjs}
cargo build --release --quiet
bin=target/release/heaplens
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(bench/data/*.heapsnapshot)

# measure NAME N FILE CMD...: runs CMD N times; prints median/min/max seconds and median RSS.
measure() {
  local name=$1 n=$2 file=$3; shift 3
  local size times=() rss=() i log
  size=$(stat -c %s "$file")
  log=$(mktemp)
  for ((i = 0; i < n; i++)); do
    if ! /usr/bin/time -v "$@" > /dev/null 2> "$log"; then
      echo "$name $(basename "$file"): failed: $(grep -v '^\s' "$log" | tail -n 1)"
      rm -f "$log"
      return
    fi
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$log")")
    rss+=("$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")")
  done
  rm -f "$log"
  printf '%s\n' "${times[@]}" | sort -g > /tmp/heaplens-bench-times
  printf '%s\n' "${rss[@]}" | sort -g > /tmp/heaplens-bench-rss
  awk -v name="$name" -v file="$(basename "$file")" -v size="$size" -v n="$n" '
    NR == FNR { t[FNR] = $1; next } { r[FNR] = $1 }
    END {
      med = t[int((n + 1) / 2)]; rmed = r[int((n + 1) / 2)]
      printf "%-9s %-28s %7.0f MB  median %6.2f s (min %.2f, max %.2f, n=%d)  %7.0f MB/s  peak RSS %6.0f MB (%.2fx file)\n",
        name, file, size / 1e6, med, t[1], t[n], n, (med > 0 ? size / 1e6 / med : 0), rmed * 1024 / 1e6, rmed * 1024 / size
    }' /tmp/heaplens-bench-times /tmp/heaplens-bench-rss
}

for file in "${files[@]}"; do
  cat "$file" > /dev/null  # warm the page cache: every tool reads from memory
  measure cat "$runs" "$file" cat "$file"
  measure heaplens "$runs" "$file" "$bin" summary "$file" --json
  if [ "$oracle_runs" -gt 0 ] && [ -f "$oracle" ]; then
    measure devtools "$oracle_runs" "$file" node --max-old-space-size=16384 "$oracle" "$file"
  fi
done
