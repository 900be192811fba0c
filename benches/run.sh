#!/usr/bin/env bash
# Throughput of `faultline analyze` beside the machine's limit on the same file
# (`wc -l` for plain files, `zcat` / `zstd -dc` for compressed ones) and beside
# DuckDB and GoAccess doing a per-status count of the same file, when installed
# (`pip install duckdb`, `apt-get install goaccess`).
#
#   benches/run.sh                        # ~1 GiB inputs in $BENCH_DIR (default /tmp/faultline-bench)
#   BENCH_LINES=1000000 benches/run.sh    # smaller, quicker
#   RUNS=5 benches/run.sh                 # best of 5 (default 3)
#   NO_GOACCESS=1 benches/run.sh          # skip GoAccess (about a minute per GiB)
#   SHAPE=production benches/run.sh       # production-shaped inputs (benches/production.sh)
#   FAULTLINE=path/to/faultline benches/run.sh   # time that binary instead
#   GEN_SAMPLES=path/to/gen_samples       # with FAULTLINE: no cargo build
#   PYTHON=venv/bin/python benches/run.sh # the python that has duckdb
#
# Inputs are generated deterministically (examples/gen_samples.rs) once and
# reused. SHAPE=clean (the default) is the traffic mix of sample-logs/, whose
# error bodies come from a handful of messages; SHAPE=production is shaped
# like a production API's log (SPEC §8, `gen_samples --production`): ids in
# about every error message, a few hundred routes plus slugs and scanner
# probes, `\x22` and `\"` escapes, IPv6, 1 % malformed lines, nested objects
# and `\u` escapes in the JSON lines. Every command runs RUNS times with a warm page cache and the best
# wall time is kept (GoAccess runs once: it is 50x slower). Not a test:
# nothing here asserts a speed.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${BENCH_DIR:-/tmp/faultline-bench}
SHAPE=${SHAPE:-clean}
RUNS=${RUNS:-3}
PYTHON=${PYTHON:-python3}
mkdir -p "$DIR"

command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
# The lean build: `analyze` is the same with or without `query` (Polars), and
# it builds in a fraction of the time.
# FAULTLINE and GEN_SAMPLES (both set) name binaries built already: no build.
if [ -z "${FAULTLINE:-}" ] || [ -z "${GEN_SAMPLES:-}" ]; then
  cargo build --release --quiet --no-default-features --bin faultline --example gen_samples
fi
FL=${FAULTLINE:-${CARGO_TARGET_DIR:-target}/release/faultline}
GEN=${GEN_SAMPLES:-${CARGO_TARGET_DIR:-target}/release/examples/gen_samples}

case "$SHAPE" in
  clean)
    LINES=${BENCH_LINES:-5900000}   # ~1 GiB of combined log at ~185 bytes a line
    JLINES=$LINES                   # the same requests as JSON lines (1.7 GB)
    CLF=combined.log JSONL=events.jsonl GEN_ARGS=""
    INPUTS="combined.log events.jsonl combined.log.gz combined.log.zst" ;;
  production)
    LINES=${BENCH_LINES:-4000000}   # ~1 GiB of combined log at ~267 bytes a line
    JLINES=$((LINES * 3 / 8))       # ~1 GiB of JSON lines at ~706 bytes a line
    CLF=production.log JSONL=production.jsonl GEN_ARGS="--production"
    INPUTS="production.log production.jsonl" ;;
  *) echo "SHAPE is clean or production" >&2; exit 2 ;;
esac

gen() { # name, lines, extra args
  if [ ! -s "$DIR/$1" ]; then
    echo "generating $DIR/$1 ($2 lines)" >&2
    # shellcheck disable=SC2086 # the extra args are words
    "$GEN" --lines "$2" --out "$DIR/$1" $GEN_ARGS ${3:-}
  fi
}
gen "$CLF" "$LINES"
gen "$JSONL" "$JLINES" --json
if [ "$SHAPE" = clean ]; then
  [ -s "$DIR/combined.log.gz" ] || gzip -c "$DIR/combined.log" > "$DIR/combined.log.gz"
  [ -s "$DIR/combined.log.zst" ] || zstd -q -c "$DIR/combined.log" > "$DIR/combined.log.zst"
fi

HAVE_DUCKDB=0
"$PYTHON" -c 'import duckdb' 2>/dev/null && HAVE_DUCKDB=1
HAVE_GOACCESS=0
[ -z "${NO_GOACCESS:-}" ] && command -v goaccess >/dev/null && HAVE_GOACCESS=1

# DuckDB's per-status count: the status after the quoted request for access
# logs (what awk or grep users do), the `status` column for JSON lines. Lines
# it cannot read are skipped (`ignore_errors`, no sniffing): without that it
# stops at the production logs' first malformed line.
cat > "$DIR/duckdb_count.py" <<'EOF'
import sys, duckdb
kind, path = sys.argv[1], sys.argv[2]
if kind == "json":
    q = f"SELECT status, count(*) FROM read_json('{path}', format='newline_delimited', columns={{'status': 'INTEGER'}}, ignore_errors=true) GROUP BY 1"
