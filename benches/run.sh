#!/usr/bin/env bash
# Throughput of `faultline analyze` beside the machine's limit on the same file:
# `wc -l` for plain files, `zcat` / `zstd -dc` for compressed ones.
#
#   benches/run.sh                 # 1 GiB inputs in $BENCH_DIR (default /tmp/faultline-bench)
#   BENCH_LINES=1000000 benches/run.sh   # smaller, quicker
#
# Inputs are generated deterministically (examples/gen_samples.rs) once and
# reused. Each command runs RUNS times (default 3) with a warm page cache;
# the best wall time is reported. Not a test: nothing here asserts a speed.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${BENCH_DIR:-/tmp/faultline-bench}
LINES=${BENCH_LINES:-5900000}   # ~1 GiB of combined log at ~182 bytes a line
RUNS=${RUNS:-3}
mkdir -p "$DIR"

command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet --bin faultline --example gen_samples
FL=target/release/faultline
GEN=target/release/examples/gen_samples

gen() { # name, extra args
  if [ ! -s "$DIR/$1" ]; then
    echo "generating $DIR/$1 ($LINES lines)" >&2
    "$GEN" --lines "$LINES" --out "$DIR/$1" ${2:-}
  fi
}
gen combined.log
gen events.jsonl --json
[ -s "$DIR/combined.log.gz" ] || gzip -c "$DIR/combined.log" > "$DIR/combined.log.gz"
[ -s "$DIR/combined.log.zst" ] || zstd -q -c "$DIR/combined.log" > "$DIR/combined.log.zst"

# best_of CMD...: prints "wall user sys maxrss_kib" of the fastest of $RUNS runs.
best_of() {
  local best="" m
  local out="$DIR/.time"
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -o "$out" -f "%e %U %S %M" "$@" > /dev/null 2>&1 || true
    m=$(tail -1 "$out")
    if [ -z "$best" ] || awk -v a="${m%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$m; fi
  done
  echo "$best"
}

printf '%-18s %10s %9s %8s %12s %9s %8s %9s %-14s %7s\n' input lines MB wall_s lines/s MB/s cpu/wall rss_MiB baseline ratio
for input in combined.log events.jsonl combined.log.gz combined.log.zst; do
  f="$DIR/$input"
  case "$input" in
    *.gz) base_name="zcat"; base=(sh -c "zcat '$f' > /dev/null") ;;
    *.zst) base_name="zstd -dc"; base=(sh -c "zstd -dc '$f' > /dev/null") ;;
    *) base_name="wc -l"; base=(wc -l "$f") ;;
  esac
  cat "$f" > /dev/null # warm the page cache
  read -r bw _ _ _ <<< "$(best_of "${base[@]}")"
  read -r w u s rss <<< "$(best_of "$FL" analyze --no-progress -o json "$f")"
  lines=$LINES
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.0f", b/1e6}')
  awk -v i="$input" -v l="$lines" -v mb="$mb" -v w="$w" -v u="$u" -v s="$s" -v r="$rss" -v bn="$base_name" -v bw="$bw" 'BEGIN{
    ws = (w > 0 ? w : 0.001); bws = (bw > 0 ? bw : 0.001);
    printf "%-18s %10d %9d %8.2f %12.0f %9.0f %8.2f %9.0f %-14s %7.2f\n", i, l, mb, w, l/ws, mb/ws, (u+s)/ws, r/1024, bn" "bw"s", bws/ws }'
done
echo "(ratio = baseline wall / faultline wall on the same file; higher is better. Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB)"
