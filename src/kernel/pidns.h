/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Is the agent in the host's (initial) PID namespace? The BPF program reports the
 * kernel's PIDs, which are the initial namespace's. In a container started without
 * the host's PID namespace (docker run without --pid host, a pod without hostPID),
 * /proc/PID is another process or none: the agent must then read nothing of a process
 * from /proc and take names from BPF only.
 */
#ifndef __PIDNS_H
#define __PIDNS_H

#include <stdbool.h>

/* The inode of the initial PID namespace: PROC_PID_INIT_INO, fixed since Linux 3.8. */
#define PIDNS_INIT_INO 0xEFFFFFFCULL

/* 1: in the initial PID namespace; 0: in another; -errno: cannot tell. */
int pidns__is_initial(const char *proc_root);

/* Pure: the inode in the target of a /proc/PID/ns/pid link, "pid:[4026531836]". 0 or -EINVAL. */
int pidns_parse_link(const char *target, unsigned long long *ino);

#endif /* __PIDNS_H */
