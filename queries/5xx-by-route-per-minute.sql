-- 5xx responses per minute and route: where and when the server failed.
-- Minutes are UTC; routes have ids replaced by {id}.
SELECT
  STRFTIME(ts, '%Y-%m-%dT%H:%M:00Z') AS minute,
  method,
  route,
  COUNT(*) AS errors_5xx
FROM events
WHERE status >= 500
GROUP BY STRFTIME(ts, '%Y-%m-%dT%H:%M:00Z'), method, route
ORDER BY minute, errors_5xx DESC, method NULLS LAST, route NULLS LAST
