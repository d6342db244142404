// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Command line and executable per process, read from /proc once and cached: a pool of
 * max_entries entries with a chained hash on (pid, start_ns) and an LRU list through it.
 * When the pool is full the least recently used entry makes room.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "procs/procinfo.h"

#define PI_NONE UINT_MAX

struct pi_ent {
	unsigned pid;
	unsigned hnext;		/* hash chain, or free list */
	unsigned long long start_ns;
	char *cmdline;		/* NULL: unknown; the raw arguments follow its NUL, unless
				 * argv_spaced */
	char *exe;		/* NULL: unknown, or not asked for yet */
	unsigned argv_len;	/* bytes of the raw arguments */
	unsigned prev, next;	/* LRU list, most recent first */
	bool exe_read;		/* asked for: read at the first ask (most callers never ask:
				 * BPF gives the executable; 48 bytes a process not kept) */
	bool argv_spaced;	/* no argument holds a space: the raw arguments are the line
				 * with its spaces as NULs, not kept twice */
};

struct procinfo {
	char *proc_root;
	struct pi_ent *ents;
	size_t cap, nr;
	unsigned *buckets;
	size_t nbuckets;	/* grows with nr: memory follows what is cached */
	unsigned free_head;
	size_t top;		/* entries ever handed out: those above are untouched */
	unsigned lru_head, lru_tail;
	char *argv;		/* procinfo__argv() of a line kept once (PROCINFO_CMDLINE_MAX) */
};

int cmdline_from_raw(const char *raw, size_t n, char *out, size_t outlen)
{
	size_t i;

	if (!out || !outlen)
		return -EINVAL;
	while (n && raw[n - 1] == '\0')
		n--;
	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = raw[i] ? raw[i] : ' ';
	out[n] = '\0';
	return (int)n;
}

/* --- reading /proc --------------------------------------------------------------- */

int stat_starttime(const char *buf, size_t n, unsigned long long *ticks)
{
	const char *p = NULL, *end = buf + n;
	int field = 2;		/* the comm, ending at the last ')' */
	char *e;

	for (size_t i = n; i > 0; i--) {
		if (buf[i - 1] == ')') {
			p = buf + i;
			break;
		}
	}
	if (!p)
		return -EINVAL;
	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		if (++field == 22) {
			errno = 0;
			*ticks = strtoull(p, &e, 10);
			if (errno || e == p || (e < end && *e != ' ' && *e != '\n'))
				return -EINVAL;
			return 0;
		}
		while (p < end && *p != ' ')
			p++;
	}
	return -EINVAL;
}

/* clock ticks (USER_HZ) of /proc/PID/stat's starttime for a start time in ns */
static unsigned long long ticks_of(unsigned long long start_ns)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	return start_ns / (1000000000ULL / (unsigned long long)hz);
}

/*
 * A descriptor of /proc/PID that is the process started at start_ns, or -1: the PID
 * is gone or now belongs to another process. Files opened through it refer to that
 * process only: if it exits and the PID is reused meanwhile, they fail, so what is read
 * through it belongs to the process we checked.
 */
