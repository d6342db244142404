/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Dropping privileges once start-up is done. */
#ifndef __PRIVS_H
#define __PRIVS_H

#include <stdbool.h>
#include <stddef.h>

/* 0 if the user exists, -ENOENT if not. */
int privs__check_user(const char *name);
/*
 * Drop every capability (effective, permitted, inheritable, ambient and, when
 * we may, the bounding set), set no_new_privs, and with user != NULL switch
 * to that user and its group first. The BPF maps, the ring buffer and the
 * energy files stay usable through the descriptors already open.
 *
 * keep_bpf keeps CAP_BPF alone: before Linux 6.5, with
 * kernel.unprivileged_bpf_disabled set, every bpf() call needs it, even on a
 * map we already hold. Where CAP_BPF was not given but CAP_SYS_ADMIN was (Docker
 * before 23 knows no CAP_BPF, or a kernel before 5.8), CAP_SYS_ADMIN is what
 * bpf() accepts, and it is kept instead.
 *
 * The bounding set shrinks only with CAP_SETPCAP. Without it, it stays what it was
 * at start (a container: the capabilities it was given); with every other set empty
 * and no_new_privs, no program run from the agent can gain any of them.
 */
int privs__drop(const char *user, bool keep_bpf, char *err, size_t errlen);
/* Whether this kernel needs CAP_BPF for bpf() calls on descriptors we hold. */
bool privs__kernel_needs_bpf_cap(void);

#endif /* __PRIVS_H */
