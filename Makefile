# provenance: build, test, demo, bench, install.
#
#   make                  build ./provenance
#   make test             unit + CLI tests; ends with "N passed, N failed[, N skipped]"
#   make test-slurm       examples/slurm on a single-node Slurm cluster started here (slurm-wlm, munge;
#                         root); skipped when it cannot start, unless PROVENANCE_SLURM_REQUIRED=1
#   make test-k8s         examples/k8s checked against the Kubernetes schemas (or rendered and checked)
#   make check-asan       the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make check-valgrind   the CLI tests under valgrind (leaks are failures)
#   make fuzz             libFuzzer targets (tests/fuzz/fuzz_*.c: JSONL reader, features, renderers,
#                         collect's reply parser) built with clang in build/fuzz, each run FUZZ_SECONDS
#                         (default 60) from its seeds in tests/fuzz/corpus/NAME; a crash fails it
#   make demo             import the bundled example corpus and scan the example suspect
#   make bench            throughput and latency on ../shared/data (or generated data)
#   make refusal-check    the refusal detector against XSTest's labels; table into docs/validation.md
#   make install          binary, man page, bash and zsh completions, docs: PREFIX=/usr/local DESTDIR=
#   make report-check     render a report, print it with headless Chromium (PNG, PDF), check the pages
#
# Knobs: CC, CFLAGS, FUZZ_CC=clang, FUZZ_SECONDS=60, LDFLAGS, PKG_CONFIG, SANITIZE=address,undefined, DEVELOPER=1 (more warnings),
# V=1 (show the full command lines).

PKG_CONFIG ?= pkg-config
PKGS = libpcre2-8 sqlite3 zlib jansson libxxhash libutf8proc libcrypto gsl libcurl
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
BUILD ?= build
PROG ?= provenance

WARNINGS = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wpointer-arith -Wformat=2 -Wvla -Wundef -Wwrite-strings
ifdef DEVELOPER
WARNINGS += -Wcast-align -Wmissing-declarations -Wredundant-decls -Wnull-dereference \
	-Wimplicit-fallthrough
endif
ifdef SANITIZE
SANFLAGS = -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS))
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -I. -I$(BUILD) $(PKG_CFLAGS) $(WARNINGS) $(SANFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) -lpthread -lm

