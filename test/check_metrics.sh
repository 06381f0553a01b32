#!/usr/bin/env bash
# Builds the pure C metrics with a test driver and runs it: ranking metrics
# against brute-force definitions, edge cases, and the compensated sum.
set -e
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v gcc >/dev/null || exit 77
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
gcc -std=c99 -O2 -Wall -Wextra -Werror -I"$root/src" \
	"$root/test/metrics_test.c" "$root/src/metrics.c" -lm -o "$out/metrics_test"
"$out/metrics_test"
