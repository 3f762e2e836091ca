# icmquota — build, test, demo, install.
# `make check` and `make demo` install their Debian packages first when run
# as root (tests/deps.sh), so each is one command on a fresh Debian 12.

PKGS      := yaml-0.1 expat json-c libnl-3.0 libnl-genl-3.0 \
             libvirt libibverbs libmlx5 libmd libsystemd libudev
CC        ?= cc
PREFIX    ?= /usr/local
DESTDIR   ?=
VERSION   := 0.1.0

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libvirt, libsystemd and libudev are dlopen'ed where they are used (live
# domains, the daemon's sd_notify and uevents): only their headers are
# needed at build time, and a run that does not use them (the libvirt
# hook) does not load them. rdma-core (devx/rdma_dl.c), libnl for devlink
# (devx/nl_dl.c), libyaml (policy/yaml_dl.c) and libmd (lib/digest.c)
# likewise, on first use, and libm is not used: a libvirt hook call with
# nothing to do costs a process start and little more. A linked library
# costs every process start 0.04-0.08 ms (a hello world linked against
# each). Measured (posix_spawn + waitpid, medians of 400): `icmquota
# --version` 1.24-1.29 ms with libyaml, libnl-3, libnl-genl-3, libmd and
# libm linked, 1.00-1.03 ms without, /bin/true 0.83-0.86 ms; a hook `start
# begin` with nothing to do 1.40-1.42 ms -> 1.19-1.22 ms; `policy
# validate`, which loads libyaml and libmd, 1.57 -> 1.49 ms.
# dpkg-shlibdeps does not see them: packaging/debian/control's Depends
# names them. expat (the domain XML,
# controller/sources/xml_tree.c; libc only) is linked: every hook call
# parses, and there linking costs no more than dlopen (measured: within
# 0.05 ms per process of each other; a command that parses no XML pays
# about 0.05 ms for it). Cloud Hypervisor's API socket needs no library:
# lib/http.c (libcurl cost the daemon ~8 MiB of RSS, see there).
DLOPENED   := libvirt libsystemd libudev libibverbs libmlx5 libmd \
              libnl-3.0 libnl-genl-3.0 yaml-0.1
PKG_LIBS   := $(shell pkg-config --libs $(filter-out $(DLOPENED),$(PKGS)) 2>/dev/null) -ldl -lpthread

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral \
             -Wno-format-truncation
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c17 -D_GNU_SOURCE -DICMQUOTA_VERSION=\"$(VERSION)\" \
             -I. $(WARN) $(PKG_CFLAGS) $(CFLAGS)
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer \
             -fno-sanitize-recover=undefined
# ASan intercepts xdrmem_create; with libvirt dlopen'ed, libtirpc arrives
# after ASan resolved its interceptors and the call jumps to NULL (libvirt's
# remote driver, whenever a libvirt daemon socket is up). Loading libtirpc
# (libvirt0's own dependency) at startup resolves it.
# The test build checks itself where a release build trusts a shortcut:
# every memo hit (journal, simulated firmware) is parsed as well and
# compared (state_load.c, simfw_memo.c).
SAN       += -DMEMO_VERIFY
TIRPC     := -Wl,--no-as-needed -l:libtirpc.so.3 -Wl,--as-needed
SAN_LIBS  := $(if $(wildcard /usr/lib/*/libtirpc.so.3 /lib/*/libtirpc.so.3),$(TIRPC))

SRCS      := $(sort $(wildcard lib/*.c devx/*.c policy/*.c controller/*/*.c))
LIB_SRCS  := $(filter-out controller/cli/main.c,$(SRCS))
HDRS      := $(wildcard lib/*.h devx/*.h policy/*.h controller/*/*.h)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))

B         := build
BA        := build/asan

LIB       := $(B)/libicmquota.a
LIBA      := $(BA)/libicmquota.a
BIN       := $(B)/icmquota
BINA      := $(BA)/icmquota
UNITS     := $(patsubst tests/unit/%.c,$(BA)/tests/%,$(UNIT_SRCS))

