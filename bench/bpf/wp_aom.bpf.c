// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's handler compiled from bpf/wattprobe.bpf.c itself, with one
 * change: its per-CPU state (struct wp_cpu) is not the value of a PERCPU_ARRAY
 * but of a one-element plain ARRAY per CPU, reached through an ARRAY_OF_MAPS
 * indexed by CPU number. A plain ARRAY of at most 32 KiB is kmalloc'd, in the
 * kernel's direct map, whatever the number of CPUs; bench/hotpath.c creates
 * the inner maps. The original `cpus` map is still created, and unused.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include "wattprobe.h"

/*
 * clang describes an inner map's value type only as far as the program uses it: the
 * agent's code reaches struct wp_cpu through pointers alone, which leaves a forward
 * declaration, and libbpf cannot size the inner map. One global of the type, never
 * read, gives BTF its whole layout.
 */
struct wp_cpu wp_aom_btf_anchor;

struct wp_cpu_array {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct wp_cpu);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);		/* set to the number of CPUs by the loader */
	__type(key, __u32);
	__array(values, struct wp_cpu_array);
} wp_cpus_bycpu SEC(".maps");

static __always_inline void *wp_lookup_aom(void)
{
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	void *inner = bpf_map_lookup_elem(&wp_cpus_bycpu, &cpu);

	return inner ? bpf_map_lookup_elem(inner, &zero) : NULL;
}

#define bpf_map_lookup_elem(map, key) ((void)(map), (void)(key), wp_lookup_aom())
#include "wattprobe.bpf.c"
