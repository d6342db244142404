/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the idle baselines have learnt, kept across restarts (--state-file):
 * the points of every fit, in a small text file written now and then and at
 * exit, read at start-up. A point's weight keeps ageing while the agent is
 * down (it halves every BASELINE_HALF_LIFE_S of the time since the file was
 * written), so a state from last month weighs nothing and one from a
 * minute ago almost all it did.
 *
 *     wattprobe-baselines 1
 *     written 1764453600
 *     fit 0 package 2
 *     0.250000 17.500000 0.998845
 *     0.750000 32.500000 1.000000
 *
 * "fit OWNER DOMAIN N" (OWNER a physical package id, "host" for psys and the
 * platform's remainder, or a GPU's "gpu-" and 16 hex digits made from its UUID;
 * DOMAIN an energy domain's name, "gpu" or "rest"), then N lines
 * "utilisation watts weight" (N <= BASELINE_WINDOW; in any order: the points'
 * weights say their age). Every token is at most 31 bytes, which every reader
 * of version 1 takes; a reader skips the blocks of owners it does not have. The points are what every fit
 * is made from, the line of wattprobe 0.2 and the curves since, so files of
 * either load in both. A file of another version ("wattprobe-baselines 2")
 * is refused with a message saying so, and written over at the next save.
 *
 * Blocks of owners a run does not have (the sockets' fits in a run whose CPU
 * energy is a model, a GPU taken out) are kept, ageing as the others do, and
 * written back: one file serves runs with other sensors without losing what
 * each learnt.
 */
#ifndef __BASELINE_STATE_H
#define __BASELINE_STATE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "energy/baseline.h"
#include "energy/sensor.h"

#define BASELINE_STATE_SAVE_S	60	/* at most this long between writes */

/* The longest OWNER or DOMAIN of the file, with its NUL. */
#define BASELINE_STATE_TOKEN	32

/* One fit and what it belongs to. */
struct baseline_slot {
	int socket;			/* physical package id; -1 for the host (psys) */
	enum energy_domain domain;
	struct baseline *fit;
	const char *owner;		/* or, when set, in place of socket: "host", "gpu-..." */
	const char *kind;		/* and in place of domain: "gpu", "rest" */
};

/*
 * The file's blocks that belong to no slot of this run, read by
 * baseline_state__read() and written back after the run's own slots. Its weights
 * are as of aged_s (the points keep ageing while they wait); at most
 * BASELINE_KEPT_MAX blocks (more are left out). Zero-initialised is empty.
 */
#define BASELINE_KEPT_MAX	64

struct baseline_kept {
	struct baseline_kept_fit *fits;
	int n, room;
	__u64 aged_s;
};

void baseline_kept__free(struct baseline_kept *k);

/*
 * A GPU's OWNER in the file, from its UUID (nvmlDeviceGetUUID: "GPU-" and 32 hex
 * digits, longer than a token): "gpu-" and the 16 hex digits of its 64-bit FNV-1a
 * hash, so the same GPU has the same OWNER at every start whatever its index.
 * false for a GPU without a UUID (its fit is then not kept) or too small a size.
 */
bool baseline_state_gpu_owner(const char *uuid, char *owner, size_t size);

/*
 * Write every slot with points to f, then the kept blocks (if kept; aged to now_s)
 * of owners no slot has. 0 or -errno.
 */
int baseline_state__write(FILE *f, __u64 now_s, const struct baseline_slot *slots, int n,
			  struct baseline_kept *kept);
/*
 * Fill the slots' fits from text (each fit is emptied first when its block is
 * there); blocks of sockets or domains not in slots go to kept (emptied first),
 * or are skipped when kept is NULL. Returns the number of fits restored,
 * -EPROTONOSUPPORT for a baselines file of another version, or -EINVAL for a text
 * that is not such a file (*bad_line gets its line number; the fits may then hold
 * part of it: reset them and kept).
 */
int baseline_state__read(const char *text, __u64 now_s, const struct baseline_slot *slots,
			 int n, struct baseline_kept *kept, int *bad_line);

/*
 * The folder of path may hold the state file: it is one, and not writable by
 * every user (who could put a file or a link in the file's place). 0, or
 * -errno with the reason and the remedy in err (-EPERM for such a folder).
 */
int baseline_state_dir_check(const char *path, char *err, size_t errlen);
/*
 * The file itself: -ENOENT when there is none yet; err gets a reason
 * otherwise (a folder baseline_state_dir_check() refuses, a file that is not
 * regular, such as a FIFO, which is never waited on, or a broken one).
 */
int baseline_state__load(const char *path, const struct baseline_slot *slots, int n,
			 struct baseline_kept *kept, char *err, size_t errlen);
/*
 * Written to a new file of a name of its own (mkstemp() in the same folder:
 * never a file or link that was there), then renamed over PATH; a folder
 * baseline_state_dir_check() refuses is not written to.
 */
int baseline_state__save(const char *path, const struct baseline_slot *slots, int n,
			 struct baseline_kept *kept, char *err, size_t errlen);

#endif /* __BASELINE_STATE_H */