# Fuzz targets (tests/fuzz/fuzz_NAME.c): libFuzzer binaries for `make fuzz`
# (Debian's clang), and replay binaries (gcc, ASan/UBSan, no libFuzzer)
# that `make check` runs over each seed corpus tests/fuzz/corpus/NAME/.
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_NAMES:= $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))
REPLAYS   := $(patsubst %,$(BA)/fuzz/replay_%,$(FUZZ_NAMES))
BF        := build/fuzz
FUZZ_CC   ?= clang
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
             -fno-omit-frame-pointer
LIBF      := $(BF)/libicmquota.a
FUZZERS   := $(patsubst %,$(BF)/fuzz_%,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2

.PHONY: all check unit integration demo bench install clean deps deps-test \
        format tidy cppcheck man layering fuzz fuzzers crash valgrind

all: $(BIN)

# V=1 shows the full commands.
Q := $(if $(V),,@)

$(B)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BA)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -c $< -o $@

$(LIB): $(patsubst %.c,$(B)/%.o,$(LIB_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^

$(LIBA): $(patsubst %.c,$(BA)/%.o,$(LIB_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BIN): $(B)/controller/cli/main.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) -o $@ $^ $(PKG_LIBS)

$(BINA): $(BA)/controller/cli/main.o $(LIBA)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $^ $(PKG_LIBS) $(SAN_LIBS)

# The same binary with its default settings file at HOOKTEST_CONF: the
# tests and the bench install it as the libvirt hook the way the package
# does (a symlink in qemu.d, run with no options and no environment),
# without touching /etc/icmquota.
HOOKTEST_CONF := /run/icmquota-test/icmquota.conf
HOOKTEST_DEF = -DCONFIG_DEFAULT_PATH=\"$(HOOKTEST_CONF)\"
$(B)/hooktest/icmquota: controller/cli/main.c $(HDRS) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(HOOKTEST_DEF) -o $@ $< $(LIB) $(PKG_LIBS)

$(BA)/hooktest/icmquota: controller/cli/main.c $(HDRS) $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) $(HOOKTEST_DEF) -o $@ $< $(LIBA) $(PKG_LIBS) $(SAN_LIBS)

$(BA)/tests/%: tests/unit/%.c tests/unit/test.h $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< $(LIBA) $(PKG_LIBS) $(SAN_LIBS)

$(BA)/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/fuzz.h $(LIBA)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $< tests/fuzz/replay.c $(LIBA) $(PKG_LIBS) $(SAN_LIBS)

$(BF)/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@ (fuzz)")
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) -Wno-unknown-warning-option $(FUZZ_SAN) \
		-fsanitize=fuzzer-no-link -c $< -o $@

$(LIBF): $(patsubst %.c,$(BF)/%.o,$(LIB_SRCS))
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BF)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(LIBF)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(FUZZ_CC) $(ALL_CFLAGS) -Wno-unknown-warning-option $(FUZZ_SAN) \
		-fsanitize=fuzzer -o $@ $< $(LIBF) $(PKG_LIBS) $(SAN_LIBS)

fuzzers: deps-test
	@$(MAKE) --no-print-directory $(FUZZERS)

# Each target FUZZ_SECONDS (default 60) over a copy of its seed corpus,
# FUZZ_JOBS at a time; a summary line per target (execs, findings).
fuzz: fuzzers
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_JOBS) $(FUZZ_NAMES)

# Crash consistency: SIGKILL at every rename/fsync/write/flock (make check
# does these) plus 1,800 random syscalls in two parallel worlds, each kill
# followed by a convergence check (tests/crash/crash.sh; logs in build/).
crash: deps-test
	@$(MAKE) --no-print-directory $(BINA)
	@tests/crash/crash.sh $(BINA) 1 900 >$(B)/crash-1.log 2>&1 & \
	tests/crash/crash.sh $(BINA) 0 900 >$(B)/crash-2.log 2>&1; r2=$$?; \
	wait $$!; r1=$$?; \
	grep -h -E '^FAIL|^crash: [0-9]' $(B)/crash-1.log $(B)/crash-2.log; \
	test $$r1 -eq 0 -a $$r2 -eq 0

