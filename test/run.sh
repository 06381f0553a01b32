#!/usr/bin/env bash
# Runs every test of l2fuse against a private throw-away cluster and ends
# with one line "N passed, N failed, N skipped".
#
# Test units:
#   - each pg_regress suite named by REGRESS in the Makefile;
#   - each test case of the Python cross-checks, test/test_*.py;
#   - each executable test/check_*.sh, which exits 0 (passed), 77 (skipped)
#     or anything else (failed).
source "$(dirname "${BASH_SOURCE[0]}")/pgenv.sh"

ensure_packages $L2F_APT_PACKAGES $L2F_APT_PYTHON
start_cluster

passed=0
failed=0
skipped=0

# pg_regress: one unit per suite, read from its own per-test report lines.
regress=$(make -s -C "$L2F_ROOT" print-regress 2>/dev/null)
pgxs=$(dirname "$("$L2F_BINDIR/pg_config" --pgxs)")/../..
rm -rf "$L2F_ROOT/results" "$L2F_ROOT/regression.diffs" "$L2F_ROOT/regression.out"
say "pg_regress: $regress"
out=$("$pgxs/src/test/regress/pg_regress" --inputdir="$L2F_ROOT" --outputdir="$L2F_ROOT" \
	--bindir="$L2F_BINDIR" --dbname=l2fuse_regress \
	--load-extension=l2fuse $regress 2>&1)
printf '%s\n' "$out"
n_ok=$(printf '%s\n' "$out" | grep -cE '^test .* \.\.\. ok|^ok ')
n_bad=$(printf '%s\n' "$out" | grep -cE '\.\.\. FAILED|^not ok ')
passed=$((passed + n_ok))
failed=$((failed + n_bad))
if [ $((n_ok + n_bad)) -ne "$(wc -w <<<"$regress")" ]; then
	say "pg_regress did not report every suite"
	failed=$((failed + 1))
fi
[ -f "$L2F_ROOT/regression.diffs" ] && [ "$n_bad" -gt 0 ] && cat "$L2F_ROOT/regression.diffs"

# Python cross-checks: one unit per test case.
if compgen -G "$L2F_ROOT/test/test_*.py" >/dev/null; then
	say "python cross-checks"
	(cd "$L2F_ROOT/test" && "$L2F_PYTHON" pyrunner.py test_*.py) 2>&1 | tee "$L2F_TMP/python.log"
	counts=$(tail -n 1 "$L2F_TMP/python.log")
	read -r p f s <<<"$counts"
	if [[ "$p" =~ ^[0-9]+$ && "$f" =~ ^[0-9]+$ && "$s" =~ ^[0-9]+$ ]]; then
		passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	else
		say "python runner did not report its counts"
		failed=$((failed + 1))
	fi
fi

# Shell checks: one unit each.
for t in "$L2F_ROOT"/test/check_*.sh; do
	[ -e "$t" ] || continue
	say "$(basename "$t")"
	bash "$t"
	case $? in
		0) passed=$((passed + 1)); echo "ok $(basename "$t")" ;;
		77) skipped=$((skipped + 1)); echo "skipped $(basename "$t")" ;;
		*) failed=$((failed + 1)); echo "FAILED $(basename "$t")" ;;
	esac
done

# The server must have survived everything above.
if ! psql -X -q -At -c 'select 1' >/dev/null 2>&1; then
	say "the server is down after the tests"
	failed=$((failed + 1))
fi
if grep -qE 'terminated by signal|was terminated' "$L2F_SERVER_LOG"; then
	say "a backend crashed during the tests:"
	grep -E 'terminated by signal|was terminated' "$L2F_SERVER_LOG" >&2
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
