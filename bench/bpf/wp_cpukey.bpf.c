// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The agent's handler compiled from bpf/wattprobe.bpf.c itself, with one
 * change: its `cpus` state is looked up by CPU number instead of key 0, so
 * that bench/hotpath.c can turn that map into a plain ARRAY or a HASH without
 * preallocation (bpf_map__set_type before load) and measure where the state
 * should live. Nothing else of the handler differs.
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>

static __always_inline void *wp_lookup_by_cpu(void *map)
{
	__u32 cpu = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(map, &cpu);
}

#define bpf_map_lookup_elem(map, key) ((void)(key), wp_lookup_by_cpu(map))
#include "wattprobe.bpf.c"
