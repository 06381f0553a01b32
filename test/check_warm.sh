#!/usr/bin/env bash
# Builds the solvers twice with a test driver (test/warm_test.c): as the
# extension builds them, and with the subsample warm start disabled.  Both
# must converge on every problem and agree on its objective: to 1e-11
# relative for the smooth losses, 1e-9 for the hinge (its tolerance); and
# on the three balanced problems the warm start must take fewer steps.
set -e
source "$(dirname "${BASH_SOURCE[0]}")/solver_build.sh"
build_solver_test warm warm_test.c
build_solver_test cold warm_test.c -DL2_WARM_MIN_ROWS=INT64_MAX

export OPENBLAS_NUM_THREADS=1
"$out/warm" >"$out/warm.txt" || { cat "$out/warm.txt"; exit 1; }
"$out/cold" >"$out/cold.txt" || { cat "$out/cold.txt"; exit 1; }
paste -d ' ' "$out/warm.txt" "$out/cold.txt" | awk '
	{
		d = $2 - $5; if (d < 0) d = -d
		rel = d / ($2 > 0 ? $2 : 1)
		lim = $1 ~ /^hinge/ ? 1e-9 : 1e-11
		printf "warm_test: %-28s warm %.15g (%d steps) cold %.15g (%d steps) rel %.1e\n",
			$1, $2, $3, $5, $6, rel
		if ($1 != $4 || rel > lim) bad++
		# on the balanced problems the warm start must save full-data steps
		if (NR <= 3 && $3 >= $6) { print "warm_test: no steps saved on " $1; bad++ }
	}
	END { if (NR != 6 || bad) { print "warm_test: objectives differ"; exit 1 } }'
