-- Requests per hour with the share of 4xx and 5xx: is the error rate moving?
-- Hours are UTC.
SELECT
  STRFTIME(ts, '%Y-%m-%dT%H:00:00Z') AS hour,
  COUNT(*) AS requests,
  SUM(CASE WHEN status_class = '4xx' THEN 1 ELSE 0 END) AS errors_4xx,
  SUM(CASE WHEN status_class = '5xx' THEN 1 ELSE 0 END) AS errors_5xx,
  ROUND(100.0 * SUM(CASE WHEN status_class = '4xx' THEN 1 ELSE 0 END) / COUNT(*), 2) AS pct_4xx,
  ROUND(100.0 * SUM(CASE WHEN status_class = '5xx' THEN 1 ELSE 0 END) / COUNT(*), 2) AS pct_5xx
FROM events
GROUP BY STRFTIME(ts, '%Y-%m-%dT%H:00:00Z')
ORDER BY hour