# The CLI integration tests with every run under valgrind memcheck (the
# release build): 0 bytes definitely lost, no memcheck error.
VALGRIND_TESTS ?= tests/integration/test_cli_errors.sh \
	tests/integration/test_cli_apply.sh tests/integration/test_admission.sh \
	tests/integration/test_ch_cli.sh tests/integration/test_hardening.sh
valgrind: deps-test
	@$(MAKE) --no-print-directory $(BIN)
	@tests/valgrind/run.sh $(BIN) $(VALGRIND_TESTS)

deps:
	@tests/deps.sh run

deps-test:
	@tests/deps.sh test

# Unit tests then integration tests, all with ASan/UBSan.
check: deps-test
	@$(MAKE) --no-print-directory $(BINA) $(BA)/hooktest/icmquota $(UNITS) $(REPLAYS)
	@tests/run.sh $(BINA) $(UNITS) $(REPLAYS)

unit: $(UNITS)
	@tests/run.sh --unit-only $(BINA) $(UNITS)

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@tests/demo/incident.sh $(BIN)

bench: deps-test
	@$(MAKE) --no-print-directory $(BIN) $(B)/hooktest/icmquota
	@tests/bench/apply.sh $(BIN)
	@tests/bench/hook.sh $(BIN)
	@tests/bench/daemon.sh $(BIN)

MAN := $(B)/icmquota.8

# The man page is generated from the same text as --help.
$(MAN): $(BIN)
	$(Q)$(BIN) help --man >$@

man: $(MAN)

install: $(BIN) $(MAN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/sbin/icmquota
	@# The hook is the binary itself (main.c: run by a qemu.d path, it
	@# is the libvirt hook): no shell between libvirtd and icmquota.
	install -d $(DESTDIR)/etc/libvirt/hooks/qemu.d
	ln -sfn $(PREFIX)/sbin/icmquota $(DESTDIR)/etc/libvirt/hooks/qemu.d/icmquota
	install -D -m 0644 $(MAN) $(DESTDIR)$(PREFIX)/share/man/man8/icmquota.8
	install -D -m 0644 packaging/bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/icmquota
	@# Never overwrite an operator's settings or policy.
	@if [ ! -e $(DESTDIR)/etc/icmquota/icmquota.conf ]; then \
		install -D -m 0644 packaging/icmquota.conf $(DESTDIR)/etc/icmquota/icmquota.conf; fi
	@if [ ! -e $(DESTDIR)/etc/icmquota/policy.yaml ]; then \
		install -D -m 0644 packaging/policy.yaml $(DESTDIR)/etc/icmquota/policy.yaml; fi
	@echo "installed; restart libvirtd so it picks up the hook"

layering:
	@python3 tests/lint/layering.py

format:
	clang-format -i $(SRCS) $(HDRS) $(UNIT_SRCS) tests/unit/test.h

cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr -I. --suppress=missingIncludeSystem $(SRCS)

clean:
	rm -rf $(B)

# Debian package (dpkg-buildpackage -b, debhelper 13): a copy of the tree in
# build/deb-src with packaging/debian as its ./debian; the .deb lands in
# build/. Relies only on `make` and `make install` of the tree it copies.
DEB_SRC := $(B)/deb-src

.PHONY: deb deps-pkg

deps-pkg:
	@tests/deps.sh pkg

deb: deps-pkg
	rm -rf $(DEB_SRC)
	mkdir -p $(DEB_SRC)
	tar -cf - --exclude=./build --exclude=./.git . | tar -xf - -C $(DEB_SRC)
	cp -a packaging/debian $(DEB_SRC)/debian
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc
