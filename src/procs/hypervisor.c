// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The table of hypervisors and their command lines; see procs/hypervisor.h.
 *
 * QEMU (and Proxmox's kvm): -name takes a list of options whose first, unnamed, is the
 * guest's name: "-name web", "-name guest=web,debug-threads=on" (libvirt's form); a comma
 * in a value is doubled (",,"). -smp gives the vCPUs: "-smp 4", "-smp 4,sockets=1,...",
 * "-smp cpus=4", or only the topology, whose product it is; without -smp QEMU starts one.
 * Firecracker: --id names the microVM (its vCPUs are in a configuration file or sent over
 * its API: unknown here). Cloud Hypervisor has no name option (libvirt's cgroup names its
 * guests); --cpus boot=N gives the vCPUs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procs/hypervisor.h"

/* The next element of a comma list at *p, with ",," as a comma, into buf (cut to cap - 1
 * bytes); false when there is none left. */
static bool next_elem(const char **p, char *buf, size_t cap)
{
	const char *s = *p;
	size_t n = 0;

	if (!s)
		return false;
	for (; *s; s++) {
		if (*s == ',' && s[1] == ',') {
			s++;
		} else if (*s == ',') {
			break;
		}
		if (n + 1 < cap)
			buf[n++] = *s;
	}
	buf[n] = '\0';
	*p = *s ? s + 1 : NULL;
	return true;
}

/* A positive count, digits only, at most 1 << 20; 0 otherwise. */
static unsigned count_of(const char *s)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return 0;
	v = strtoul(s, &end, 10);
	return *end || v > 1u << 20 ? 0 : (unsigned)v;
}

unsigned qemu_smp_vcpus(const char *value)
{
	static const char *const topo[] = { "drawers", "books", "sockets", "dies", "clusters",
					    "cores", "threads" };
	unsigned cpus = 0, maxcpus = 0, product = 1;
	bool first = true, any_topo = false;
	const char *p = value;
	char e[64];

	while (next_elem(&p, e, sizeof(e))) {
		char *eq = strchr(e, '=');
		unsigned v;

		if (!eq && first) {
			cpus = count_of(e);
			if (!cpus)
				return 0;
			first = false;
			continue;
		}
		first = false;
		if (!eq)
			return 0;
		*eq = '\0';
		v = count_of(eq + 1);
		if (!strcmp(e, "cpus")) {
			cpus = v;
		} else if (!strcmp(e, "maxcpus")) {
			maxcpus = v;
		} else {
			for (size_t i = 0; i < sizeof(topo) / sizeof(topo[0]); i++) {
				if (strcmp(e, topo[i]))
					continue;
				if (!v || product > (1u << 20) / v)
					return 0;
				product *= v;
				any_topo = true;
			}
			continue;
		}
		if (!v)
			return 0;
	}
	if (cpus)
		return cpus;
	if (any_topo)
		return product;
	return maxcpus ? maxcpus : 1;
}

/* Cloud Hypervisor's --cpus "boot=4,max=8"; 0 if it gives no boot count. */
static unsigned ch_cpus_vcpus(const char *value)
{
	const char *p = value;
	char e[64];

	while (next_elem(&p, e, sizeof(e)))
		if (!strncmp(e, "boot=", 5))
			return count_of(e + 5);
	return 0;
}

/* QEMU's -name: the first element if it names no option, else the value of guest=. */
static void qemu_guest(const char *value, char *name, size_t cap)
{
	const char *p = value;
	bool first = true;
	char e[VM_NAME_MAX];

	while (next_elem(&p, e, sizeof(e))) {
		if (first && !strchr(e, '=')) {
			snprintf(name, cap, "%s", e);
			return;
		}
		first = false;
		if (!strncmp(e, "guest=", 6)) {
			snprintf(name, cap, "%s", e + 6);
			return;
		}
	}
}

static const char *const qemu_comms[] = { "qemu-system-*", "qemu-kvm", "kvm", NULL };
static const char *const qemu_names[] = { "-name", "--name", NULL };
static const char *const fc_comms[] = { "firecracker", NULL };
static const char *const fc_names[] = { "--id", NULL };
/* "cloud-hypervisor" is 16 bytes: its comm is cut to 15 */
static const char *const ch_comms[] = { "cloud-hyperviso*", NULL };
static const char *const no_names[] = { NULL };

static const struct hypervisor hypervisors[] = {
	{ "qemu", qemu_comms, qemu_names, "-smp", qemu_smp_vcpus, 1 },
	{ "firecracker", fc_comms, fc_names, NULL, NULL, 0 },
	{ "cloud-hypervisor", ch_comms, no_names, "--cpus", ch_cpus_vcpus, 1 },
};

const struct hypervisor *hypervisor__of_comm(const char *comm)
{
	if (!comm)
		return NULL;
	for (size_t i = 0; i < sizeof(hypervisors) / sizeof(hypervisors[0]); i++) {
		for (const char *const *c = hypervisors[i].comms; *c; c++) {
			size_t n = strlen(*c);

			if ((*c)[n - 1] == '*' ? !strncmp(comm, *c, n - 1) : !strcmp(comm, *c))
				return &hypervisors[i];
		}
	}
	return NULL;
}

/* The value of option opt at argument a ("opt VALUE", the next argument, or "opt=VALUE"),
 * or NULL; *took_next says whether it was the next argument. */
static const char *option_value(const char *a, const char *opt, const char *next,
				bool *took_next)
{
	size_t n = strlen(opt);

	*took_next = false;
	if (strncmp(a, opt, n))
		return NULL;
	if (a[n] == '=')
		return a + n + 1;
	if (a[n] || !next)
		return NULL;
	*took_next = true;
	return next;
}

int hypervisor__parse(const struct hypervisor *h, const char *argv, size_t len, char *name,
		      size_t cap, unsigned *vcpus)
{
	size_t argc = 0, i;
	const char **args;
	char *buf;

	if (!h || !name || !cap || !vcpus)
		return -EINVAL;
	name[0] = '\0';
	*vcpus = h->default_vcpus;
	buf = malloc(len + 1);
	args = calloc(len + 1, sizeof(*args));	/* at most one argument per byte */
	if (!buf || !args) {
		free(buf);
		free(args);
		return -ENOMEM;
	}
	memcpy(buf, argv, len);
	buf[len] = '\0';
	for (i = 0; i < len; i += strlen(buf + i) + 1)
		args[argc++] = buf + i;
	/* the first is the program; an option's value is not read as an option */
	for (i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? args[i + 1] : NULL, *v;
		bool took = false;

		for (const char *const *o = h->name_opts; *o && !took; o++) {
			v = option_value(args[i], *o, next, &took);
			if (v && h->name_opts == qemu_names)
				qemu_guest(v, name, cap);
			else if (v)
				snprintf(name, cap, "%s", v);
		}
		if (!took && h->vcpu_opt && (v = option_value(args[i], h->vcpu_opt, next, &took)))
			*vcpus = h->vcpus_of(v);
		i += took;
	}
	free(buf);
	free(args);
	return 0;
}

const char *vm_source_name(enum vm_source s)
{
	switch (s) {
	case VM_SOURCE_CGROUP:
		return "cgroup";
	case VM_SOURCE_CMDLINE:
		return "cmdline";
	case VM_SOURCE_PID:
		return "pid";
	default:
		return "";
	}
}
