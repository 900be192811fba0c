#!/usr/bin/env bash
# What a scanner costs: `faultline analyze` on a log in which four lines in
# five are a scanner's or a bot's (every path a new slug, every error code and
# message distinct), beside its low-cardinality twin (the same lines with the
# junk words drawn from five: same size, same shape, few keys).
#
#   benches/high_cardinality.sh                       # 3M lines each
#   BENCH_LINES=1000000 benches/high_cardinality.sh   # quicker
#   CHECK=0 benches/high_cardinality.sh               # skip the exact run
#
# Prints wall time, CPU time, peak RSS and the JSON report's size of each,
# then checks the bounded tables against an exact run of the same file
# (`--max-keys` above the number of keys, so nothing is evicted): every row
# must satisfy count - count_error <= true <= count, and every key with more
# than total / --max-keys requests must be there. Not a test: it asserts the
# guarantees, never a speed.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=${BENCH_DIR:-/tmp/faultline-bench}
LINES=${BENCH_LINES:-3000000}
mkdir -p "$DIR"
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
# The lean build: `analyze` is the same with or without `query`, and it
# builds in a fraction of the time.
cargo build --release --quiet --no-default-features --bin faultline --example gen_samples
FL=${CARGO_TARGET_DIR:-target}/release/faultline
GEN=${CARGO_TARGET_DIR:-target}/release/examples/gen_samples

HC="$DIR/high-cardinality-$LINES.log"
TWIN="$DIR/low-cardinality-twin-$LINES.log"
[ -s "$HC" ] || "$GEN" --lines "$LINES" --out "$HC" --high-cardinality
[ -s "$TWIN" ] || "$GEN" --lines "$LINES" --out "$TWIN" --high-cardinality --junk-pool 5

printf '%-28s %9s %6s %7s %7s %8s %9s %8s %8s\n' \
  input lines MB wall_s cpu_s rss_MiB json_MB routes errors
for f in "$TWIN" "$HC"; do
  cat "$f" > /dev/null # warm the page cache
  /usr/bin/time -o "$DIR/.time" -f "%e %U %S %M" "$FL" analyze --no-progress -o json "$f" > "$f.json"
  read -r wall user sys rss < "$DIR/.time"
  python3 - "$f" "$wall" "$user" "$sys" "$rss" <<'EOF'
import json, os, sys
f, wall, user, sys_, rss = sys.argv[1:]
r = json.load(open(f + ".json"))
t = r["summary"]["tables"]
def fill(x):
    return f"{x['kept']}/{x['distinct']}" + ("*" if x["capped"] else "")
print(f"{os.path.basename(f):<28} {r['summary']['lines']:>9} {os.path.getsize(f)/1e6:>6.0f} "
      f"{float(wall):>7.2f} {float(user)+float(sys_):>7.2f} {int(rss)/1024:>8.0f} "
      f"{os.path.getsize(f + '.json')/1e6:>9.2f} {fill(t['routes']):>8} {fill(t['errors']):>8}")
EOF
done
echo "(routes, errors: rows kept / distinct keys; * = capped at --max-keys."
echo " Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, load $(cut -d' ' -f1 /proc/loadavg))"

[ "${CHECK:-1}" = 0 ] && exit 0
echo "checking the bounded tables against an exact run (--max-keys 100000000)..."
/usr/bin/time -o "$DIR/.time" -f "%e %M" "$FL" analyze --no-progress -o json --max-keys 100000000 "$HC" > "$HC.exact.json"
read -r wall rss < "$DIR/.time"
echo "exact run: ${wall} s, $((rss / 1024)) MiB peak RSS"
python3 - "$HC.json" "$HC.exact.json" <<'EOF'
import json, sys
bounded, exact = (json.load(open(p)) for p in sys.argv[1:])
max_keys = 10000
total = exact["summary"]["requests"]
assert bounded["summary"]["requests"] == total
for name in ("timeline", "by_status"):
    assert bounded[name] == exact[name], f"{name} differs from the exact run"
# Incidents are exact but for their top lists (bounded per bucket in both runs).
strip = lambda i: {k: v for k, v in i.items() if k not in ("top_routes", "top_errors")}
assert [strip(i) for i in bounded["incidents"]] == [strip(i) for i in exact["incidents"]]
tables = {
    "routes": (lambda r: (r["method"], r["route"]), ["requests", "errors_4xx", "errors_5xx"]),
    "errors": (lambda r: (r["type"], r["code"], r["param"]), ["count"]),
}
for name, (key, counts) in tables.items():
    truth = {key(r): r for r in exact[name]}
    kept = {key(r): r for r in bounded[name]}
    assert len(kept) <= max_keys, f"{name}: {len(kept)} rows"
    for k, row in kept.items():
        e = row["count_error"]
        for c in counts:
            t = truth[k][c] if k in truth else 0
            assert row[c] - e <= t <= row[c], f"{name} {k} {c}: {row[c]} ± {e}, truth {t}"
    weight = counts[0]
    heavy = [k for k, r in truth.items() if r[weight] * max_keys > total]
    lost = [k for k in heavy if k not in kept]
    assert not lost, f"{name}: heavy keys lost: {lost[:5]}"
    one_percent = [k for k, r in truth.items() if r[weight] * 100 >= total]
    exact_rows = sum(1 for r in bounded[name] if r["count_error"] == 0)
    print(f"{name}: {len(truth)} distinct, {len(kept)} kept ({exact_rows} exact); "
          f"every row within its count_error; all {len(heavy)} keys over total/{max_keys} kept, "
          f"{len(one_percent)} of them with at least 1 % of requests")
distinct = bounded["summary"]["tables"]
for name in tables:
    est, true = distinct[name]["distinct"], len(exact[name])
    print(f"{name}: distinct estimate {est}, true {true} ({(est - true) / true:+.2%})")
print("timeline, by_status and incidents (but their top lists) equal the exact run")
EOF
