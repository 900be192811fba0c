-- Persistent 5xx periods (SPEC §5, default settings): analyze's incidents, in SQL.
-- A 60 s bucket (aligned to the UTC epoch) is bad when it holds at least 5 5xx
-- and at least 5 % of its requests are 5xx, or when at least 50 % are 5xx
-- however few. Bad buckets with at most 2 non-bad buckets (empty ones too)
-- between them form a run. A run is a period when its first bad bucket's
-- start to its last bad bucket's end is at least 5 minutes and the buckets
-- from the one to the other, bad or not, hold at least 5 5xx; requests and
-- errors_5xx count everything in that [start, end). `analyze` also says
-- whether a period is ongoing, which depends on the clock: not here.
WITH minutes AS (
  -- Minutes since 1970-01-01T00:00Z (the bucket index), from calendar
  -- fields: the days before the year, leap days included, then the day,
  -- hour and minute. Spark has no EXTRACT(EPOCH ...), so this is the one
  -- way Polars, DuckDB and Spark all number minutes, in exact integers.
  SELECT
    status,
    CAST(
      ((365 * (EXTRACT(YEAR FROM ts) - 1970)
        + FLOOR((EXTRACT(YEAR FROM ts) - 1969) / 4)
        - FLOOR((EXTRACT(YEAR FROM ts) - 1901) / 100)
        + FLOOR((EXTRACT(YEAR FROM ts) - 1601) / 400)
        + EXTRACT(DOY FROM ts) - 1) * 24
       + EXTRACT(HOUR FROM ts)) * 60
      + EXTRACT(MINUTE FROM ts)
    AS BIGINT) AS bucket
  FROM events
),
buckets AS (
  -- One row per minute with traffic.
  SELECT
    bucket,
    COUNT(*) AS requests,
    SUM(CASE WHEN status >= 500 THEN 1 ELSE 0 END) AS errors_5xx
  FROM minutes
  GROUP BY bucket
),
judged AS (
  -- Shares compared in integers, so that exactly 5 % and 50 % are bad.
  SELECT
    bucket,
    requests,
    errors_5xx,
    CASE
      WHEN errors_5xx >= 5 AND errors_5xx * 20 >= requests THEN 1
      WHEN errors_5xx > 0 AND errors_5xx * 2 >= requests THEN 1
      ELSE 0
    END AS bad
  FROM buckets
),
starts AS (
  -- A bad bucket starts a run unless the previous bad bucket is at most
  -- 3 positions before it (2 non-bad buckets between them).
  SELECT
    bucket,
    CASE WHEN bucket - LAG(bucket) OVER (ORDER BY bucket) <= 3 THEN 0 ELSE 1 END AS starts_run
  FROM judged
  WHERE bad = 1
),
numbered AS (
  -- Every bucket with traffic gets the number of the last run started at or
  -- before it (0 before the first): a run's buckets are those of its number
  -- up to its last bad bucket.
  SELECT
    j.bucket,
    j.requests,
    j.errors_5xx,
    j.bad,
    SUM(COALESCE(s.starts_run, 0)) OVER (ORDER BY j.bucket) AS run
  FROM judged j
  LEFT JOIN starts s ON s.bucket = j.bucket
),
runs AS (
  SELECT
    run,
    MIN(CASE WHEN bad = 1 THEN bucket END) AS first_bucket,
    MAX(CASE WHEN bad = 1 THEN bucket END) AS last_bucket,
    SUM(bad) AS bad_buckets
  FROM numbered
  WHERE run > 0
  GROUP BY run
),
totals AS (
  SELECT
    n.run,
    SUM(n.requests) AS requests,
    SUM(n.errors_5xx) AS errors_5xx
  FROM numbered n
  JOIN runs r ON r.run = n.run
  WHERE n.bucket <= r.last_bucket
  GROUP BY n.run
),
periods AS (
  -- 5 buckets of 60 s from the first bad bucket's start to the last's end.
  -- Their boundaries as times: minutes added to the epoch (UTC).
  SELECT
    TIMESTAMP '1970-01-01 00:00:00' + INTERVAL '1 minute' * r.first_bucket AS start_at,
    TIMESTAMP '1970-01-01 00:00:00' + INTERVAL '1 minute' * (r.last_bucket + 1) AS end_at,
    r.bad_buckets,
    t.requests,
    t.errors_5xx
  FROM runs r
  JOIN totals t ON t.run = r.run
  WHERE r.last_bucket - r.first_bucket + 1 >= 5 AND t.errors_5xx >= 5
)
-- Times written as analyze writes them (2026-11-24T10:35:00Z), from calendar
-- fields: Spark has no STRFTIME.
SELECT
  CONCAT(
    CAST(CAST(start_at AS DATE) AS STRING), 'T',
    LPAD(CAST(EXTRACT(HOUR FROM start_at) AS STRING), 2, '0'), ':',
    LPAD(CAST(EXTRACT(MINUTE FROM start_at) AS STRING), 2, '0'), ':00Z'
  ) AS "start",
  CONCAT(
    CAST(CAST(end_at AS DATE) AS STRING), 'T',
    LPAD(CAST(EXTRACT(HOUR FROM end_at) AS STRING), 2, '0'), ':',
    LPAD(CAST(EXTRACT(MINUTE FROM end_at) AS STRING), 2, '0'), ':00Z'
  ) AS "end",
  bad_buckets,
  requests,
  errors_5xx
FROM periods
ORDER BY start_at
