#!/usr/bin/env python3
"""Regenerates the derived fixtures in tests/data from combined.log and a few
rules. Run from this directory: python3 make_fixtures.py (needs the zstd CLI).
The outputs are committed; the tests never run this."""
import gzip, io, os, subprocess, datetime

def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0) as f:
        f.write(data)
    return buf.getvalue()

plain = open('combined.log', 'rb').read()
# Multi-member gzip: two members, split in the middle of a line.
half = len(plain) // 2
open('combined.log.gz', 'wb').write(gz(plain[:half]) + gz(plain[half:]))
subprocess.run(['zstd', '-q', '-f', '-19', 'combined.log', '-o', 'combined.log.zst'], check=True)

# A rotated chain, 12:00-12:20Z, 20 requests a minute, three files in two
# time zones. Minutes 5-11 have 6 x 503 (bad) except minute 9 with 2 (not
# bad): one persistent period 12:05-12:12 with 6 bad buckets.
os.makedirs('rotated', exist_ok=True)
start = datetime.datetime(2026, 11, 25, 12, 0, 0, tzinfo=datetime.timezone.utc)
files = {0: [], 1: [], 2: []}
for minute in range(21):
    errors = 0
    if 5 <= minute <= 11:
        errors = 2 if minute == 9 else 6
    for i in range(20):
        ts = start + datetime.timedelta(minutes=minute, seconds=i * 3)
        status = 503 if i < errors else 200
        body = '"{\\x22type\\x22:\\x22api_error\\x22,\\x22code\\x22:\\x22upstream_unavailable\\x22}"' if status == 503 else '"-"'
        path = '/v1/charges' if i % 2 == 0 else f'/v1/customers/{1000 + i}'
        method = 'POST' if i % 2 == 0 else 'GET'
        f = 0 if minute < 7 else (1 if minute < 14 else 2)
        tz = {0: datetime.timezone(datetime.timedelta(hours=1)), 1: datetime.timezone(datetime.timedelta(hours=-5)), 2: datetime.timezone.utc}[f]
        local = ts.astimezone(tz).strftime('%d/%b/%Y:%H:%M:%S %z')
        files[f].append(f'10.1.0.{i} - - [{local}] "{method} {path} HTTP/1.1" {status} 100 "-" "sdk/2.0" 0.010 {body}\n')
open('rotated/api.log.2.gz', 'wb').write(gz(''.join(files[0]).encode()))
open('rotated/api.log.1', 'w').write(''.join(files[1]))
open('rotated/api.log', 'w').write(''.join(files[2]))
open('rotated/.api.log.swp', 'w').write('hidden files are skipped\n')

# A gzip file cut short: the good lines before the cut must still count.
good = ''.join(f'10.2.0.1 - - [25/Nov/2026:13:00:{i % 60:02d} +0000] "GET /v1/x/{i} HTTP/1.1" 200 1 "-" "-"\n' for i in range(3000)).encode()
whole = gz(good)
open('truncated.log.gz', 'wb').write(whole[: len(whole) * 2 // 3])