LIB_SRC = $(sort $(wildcard detect/*.c corpus/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
LIB_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/patterns_data.o $(BUILD)/gen/probes_data.o
CMD_OBJ = $(patsubst %.c,$(BUILD)/%.o,$(CMD_SRC))
CMDLIB_OBJ = $(filter-out $(BUILD)/cmd/main.o,$(CMD_OBJ))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN = $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
PROBE_SETS = $(sort $(wildcard corpus/probes/*.jsonl))
# Test helpers that are not tests (the runner only runs build/tests/test_*).
TEST_HELPERS = $(BUILD)/tests/fakeserver $(BUILD)/tests/gencorpus

# Quiet rules: one line per step ("CC cmd/main.c"); V=1 shows the full command lines.
ifeq ($(V),1)
Q =
quiet = @:
else
Q = @
quiet = @printf '  %-7s %s\n'
endif

.PHONY: all test unit check-asan check-valgrind fuzz fuzz-targets demo bench install uninstall clean report-check test-slurm test-k8s

all: $(PROG) provenance.1

# The man page is made from the binary's --help texts (docs/mkman.sh), so the two cannot drift.
provenance.1: $(PROG) docs/mkman.sh
	$(quiet) MAN $@
	$(Q)sh docs/mkman.sh ./$(PROG) >$@.tmp && mv $@.tmp $@

$(PROG): $(BUILD)/cmd/main.o $(BUILD)/libcmd.a $(BUILD)/libprov.a
	$(quiet) LINK $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $(BUILD)/cmd/main.o $(BUILD)/libcmd.a $(BUILD)/libprov.a $(LIBS)

$(BUILD)/libcmd.a: $(CMDLIB_OBJ)
	@rm -f $@
	$(quiet) AR $@
	$(Q)$(AR) rcs $@ $(CMDLIB_OBJ)

$(BUILD)/libprov.a: $(LIB_OBJ)
	@rm -f $@
	$(quiet) AR $@
	$(Q)$(AR) rcs $@ $(LIB_OBJ)

# The pattern library is data in the repository, built into the binary as a C string.
$(BUILD)/gen/patterns_data.c: detect/patterns.tsv
	@mkdir -p $(dir $@)
	@{ echo '/* generated from detect/patterns.tsv by the Makefile; do not edit */'; \
	   echo '#include <stddef.h>'; \
	   echo 'extern const char pat_builtin_data[];'; \
	   echo 'extern const size_t pat_builtin_size;'; \
	   echo 'const char pat_builtin_data[] ='; \
	   sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/"/' -e 's/$$/\\n"/' detect/patterns.tsv; \
	   echo ';'; \
	   echo 'const size_t pat_builtin_size = sizeof(pat_builtin_data) - 1;'; } >$@.tmp && mv $@.tmp $@

# The probe sets (corpus/probes/NAME.jsonl) likewise: one string per set and a table.
$(BUILD)/gen/probes_data.c: $(PROBE_SETS)
	@mkdir -p $(dir $@)
	@{ echo '/* generated from the probe sets in corpus/probes by the Makefile; do not edit */'; \
	   echo '#include "corpus/probes.h"'; \
	   for f in $(PROBE_SETS); do \
	     n=$$(basename $$f .jsonl); \
	     echo "static const char probe_$$n[] ="; \
	     sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/?/\\?/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; \
	     echo ';'; \
	   done; \
	   echo 'const struct probe_blob probe_builtin[] = {'; \
	   for f in $(PROBE_SETS); do \
	     n=$$(basename $$f .jsonl); \
	     echo "	{ \"$$n\", probe_$$n, sizeof(probe_$$n) - 1 },"; \
	   done; \
	   echo '};'; \
	   echo 'const size_t probe_builtin_count = sizeof(probe_builtin) / sizeof(probe_builtin[0]);'; } >$@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(quiet) CC $<
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/unit.h $(BUILD)/libcmd.a $(BUILD)/libprov.a
	@mkdir -p $(dir $@)
	$(quiet) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libcmd.a $(BUILD)/libprov.a $(LIBS)

# The loopback OpenAI-compatible server of the collect tests.
$(BUILD)/tests/fakeserver: tests/fakeserver.c
	@mkdir -p $(dir $@)
	$(quiet) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

# The synthetic corpus generator of make bench and the scale test.
$(BUILD)/tests/gencorpus: tests/bench/gencorpus.c
	@mkdir -p $(dir $@)
	$(quiet) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lm

unit: $(UNIT_BIN) $(TEST_HELPERS)

test: $(PROG) $(UNIT_BIN) $(TEST_HELPERS)
	@PROVENANCE_BIN="$(abspath $(PROG))" UNIT_DIR="$(abspath $(BUILD)/tests)" sh tests/run.sh

test-slurm: $(PROG)
	@PROVENANCE_BIN="$(abspath $(PROG))" sh tests/slurm/test-slurm.sh

test-k8s: $(PROG)
	@PROVENANCE_BIN="$(abspath $(PROG))" sh tests/k8s/test-k8s.sh

check-asan:
	PROVENANCE_SANITIZED=1 $(MAKE) BUILD=build/asan PROG=build/asan/provenance SANITIZE=address,undefined CFLAGS="-O1 -g" test

check-valgrind: $(PROG) $(UNIT_BIN) $(TEST_HELPERS)
	@PROVENANCE_BIN="$(abspath $(PROG))" UNIT_DIR="$(abspath $(BUILD)/tests)" \
	 PROVENANCE_NO_JIT=1 \
	 PROVENANCE_WRAP="valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99" \
	 sh tests/run.sh

# Fuzzing (tests/fuzz/fuzz.sh): the library is rebuilt with clang and
# -fsanitize=fuzzer-no-link,address,undefined in build/fuzz; each target links it with libFuzzer.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_NAMES = $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

fuzz:
	@sh tests/fuzz/fuzz.sh check "$(FUZZ_CC)"
	@$(MAKE) --no-print-directory BUILD=build/fuzz PROG=build/fuzz/provenance CC="$(FUZZ_CC)" \
	 SANITIZE=address,undefined CFLAGS="-O1 -g -fsanitize=fuzzer-no-link" fuzz-targets
	@sh tests/fuzz/fuzz.sh run build/fuzz "$(FUZZ_SECONDS)" $(FUZZ_NAMES)

fuzz-targets: $(patsubst %,$(BUILD)/%,$(FUZZ_NAMES))

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(BUILD)/libcmd.a $(BUILD)/libprov.a
	$(quiet) LINK $@
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -fsanitize=fuzzer -o $@ $< $(BUILD)/libcmd.a $(BUILD)/libprov.a $(LIBS)

demo: $(PROG)
	@sh examples/demo.sh "$(abspath $(PROG))"

bench: $(PROG) $(BUILD)/tests/gencorpus
	@GENCORPUS="$(abspath $(BUILD)/tests/gencorpus)" sh tests/bench.sh "$(abspath $(PROG))"

.PHONY: refusal-check
refusal-check: $(PROG)
	@sh docs/refusal-check.sh "$(abspath $(PROG))" --write

BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man/man1
DOCDIR = $(PREFIX)/share/doc/provenance
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR = $(PREFIX)/share/zsh/site-functions
DOCS = README.md $(sort $(wildcard docs/*.md))

install: $(PROG) provenance.1
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(MANDIR)" "$(DESTDIR)$(DOCDIR)" \
		"$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)"
	install -m 755 $(PROG) "$(DESTDIR)$(BINDIR)/provenance"
	install -m 644 provenance.1 "$(DESTDIR)$(MANDIR)/provenance.1"
	install -m 644 completion/provenance.bash "$(DESTDIR)$(BASHCOMPDIR)/provenance"
	install -m 644 completion/_provenance "$(DESTDIR)$(ZSHCOMPDIR)/_provenance"
	install -m 644 $(DOCS) "$(DESTDIR)$(DOCDIR)/"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/provenance" "$(DESTDIR)$(MANDIR)/provenance.1" \
		"$(DESTDIR)$(BASHCOMPDIR)/provenance" "$(DESTDIR)$(ZSHCOMPDIR)/_provenance"
	rm -rf "$(DESTDIR)$(DOCDIR)"

# A report for a person to look at: tests/report-check.sh (needs chromium and poppler-utils).
report-check: $(PROG) $(BUILD)/tests/test_render
	@PROVENANCE_BIN="$(abspath $(PROG))" TEST_RENDER="$(abspath $(BUILD)/tests/test_render)" \
	 sh tests/report-check.sh

clean:
	rm -rf build $(PROG) provenance.1

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)
