# Shared by test/run.sh, test/demo.sh and test/bench.sh (sourced, not run).
#
# Installs what is missing, builds the extension, stages an installation of
# it next to a private copy of the server binaries, and runs a throw-away
# cluster from that staging tree.  Nothing is written to the machine's
# PostgreSQL directories and the machine's own clusters are never touched;
# the staging tree, the data directory and the socket live in one temporary
# directory that is removed on exit, failure or Ctrl-C.

set -o pipefail

L2F_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
L2F_PGMAJOR=15
L2F_PYTHON=/usr/bin/python3
L2F_APT_PACKAGES="postgresql-$L2F_PGMAJOR postgresql-server-dev-$L2F_PGMAJOR libopenblas-dev zlib1g-dev make gcc"
L2F_APT_PYTHON="python3-sklearn python3-scipy python3-numpy python3-psycopg2 liblinear-tools"

say() { printf '%s\n' "l2fuse: $*" >&2; }
die() { say "$*"; exit 1; }

# Whether every Debian package named is installed.
have_packages()
{
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
	done
}

# Install the Debian packages named unless all are there already.
ensure_packages()
{
	have_packages "$@" && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing Debian packages; run as root, or install them first: sudo apt-get install $*"
	fi
	say "installing $*"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null; then
		apt-get update -q >/dev/null || die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null ||
			die "could not install $*"
	fi
}

# Build the extension and stage it, with private copies of the server
# binaries, under $L2F_TMP/inst.  PostgreSQL finds its share and library
# directories relative to its own executable, so a copied postgres binary
# loads extensions from the staging tree.
stage_install()
{
	local pg_config bindir sharedir pkglibdir inst f

	pg_config=/usr/lib/postgresql/$L2F_PGMAJOR/bin/pg_config
	[ -x "$pg_config" ] || pg_config=$(command -v pg_config) || die "pg_config not found"
	bindir=$("$pg_config" --bindir)
	sharedir=$("$pg_config" --sharedir)
	pkglibdir=$("$pg_config" --pkglibdir)
	L2F_BINDIR=$bindir

	say "building"
	make -C "$L2F_ROOT" -s PG_CONFIG="$pg_config" >/dev/null || die "build failed"

	inst=$L2F_TMP/inst
	make -C "$L2F_ROOT" -s PG_CONFIG="$pg_config" install DESTDIR="$inst" >/dev/null ||
		die "staging install failed"

	mkdir -p "$inst$bindir" "$inst$sharedir/extension" "$inst$pkglibdir"
	for f in postgres initdb pg_ctl; do
		cp "$bindir/$f" "$inst$bindir/$f"
	done
	for f in "$sharedir"/* "$sharedir"/extension/* "$pkglibdir"/*; do
		local target=$inst$f
		[ -e "$target" ] || ln -s "$f" "$target"
	done

	L2F_INST_BINDIR=$inst$bindir
}

# Run a command as the cluster's OS user.
as_pg()
{
	if [ -n "$L2F_RUNAS" ]; then
		runuser -u "$L2F_RUNAS" -- "$@"
	else
		"$@"
	fi
}

# Stop the cluster and remove the temporary directory.
cleanup()
{
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "${L2F_TMP:-}" ] && [ -d "$L2F_TMP" ]; then
		if [ -f "$L2F_TMP/data/postmaster.pid" ]; then
			as_pg "$L2F_INST_BINDIR/pg_ctl" -D "$L2F_TMP/data" -m immediate -w stop >/dev/null 2>&1
		fi
		rm -rf "$L2F_TMP"
	fi
	exit $rc
}

# Create and start a private cluster; sets PGHOST, PGPORT, PGUSER, PGDATABASE.
start_cluster()
{
	L2F_TMP=$(mktemp -d /tmp/l2fuse.XXXXXX) || die "mktemp failed"
	chmod 755 "$L2F_TMP"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	stage_install

	# initdb refuses to run as root: run the server as an unprivileged user.
	L2F_RUNAS=
	if [ "$(id -u)" -eq 0 ]; then
		L2F_RUNAS=${L2F_PGUSER_OS:-postgres}
		id "$L2F_RUNAS" >/dev/null 2>&1 || die "no OS user $L2F_RUNAS to run the server as"
	fi
	mkdir "$L2F_TMP/data" "$L2F_TMP/sock" "$L2F_TMP/log"
	[ -n "$L2F_RUNAS" ] && chown "$L2F_RUNAS" "$L2F_TMP/data" "$L2F_TMP/sock" "$L2F_TMP/log"

	as_pg "$L2F_INST_BINDIR/initdb" -D "$L2F_TMP/data" -U postgres -A trust \
		-E UTF8 --locale=C.UTF-8 >"$L2F_TMP/initdb.log" 2>&1 ||
		{ cat "$L2F_TMP/initdb.log" >&2; die "initdb failed"; }

	cat >>"$L2F_TMP/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$L2F_TMP/sock'
port = 54315
fsync = off
max_worker_processes = 8
max_parallel_workers_per_gather = 2
shared_buffers = '512MB'
lc_messages = 'C'
CONF

	as_pg "$L2F_INST_BINDIR/pg_ctl" -D "$L2F_TMP/data" -l "$L2F_TMP/log/server.log" -w start >/dev/null ||
		{ cat "$L2F_TMP/log/server.log" >&2; die "server did not start"; }

	export PGHOST=$L2F_TMP/sock PGPORT=54315 PGUSER=postgres PGDATABASE=postgres
	export L2F_SERVER_LOG=$L2F_TMP/log/server.log
}
