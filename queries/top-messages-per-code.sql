-- The three most frequent messages of each error code.
WITH counted AS (
  SELECT error_code, error_message, COUNT(*) AS requests
  FROM events
  WHERE error_code IS NOT NULL AND error_message IS NOT NULL
  GROUP BY error_code, error_message
),
ranked AS (
  SELECT
    error_code,
    error_message,
    requests,
    -- Polars windows order in one direction: most requests first is the lowest negated count.
    ROW_NUMBER() OVER (PARTITION BY error_code ORDER BY 0 - requests, error_message) AS rank
  FROM counted
)
SELECT error_code, rank, error_message, requests
FROM ranked
WHERE rank <= 3
ORDER BY error_code, rank