static int open_pid_dir(const char *proc_root, unsigned pid, unsigned long long start_ns)
{
	char path[PATH_MAX], buf[1024];
	unsigned long long ticks;
	ssize_t n;
	int dfd, fd;

	snprintf(path, sizeof(path), "%s/%u", proc_root, pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	fd = openat(dfd, "stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto gone;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || stat_starttime(buf, n, &ticks) || ticks != ticks_of(start_ns))
		goto gone;
	return dfd;
gone:
	close(dfd);
	return -1;
}

/*
 * NULL when the file cannot be read (process gone, EACCES); "" when it is empty. The line,
 * its NUL, then the same bytes as the kernel gave them (NULs between the arguments, the
 * trailing ones dropped): *argv_len of them; or, when no argument holds a space (*spaced),
 * the line alone: those bytes are the line's, its spaces NULs (a process's arguments once,
 * not twice: the cache of 10,000 processes that arrive, issue 23).
 */
static char *read_cmdline(int dfd, unsigned *argv_len, bool *spaced)
{
	char raw[PROCINFO_CMDLINE_MAX], out[PROCINFO_CMDLINE_MAX], *line;
	size_t len = 0;
	ssize_t n;
	int fd, m;

	fd = openat(dfd, "cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	while (len < sizeof(raw)) {
		n = read(fd, raw + len, sizeof(raw) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	/* a read error after some bytes keeps those; ESRCH (exited meanwhile) reads as "" */
	m = cmdline_from_raw(raw, len, out, sizeof(out));
	*spaced = !memchr(raw, ' ', m);
	line = malloc(*spaced ? (size_t)m + 1 : 2 * (size_t)m + 1);
	if (!line)
		return NULL;
	memcpy(line, out, m + 1);
	if (!*spaced)
		memcpy(line + m + 1, raw, m);
	*argv_len = m;
	return line;
}

static char *read_exe(int dfd)
{
	char target[PATH_MAX];
	ssize_t n;

	n = readlinkat(dfd, "exe", target, sizeof(target));
	if (n < 0 || n >= (ssize_t)sizeof(target))
		return NULL;
	target[n] = '\0';
	return strdup(target);
}

/* --- the cache ------------------------------------------------------------------- */

static size_t bucket_of(const struct procinfo *p, unsigned pid, unsigned long long start_ns)
{
	unsigned long long h = (pid * 0x9e3779b97f4a7c15ULL) ^ (start_ns * 0xc2b2ae3d27d4eb4fULL);

	return (size_t)(h ^ (h >> 29)) & (p->nbuckets - 1);
}

static void lru_unlink(struct procinfo *p, unsigned i)
{
	struct pi_ent *e = &p->ents[i];

	if (e->prev != PI_NONE)
		p->ents[e->prev].next = e->next;
	else
		p->lru_head = e->next;
	if (e->next != PI_NONE)
		p->ents[e->next].prev = e->prev;
	else
		p->lru_tail = e->prev;
}

static void lru_push_head(struct procinfo *p, unsigned i)
{
	struct pi_ent *e = &p->ents[i];

	e->prev = PI_NONE;
	e->next = p->lru_head;
	if (p->lru_head != PI_NONE)
		p->ents[p->lru_head].prev = i;
	else
		p->lru_tail = i;
	p->lru_head = i;
}

static unsigned find(const struct procinfo *p, unsigned pid, unsigned long long start_ns)
{
	unsigned i = p->buckets[bucket_of(p, pid, start_ns)];

	for (; i != PI_NONE; i = p->ents[i].hnext)
		if (p->ents[i].pid == pid && p->ents[i].start_ns == start_ns)
			return i;
	return PI_NONE;
}

/* Unlink entry i from the hash and the LRU list, free its strings, put it on the free list. */
static void drop(struct procinfo *p, unsigned i)
{
	struct pi_ent *e = &p->ents[i];
	unsigned *pp = &p->buckets[bucket_of(p, e->pid, e->start_ns)];

	while (*pp != i)
		pp = &p->ents[*pp].hnext;
	*pp = e->hnext;
	lru_unlink(p, i);
	free(e->cmdline);
	free(e->exe);
	memset(e, 0, sizeof(*e));
	e->hnext = p->free_head;
	p->free_head = i;
	p->nr--;
}

/* Entry i into its hash chain. */
static void hash_in(struct procinfo *p, unsigned i)
{
	size_t k = bucket_of(p, p->ents[i].pid, p->ents[i].start_ns);

	p->ents[i].hnext = p->buckets[k];
	p->buckets[k] = i;
}

/* The n buckets b (a power of 2) in place of the old ones, every cached entry hashed again. */
static void set_buckets(struct procinfo *p, unsigned *b, size_t n)
{
	memset(b, 0xff, n * sizeof(*b));
	free(p->buckets);
	p->buckets = b;
	p->nbuckets = n;
	for (unsigned i = p->lru_head; i != PI_NONE; i = p->ents[i].next)
		hash_in(p, i);
}

/* Twice the buckets (a failed allocation keeps the old). */
static void grow_buckets(struct procinfo *p)
{
	size_t n = 2 * p->nbuckets;
	unsigned *b = malloc(n * sizeof(*b));

	if (b)
		set_buckets(p, b, n);
}

/* The entry of (pid, start_ns), most recently used now; read from /proc when new. */
static struct pi_ent *lookup(struct procinfo *p, unsigned pid, unsigned long long start_ns)
{
	struct pi_ent *e;
	unsigned i;
	int dfd;

	if (!p)
		return NULL;
	i = find(p, pid, start_ns);
	if (i != PI_NONE) {
		lru_unlink(p, i);
		lru_push_head(p, i);
		return &p->ents[i];
	}
	if (p->free_head == PI_NONE && p->top == p->cap)
		drop(p, p->lru_tail);
	if (p->free_head != PI_NONE) {
		i = p->free_head;
		p->free_head = p->ents[i].hnext;
	} else {
		i = p->top++;
	}
	if (p->nr + 1 > p->nbuckets)
		grow_buckets(p);
	e = &p->ents[i];

	e->pid = pid;
	e->start_ns = start_ns;
	dfd = open_pid_dir(p->proc_root, pid, start_ns);
	if (dfd >= 0) {
		e->cmdline = read_cmdline(dfd, &e->argv_len, &e->argv_spaced);
		close(dfd);
	} else {
		e->exe_read = true;	/* not that process: nothing of it, then or later */
	}
	hash_in(p, i);
	lru_push_head(p, i);
	p->nr++;
	return e;
}

struct procinfo *procinfo__new(const char *proc_root, size_t max_entries)
{
	struct procinfo *p;

	if (!max_entries || max_entries >= UINT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cap = max_entries;
	p->nbuckets = 64;
	p->proc_root = strdup(proc_root ? proc_root : "/proc");
	p->ents = calloc(max_entries, sizeof(*p->ents));
	p->buckets = malloc(p->nbuckets * sizeof(*p->buckets));
	if (!p->proc_root || !p->ents || !p->buckets) {
		procinfo__free(p);
		errno = ENOMEM;
		return NULL;
	}
	memset(p->buckets, 0xff, p->nbuckets * sizeof(*p->buckets));
	/* entries are handed out from the top, then from the free list: the pool's pages
	 * are touched only as processes are cached */
	p->free_head = PI_NONE;
	p->lru_head = p->lru_tail = PI_NONE;
	return p;
}

const char *procinfo__cmdline(struct procinfo *p, unsigned pid, unsigned long long start_ns)
{
	struct pi_ent *e = lookup(p, pid, start_ns);

	return e ? e->cmdline : NULL;
}

const char *procinfo__argv(struct procinfo *p, unsigned pid, unsigned long long start_ns,
			  size_t *len)
{
	struct pi_ent *e = lookup(p, pid, start_ns);

	if (!e || !e->cmdline)
		return NULL;
	*len = e->argv_len;
	if (!e->argv_spaced)
		return e->cmdline + strlen(e->cmdline) + 1;
	/* the line is the arguments with NULs as spaces (cmdline_from_raw()) */
	if (!p->argv && !(p->argv = malloc(PROCINFO_CMDLINE_MAX)))
		return NULL;
	for (unsigned i = 0; i < e->argv_len; i++)
		p->argv[i] = e->cmdline[i] == ' ' ? '\0' : e->cmdline[i];
	return p->argv;
}

const char *procinfo__exe(struct procinfo *p, unsigned pid, unsigned long long start_ns)
{
	struct pi_ent *e = lookup(p, pid, start_ns);
	int dfd;

	if (!e)
		return NULL;
	if (!e->exe_read) {
		e->exe_read = true;
		dfd = open_pid_dir(p->proc_root, pid, start_ns);
		if (dfd >= 0) {
			e->exe = read_exe(dfd);
			close(dfd);
		}
	}
	return e->exe;
}

/*
 * The cached entries to a new pool, most recently used first, and the old pool's pages
 * back to the kernel (a flood of processes that has gone had touched them): the strings
 * do not move, so what callers hold stays valid. The buckets follow what is cached.
 */
static void compact(struct procinfo *p)
{
	struct pi_ent *ents = calloc(p->cap, sizeof(*ents));
	size_t nb = 64;
	unsigned *b, n = 0;

	while (nb < p->nr)
		nb *= 2;
	b = malloc(nb * sizeof(*b));
	if (!ents || !b) {
		free(ents);
		free(b);
		return;
	}
	for (unsigned i = p->lru_head; i != PI_NONE; i = p->ents[i].next, n++) {
		ents[n] = p->ents[i];
		ents[n].prev = n ? n - 1 : PI_NONE;
		ents[n].next = n + 1;
	}
	if (n)
		ents[n - 1].next = PI_NONE;
	free(p->ents);
	p->ents = ents;
	p->top = n;
	p->free_head = PI_NONE;
	p->lru_head = n ? 0 : PI_NONE;
	p->lru_tail = n ? n - 1 : PI_NONE;
	set_buckets(p, b, nb);
}

void procinfo__forget(struct procinfo *p, unsigned pid, unsigned long long start_ns)
{
	unsigned i;

	if (!p)
		return;
	i = find(p, pid, start_ns);
	if (i == PI_NONE)
		return;
	drop(p, i);
	if (p->top > PROCINFO_COMPACT_MIN && 4 * p->nr < p->top)
		compact(p);
}

int procinfo__comm(struct procinfo *p, unsigned pid, unsigned long long start_ns, char *buf,
		   size_t len)
{
	ssize_t n;
	int dfd, fd;

	if (!p || !len)
		return -EINVAL;
	dfd = open_pid_dir(p->proc_root, pid, start_ns);
	if (dfd < 0)
		return -ESRCH;
	fd = openat(dfd, "comm", O_RDONLY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int procinfo__alive(struct procinfo *p, unsigned pid, unsigned long long start_ns)
{
	int dfd;

	if (!p)
		return -EINVAL;
	dfd = open_pid_dir(p->proc_root, pid, start_ns);
	if (dfd < 0)
		return 0;
	close(dfd);
	return 1;
}

size_t procinfo__size(struct procinfo *p)
{
	return p ? p->nr : 0;
}

size_t procinfo__top(struct procinfo *p)
{
	return p ? p->top : 0;
}

void procinfo__free(struct procinfo *p)
{
	if (!p)
		return;
	if (p->ents) {
		for (size_t i = 0; i < p->top; i++) {
			free(p->ents[i].cmdline);
			free(p->ents[i].exe);
		}
	}
	free(p->ents);
	free(p->buckets);
	free(p->argv);
	free(p->proc_root);
	free(p);
}
