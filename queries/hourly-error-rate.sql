-- Requests per hour with the share of 4xx and 5xx: is the error rate moving?
-- Hours are UTC.
WITH hours AS (
  SELECT
    STRFTIME(ts, '%Y-%m-%dT%H:00:00Z') AS hour,
    COUNT(*) AS requests,
    SUM(CASE WHEN status_class = '4xx' THEN 1 ELSE 0 END) AS errors_4xx,
    SUM(CASE WHEN status_class = '5xx' THEN 1 ELSE 0 END) AS errors_5xx
  FROM events
  GROUP BY STRFTIME(ts, '%Y-%m-%dT%H:00:00Z')
)
-- Percentages rounded half up to 0.01: a double count over the requests (one
-- division of two columns, the same on every engine), then FLOOR(x + 0.5),
-- as ROUND breaks ties to even on Polars and away from zero on DuckDB; the
-- outer ROUND only writes the result as the nearest double to two decimals.
SELECT
  hour,
  requests,
  errors_4xx,
  errors_5xx,
  ROUND(FLOOR(10000 * CAST(errors_4xx AS DOUBLE) / requests + 0.5) / 100, 2) AS pct_4xx,
  ROUND(FLOOR(10000 * CAST(errors_5xx AS DOUBLE) / requests + 0.5) / 100, 2) AS pct_5xx
FROM hours
ORDER BY hour
