# keybridge — one GNU Makefile for the daemon, tools, tests and benchmarks.
#
#   make            build keybridged and the tools into $(BUILD)/bin
#   make check      build the unit tests with ASan+UBSan and run them all
#   make check T=rd_*   run only the tests whose name matches the glob
#   make check-valgrind the daemon tests once more, keybridged under valgrind
#   make kmod-check run kmod-tests/ in a QEMU guest with Debian's stock kernel
#   make kmod-check K=10-esp-sanity   run only the matching kmod tests
#   make kmod-shell a shell in that guest, for writing and debugging them
#   make bench-peers  keybridged beside charon under ike-load's handshakes
#   make bench-peers-guest  the same with CHILD SAs installed, in the guest
#   make bench-instructions  both responders' instructions per handshake
#   make fuzz       run every libFuzzer target in fuzz/ for FUZZ_SECONDS (60)
#   make fuzz-smoke the same for 20 s each (what CI runs)
#   make fuzz-long  a campaign of FUZZ_EXECS (10^8) over every target, niced
#   make deps       install the Debian packages (ci/debian-packages)
#   make format     reformat every C file with clang-format
#   V=1             show the command lines
#
# Sources are found by directory: every daemon/<module>/*.c goes into
# libkeybridge; every tools/*.c is one program; every daemon/tests/test_*.c
# is linked into the test runner. Adding a file needs no Makefile change.

BUILD    ?= build
CC       ?= cc
CLANG    ?= clang
PKG_LIBS := libcrypto libmnl libcap-ng libsystemd libpcap libbpf

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-7s %s\n' $(1) $(2)
endif

# pkg-config runs only after the dependencies are installed: the variables
# are expanded lazily, once, the first time a recipe needs them.
lazy = $(eval $(1) := $(2))$($(1))
PKG_CFLAGS = $(call lazy,PKG_CFLAGS,$(shell pkg-config --cflags $(PKG_LIBS)))
PKG_LDLIBS = $(call lazy,PKG_LDLIBS,$(shell pkg-config --libs $(PKG_LIBS)))

WARN     := -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CPPFLAGS += -Iinclude -Idaemon -I$(BUILD)/bpf -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -MMD -MP
SANITIZE := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
# sanitizer builds also check internal invariants (engine/timers.c)
SELFCHECK := -DKB_ENGINE_SELFCHECK

