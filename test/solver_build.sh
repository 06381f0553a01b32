# Sourced by the check scripts that build the solvers with a C test driver.
# Sets root and a scratch directory $out (removed at exit), skips (77) when
# gcc is missing, and defines build_solver_test NAME DRIVER [gcc flags...],
# which compiles test/DRIVER with every solver source into $out/NAME.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
command -v gcc >/dev/null || exit 77
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
solver_src="$root/src/objective.c $root/src/solver_threads.c $root/src/solver_newton.c
	$root/src/solver_hinge.c $root/src/solver.c"

build_solver_test()
{
	local name=$1 driver=$2
	shift 2
	gcc -std=gnu99 -O2 -Wall -Wextra -Werror -Wno-unused-parameter -I"$root/src" "$@" \
		"$root/test/$driver" $solver_src -lopenblas -lm -pthread -o "$out/$name"
}
