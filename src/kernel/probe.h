/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Loads and attaches bpf/wattprobe.bpf.c and reads its state. */
#ifndef __PROBE_H
#define __PROBE_H

#include <linux/types.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include "kernel/accounting.h"

struct wattprobe_bpf;
struct ring_buffer;

enum probe_attach { PROBE_ATTACH_AUTO, PROBE_ATTACH_TP_BTF, PROBE_ATTACH_RAW_TP };

#define PROBE_MAX_FDS	32	/* maps, programs and links a loader child hands over */

struct probe_opts {
	enum probe_attach attach;
	bool want_exe;		/* executables from BPF (records at fork and exec, exe lookups) */
	bool verbose;
	/* load in a child process that hands the descriptors over, so that the kernel BTF
	 * libbpf reads for CO-RE never counts in this process's memory (its peak RSS).
	 * p->skel is then an object that was never loaded: its maps only are usable. */
	bool load_apart;
};

/*
 * Records taken from the ring buffer by probe__collect() and not yet handed to
 * acct: the drain thread empties the ring buffer without waiting for the
 * sampler, which holds acct for the whole of a sample (320 ms once, in a flood
 * on a loaded host: the 512 KiB ring buffer filled and records were lost).
 */
#define PROBE_QUEUE_MAX	(64 << 20)	/* past this, records are lost (and counted) */
#define PROBE_QUEUE_KEEP (64 << 10)	/* its size between floods; a larger one goes back */

struct probe_queue {
	char *buf;		/* records, each a __u32 size then the record, 8-aligned */
	size_t len, cap;
	__u64 lost;		/* records that found it full */
	bool collecting;	/* on_event appends here rather than handing to acct */
};

struct probe {
	struct wattprobe_bpf *skel;
	struct ring_buffer *rb;
	struct acct *acct;	/* where drained records go */
	pthread_mutex_t rb_lock;	/* rb and queue: the drain thread and the sampler */
	struct probe_queue queue;
	int nr_cpus;		/* possible CPUs: elements of the cpus map */
	struct wp_cpu *values;
	__u32 *keys;		/* for the batch lookup */
	bool no_batch;		/* the kernel has no batch lookup for arrays */
	struct bpf_link *exe_iter;	/* wp_exe_iter, with want_exe, loaded here */
	int exe_iter_fd;		/* its link; -1 without want_exe */
	bool own_snap_fd;		/* snap_fd came from a loader child */
	int link_fds[PROBE_MAX_FDS];	/* the links a loader child attached */
	int nr_link_fds;
	bool tp_btf;		/* attached through tp_btf (else raw_tp) */
	int snap_fd;		/* wp_snap, run on each CPU before a read */
	__u64 snap_failures;	/* CPUs wp_snap could not run on */
};

/* Check that we can load BPF at all: capabilities and kernel BTF.
 * 0, or -EPERM / -ENOENT with a message naming what is missing and the fix. */
int probe__check(char *err, size_t errlen);
int probe__open(struct probe *p, const struct probe_opts *o, struct acct *acct, char *err,
		size_t errlen);
/* The executables of the n processes (tgid[i], start_ns[i]) still there, read by BPF
 * (wp_exe_iter): each found goes to acct as an exe record. 0 or -errno. */
int probe__exe_lookup(struct probe *p, const __u32 *tgid, const __u64 *start_ns, int n);
/* Run wp_snap on every online CPU (online: NULL for all), drain the ring
 * buffer, take one snapshot of every CPU's state into acct. Returns the
 * CLOCK_MONOTONIC time of the snapshot, or 0 on error (errno set). */
__u64 probe__snapshot(struct probe *p, const bool *online);
/* Hand every record waiting in the queue, then in the ring buffer, to acct.
 * Records taken so far, or -errno. The caller owns acct (the sampler's lock). */
int probe__drain(struct probe *p);
/* Take every record waiting in the ring buffer into the queue, without touching
 * acct (any thread, any time). Records taken, or -errno. */
int probe__collect(struct probe *p);
/* Hand the queue to acct (the caller owns acct). Records handed. */
int probe__apply(struct probe *p);
/* A descriptor that polls readable when the BPF side asks for a drain. */
int probe__drain_fd(const struct probe *p);
/* probe__snapshot(), then probe__drain(). */
__u64 probe__read(struct probe *p, const bool *online);
void probe__close(struct probe *p);

#endif /* __PROBE_H */
