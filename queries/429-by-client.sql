-- Clients answered 429 Too Many Requests, and how fast they came back.
-- The API asks clients to back off exponentially: a client with many retries
-- less than a second apart, or a short median gap, does not.
WITH limited AS (
  SELECT client, ts, CAST(ts AS BIGINT) AS us
  FROM events
  WHERE status = 429
),
gaps AS (
  SELECT
    client,
    ts,
    ROUND((us - LAG(us) OVER (PARTITION BY client ORDER BY us)) / 1000000.0, 3) AS gap_s
  FROM limited
)
SELECT
  client,
  COUNT(*) AS responses_429,
  MIN(ts) AS first_429,
  MAX(ts) AS last_429,
  MIN(gap_s) AS min_gap_s,
  MEDIAN(gap_s) AS median_gap_s,
  SUM(CASE WHEN gap_s < 1 THEN 1 ELSE 0 END) AS retries_within_1s
FROM gaps
GROUP BY client
ORDER BY retries_within_1s DESC, responses_429 DESC, client
