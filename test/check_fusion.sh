#!/usr/bin/env bash
# Builds the simplex log-loss solver with a test driver and runs it under
# each OpenBLAS kernel this CPU can run: the default one and the generic
# SSE and AVX2 ones, whose rounding differs.
set -e
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v gcc >/dev/null || exit 77
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -std=c99 -O2 -Wall -Wextra -Werror -I"$root/src" \
	"$root/test/fusion_test.c" "$root/src/fusion_simplex.c" -lopenblas -lm -o "$out/fusion_test"

kernels="default Nehalem"
grep -qw avx2 /proc/cpuinfo 2>/dev/null && kernels="$kernels Haswell"
for k in $kernels; do
	echo "fusion_test: OpenBLAS kernel $k"
	if [ "$k" = default ]; then
		"$out/fusion_test"
	else
		OPENBLAS_CORETYPE=$k "$out/fusion_test"
	fi
done
