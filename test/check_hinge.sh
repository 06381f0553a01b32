#!/usr/bin/env bash
# Builds the hinge solver twice with a test driver: as the extension builds
# it, and with sequential minimal optimization disabled so that the exact
# active-set finish of the restricted dual does all the work (and with the
# certificate of the smoothed point disabled, so that only the polish can
# certify).  Both must certify every problem and agree on its objective to
# 1e-9 relative.
set -e
source "$(dirname "${BASH_SOURCE[0]}")/solver_build.sh"
build_solver_test default hinge_test.c
build_solver_test active_set hinge_test.c -DL2_QP_MAX_ITER=0 -DL2_CERTIFY_HOPE=0

"$out/default" >"$out/default.txt" || { cat "$out/default.txt"; exit 1; }
"$out/active_set" >"$out/active_set.txt" || { cat "$out/active_set.txt"; exit 1; }
paste -d ' ' "$out/default.txt" "$out/active_set.txt" | awk '
	{
		d = $2 - $4; if (d < 0) d = -d
		rel = d / ($2 > 0 ? $2 : 1)
		printf "hinge_test: %-28s %.12g %.12g  rel %.1e\n", $1, $2, $4, rel
		if ($1 != $3 || rel > 1e-9) bad++
	}
	END { if (NR == 0 || bad) { print "hinge_test: objectives differ"; exit 1 } }'
