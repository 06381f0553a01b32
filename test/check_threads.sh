#!/usr/bin/env bash
# Builds the solvers with a test driver that solves each problem with 1, 2,
# 3 and 5 threads and interrupts threaded passes (test/threads_test.c): the
# results must agree, and every hook must run on the calling thread.
set -e
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v gcc >/dev/null || exit 77
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
src="$root/src/objective.c $root/src/solver_threads.c $root/src/solver_newton.c $root/src/solver_hinge.c $root/src/solver.c"
gcc -std=gnu99 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$root/src" \
	"$root/test/threads_test.c" $src -lopenblas -lm -pthread -o "$out/threads_test"
OPENBLAS_NUM_THREADS=1 "$out/threads_test"
