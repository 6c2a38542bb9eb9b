#!/usr/bin/env bash
# Whole-process benchmark of `heaplens leaks` on a series of three snapshots, beside the floor:
# the time to read the three files from a warm page cache.
#
#   bench/leaks.sh [DIR [HEAPLENS]]
#
#   DIR       folder holding baseline.heapsnapshot, target.heapsnapshot and final.heapsnapshot
#             (default: bench/data/series300, which git ignores)
#   HEAPLENS  the binary to measure (default: target/release/heaplens in this repository; it
#             is not built here)
#   RUNS=N    measured runs (default: 5)
#
# Make the series first (about 300 MB per file at the default scale):
#   node --expose-gc --max-old-space-size=8192 bench/leak-series.js --out bench/data/series300
#
# Prints the files' total size; the floor (median of 3 reads of all three files with
# `cat > /dev/null`, after one warm-up read); one run with HEAPLENS_TIMINGS=1 showing the
# verdict and the phase timings; then RUNS measured runs, each run's wall time and peak RSS,
# their medians and the ratio of the median wall time to the floor.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/bench/data/series300}
bin=${2:-$root/target/release/heaplens}
runs=${RUNS:-5}

files=("$dir/baseline.heapsnapshot" "$dir/target.heapsnapshot" "$dir/final.heapsnapshot")
for f in "${files[@]}"; do
  [ -f "$f" ] || { echo "missing $f (make it with bench/leak-series.js)" >&2; exit 2; }
done
[ -x "$bin" ] || { echo "no heaplens binary at $bin (build it with cargo build --release)" >&2; exit 2; }

have_time=1
[ -x /usr/bin/time ] || have_time=0

# median: the middle of the numbers on stdin (the mean of the two middle ones for an even count).
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; m = int((NR + 1) / 2); print (NR % 2 ? v[m] : (v[m] + v[m + 1]) / 2) }'
}

# now: seconds since the epoch, to the microsecond.
now() {
  echo "${EPOCHREALTIME/,/.}"
}

echo "== files"
total=0
for f in "${files[@]}"; do
  size=$(stat -c %s "$f")
  total=$((total + size))
  printf '  %-24s %12d bytes  %7.1f MB\n' "$(basename "$f")" "$size" "$(awk -v s="$size" 'BEGIN { print s / 1e6 }')"
done
printf '  %-24s %12d bytes  %7.1f MB\n' "total" "$total" "$(awk -v s="$total" 'BEGIN { print s / 1e6 }')"

echo
echo "== floor: cat of the three files > /dev/null (page cache warm)"
cat "${files[@]}" > /dev/null
floors=()
for i in 1 2 3; do
  start=$(now)
  cat "${files[@]}" > /dev/null
  end=$(now)
  floors+=("$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')")
  echo "  read $i: ${floors[-1]} s"
done
floor=$(printf '%s\n' "${floors[@]}" | median)
printf '  floor (median): %.3f s  (%.0f MB/s)\n' "$floor" "$(awk -v s="$total" -v t="$floor" 'BEGIN { print s / 1e6 / t }')"

echo
echo "== one run with HEAPLENS_TIMINGS=1"
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
if ! HEAPLENS_TIMINGS=1 "$bin" leaks "${files[@]}" > "$out" 2> "$err"; then
  echo "heaplens leaks failed:" >&2
  cat "$err" >&2
  exit 2
fi
echo "-- first 3 lines of the report (stdout):"
head -n 3 "$out" | sed 's/^/  /'
echo "-- phase timings (stderr):"
sed 's/^/  /' "$err"

echo
echo "== $runs measured runs of: heaplens leaks baseline target final > /dev/null"
walls=()
rsss=()
for ((i = 1; i <= runs; i++)); do
  if [ "$have_time" = 1 ]; then
    if ! /usr/bin/time -f '%e %M' -o "$err" "$bin" leaks "${files[@]}" > /dev/null 2> /dev/null; then
      echo "run $i failed: $(tail -n 1 "$err")" >&2
      exit 2
    fi
    read -r wall rss_kb < <(tail -n 1 "$err")
    walls+=("$wall")
    rsss+=("$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k * 1024 / 1e6 }')")
    printf '  run %d: wall %6.2f s  peak RSS %7.1f MB\n' "$i" "$wall" "${rsss[-1]}"
  else
    TIMEFORMAT=%3R
    { time "$bin" leaks "${files[@]}" > /dev/null 2> /dev/null; } 2> "$err"
    walls+=("$(tail -n 1 "$err")")
    printf '  run %d: wall %6.2f s  peak RSS n/a\n' "$i" "${walls[-1]}"
  fi
done

echo
echo "== summary"
wall_med=$(printf '%s\n' "${walls[@]}" | median)
printf '  median wall time   %7.2f s\n' "$wall_med"
if [ "$have_time" = 1 ]; then
  rss_med=$(printf '%s\n' "${rsss[@]}" | median)
  printf '  median peak RSS    %7.1f MB  (%.2fx the files)\n' "$rss_med" "$(awk -v r="$rss_med" -v s="$total" 'BEGIN { print r * 1e6 / s }')"
else
  echo "  median peak RSS    not measured: /usr/bin/time is missing, and a finished process's"
  echo "                     peak RSS (VmHWM) cannot be read from bash; install GNU time for it"
fi
printf '  floor              %7.3f s\n' "$floor"
printf '  median / floor     %7.1fx\n' "$(awk -v w="$wall_med" -v f="$floor" 'BEGIN { print w / f }')"
