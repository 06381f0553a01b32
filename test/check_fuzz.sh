#!/usr/bin/env bash
# Fuzzes the model decoder (test/fuzz_model.c) with libFuzzer, AddressSanitizer
# and UndefinedBehaviorSanitizer for a bounded time, seeded with valid models.
# Exit 0 when no crash was found, 1 on a crash or build failure, 77 when clang
# with libFuzzer is not available and cannot be installed.
set -u

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${L2F_FUZZ_SECONDS:-25}
tmp=$(mktemp -d /tmp/l2fuse-fuzz.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

say() { printf '%s\n' "check_fuzz: $*" >&2; }

# Whether clang can build a libFuzzer target here.
have_libfuzzer()
{
	command -v clang >/dev/null 2>&1 || return 1
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
		>"$tmp/probe.c"
	clang -fsanitize=fuzzer,address,undefined "$tmp/probe.c" -o "$tmp/probe" >/dev/null 2>&1
}

if ! have_libfuzzer; then
	if [ "$(id -u)" -ne 0 ]; then
		say "clang with libFuzzer is not installed; skipping"
		exit 77
	fi
	say "installing clang and libclang-rt-14-dev"
	pkgs="clang libclang-rt-14-dev"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q $pkgs >/dev/null 2>&1; }
	have_libfuzzer || { say "could not install clang with libFuzzer; skipping"; exit 77; }
fi

srcs="$root/src/model.c $root/src/model_score.c"
libs="-lz -lopenblas -lm"

# The seed writer: the same file as a plain program.
if ! clang -O1 -DL2_FUZZ_WRITE_SEEDS -I"$root/src" "$root/test/fuzz_model.c" $srcs $libs \
	-o "$tmp/write_seeds" 2>"$tmp/build.log"; then
	cat "$tmp/build.log" >&2
	say "seed writer does not build"
	exit 1
fi
mkdir "$tmp/corpus"
"$tmp/write_seeds" "$tmp/corpus" || { say "seed writer failed"; exit 1; }

if ! clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$root/src" "$root/test/fuzz_model.c" $srcs $libs -o "$tmp/fuzz_model" \
	2>"$tmp/build.log"; then
	cat "$tmp/build.log" >&2
	say "fuzz target does not build"
	exit 1
fi

say "fuzzing for $seconds s from $(ls "$tmp/corpus" | wc -l) seeds"
start=$(date +%s)
OPENBLAS_NUM_THREADS=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	"$tmp/fuzz_model" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-max_len=16384 -print_final_stats=1 -artifact_prefix="$tmp/" "$tmp/corpus" \
	>"$tmp/fuzz.log" 2>&1
rc=$?
elapsed=$(( $(date +%s) - start ))
execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$tmp/fuzz.log" | grep -oE '[0-9]+$')

if [ "$rc" -ne 0 ]; then
	tail -n 60 "$tmp/fuzz.log" >&2
	for f in "$tmp"/crash-* "$tmp"/leak-* "$tmp"/timeout-* "$tmp"/oom-*; do
		[ -e "$f" ] && { say "reproducer (hex):"; od -An -tx1 "$f" | head -n 20 >&2; }
	done
	say "the fuzzer found a failure (exit $rc) after ${execs:-?} executions"
	exit 1
fi
say "${execs:-?} executions in $elapsed s, corpus $(ls "$tmp/corpus" | wc -l) inputs, no crash"
exit 0
