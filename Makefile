# wattprobe: per-process power from a sched_switch BPF program and RAPL.
#
#   make            build build/wattprobe
#   make run        install what is missing, build, run `wattprobe top`
#   make test       install what is missing, build, run every test
#   make bench      run the benchmarks (bench/), print the table
#   make install    install into $(DESTDIR)$(PREFIX)
#   make vmlinux    regenerate vmlinux/x86/vmlinux.h from the running kernel
#   V=1             show the commands

OUT       ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
ARCH      ?= x86
CC        ?= gcc
CLANG     ?= clang
BPFTOOL   ?= bpftool
NPROC     ?= $(shell nproc 2>/dev/null || echo 1)

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
	    -D_GNU_SOURCE -Iinclude -I$(OUT)
LDLIBS   += -lbpf -lelf -lz -lmicrohttpd -lgnutls -lyaml -lcrypt -ldl -lcap -lpthread -lm \
	    -lncursesw -ltinfo
BPF_CFLAGS = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Iinclude -Ivmlinux/$(ARCH) -Ibpf

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))

LIB_SRCS  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJS  := $(patsubst src/%.c,$(OUT)/obj/%.o,$(LIB_SRCS))
LIB       := $(OUT)/libwattprobe.a

UNIT_SRCS := $(wildcard tests/test_*.c)
IT_SRCS   := $(wildcard tests/it_*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOLS     := $(patsubst tests/tools/%.c,$(OUT)/tools/%,$(TOOL_SRCS))
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZERS   := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(FUZZ_SRCS))
BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(OUT)/bench/%,$(BENCH_SRCS))

.PHONY: all run test unit integration check-asan fuzz bench install clean vmlinux deps

all: $(OUT)/wattprobe $(TOOLS)

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

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BINS)
	$(Q)bench/run.sh $(OUT)

# --- BPF object and skeleton -------------------------------------------------

$(OUT) $(OUT)/obj $(OUT)/tests $(OUT)/tools $(OUT)/fuzz $(OUT)/fuzzobj $(OUT)/bench $(OUT)/asan:
	$(Q)mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) include/wattprobe.h vmlinux/$(ARCH)/vmlinux.h | $(OUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

# --- agent -------------------------------------------------------------------

$(OUT)/obj/%.o: src/%.c $(wildcard include/*.h) $(SKELS) | $(OUT)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(OUT)/wattprobe: src/main.c $(LIB) $(SKELS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

# --- tests, tools, fuzzers, benchmarks ----------------------------------------

$(OUT)/tests/unit: $(UNIT_SRCS) $(wildcard tests/*.h) $(LIB) | $(OUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $(UNIT_SRCS) $(LIB) $(LDLIBS) -lcriterion -o $@

$(OUT)/tests/integration: $(IT_SRCS) tests/helpers.h $(LIB) | $(OUT)/tests
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $(IT_SRCS) $(LIB) $(LDLIBS) -lcriterion -o $@

$(OUT)/tools/%: tests/tools/%.c $(LIB) | $(OUT)/tools
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

$(OUT)/bench/%: bench/%.c $(wildcard bench/*.h) $(LIB) | $(OUT)/bench
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $< $(LIB) $(LDLIBS) -o $@

# Unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(OUT)/asan/unit: $(UNIT_SRCS) $(LIB_SRCS) $(SKELS) $(wildcard include/*.h) | $(OUT)/asan
	$(call msg,ASAN,$@)
	$(Q)$(CC) $(filter-out -O2,$(CFLAGS)) $(ASAN_FLAGS) -Itests $(UNIT_SRCS) $(LIB_SRCS) \
		$(LDLIBS) -lcriterion -o $@

check-asan: $(OUT)/asan/unit
	$(Q)ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 $(OUT)/asan/unit --jobs 2

# libFuzzer targets: the library's sources built once with clang, instrumented for
# coverage and the sanitizers (fuzzer-no-link), then linked into each fuzzer.
FUZZ_CFLAGS := -std=gnu11 -D_GNU_SOURCE -Iinclude -I$(OUT) -g -O1
FUZZ_OBJS   := $(patsubst src/%.c,$(OUT)/fuzzobj/%.o,$(LIB_SRCS))

$(OUT)/fuzzobj/%.o: src/%.c $(wildcard include/*.h) $(SKELS) | $(OUT)/fuzzobj
	$(call msg,CC-FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@

$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_OBJS) | $(OUT)/fuzz
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer,address,undefined $< $(FUZZ_OBJS) \
		$(LDLIBS) -o $@

fuzz: $(FUZZERS)
	$(Q)scripts/fuzz.sh $(OUT) $(FUZZ_SECONDS)

# --- install, clean, vmlinux ----------------------------------------------------

install: $(OUT)/wattprobe
	install -D -m 0755 $(OUT)/wattprobe $(DESTDIR)$(PREFIX)/sbin/wattprobe
	install -D -m 0644 deploy/wattprobe.service $(DESTDIR)/lib/systemd/system/wattprobe.service
	sed -i 's|/usr/local/sbin/wattprobe|$(PREFIX)/sbin/wattprobe|' \
		$(DESTDIR)/lib/systemd/system/wattprobe.service

clean:
	rm -rf $(OUT)

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(ARCH)/vmlinux.h
