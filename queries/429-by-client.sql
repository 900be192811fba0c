-- Clients answered 429 Too Many Requests, and how fast they came back.
-- The API asks clients to back off exponentially: a client with many retries
-- less than a second apart, or a short median gap, does not.
WITH limited AS (
  -- Seconds since the epoch, with the fraction: EXTRACT(EPOCH ...) reads the
  -- same on Polars and DuckDB (DuckDB cannot cast a timestamp to a number).
  SELECT client, ts, EXTRACT(EPOCH FROM ts) AS s
  FROM events
  WHERE status = 429
),
gaps AS (
  SELECT
    client,
    ts,
    -- Rounded half up to the millisecond: FLOOR(x + 0.5) decides the ties
    -- (ROUND breaks them differently per engine), ROUND writes the result.
    ROUND(FLOOR((s - LAG(s) OVER (PARTITION BY client ORDER BY s)) * 1000 + 0.5) / 1000, 3) AS gap_s
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
ORDER BY retries_within_1s DESC, responses_429 DESC, client NULLS LAST
