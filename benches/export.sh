#!/usr/bin/env bash
# `faultline export` beside `faultline analyze` on the same ~1 GiB combined
# log (SPEC §9 targets: export at least half analyze's speed, peak RSS under
# 512 MiB, a dataset at most 15 % of the plain log), then `query` over the
# dataset against `query` over the log. Not a test: nothing here asserts.
#
#   benches/export.sh                       # ~1 GiB in $BENCH_DIR (default /tmp/faultline-bench)
#   BENCH_LINES=1000000 benches/export.sh   # smaller, quicker
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${BENCH_DIR:-/tmp/faultline-bench}
LINES=${BENCH_LINES:-5900000}
mkdir -p "$DIR"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
cargo build --release --quiet --bin faultline --example gen_samples
T=${CARGO_TARGET_DIR:-target}
FL=$T/release/faultline
# Starts on 2026-01-01 so that no line is in the future: results must not
# depend on when the steps run.
LOG="$DIR/combined-2026-01-01.log"
[ -s "$LOG" ] || "$T"/release/examples/gen_samples --lines "$LINES" --start 1767225600 --out "$LOG"
cat "$LOG" > /dev/null # warm the page cache

# run NAME CMD...: one run, "wall_s rss_MiB", output to $DIR/NAME.out
run() {
  local name=$1
  shift
  /usr/bin/time -o "$DIR/.time" -f "%e %M" "$@" > "$DIR/$name.out" 2> "$DIR/$name.err" || {
    cat "$DIR/$name.err" >&2
    exit 1
  }
  awk '{printf "%s %.0f", $1, $2/1024}' "$DIR/.time"
}

DS="$DIR/dataset"
rm -rf "$DS"
bytes=$(stat -c %s "$LOG")
mb=$(awk -v b="$bytes" 'BEGIN{printf "%.0f", b/1e6}')
read -r wc_s _ <<< "$(run wc wc -l "$LOG")"
read -r an_s an_rss <<< "$(run analyze "$FL" analyze --no-progress -o json "$LOG")"
read -r ex_s ex_rss <<< "$(run export "$FL" export --no-progress --out "$DS" "$LOG")"
read -r again_s _ <<< "$(run again "$FL" export --no-progress --out "$DS" "$LOG")"
ds_bytes=$(du -sb "$DS" | cut -f1)
read -r ql_s ql_rss <<< "$(run q_log "$FL" query top-error-codes -o csv "$LOG")"
read -r qd_s qd_rss <<< "$(run q_ds "$FL" query top-error-codes -o csv "$DS")"
cmp -s "$DIR/q_log.out" "$DIR/q_ds.out" && same=yes || same=NO

printf '%-34s %8s %8s %8s %9s\n' step wall_s MB/s rss_MiB vs_analyze
row() { awk -v n="$1" -v w="$2" -v mb="$mb" -v r="$3" -v a="$an_s" 'BEGIN{
  ws = (w > 0 ? w : 0.001); printf "%-34s %8.2f %8.0f %8s %9.2f\n", n, w, mb/ws, r, a/ws }'; }
row "wc -l" "$wc_s" -
row "analyze" "$an_s" "$an_rss"
row "export (new dataset)" "$ex_s" "$ex_rss"
row "export again (nothing new)" "$again_s" -
row "query top-error-codes, log" "$ql_s" "$ql_rss"
row "query top-error-codes, dataset" "$qd_s" "$qd_rss"
echo "input: $LINES lines, $mb MB; dataset: $(awk -v d="$ds_bytes" -v b="$bytes" 'BEGIN{printf "%.1f MB, %.1f %% of the log", d/1e6, 100*d/b}'),"
echo "       $(find "$DS" -name '*.parquet' | wc -l) files; $(head -1 "$DIR/export.out")"
echo "query results equal over the log and the dataset: $same"
echo "(one run each, page cache warm; vs_analyze = analyze wall / step wall. Machine: $(nproc) cores)"
