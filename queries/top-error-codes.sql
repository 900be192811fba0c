-- Top error codes: how many requests each (type, code) failed, and an example message.
-- Reads the error bodies; see errors-by-param for the parameters at fault.
SELECT
  error_type,
  error_code,
  COUNT(*) AS requests,
  MIN(status) AS status,
  -- MIN, not FIRST: which row comes first is up to each engine's scan.
  MIN(error_message) AS example_message
FROM events
WHERE error_code IS NOT NULL OR error_type IS NOT NULL
GROUP BY error_type, error_code
-- NULLS LAST: engines differ on where NULL sorts (Spark puts it first).
ORDER BY requests DESC, error_type NULLS LAST, error_code NULLS LAST
