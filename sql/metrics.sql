-- Metric aggregates over precomputed scores and labels.
SET extra_float_digits = 0;

CREATE TABLE m (id int, score float8, prob float8, pred boolean, label boolean);
INSERT INTO m VALUES
	(1, 0.9, 0.9, true, true),
	(2, 0.8, 0.8, true, true),
	(3, 0.7, 0.7, true, false),
	(4, 0.6, 0.6, true, true),
	(5, 0.55, 0.55, true, false),
	(6, 0.4, 0.4, false, true),
	(7, 0.3, 0.3, false, false),
	(8, 0.2, 0.2, false, false),
	(9, NULL, NULL, NULL, true),
	(10, 0.1, 0.1, false, NULL);

-- 4 positives and 4 negatives with distinct scores: 13 of 16 pairs ordered.
SELECT l2fuse.roc_auc(score, label), 13.0 / 16 AS expected FROM m;

-- Any monotone transform of the scores gives the same AUC.
SELECT l2fuse.roc_auc(-100 + 1000 * score, label) FROM m;

-- Ties between classes count 1/2: 0.9+ beats 3 negatives, 0.5+ beats one
-- and ties two, so (3 + 1 + 2/2) / 6.
SELECT l2fuse.roc_auc(s, y)
FROM (VALUES (0.5, true), (0.5, false), (0.5, false), (0.9, true), (0.1, false)) t(s, y);

-- Every score tied: AUC 1/2.
SELECT l2fuse.roc_auc(1.0, i % 3 = 0) FROM generate_series(1, 100) i;

-- Perfect and reversed rankings.
SELECT l2fuse.roc_auc(i, i > 50) AS perfect, l2fuse.roc_auc(-i, i > 50) AS reversed
FROM generate_series(1, 100) i;

-- One class only, empty input, only NULL rows: NULL.
SELECT l2fuse.roc_auc(i, true) IS NULL AS one_class FROM generate_series(1, 5) i;
SELECT l2fuse.roc_auc(i, false) IS NULL AS one_class FROM generate_series(1, 5) i;
SELECT l2fuse.roc_auc(score, label) IS NULL AS empty FROM m WHERE false;
SELECT l2fuse.roc_auc(score, label) IS NULL AS all_null FROM m WHERE id = 9;

-- The ROC curve: a first point at max + 1, then one point per distinct score.
SELECT r.*
FROM jsonb_to_recordset((SELECT l2fuse.roc_curve(score, label) FROM m))
	AS r(threshold float8, fpr float8, tpr float8);

-- Ties give one point; fpr is null without negatives.
SELECT l2fuse.roc_curve(s, y)
FROM (VALUES (0.5, true), (0.5, false), (0.2, false), (0.9, true)) t(s, y);
SELECT l2fuse.roc_curve(s, true) FROM (VALUES (0.5), (0.5), (0.2)) t(s);
SELECT l2fuse.roc_curve(score, label) IS NULL AS empty FROM m WHERE false;

-- Thresholds read back as the exact float8 scores.
SELECT bool_and(EXISTS (SELECT 1 FROM m WHERE m.score = r.threshold)) AS exact
FROM jsonb_to_recordset((SELECT l2fuse.roc_curve(score, label) FROM m))
	AS r(threshold float8, fpr float8, tpr float8)
WHERE r.fpr > 0 OR r.tpr > 0;
SELECT (l2fuse.roc_curve(s, y) -> 1 ->> 'threshold')::float8 = 0.1::float8 + 0.2::float8 AS exact
FROM (VALUES (0.1::float8 + 0.2::float8, true), (0, false)) t(s, y);

-- The area under the returned curve equals roc_auc.
SELECT round(sum((fpr - lag_fpr) * (tpr + lag_tpr) / 2)::numeric, 12) AS trapezoid,
	round((SELECT l2fuse.roc_auc(score, label) FROM m)::numeric, 12) AS roc_auc
FROM (SELECT fpr, tpr, lag(fpr) OVER w AS lag_fpr, lag(tpr) OVER w AS lag_tpr
	  FROM (SELECT (p ->> 'fpr')::float8 AS fpr, (p ->> 'tpr')::float8 AS tpr, k
			FROM jsonb_array_elements((SELECT l2fuse.roc_curve(score, label) FROM m))
				WITH ORDINALITY AS e(p, k)) r
	  WINDOW w AS (ORDER BY k)) c;

-- Log loss: the mean of -ln p (positives) and -ln(1 - p) (negatives).
SELECT round(l2fuse.log_loss(prob, label)::numeric, 12) AS log_loss,
	round(avg(CASE WHEN label THEN -ln(prob) ELSE -ln(1 - prob) END)::numeric, 12) AS expected
FROM m WHERE prob IS NOT NULL AND label IS NOT NULL;

-- Probabilities of exactly 0 and 1 are clipped to [eps, 1 - eps], eps = 2^-52.
SELECT l2fuse.log_loss(0.0, true) = -ln(2 ^ -52) AS clipped_zero,
	l2fuse.log_loss(1.0, false) = -ln(2 ^ -52) AS clipped_one,
	l2fuse.log_loss(1.0, true) < 1e-15 AS confident_right;
SELECT round(l2fuse.log_loss(p, y)::numeric, 10)
FROM (VALUES (0.0, true), (1.0, true)) t(p, y);

-- One class is fine for log loss; no rows is NULL; NULL rows are skipped.
SELECT round(l2fuse.log_loss(0.5, true)::numeric, 12) AS ln2;
SELECT l2fuse.log_loss(prob, label) IS NULL AS empty FROM m WHERE false;
SELECT l2fuse.log_loss(prob, label) = l2fuse.log_loss(prob, label) FILTER (WHERE id <= 8)
	AS nulls_skipped
FROM m;

-- Confusion matrix with its rates.
SELECT l2fuse.confusion(pred, label) FROM m;

-- 0/0 ratios are 0: no predicted positives, no positives at all.
SELECT l2fuse.confusion(false, y) FROM (VALUES (true), (false)) t(y);
SELECT l2fuse.confusion(p, false) FROM (VALUES (true), (false)) t(p);
SELECT l2fuse.confusion(pred, label) IS NULL AS empty FROM m WHERE false;
SELECT l2fuse.confusion(pred, label) IS NULL AS all_skipped FROM m WHERE id = 9;
