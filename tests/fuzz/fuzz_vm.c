// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer: what names a guest and what a guest reads back, on any bytes: a hypervisor's
 * command line (name, vCPUs), libvirt's cgroup names, a guest's name made into a file name
 * (never a separator, a NUL, a leading dot, or more than FSNAME_MAX bytes), and the marker
 * of an exported tree (what parses formats and parses back the same).
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "energy/vmmarker.h"
#include "lib/fsname.h"
#include "meta/container.h"
#include "procs/hypervisor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const comms[] = { "qemu-system-x86", "firecracker", "cloud-hyperviso" };
	char name[VM_NAME_MAX], file[FSNAME_MAX + 1], text[VMMARKER_MAX];
	struct vmmarker m, back;
	struct cg_info info;
	unsigned vcpus;
	char *s;
	int n;

	for (size_t i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		assert(!hypervisor__parse(hypervisor__of_comm(comms[i]), (const char *)data, size, name,
					  sizeof(name), &vcpus));
		assert(strlen(name) < sizeof(name));
		assert(vcpus <= 1u << 20);
	}
	n = fsname_escape((const char *)data, size, file, sizeof(file));
	if (n >= 0) {
		assert(n > 0 && n <= FSNAME_MAX && (size_t)n == strlen(file));
		assert(!strchr(file, '/') && file[0] != '.');
	} else {
		assert(size == 0);
	}
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (!cgpath_classify(s, &info))
		assert(strlen(info.vm) < sizeof(info.vm));
	free(s);
	if (!vmmarker__parse((const char *)data, size, &m) && !strchr(m.guest, '\n') &&
	    !strchr(m.source, '\n') && !strchr(m.sensor, '\n')) {
		n = vmmarker__format(&m, text, sizeof(text));
		if (n > 0) {
			assert(!vmmarker__parse(text, n, &back));
			assert(back.gaps == m.gaps && back.seq == m.seq &&
			       back.nr_counters == m.nr_counters);
		}
	}
	return 0;
}
