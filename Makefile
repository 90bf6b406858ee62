# SPDX-License-Identifier: BSD-3-Clause
# bypasslab build. `make` builds ./bypasslab; `make test` and `make run` do all
# set-up first (Debian packages, mounts) through `make deps`.

OUTPUT := .output
CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
# usdt.bpf.h pulls in <linux/errno.h>, whose <asm/...> lives in the multiarch dir.
BPF_INC := -I/usr/include/$(shell gcc -dumpmachine 2>/dev/null || echo $$(uname -m)-linux-gnu)

PKGS := libbpf jansson inih liburing libxdp
CFLAGS ?= -O2 -g
BL_VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS += -DBL_VERSION=\"$(BL_VERSION)\"
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE \
	  -I$(OUTPUT) -Ilib -Idatapaths -Iharness -Ianalysis -Iprobes \
	  $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm
# DPDK's headers (and its -include rte_config.h) only where DPDK is used.
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
LDLIBS += $(shell pkg-config --libs libdpdk 2>/dev/null)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

SRCS := $(wildcard lib/*.c datapaths/*.c harness/*.c analysis/*.c)
SRCS := $(filter-out %.bpf.c,$(SRCS) $(wildcard probes/*.c))
OBJS := $(patsubst %.c,$(OUTPUT)/%.o,$(SRCS))
MAIN_OBJ := $(OUTPUT)/harness/main.o
LIB_OBJS := $(filter-out $(MAIN_OBJ),$(OBJS))
# BPF programs: the probes' and the datapaths' (skeletons share .output/).
BPF_SRCS := $(wildcard probes/*.bpf.c datapaths/*.bpf.c)
SKELS := $(patsubst %.bpf.c,$(OUTPUT)/%.skel.h,$(notdir $(BPF_SRCS)))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS))
INTEG_SRCS := $(wildcard tests/integ/test_*.c)
INTEG_BINS := $(patsubst tests/integ/%.c,$(OUTPUT)/tests/%,$(INTEG_SRCS))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps test unit integ run clean install bench

all: bypasslab

bypasslab: $(OUTPUT)/bypasslab
	$(Q)cp $< $@.tmp && mv -f $@.tmp $@

$(OUTPUT)/bypasslab: $(OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS)

$(OUTPUT)/datapaths/dp_dpdk.o: CFLAGS += $(DPDK_CFLAGS)
# analysis/ reads result JSON and sees only lib/ and itself: a harness,
# datapath or probe header there fails the build.
$(filter $(OUTPUT)/analysis/%,$(OBJS)): CFLAGS := $(filter-out -Idatapaths -Iharness -Iprobes,$(CFLAGS))

$(OUTPUT)/%.o: %.c $(SKELS) | $(OUTPUT)
	$(call msg,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# BPF: vmlinux.h from the running kernel's BTF, CO-RE objects, skeletons.
$(OUTPUT)/vmlinux.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@

$(OUTPUT)/%.bpf.o: probes/%.bpf.c $(OUTPUT)/vmlinux.h $(wildcard probes/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Iprobes $(BPF_INC) \
		-c $< -o $@

$(OUTPUT)/%.bpf.o: datapaths/%.bpf.c $(OUTPUT)/vmlinux.h $(wildcard datapaths/*.h) | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(OUTPUT) -Idatapaths \
		-c $< -o $@

$(OUTPUT)/%.skel.h: $(OUTPUT)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(OUTPUT)/tests/%: tests/unit/%.c $(LIB_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $^ -o $@ $(LDLIBS) $(shell pkg-config --libs cmocka)

$(OUTPUT)/tests/%: tests/integ/%.c tests/integ/integ.h $(LIB_OBJS)
	$(call msg,TEST,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(filter %.c %.o,$^) -o $@ $(LDLIBS) $(shell pkg-config --libs cmocka)

$(OUTPUT):
	$(Q)mkdir -p $@

deps:
	$(Q)harness/deps.sh

unit: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS)

test: deps
	$(Q)$(MAKE) --no-print-directory all $(UNIT_BINS) $(INTEG_BINS)
	$(Q)tests/run-tests.sh $(UNIT_BINS) $(INTEG_BINS)

run: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)./bypasslab run configs/default.ini --report

bench: deps all
	$(Q)bench/vs-sockperf
	$(Q)bench/vs-testpmd

install: all
	install -m 0755 bypasslab /usr/local/bin/bypasslab

clean:
	$(call msg,CLEAN,)
	$(Q)rm -rf $(OUTPUT) bypasslab

-include $(OBJS:.o=.d)

# Syscall numbers -> names for the build's architecture.
$(OUTPUT)/syscall_names.h: | $(OUTPUT)
	$(call msg,GEN,$@)
	$(Q)echo '#include <sys/syscall.h>' | $(CC) -E -dM - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/\t[\2] = "\1",/p' | \
		sort -t'[' -k2 -n > $@.tmp && mv $@.tmp $@

$(OUTPUT)/probes/attr_json.o: $(OUTPUT)/syscall_names.h
