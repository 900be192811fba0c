#!/usr/bin/env bash
# `benches/run.sh` on production-shaped logs (SPEC §8, issue 17): about 1 GiB
# of combined log and its JSON-lines twin from `gen_samples --production`
# (ids in about every error message, so bodies rarely repeat; a few hundred
# routes plus slugs and scanner probes; `\x22` and `\"` escapes; IPv6; 1 %
# malformed lines; nested objects and `\u` escapes in the JSON lines). Same
# columns, same knobs (BENCH_LINES, RUNS, NO_GOACCESS, FAULTLINE, PYTHON).
# Not a test: nothing here asserts a speed.
set -euo pipefail
SHAPE=production exec "$(dirname "$0")/run.sh" "$@"
