-- Slowest routes by p95 latency, with p50, p99 and the maximum, in milliseconds.
-- Only requests whose log line carries a duration count; routes need 5 of them.
SELECT
  method,
  route,
  COUNT(duration_ms) AS timed_requests,
  ROUND(QUANTILE_CONT(duration_ms, 0.50), 1) AS p50_ms,
  ROUND(QUANTILE_CONT(duration_ms, 0.95), 1) AS p95_ms,
  ROUND(QUANTILE_CONT(duration_ms, 0.99), 1) AS p99_ms,
  ROUND(MAX(duration_ms), 1) AS max_ms
FROM events
WHERE duration_ms IS NOT NULL
GROUP BY method, route
HAVING COUNT(duration_ms) >= 5
ORDER BY p95_ms DESC, method, route
