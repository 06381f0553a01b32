#!/usr/bin/env bash
# The demo: builds l2fuse, starts a private throw-away cluster, runs
# test/demo.sql in it and prints the results.
source "$(dirname "${BASH_SOURCE[0]}")/pgenv.sh"

ensure_packages $L2F_APT_PACKAGES
start_cluster

psql -X -q -v ON_ERROR_STOP=1 -v datafile="$L2F_ROOT/test/data/breast_cancer.csv" \
	-f "$L2F_ROOT/test/demo.sql"
