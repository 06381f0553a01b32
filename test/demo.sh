#!/usr/bin/env bash
# The demo: builds l2fuse, starts a private throw-away cluster, runs
# test/demo.sql in it and prints the results.
source "$(dirname "${BASH_SOURCE[0]}")/pgenv.sh"

ensure_packages $L2F_APT_PACKAGES
start_cluster

# \copy reads test/data/breast_cancer.csv relative to the source tree.
cd "$L2F_ROOT" && psql -X -q -v ON_ERROR_STOP=1 -f test/demo.sql
