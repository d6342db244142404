/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * User side of the task-iterator cost prototype (bench/bpf/taskiter.bpf.c):
 * each sample reads the iterator once and adds each task's growth to its
 * process, keyed by (tgid, leader start time), as the agent keys them.
 */
#ifndef __TASKITER_H
#define __TASKITER_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

struct ti_rec {
	uint32_t tgid;
	uint32_t pid;
	uint64_t start_ns;
	uint64_t delta;
};

struct ti_proc {
	uint32_t tgid;		/* 0: free */
	uint64_t start_ns;
	uint64_t iv_ns;		/* this interval */
	uint64_t seq;		/* interval iv_ns belongs to */
};

struct taskiter {
	struct bpf_object *obj;
	struct bpf_link *link;
	struct ti_proc *tab;
	uint32_t cap;		/* power of two */
	uint64_t seq;
	uint32_t nr_active;	/* processes with time this interval */
	char *buf;
	size_t bufsz;
};

static inline int taskiter__open(struct taskiter *ti, const char *path, uint32_t max_procs)
{
	struct bpf_program *prog;
	int err;

	memset(ti, 0, sizeof(*ti));
	for (ti->cap = 1024; ti->cap < 2 * max_procs; ti->cap <<= 1)
		;
	ti->tab = calloc(ti->cap, sizeof(*ti->tab));
	ti->bufsz = 1 << 20;
	ti->buf = malloc(ti->bufsz);
	if (!ti->tab || !ti->buf)
		return -ENOMEM;
	ti->obj = bpf_object__open_file(path, NULL);
	if (!ti->obj)
		return -errno;
	err = bpf_object__load(ti->obj);
	if (err)
		return err;
	prog = bpf_object__find_program_by_name(ti->obj, "wp_task_iter");
	if (!prog)
		return -ENOENT;
	ti->link = bpf_program__attach_iter(prog, NULL);
	return ti->link ? 0 : -errno;
}

static inline void taskiter__close(struct taskiter *ti)
{
	bpf_link__destroy(ti->link);
	bpf_object__close(ti->obj);
	free(ti->tab);
	free(ti->buf);
	memset(ti, 0, sizeof(*ti));
}

static inline struct ti_proc *taskiter__get(struct taskiter *ti, uint32_t tgid, uint64_t start)
{
	uint64_t h = tgid * 0x9e3779b97f4a7c15ULL ^ start * 0xc2b2ae3d27d4eb4fULL;

	for (uint32_t i = (uint32_t)(h ^ h >> 31) & (ti->cap - 1);; i = (i + 1) & (ti->cap - 1)) {
		struct ti_proc *p = &ti->tab[i];

		if (p->tgid == tgid && p->start_ns == start)
			return p;
		if (!p->tgid) {
			p->tgid = tgid;
			p->start_ns = start;
			return p;
		}
	}
}

/* One walk: every task whose sum moved, added to its process. Records read, or -errno. */
static inline int taskiter__sample(struct taskiter *ti)
{
	int fd = bpf_iter_create(bpf_link__fd(ti->link)), n = 0;
	size_t len = 0;
	ssize_t got;

	if (fd < 0)
		return -errno;
	ti->seq++;
	ti->nr_active = 0;
	for (;;) {
		got = read(fd, ti->buf + len, ti->bufsz - len);
		if (got <= 0)
			break;
		len += got;
		/* consume whole records, keep the tail */
		{
			size_t whole = len / sizeof(struct ti_rec) * sizeof(struct ti_rec);

			for (size_t off = 0; off < whole; off += sizeof(struct ti_rec)) {
				struct ti_rec r;
				struct ti_proc *p;

				memcpy(&r, ti->buf + off, sizeof(r));
				p = taskiter__get(ti, r.tgid, r.start_ns);
				if (p->seq != ti->seq) {
					p->seq = ti->seq;
					p->iv_ns = 0;
					ti->nr_active++;
				}
				p->iv_ns += r.delta;
				n++;
			}
			memmove(ti->buf, ti->buf + whole, len - whole);
			len -= whole;
		}
	}
	close(fd);
	return got < 0 ? -errno : n;
}

#endif /* __TASKITER_H */
