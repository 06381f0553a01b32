-- Errors of the metric aggregates, with their SQLSTATEs.
\set SHOW_CONTEXT never
SET extra_float_digits = 0;

-- Scores must be finite: NaN and infinities have no rank.
SELECT l2fuse.roc_auc(s, true) FROM (VALUES (0.5), ('NaN')) t(s);
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.roc_auc(s, true) FROM (VALUES (0.5), ('Infinity')) t(s);
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.roc_curve(s, false) FROM (VALUES (0.5), ('-Infinity')) t(s);
\echo :LAST_ERROR_SQLSTATE

-- Probabilities must lie in [0, 1].
SELECT l2fuse.log_loss(p, true) FROM (VALUES (0.5), ('NaN')) t(p);
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.log_loss(1.5, true);
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.log_loss(-1e-300, false);
\echo :LAST_ERROR_SQLSTATE

-- Stored scores are bounded by l2fuse.max_train_memory.
SET l2fuse.max_train_memory = '64kB';
SHOW l2fuse.max_train_memory;
SELECT l2fuse.roc_auc(i, i % 2 = 0) FROM generate_series(1, 100000) i;
\echo :LAST_ERROR_SQLSTATE
SELECT l2fuse.roc_auc(i, i % 2 = 0) FROM generate_series(1, 1000) i;
SET l2fuse.max_train_memory = '10kB';
\echo :LAST_ERROR_SQLSTATE
RESET l2fuse.max_train_memory;
SET l2fuse.no_such_setting = 1;
\echo :LAST_ERROR_SQLSTATE

-- The state functions check the states handed to them.
SELECT l2fuse.log_loss_accum('{1,2}', 0.5, true);
SELECT l2fuse.log_loss_combine('{1,2,3}', '{{1,2,3}}');
SELECT l2fuse.log_loss_final('{0,0,NULL}');
SELECT l2fuse.confusion_accum('{0,0,0,0}', true, true);
SELECT l2fuse.confusion_final('{1,0,0,-1,0}');
-- Called directly they do not modify their input.
SELECT l2fuse.log_loss_final(l2fuse.log_loss_accum('{0,0,0}', 0.5, true)) = ln(2) AS ln2;
SELECT l2fuse.confusion_accum('{1,2,3,4,5}', false, true);

-- Window use: final functions leave the state unchanged, so a growing
-- frame keeps adding scores after each result.
SELECT s, l2fuse.roc_auc(s, s % 2 = 0) OVER (ORDER BY s) AS running_auc,
	l2fuse.roc_auc(s, s % 2 = 0) OVER (ORDER BY s ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
		AS pair_auc
FROM generate_series(1, 5) s;
