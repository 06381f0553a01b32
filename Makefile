# l2fuse: PGXS build linked against OpenBLAS (CBLAS and LAPACK).

EXTENSION = l2fuse
EXTVERSION = 0.1.0

MODULE_big = l2fuse
OBJS = \
	src/l2fuse.o

DATA = sql/$(EXTENSION)--$(EXTVERSION).sql

# pg_regress suites, one topic per file in sql/ with its output in expected/
REGRESS = extension
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

SHLIB_LINK += -lopenblas -lm
PG_CPPFLAGS += -I$(srcdir)/src

# Our own sources build warning-free; PostgreSQL's headers trip
# -Wunused-parameter and -Wsign-compare under -Wextra, so those two stay off.
PG_CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare \
	-Wno-missing-field-initializers

# No LLVM bitcode: JIT inlining of these functions gains nothing, and it
# would make clang a build dependency.
override with_llvm = no

EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# The suite list, for test/run.sh.
print-regress:
	@echo $(REGRESS)
.PHONY: print-regress