else:
    q = (f"SELECT regexp_extract(line, '\" ([0-9]{{3}}) ', 1), count(*) FROM read_csv('{path}', "
         "columns={'line': 'VARCHAR'}, delim='\\x01', quote='', escape='', header=false, auto_detect=false, strict_mode=false, ignore_errors=true) GROUP BY 1")
duckdb.connect().execute(q).fetchall()
EOF

# measure RUNS CMD...: prints "wall user sys maxrss_kib" of the fastest run,
# or "failed" when a run exits non-zero (a time of a failure is no time).
measure() {
  local runs=$1 best="" m
  shift
  local out="$DIR/.time"
  for _ in $(seq "$runs"); do
    if ! /usr/bin/time -o "$out" -f "%e %U %S %M" "$@" > /dev/null 2>&1; then
      echo failed
      return
    fi
    m=$(tail -1 "$out")
    if [ -z "$best" ] || awk -v a="${m%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$m; fi
  done
  echo "$best"
}

printf '%-17s %-10s %9s %6s %7s %11s %7s %8s %8s %9s %9s\n' \
  input tool lines MB wall_s lines/s MB/s cpu/wall rss_MiB vs_base vs_tool
for input in $INPUTS; do
  f="$DIR/$input"
  case "$input" in
    *.gz) base_name="zcat"; base=(sh -c "zcat '$f' > /dev/null") ;;
    *.zst) base_name="zstd -dc"; base=(sh -c "zstd -dc '$f' > /dev/null") ;;
    *) base_name="wc -l"; base=(wc -l "$f") ;;
  esac
  kind=clf n=$LINES
  case "$input" in *.jsonl) kind=json n=$JLINES ;; esac
  cat "$f" > /dev/null # warm the page cache
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.0f", b/1e6}')

  declare -A wall=() line=()
  row() { # tool, "wall user sys rss"
    local tool=$1 w u s r
    read -r w u s r <<< "$2"
    if [ "$w" = failed ]; then
      wall[$tool]=0
      line[$tool]="   (failed: exit status not 0)"
      return
    fi
    wall[$tool]=$w
    line[$tool]=$(awk -v w="$w" -v u="$u" -v s="$s" -v r="$r" -v l="$n" -v mb="$mb" 'BEGIN{
      ws = (w > 0 ? w : 0.001);
      printf "%9d %6d %7.2f %11.0f %7.0f %8.2f %8.0f", l, mb, w, l/ws, mb/ws, (u+s)/ws, r/1024 }')
  }
  row "$base_name" "$(measure "$RUNS" "${base[@]}")"
  row faultline "$(measure "$RUNS" "$FL" analyze --no-progress -o json "$f")"
  tools=("$base_name" faultline)
  if [ "$HAVE_DUCKDB" = 1 ]; then
    row duckdb "$(measure "$RUNS" "$PYTHON" "$DIR/duckdb_count.py" "$kind" "$f")"
    tools+=(duckdb)
  fi
  if [ "$HAVE_GOACCESS" = 1 ] && [ "$input" = "$CLF" ]; then
    row goaccess "$(measure 1 goaccess "$f" --log-format=COMBINED --no-global-config \
      --ignore-panel=VISITORS --ignore-panel=REQUESTS --ignore-panel=REQUESTS_STATIC \
      --ignore-panel=NOT_FOUND --ignore-panel=HOSTS --ignore-panel=OS --ignore-panel=BROWSERS \
      --ignore-panel=VISIT_TIMES --ignore-panel=REFERRERS --ignore-panel=REFERRING_SITES \
      --ignore-panel=KEYPHRASES --ignore-panel=GEO_LOCATION --ignore-panel=ASN \
      --ignore-panel=VIRTUAL_HOSTS --ignore-panel=REMOTE_USER --ignore-panel=CACHE_STATUS \
      --ignore-panel=MIME_TYPE --ignore-panel=TLS_TYPE -o json)"
    tools+=(goaccess)
  fi
  for tool in "${tools[@]}"; do
    # vs_base: how fast against the baseline (higher is faster); vs_tool: how
    # many times faster faultline is than this tool.
    if [[ ${line[$tool]} == *failed* ]]; then
      printf '%-17s %-10s %s\n' "$input" "$tool" "${line[$tool]}"
      continue
    fi
    awk -v i="$input" -v t="$tool" -v rest="${line[$tool]}" -v bw="${wall[$base_name]}" \
        -v w="${wall[$tool]}" -v fw="${wall[faultline]}" 'BEGIN{
      ws = (w > 0 ? w : 0.001); fws = (fw > 0 ? fw : 0.001);
      printf "%-17s %-10s %s %9.2f %9.2f\n", i, t, rest, bw/ws, w/fws }'
  done
  unset wall line
done
echo "(best of $RUNS; vs_base = baseline wall / tool wall; vs_tool = tool wall / faultline wall."
echo " Shape: $SHAPE. Machine: $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r))"
