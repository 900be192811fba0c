-- Clients answered 429 Too Many Requests, and how fast they came back.
-- The API asks clients to back off exponentially: a client with many retries
-- less than a second apart, or a short median gap, does not.
WITH limited AS (
  -- Seconds since the epoch, with the fraction, the same on Polars, DuckDB
  -- and Spark: Spark has no EXTRACT(EPOCH ...) and DuckDB cannot cast a
  -- timestamp to a number, so minutes since 1970 come from calendar fields
  -- (days before the year with its leap days, day, hour, minute) and the
  -- seconds of the minute from their text (no sub-second field is common).
  SELECT
    client,
    ts,
    CAST(
      ((365 * (EXTRACT(YEAR FROM ts) - 1970)
        + FLOOR((EXTRACT(YEAR FROM ts) - 1969) / 4)
        - FLOOR((EXTRACT(YEAR FROM ts) - 1901) / 100)
        + FLOOR((EXTRACT(YEAR FROM ts) - 1601) / 400)
        + EXTRACT(DOY FROM ts) - 1) * 24
       + EXTRACT(HOUR FROM ts)) * 60
      + EXTRACT(MINUTE FROM ts)
    AS BIGINT) * 60 + CAST(STRFTIME(ts, '%S.%f') AS DOUBLE) AS s
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
