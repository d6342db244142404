# wattprobe: per-process power from a sched_switch BPF program and RAPL.
#
#   make            build build/wattprobe
#   make run        install what is missing, build, run `wattprobe top`
#   make test       install what is missing, build, run every test
#   make bench      run the benchmarks (bench/), print the table
#   make install    install into $(DESTDIR)$(PREFIX)
#   make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from the running kernel
#   V=1             show the commands
#
# The agent's sources are in src/<layer>/, each header beside its source and
# included by its path ("energy/sensor.h"); docs/ARCHITECTURE.md draws the layers.

OUT       ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
NPROC     ?= $(shell nproc 2>/dev/null || echo 1)

# The BPF target's name for this machine (libbpf's __TARGET_ARCH_*), and its vmlinux.h.
ARCH      ?= $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/i.86/x86/' -e 's/aarch64.*/arm64/' \
		-e 's/arm.*/arm/' -e 's/ppc64.*/powerpc/' -e 's/riscv64/riscv/' \
		-e 's/s390x/s390/' -e 's/loongarch64/loongarch/')
VMLINUX   := vmlinux/$(ARCH)/vmlinux.h

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SECONDARY:
.DEFAULT_GOAL := all

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	    -D_GNU_SOURCE -Isrc -Iinclude -I$(OUT)
DEPFLAGS  = -MMD -MP
BPF_CFLAGS = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Iinclude -Ivmlinux/$(ARCH) -Ibpf

# Libraries by what needs them; each binary links what it uses. The HTTP server's
# (libmicrohttpd, GnuTLS, libyaml, libcrypt) and top's curses are not linked: their users
# load them at run time (http/serverlibs.h, output/termlib.h), json maps none of them.
LIBS_BPF  := -lbpf -lelf -lz
LIBS_SYS  := -ldl -lcap -lpthread -lm
# the agent and the tests that reach every layer
LIBS_ALL  := $(LIBS_BPF) $(LIBS_SYS)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

CLI_SRCS  := $(wildcard src/cli/*.c)
LIB_SRCS  := $(filter-out $(CLI_SRCS),$(wildcard src/*/*.c))
LIB_OBJS  := $(patsubst src/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
CLI_OBJS  := $(patsubst src/%.c,$(OUT)/obj/%.o,$(CLI_SRCS))
LIB       := $(OUT)/libwattprobe.a
# the loader of the skeleton: the only object that waits for it
SKEL_USERS := $(OUT)/obj/kernel/probe.o

UNIT_SRCS := $(wildcard tests/test_*.c)
IT_SRCS   := $(wildcard tests/it_*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOLS     := $(patsubst tests/tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS))
# libraries that stand in for a vendor's, for the tests (tests/fake/)
FAKE_NVML := $(OUT)/fake/libnvidia-ml.so.1
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))

.PHONY: all run test unit integration check-asan check-layers fuzz bench install clean vmlinux \
	deps print-%

all: $(OUT)/wattprobe $(TOOLS) $(FAKE_NVML)

deps:
	$(Q)scripts/deps.sh

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(OUT)/wattprobe top $(RUN_ARGS)

# everything the tests run is built first, on every CPU
test: deps
	$(Q)$(MAKE) --no-print-directory -j$(NPROC) all $(OUT)/tests/unit $(OUT)/tests/integration \
		$(OUT)/asan/unit $(FUZZERS)
	$(Q)scripts/test.sh $(OUT)

# the benchmark's peers (bench/peers.sh) are installed for it alone, never for make test
bench:
	$(Q)scripts/deps.sh bench
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)bench/run.sh $(OUT)

# a lower layer never includes an upper one (scripts/layers.sh holds the order)
check-layers:
	$(Q)scripts/layers.sh

# --- BPF object and skeleton -------------------------------------------------

$(VMLINUX):
	$(error no $(VMLINUX): wattprobe has no vmlinux.h for the '$(ARCH)' architecture; \
		on a machine of it with kernel BTF, run 'make vmlinux', or set ARCH=)

# -g is for BTF: the DWARF that comes with it (650 KiB) is dropped by bpftool's linker, as
# the skeleton embeds the object in the agent, which reads it (and keeps its pages) at start;
# made again when this file changes (a rule changed: an object kept from before had its DWARF)
$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/wattprobe.h $(VMLINUX) Makefile
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $(@:.bpf.o=.dwarf.o)
	$(Q)$(BPFTOOL) gen object $@ $(@:.bpf.o=.dwarf.o)

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- agent -------------------------------------------------------------------

