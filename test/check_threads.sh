#!/usr/bin/env bash
# Builds the solvers with a test driver that solves each problem with 1, 2,
# 3 and 5 threads and interrupts threaded passes (test/threads_test.c): the
# results must agree, and every hook must run on the calling thread.
set -e
source "$(dirname "${BASH_SOURCE[0]}")/solver_build.sh"
build_solver_test threads_test threads_test.c
OPENBLAS_NUM_THREADS=1 "$out/threads_test"
