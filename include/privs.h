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
 * map we already hold.
 */
int privs__drop(const char *user, bool keep_bpf, char *err, size_t errlen);
/* Whether this kernel needs CAP_BPF for bpf() calls on descriptors we hold. */
bool privs__kernel_needs_bpf_cap(void);

#endif /* __PRIVS_H */