$(OUT)/obj/%.o: src/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(SKEL_USERS): $(SKELS)

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@
	$(Q)$(AR) rcs $@ $^

$(OUT)/wattprobe: $(CLI_OBJS) $(LIB)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(CLI_OBJS) $(LIB) $(LIBS_ALL) -o $@

# --- tests, tools, fuzzers, benchmarks ----------------------------------------

$(OUT)/tests/unit: $(UNIT_SRCS) $(wildcard tests/*.h) $(LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests $(UNIT_SRCS) $(LIB) $(LIBS_ALL) -lcriterion -o $@

$(OUT)/tests/integration: $(IT_SRCS) $(wildcard tests/*.h) $(LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests $(IT_SRCS) $(LIB) $(LIBS_ALL) -lcriterion -o $@

# the test tools are small programs; the ones that use the library say so
$(OUT)/tools/%: tests/tools/%.c $(LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) $< $(LIB) $(LIBS_SYS) -o $@

# a shared object that exports only what it marks visible: NVML's calls
$(FAKE_NVML): tests/fake/nvml.c
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $(DEPFLAGS) -shared -fPIC -fvisibility=hidden \
		-Wl,-soname,libnvidia-ml.so.1 $< -lpthread -o $@

$(OUT)/bench/%: bench/%.c $(wildcard bench/*.h) $(LIB)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LIBS_BPF) $(LIBS_SYS) -o $@

# Unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(OUT)/asan/unit: $(UNIT_SRCS) $(LIB_SRCS) $(SKELS) $(wildcard tests/*.h) $(LIB)
	$(call msg,ASAN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -Itests $(UNIT_SRCS) $(LIB_SRCS) \
		$(LIBS_ALL) -lcriterion -o $@

# The Docker name helper's tests (ctrnames/*) run one at a time: run beside another test,
# Criterion's own runner leaks 48 bytes (allocated and lost inside libcriterion, from
# criterion_run_all_tests) and LeakSanitizer fails the run; alone they are clean.
ASAN_RUN := ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(OUT)/asan/unit
check-asan: $(OUT)/asan/unit
	$(Q)$(ASAN_RUN) --jobs 2 --filter '!(ctrnames/*)'
	$(Q)$(ASAN_RUN) --jobs 1 --filter 'ctrnames/*'

# libFuzzer targets: the library's sources built once with clang, instrumented for
# coverage and the sanitizers (fuzzer-no-link), then linked into each fuzzer.
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Isrc -Iinclude -I$(OUT) -g -O1
FUZZ_OBJS   := $(patsubst src/%.c,$(OUT)/fuzzobj/%.o,$(LIB_SRCS))

$(OUT)/fuzzobj/%.o: src/%.c
	$(call msg,CC-FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(OUT)/fuzzobj/kernel/probe.o: $(SKELS)

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_OBJS) \
		$(LIBS_ALL) -o $@

fuzz: $(FUZZERS)
	$(Q)scripts/fuzz.sh $(OUT) $(FUZZ_SECONDS)

# --- install, clean, vmlinux ----------------------------------------------------

install: $(OUT)/wattprobe
	install -D -m 0755 $(OUT)/wattprobe $(DESTDIR)$(PREFIX)/sbin/wattprobe
	install -D -m 0644 docs/wattprobe.8 $(DESTDIR)$(PREFIX)/share/man/man8/wattprobe.8
	install -D -m 0644 deploy/wattprobe.service $(DESTDIR)/lib/systemd/system/wattprobe.service
	sed -i 's|/usr/local/sbin/wattprobe|$(PREFIX)/sbin/wattprobe|' \
		$(DESTDIR)/lib/systemd/system/wattprobe.service

clean:
	rm -rf $(OUT)

print-%:
	@echo $($*)

vmlinux:
	mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX)

# the compiler's dependency files; not what tests/sh/docker.sh keeps in $(OUT)/docker (an
# engine's data root: images hold folders and files named *.d that are no makefiles)
-include $(shell find $(OUT) -path $(OUT)/docker -prune -o -name '*.d' -type f -print 2>/dev/null)
