-- Error codes first seen on the last day of the logs (UTC): what just started failing?
-- "Today" is the day of the newest event, so the query means the same on archives.
WITH firsts AS (
  SELECT error_type, error_code, MIN(ts) AS first_seen, COUNT(*) AS requests
  FROM events
  WHERE error_code IS NOT NULL
  GROUP BY error_type, error_code
),
last_day AS (
  SELECT STRFTIME(MAX(ts), '%Y-%m-%d') AS day FROM events
)
SELECT f.error_type, f.error_code, f.first_seen, f.requests
FROM firsts f
CROSS JOIN last_day d
WHERE STRFTIME(f.first_seen, '%Y-%m-%d') = d.day
ORDER BY f.first_seen, f.error_code, f.error_type NULLS LAST
