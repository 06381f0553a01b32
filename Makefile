# l2fuse: PGXS build linked against OpenBLAS (CBLAS and LAPACK).

EXTENSION = l2fuse
EXTVERSION = 0.1.0

MODULE_big = l2fuse
# model format, scoring and introspection
MODEL_OBJS = src/model.o src/model_score.o src/model_glue.o src/score.o \
	src/model_json.o src/ensemble.o

# training aggregates and solvers
TRAIN_OBJS = src/objective.o src/solver_threads.o src/solver_newton.o src/solver_hinge.o \
	src/solver.o \
	src/platt.o src/train_options.o src/train.o

# ensembles and fitted fusion
FUSION_OBJS = src/fusion_simplex.o src/fusion_state.o src/fit_ensemble.o

# evaluation metrics
EVAL_OBJS = src/metrics.o src/eval_state.o src/eval.o src/evaluate.o

OBJS = src/l2fuse.o $(MODEL_OBJS) $(TRAIN_OBJS) $(FUSION_OBJS) $(EVAL_OBJS)

DATA = sql/$(EXTENSION)--$(EXTVERSION).sql

# pg_regress suites, one topic per file in sql/ with its output in expected/
REGRESS_MODEL = model_format model_score model_json ensemble model_parallel

REGRESS_TRAIN = train_api train_errors train_parallel

REGRESS_FUSION = fit_ensemble fit_ensemble_parallel

REGRESS_EVAL = metrics metrics_errors metrics_parallel evaluate

REGRESS = extension $(REGRESS_MODEL) $(REGRESS_TRAIN) $(REGRESS_FUSION) $(REGRESS_EVAL)
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

SHLIB_LINK += -lopenblas -lz -lm -pthread
PG_CPPFLAGS += -I$(srcdir)/src

# Our own sources build warning-free; PostgreSQL's headers trip
# -Wunused-parameter and -Wsign-compare under -Wextra, so those two stay off.
PG_CFLAGS += -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare

# No LLVM bitcode: JIT inlining of these functions gains nothing, and it
# would make clang a build dependency.
override with_llvm = no

EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# Every object is rebuilt when any header changes: the headers are few and
# PGXS tracks no header dependencies by itself.
$(OBJS): $(wildcard src/*.h)

# The suite list, for test/run.sh.
print-regress:
	@echo $(REGRESS)
.PHONY: print-regress

# The benchmark, not a test: make bench [BENCH_OPTS=--quick]; see test/bench.sh.
bench:
	bash test/bench.sh $(BENCH_OPTS)
.PHONY: bench
