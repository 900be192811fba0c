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
#
# Inputs are generated deterministically (examples/gen_samples.rs) once and
# reused. Every command runs RUNS times with a warm page cache and the best
# wall time is kept (GoAccess runs once: it is 50x slower). Not a test:
# nothing here asserts a speed.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${BENCH_DIR:-/tmp/faultline-bench}
LINES=${BENCH_LINES:-5900000}   # ~1 GiB of combined log at ~185 bytes a line
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

HAVE_DUCKDB=0
python3 -c 'import duckdb' 2>/dev/null && HAVE_DUCKDB=1
HAVE_GOACCESS=0
[ -z "${NO_GOACCESS:-}" ] && command -v goaccess >/dev/null && HAVE_GOACCESS=1

# DuckDB's per-status count: the status after the quoted request for access
# logs (what awk or grep users do), the `status` column for JSON lines.
cat > "$DIR/duckdb_count.py" <<'EOF'
import sys, duckdb
kind, path = sys.argv[1], sys.argv[2]
if kind == "json":
    q = f"SELECT status, count(*) FROM read_json('{path}', format='newline_delimited', columns={{'status': 'INTEGER'}}) GROUP BY 1"
else:
    q = (f"SELECT regexp_extract(line, '\" ([0-9]{{3}}) ', 1), count(*) FROM read_csv('{path}', "
         "columns={'line': 'VARCHAR'}, delim='\\x01', quote='', escape='', header=false, strict_mode=false) GROUP BY 1")
duckdb.connect().execute(q).fetchall()
EOF

# measure RUNS CMD...: prints "wall user sys maxrss_kib" of the fastest run.
measure() {
  local runs=$1 best="" m
  shift
  local out="$DIR/.time"
  for _ in $(seq "$runs"); do
    /usr/bin/time -o "$out" -f "%e %U %S %M" "$@" > /dev/null 2>&1 || true
    m=$(tail -1 "$out")
    if [ -z "$best" ] || awk -v a="${m%% *}" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best=$m; fi
  done
  echo "$best"
}

printf '%-17s %-10s %9s %6s %7s %11s %7s %8s %8s %9s %9s\n' \
  input tool lines MB wall_s lines/s MB/s cpu/wall rss_MiB vs_base vs_tool
for input in combined.log events.jsonl combined.log.gz combined.log.zst; do
  f="$DIR/$input"
  case "$input" in
    *.gz) base_name="zcat"; base=(sh -c "zcat '$f' > /dev/null") ;;
    *.zst) base_name="zstd -dc"; base=(sh -c "zstd -dc '$f' > /dev/null") ;;
    *) base_name="wc -l"; base=(wc -l "$f") ;;
  esac
  kind=clf
  [ "$input" = events.jsonl ] && kind=json
  cat "$f" > /dev/null # warm the page cache
  mb=$(awk -v b="$(stat -c %s "$f")" 'BEGIN{printf "%.0f", b/1e6}')

  declare -A wall=() line=()
  row() { # tool, "wall user sys rss"
    local tool=$1 w u s r
    read -r w u s r <<< "$2"
    wall[$tool]=$w
    line[$tool]=$(awk -v w="$w" -v u="$u" -v s="$s" -v r="$r" -v l="$LINES" -v mb="$mb" 'BEGIN{
      ws = (w > 0 ? w : 0.001);
      printf "%9d %6d %7.2f %11.0f %7.0f %8.2f %8.0f", l, mb, w, l/ws, mb/ws, (u+s)/ws, r/1024 }')
  }
  row "$base_name" "$(measure "$RUNS" "${base[@]}")"
  row faultline "$(measure "$RUNS" "$FL" analyze --no-progress -o json "$f")"
  tools=("$base_name" faultline)
  if [ "$HAVE_DUCKDB" = 1 ]; then
    row duckdb "$(measure "$RUNS" python3 "$DIR/duckdb_count.py" "$kind" "$f")"
    tools+=(duckdb)
  fi
  if [ "$HAVE_GOACCESS" = 1 ] && [ "$input" = combined.log ]; then
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
    awk -v i="$input" -v t="$tool" -v rest="${line[$tool]}" -v bw="${wall[$base_name]}" \
        -v w="${wall[$tool]}" -v fw="${wall[faultline]}" 'BEGIN{
      ws = (w > 0 ? w : 0.001); fws = (fw > 0 ? fw : 0.001);
      printf "%-17s %-10s %s %9.2f %9.2f\n", i, t, rest, bw/ws, w/fws }'
  done
  unset wall line
done
echo "(best of $RUNS; vs_base = baseline wall / tool wall; vs_tool = tool wall / faultline wall."
echo " Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r))"
