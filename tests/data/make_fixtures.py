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

# Long values for the 80-column table view: a long directory and file name,
# a long route, error codes, params and messages, several 5xx statuses in one
# persistent period (14:02-14:08, ended), a TLS handshake as request line and
# malformed lines with a terminal escape sequence and a line cut short.
wide = 'wide/archived-api-gateway-logs-from-the-eu-west-production-cluster'
os.makedirs(wide, exist_ok=True)
def body(t, code, param, message):
    p = 'null' if param is None else f'\\x22{param}\\x22'
    return (f'"{{\\x22error\\x22:{{\\x22type\\x22:\\x22{t}\\x22,\\x22code\\x22:\\x22{code}\\x22,'
            f'\\x22param\\x22:{p},\\x22message\\x22:\\x22{message}\\x22}}}}"')
long_route = '/v1/organizations/acme-international-holdings/billing-accounts/primary/invoices/upcoming/line-items'
down = body('api_error', 'upstream_service_unavailable_while_rebalancing_partitions', None,
            'The upstream invoice service did not answer within the deadline; retry with exponential backoff.')
bad_param = body('invalid_request', 'parameter_invalid_enum_value_for_nested_object',
                 'items.0.price_data.recurring.aggregate_usage',
                 'Invalid enum value for items.0.price_data.recurring.aggregate_usage: expected one of sum, max, last_during_period.')
start = datetime.datetime(2026, 11, 25, 14, 0, 0, tzinfo=datetime.timezone.utc)
lines = []
for minute in range(12):
    for i in range(10):
        ts = (start + datetime.timedelta(minutes=minute, seconds=i * 6)).strftime('%d/%b/%Y:%H:%M:%S +0000')
        method, path, status, b = 'GET', f'/v1/customers/{4000 + i}', 200, '"-"'
        if 2 <= minute <= 7 and i < 6:
            method, path, status, b = 'POST', long_route, [500, 502, 503, 504, 520, 521][i], down
        elif i == 6:
            method, path, status, b = 'POST', '/v1/subscription_items', [400, 422, 405, 451][minute % 4], bad_param
        lines.append(f'198.51.100.{i} - - [{ts}] "{method} {path} HTTP/1.1" {status} 120 "-" "acme-sdk-ruby/9.1.0" 0.031 {b}\n')
lines.insert(15, '203.0.113.9 - - [25/Nov/2026:14:01:31 +0000] "\\x16\\x03\\x01" 400 157 "-" "-" 0.000 "-"\n')
lines.insert(40, '\x1b[31mALERT\x1b[0m worker 3 restarted after an out-of-memory kill; requests in flight were dropped\n')
lines.insert(80, '198.51.100.7 - - [25/Nov/2026:14:07:59 +0000] "GET /v1/organizations/acme-international-holdings/billing-accounts/primary/invoices?expand=lines HTTP/1.1" 200 120 "-" "acme-sdk-ruby/9.1.0 (cut short\n')
open(f'{wide}/api-gateway.eu-west-1.production.access.log', 'w').write(''.join(lines))
open(f'{wide}/api-gateway.eu-west-1.production.access.log.1', 'w').write(
    '198.51.100.1 - - [25/Nov/2026:13:59:58 +0000] "GET /v1/customers/4000 HTTP/1.1" 200 120 "-" "acme-sdk-ruby/9.1.0" 0.031 "-"\n'
    'rotated mid-write: \x07\x07 partial line without a timestamp\n')
