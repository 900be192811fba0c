-- Slowest routes by p95 latency, with p50, p99 and the maximum, in milliseconds.
-- Only requests whose log line carries a duration count; routes need 5 of them.
-- Percentiles are QUANTILE_CONT's (linear between the two nearest durations),
-- read off one count per distinct duration instead of a sort of every request:
-- memory follows the distinct durations per route, not the requests.
WITH counts AS (
  SELECT method, route, duration_ms, COUNT(*) AS n
  FROM events
  WHERE duration_ms IS NOT NULL
  GROUP BY method, route, duration_ms
),
ranks AS (
  -- A duration holds the 0-based ranks below .. below + n - 1 of its route;
  -- a percentile q lies at rank last * q. BIGINT, as the ranks are
  -- multiplied by 100 below.
  SELECT
    method,
    route,
    duration_ms,
    n,
    CAST(SUM(n) OVER (PARTITION BY method, route ORDER BY duration_ms) - n AS BIGINT) AS below,
    CAST(SUM(n) OVER (PARTITION BY method, route) - 1 AS BIGINT) AS last
  FROM counts
),
picks AS (
  -- With q in percent, rank last * q / 100 is compared in integers: its floor
  -- falls in a duration's ranks when below * 100 <= last * q < (below + n) * 100,
  -- its ceiling when (below - 1) * 100 < last * q <= (below + n - 1) * 100.
  -- No division, so every engine picks the same two durations (Polars
  -- divides by a constant as a multiplication by its inverse, DuckDB
  -- divides: their floors differ when the quotient is a whole number).
  SELECT
    method,
    route,
    SUM(n) AS timed_requests,
    MAX(duration_ms) AS max_ms,
    MAX(MOD(last * 50, 100)) AS frac50,
    MIN(CASE WHEN last * 50 >= below * 100 AND last * 50 < (below + n) * 100 THEN duration_ms END) AS lo50,
    MIN(CASE WHEN last * 50 > (below - 1) * 100 AND last * 50 <= (below + n - 1) * 100 THEN duration_ms END) AS hi50,
    MAX(MOD(last * 95, 100)) AS frac95,
    MIN(CASE WHEN last * 95 >= below * 100 AND last * 95 < (below + n) * 100 THEN duration_ms END) AS lo95,
    MIN(CASE WHEN last * 95 > (below - 1) * 100 AND last * 95 <= (below + n - 1) * 100 THEN duration_ms END) AS hi95,
    MAX(MOD(last * 99, 100)) AS frac99,
    MIN(CASE WHEN last * 99 >= below * 100 AND last * 99 < (below + n) * 100 THEN duration_ms END) AS lo99,
    MIN(CASE WHEN last * 99 > (below - 1) * 100 AND last * 99 <= (below + n - 1) * 100 THEN duration_ms END) AS hi99
  FROM ranks
  GROUP BY method, route
),
interpolated AS (
  -- The fraction in hundredths times 0.01 (a double product, the same on
  -- every engine), between the two durations.
  SELECT
    method,
    route,
    timed_requests,
    lo50 + CAST(frac50 AS DOUBLE) * 0.01 * (hi50 - lo50) AS p50,
    lo95 + CAST(frac95 AS DOUBLE) * 0.01 * (hi95 - lo95) AS p95,
    lo99 + CAST(frac99 AS DOUBLE) * 0.01 * (hi99 - lo99) AS p99,
    max_ms
  FROM picks
)
-- Rounded half up to 0.1 ms: FLOOR(x * 10 + 0.5) decides the ties (ROUND
-- breaks them to even on Polars, away from zero on DuckDB), the outer ROUND
-- only writes the result as the nearest double to one decimal.
SELECT
  method,
  route,
  timed_requests,
  ROUND(FLOOR(p50 * 10 + 0.5) / 10, 1) AS p50_ms,
  ROUND(FLOOR(p95 * 10 + 0.5) / 10, 1) AS p95_ms,
  ROUND(FLOOR(p99 * 10 + 0.5) / 10, 1) AS p99_ms,
  ROUND(FLOOR(max_ms * 10 + 0.5) / 10, 1) AS max_ms
FROM interpolated
WHERE timed_requests >= 5
ORDER BY p95_ms DESC, method NULLS LAST, route NULLS LAST
