/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hypervisor processes and the guests they run: which process names are
 * hypervisors (QEMU, Firecracker, Cloud Hypervisor), and what their command
 * lines say of the guest: its name and its vCPUs. A table: a new hypervisor is
 * one entry. Pure: no I/O (the command line comes from procs/procinfo.h).
 */
#ifndef __HYPERVISOR_H
#define __HYPERVISOR_H

#include <stddef.h>

#define VM_NAME_MAX 256		/* a guest's name, with the NUL */

/* How a guest was found, in the order they are tried. */
enum vm_source {
	VM_SOURCE_NONE,
	VM_SOURCE_CGROUP,	/* libvirt's cgroup of the guest (meta/container.h) */
	VM_SOURCE_CMDLINE,	/* the hypervisor's command line: -name, --id */
	VM_SOURCE_PID,		/* a hypervisor process whose guest has no name: its PID */
};

/* A guest as the processes that run it say. */
struct vm_id {
	char name[VM_NAME_MAX];	/* any bytes but NUL: escape it for a file name or a label */
	enum vm_source source;
	unsigned vcpus;		/* from the command line; 0: unknown */
};

struct hypervisor {
	const char *name;	/* "qemu", "firecracker", "cloud-hypervisor" */
	/* its process names (comm, at most 15 bytes): equal, or a prefix when ending in '*' */
	const char *const *comms;
	/* options that name the guest; a value may be "guest=NAME,..." (QEMU's -name) */
	const char *const *name_opts;
	/* the vCPUs of a value of vcpu_opt (QEMU's -smp, Cloud Hypervisor's --cpus); 0 unknown */
	const char *vcpu_opt;
	unsigned (*vcpus_of)(const char *value);
	unsigned default_vcpus;	/* without vcpu_opt: QEMU starts 1; 0 unknown */
};

/* The hypervisor whose process name this is, or NULL. */
const struct hypervisor *hypervisor__of_comm(const char *comm);

/*
 * What a hypervisor's command line says of its guest. argv: /proc/PID/cmdline's bytes,
 * arguments ended by NULs (the last may lack its NUL), len bytes. name gets the guest's name
 * ("" when the command line gives none), cut to cap - 1 bytes; *vcpus its vCPUs (0 unknown).
 * 0, or -EINVAL without h, name or vcpus.
 */
int hypervisor__parse(const struct hypervisor *h, const char *argv, size_t len, char *name,
		      size_t cap, unsigned *vcpus);

/* QEMU's -smp value: "4", "cpus=4,...", "sockets=2,cores=4" (their product); 0 if garbled. */
unsigned qemu_smp_vcpus(const char *value);

/* "cgroup", "cmdline", "pid"; "" for VM_SOURCE_NONE. */
const char *vm_source_name(enum vm_source s);

#endif /* __HYPERVISOR_H */
