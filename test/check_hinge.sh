#!/usr/bin/env bash
# Builds the hinge solver twice with a test driver: as the extension builds
# it, and with sequential minimal optimization disabled so that the exact
# active-set finish of the restricted dual does all the work (and with the
# certificate of the smoothed point disabled, so that only the polish can
# certify).  Both must
# certify every problem and agree on its objective to 1e-9 relative.
set -e
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v gcc >/dev/null || exit 77
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src="$root/src/objective.c $root/src/solver_threads.c $root/src/solver_newton.c $root/src/solver_hinge.c $root/src/solver.c"
flags="-std=gnu99 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I$root/src"
gcc $flags "$root/test/hinge_test.c" $src -lopenblas -lm -pthread -o "$out/default"
gcc $flags -DL2_QP_MAX_ITER=0 -DL2_CERTIFY_HOPE=0 "$root/test/hinge_test.c" $src -lopenblas -lm -pthread -o "$out/active_set"

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
