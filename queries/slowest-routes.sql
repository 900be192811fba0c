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
  -- a percentile q lies at rank last * q.
  SELECT
    method,
    route,
    duration_ms,
    n,
    SUM(n) OVER (PARTITION BY method, route ORDER BY duration_ms) - n AS below,
    SUM(n) OVER (PARTITION BY method, route) - 1 AS last
  FROM counts
),
picks AS (
  SELECT
    method,
    route,
    SUM(n) AS timed_requests,
    MAX(duration_ms) AS max_ms,
    MAX(last * 0.50) AS at50,
    MIN(CASE WHEN FLOOR(last * 0.50) BETWEEN below AND below + n - 1 THEN duration_ms END) AS lo50,
    MIN(CASE WHEN CEIL(last * 0.50) BETWEEN below AND below + n - 1 THEN duration_ms END) AS hi50,
    MAX(last * 0.95) AS at95,
    MIN(CASE WHEN FLOOR(last * 0.95) BETWEEN below AND below + n - 1 THEN duration_ms END) AS lo95,
    MIN(CASE WHEN CEIL(last * 0.95) BETWEEN below AND below + n - 1 THEN duration_ms END) AS hi95,
    MAX(last * 0.99) AS at99,
    MIN(CASE WHEN FLOOR(last * 0.99) BETWEEN below AND below + n - 1 THEN duration_ms END) AS lo99,
    MIN(CASE WHEN CEIL(last * 0.99) BETWEEN below AND below + n - 1 THEN duration_ms END) AS hi99
  FROM ranks
  GROUP BY method, route
)
SELECT
  method,
  route,
  timed_requests,
  ROUND((at50 - FLOOR(at50)) * (hi50 - lo50) + lo50, 1) AS p50_ms,
  ROUND((at95 - FLOOR(at95)) * (hi95 - lo95) + lo95, 1) AS p95_ms,
  ROUND((at99 - FLOOR(at99)) * (hi99 - lo99) + lo99, 1) AS p99_ms,
  ROUND(max_ms, 1) AS max_ms
FROM picks
WHERE timed_requests >= 5
ORDER BY p95_ms DESC, method, route
