-- 400 Bad Request by the parameter at fault: which fields do clients get wrong?
-- Nested parameters keep their dotted path (address.line1, items.0.quantity).
SELECT
  error_param,
  error_code,
  COUNT(*) AS requests,
  COUNT(DISTINCT client) AS clients,
  -- MIN, not FIRST: which row comes first is up to each engine's scan.
  MIN(error_message) AS example_message
FROM events
WHERE status = 400 AND error_param IS NOT NULL
GROUP BY error_param, error_code
ORDER BY requests DESC, error_param, error_code NULLS LAST
