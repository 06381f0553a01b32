#!/usr/bin/env bash
# The benchmark: builds l2fuse, starts a private throw-away cluster, loads
# synthetic tables into it and runs test/bench.py, which times the l2fuse
# functions against the scan floor and against scikit-learn and liblinear on
# the same data.  Options are passed on to bench.py; see
#   bash test/bench.sh --help
# It prints a Markdown report and writes it to test/bench/out/results.md
# unless --out says otherwise.  The default grid takes about half an hour on
# two cores; --quick runs the smallest tables only, in under a minute.
source "$(dirname "${BASH_SOURCE[0]}")/pgenv.sh"

# --help needs neither packages nor a server.
for arg in "$@"; do
	if [ "$arg" = "-h" ] || [ "$arg" = "--help" ]; then
		exec "$L2F_PYTHON" "$L2F_ROOT/test/bench.py" --help
	fi
done

ensure_packages $L2F_APT_PACKAGES $L2F_APT_PYTHON liblinear-tools
start_cluster

# The benchmark's own connection runs as the bootstrap superuser; the server
# log is handed over so that bench.py can spot a crashed backend.
"$L2F_PYTHON" "$L2F_ROOT/test/bench.py" --server-log "$L2F_SERVER_LOG" "$@"