MODULES  := engine crypto kernel io config control
LIB_SRC  := $(sort $(foreach m,$(MODULES),$(wildcard daemon/$(m)/*.c)))
TOOL_SRC := $(sort $(wildcard tools/*.c))
TEST_SRC := $(sort $(wildcard daemon/tests/*.c))
BENCH_SRC:= $(sort $(wildcard daemon/bench/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
ASAN_OBJ := $(LIB_SRC:%.c=$(BUILD)/asan/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/asan/%.o)
BENCH_OBJ:= $(BENCH_SRC:%.c=$(BUILD)/obj/%.o)
TOOLS    := $(TOOL_SRC:tools/%.c=$(BUILD)/bin/%)
DAEMON   := $(if $(wildcard daemon/keybridged.c),$(BUILD)/bin/keybridged)
TEST_BIN := $(BUILD)/tests/kbtest
BENCH_BIN:= $(BUILD)/bench/kbbench

DEPS_STAMP := $(BUILD)/.deps-installed

# eBPF (bpf/README.md): every bpf/NAME.bpf.c becomes $(BUILD)/bpf/NAME.bpf.o
# and a libbpf skeleton $(BUILD)/bpf/NAME.skel.h that embeds it; C sources
# include the skeleton, so every C object waits for them.
BPF_SRC  := $(sort $(wildcard bpf/*.bpf.c))
BPF_SKEL := $(BPF_SRC:bpf/%.bpf.c=$(BUILD)/bpf/%.skel.h)
MULTIARCH = $(call lazy,MULTIARCH,$(shell $(CC) -print-multiarch))
BPF_CFLAGS = -target bpf -mcpu=v3 -O2 -g -Wall -Werror -MMD -MP \
             -Iinclude -Ibpf -I/usr/include/$(MULTIARCH)

.PHONY: all deps check check-valgrind bench bench-workers format format-check clean demo install kmod-check \
        kmod-shell fuzz fuzz-smoke fuzz-long bench-peers bench-peers-guest \
        bench-instructions
all: $(DAEMON) $(TOOLS)

deps: $(DEPS_STAMP)
$(DEPS_STAMP): ci/debian-packages ci/install-deps
	$(call msg,DEPS,ci/debian-packages)
	$(Q)ci/install-deps
	$(Q)mkdir -p $(@D) && touch $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(DEPS_STAMP)
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c -o $@ $<

$(BUILD)/bpf/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)bpftool gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP) $(BPF_SKEL)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c | $(DEPS_STAMP) $(BPF_SKEL)
	$(call msg,CC-ASAN,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(SANITIZE) $(SELFCHECK) -c -o $@ $<

$(BUILD)/libkeybridge.a: $(LIB_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libkeybridge-asan.a: $(ASAN_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(BUILD)/libkeybridge.a
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LDLIBS)

$(BUILD)/bin/keybridged: $(BUILD)/obj/daemon/keybridged.o $(BUILD)/libkeybridge.a
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LDLIBS)

# The daemon built with the sanitizers, for the tests that start real
# keybridged processes (make check passes it as KB_DAEMON).
DAEMON_ASAN := $(if $(DAEMON),$(BUILD)/bin-asan/keybridged)
$(BUILD)/bin-asan/keybridged: $(BUILD)/asan/daemon/keybridged.o $(BUILD)/libkeybridge-asan.a
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(PKG_LDLIBS)

$(TEST_BIN): $(TEST_OBJ) $(BUILD)/libkeybridge-asan.a
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ $(PKG_LDLIBS)

$(BENCH_BIN): $(BENCH_OBJ) $(BUILD)/libkeybridge.a
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LDLIBS)

# Tests may run the freshly built tools (ikedump, keybridged): build them
# first; the benchmarks are built too (not run) so they cannot rot.
# The daemon tests run the sanitizer build of keybridged (KB_DAEMON).
check: $(TEST_BIN) $(BENCH_BIN) all $(DAEMON_ASAN)
	$(Q)KB_BUILD=$(abspath $(BUILD)) KB_ROOT=$(CURDIR) \
	    KB_DAEMON=$(abspath $(DAEMON_ASAN)) \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(TEST_BIN) $(if $(T),'$(T)')

# The tests that start real daemons (keybridged_*, ctl_*), once with the
# ordinary build under valgrind: any memcheck error or leak is in the
# daemon's log and fails the test (daemon_util.h). BPF stays off (--bpf
# off; the BPF tests, keybridged_bpf_* and keybridged_usdt_*, are left
# out): valgrind cannot follow bpf(2) and takes a minute to parse the
# kernel's BTF. ctl_64_clients_* and ctl_service_pings_* are left out
# too: they measure response times and watchdog intervals. Waits are stretched (KB_TEST_TIME_SCALE). Not part of
# .ci/run: it takes several minutes.
VALGRIND := valgrind -q --error-exitcode=42 --leak-check=full \
            --show-leak-kinds=definite,indirect,possible \
            --errors-for-leak-kinds=definite,indirect,possible \
            --suppressions=$(CURDIR)/ci/valgrind.supp
check-valgrind: $(TEST_BIN) all
	$(Q)KB_BUILD=$(abspath $(BUILD)) KB_ROOT=$(CURDIR) \
	    KB_DAEMON=$(abspath $(DAEMON)) KB_DAEMON_WRAP="$(VALGRIND)" \
	    KB_DAEMON_ARGS="--bpf off" KB_TEST_TIME_SCALE=8 \
	    KB_TEST_TIMEOUT=$${KB_TEST_TIMEOUT:-900} \
	    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    $(TEST_BIN) $(if $(T),'$(T)','keybridged_[!bu]*' 'ctl_[!6s]*' 'ctl_service_[!p]*')

bench: $(BENCH_BIN) all
	$(Q)KB_BUILD=$(abspath $(BUILD)) KB_ROOT=$(CURDIR) $(BENCH_BIN) $(B)

# keybridged and strongSwan's charon as responders side by side, driven by
# tools/ike-load in network namespaces (doc/performance.md). Not in CI.
bench-peers: all $(BENCH_BIN)
	$(Q)tools/bench-peers.sh $(abspath $(BUILD))

# keybridged with one worker beside two (doc/performance.md, "Every
# core"), driven by ike-load in network namespaces. Not in CI.
bench-workers: all
	$(Q)tools/bench-workers.sh $(abspath $(BUILD))

# keybridged and charon under callgrind: user-space instructions per
# handshake, beside the crypto ceiling's (tools/bench-instructions.sh)
bench-instructions: all $(BENCH_BIN)
	$(Q)tools/bench-instructions.sh $(abspath $(BUILD))

# ---- kmod-check: tests against a real data plane ---------------------------
# This machine's kernel has no ESP, no PF_KEY and refuses fentry, so these
# tests boot Debian's stock kernel under QEMU with the host's / as root and
# run every kmod-tests/NN-*.sh inside it (kmod-tests/README.md). The kernel
# package is unpacked into $(KB_KMOD_CACHE), never installed.
KB_KMOD_CACHE ?= /var/cache/keybridge-kmod
KMOD_HELPERS  := $(BUILD)/kmod/fentry_count $(BUILD)/kmod/fentry_count.bpf.o

$(BUILD)/kmod/%.bpf.o: kmod-tests/bpf/%.bpf.c | $(DEPS_STAMP)
	$(call msg,BPF,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) -target bpf -O2 -g -Wall -Werror \
	    -I/usr/include/$(MULTIARCH) -c -o $@ $<

$(BUILD)/kmod/%: kmod-tests/helpers/%.c | $(DEPS_STAMP)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $< -lbpf

kmod-check: all $(TEST_BIN) $(BENCH_BIN) $(KMOD_HELPERS)
	$(Q)KB_BUILD=$(abspath $(BUILD)) KB_ROOT=$(CURDIR) \
	    KB_KMOD_CACHE=$(KB_KMOD_CACHE) kmod-tests/host/run.sh $(K)

# The same guest with a shell on this terminal (after the K tests, if any).
kmod-shell: all $(TEST_BIN) $(BENCH_BIN) $(KMOD_HELPERS)
	$(Q)KB_BUILD=$(abspath $(BUILD)) KB_ROOT=$(CURDIR) \
	    KB_KMOD_CACHE=$(KB_KMOD_CACHE) kmod-tests/host/run.sh --shell $(K)

# bench-peers with a CHILD SA in every IKE_AUTH, both responders installing
# its SAs: in the kmod guest (real ESP), kmod-tests/bench-peers-guest.sh.
# Not in CI; about 10 minutes under TCG (doc/performance.md).
bench-peers-guest: all $(BENCH_BIN)
	$(Q)echo "bench-peers-guest: booting the kmod guest (TCG; minutes); log: $(BUILD)/kmod/out/bench-peers-guest.log"
	$(Q)KB_BUILD=$(abspath $(BUILD)) KB_ROOT=$(CURDIR) KB_KMOD_GUESTS=1 \
	    KB_KMOD_MEM=$${KB_KMOD_MEM:-2048} KB_KMOD_CACHE=$(KB_KMOD_CACHE) \
	    kmod-tests/host/run.sh bench-peers-guest >$(BUILD)/bench-peers-guest.run 2>&1; \
	status=$$?; \
	cat $(BUILD)/kmod/out/bench-peers-guest.log 2>/dev/null || true; \
	tail -n 3 $(BUILD)/bench-peers-guest.run; \
	exit $$status

# ---- fuzz: libFuzzer targets ------------------------------------------------
# Every fuzz/*.c is one target, linked with the library sources compiled by
# clang with ASan+UBSan and fuzzer coverage. Each runs FUZZ_SECONDS on one
# core, starting from the committed seeds (fuzz/seeds/) plus what earlier
# runs found ($(BUILD)/fuzz/corpus-<target>/, where new inputs are written).
# A crash stops make and leaves crash-* in $(BUILD)/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   := -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_SRC     := $(sort $(wildcard fuzz/*.c))
FUZZ_BIN     := $(FUZZ_SRC:fuzz/%.c=$(BUILD)/fuzz/%)
FUZZ_OBJ     := $(LIB_SRC:%.c=$(BUILD)/fuzz-obj/%.o)

$(BUILD)/fuzz-obj/%.o: %.c | $(DEPS_STAMP) $(BPF_SKEL)
	$(call msg,CC-FUZZ,$<)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) $(PKG_CFLAGS) -O1 -g -std=gnu11 $(WARN) \
	    -MMD -MP $(FUZZ_FLAGS) -c -o $@ $<

$(BUILD)/libkeybridge-fuzz.a: $(FUZZ_OBJ)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/fuzz/%: $(BUILD)/fuzz-obj/fuzz/%.o $(BUILD)/libkeybridge-fuzz.a
	$(call msg,LD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $^ $(PKG_LDLIBS)

fuzz: $(FUZZ_BIN)
	$(Q)set -e; for t in $(FUZZ_BIN); do \
	    n=$$(basename $$t); mkdir -p $(BUILD)/fuzz/corpus-$$n; \
	    echo "  FUZZ    $$n for $(FUZZ_SECONDS) s"; rc=0; \
	    (cd $(BUILD)/fuzz && ./$$n -max_total_time=$(FUZZ_SECONDS) \
	        -print_final_stats=1 corpus-$$n $(CURDIR)/fuzz/seeds \
	        >$$n.log 2>&1) || rc=$$?; \
	    grep -E '^stat::number_of_executed_units|^#[0-9]+ +DONE' \
	        $(BUILD)/fuzz/$$n.log || true; \
	    if [ $$rc -ne 0 ]; then tail -n 60 $(BUILD)/fuzz/$$n.log; \
	        echo "fuzz: $$n failed, see $(BUILD)/fuzz/$$n.log" >&2; \
	        exit $$rc; fi; \
	done

.SECONDARY: $(FUZZ_SRC:%.c=$(BUILD)/fuzz-obj/%.o)

fuzz-smoke:
	$(Q)$(MAKE) --no-print-directory fuzz FUZZ_SECONDS=20

# A campaign (doc/security.md records one): every target in turn, niced,
# until it ran its share of FUZZ_EXECS inputs or FUZZ_LONG_SECONDS passed;
# then executions, coverage and corpus per target and the total
# (fuzz/long.sh). Not in CI.
FUZZ_EXECS        ?= 100000000
FUZZ_LONG_SECONDS ?= 3600
fuzz-long: $(FUZZ_BIN)
	$(Q)FUZZ_EXECS=$(FUZZ_EXECS) FUZZ_SECONDS=$(FUZZ_LONG_SECONDS) \
	    fuzz/long.sh $(BUILD) $(FUZZ_BIN)

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	$(Q)clang-format -i $(C_FILES)
format-check: | $(DEPS_STAMP)
	$(Q)clang-format --dry-run --Werror $(C_FILES)

# The README's main job: a tunnel between two keybridged, with ping. On a
# kernel without ESP (like the build machines') it runs in the kmod guest.
demo: all
	$(Q)if tools/demo.sh --have-esp; then \
		tools/demo.sh $(abspath $(BUILD)); \
	else \
		echo "keybridge demo: this kernel has no ESP, so the demo runs in a QEMU"; \
		echo "guest with Debian's stock kernel (the kmod-check machinery; ~1-2 min)"; \
		$(MAKE) --no-print-directory kmod-check K=90-demo >$(BUILD)/demo-guest.log 2>&1; \
		status=$$?; \
		cat $(BUILD)/kmod/out/90-demo.log 2>/dev/null || true; \
		tail -n 2 $(BUILD)/demo-guest.log; \
		exit $$status; \
	fi

# make install [DESTDIR=…] [PREFIX=/usr/local]: the daemon, the tools, the
# man pages, the systemd unit and its user (sysusers.d; created at once on
# a real install). Enable it with: systemctl enable --now keybridge.
PREFIX ?= /usr/local
SBINDIR = $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= /etc/systemd/system
SYSCONFDIR ?= /etc
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/keybridge \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(SYSUSERSDIR)
	install -m 0755 $(BUILD)/bin/keybridged $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(filter-out $(BUILD)/bin/keybridged,$(wildcard $(BUILD)/bin/*)) \
		$(DESTDIR)$(PREFIX)/bin/
	install -m 0644 doc/keybridged.8 doc/ipsec.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 dist/keybridge.sysusers $(DESTDIR)$(SYSUSERSDIR)/keybridge.conf
	sed 's|@SBINDIR@|$(SBINDIR)|g' dist/keybridge.service \
		> $(DESTDIR)$(UNITDIR)/keybridge.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/keybridge.service
	@if [ -z "$(DESTDIR)" ] && [ "$(SYSCONFDIR)" = /etc ] && \
	    command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/keybridge.conf; fi
	@p=$$(command -v ipsec 2>/dev/null); \
	if [ -n "$$p" ] && [ "$$p" != "$(PREFIX)/bin/ipsec" ]; then \
		echo "note: $$p (another IPsec suite's ipsec) comes before" \
		     "$(PREFIX)/bin/ipsec in PATH; call keybridge's by its full" \
		     "path or put $(PREFIX)/bin first"; fi

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
