// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * RAPL energy through powercap sysfs. The pure part (parsers, wrap
 * arithmetic) comes first and does no I/O; the sysfs part follows.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "rapl.h"

#define ZONE_PREFIX	"intel-rapl:"

static const char *const domain_names[RAPL_NR_DOMAINS] = {
	[RAPL_PACKAGE] = "package",
	[RAPL_CORE] = "core",
	[RAPL_UNCORE] = "uncore",
	[RAPL_DRAM] = "dram",
	[RAPL_PSYS] = "psys",
};

/* --- pure helpers ---------------------------------------------------------- */

const char *rapl_domain_name(enum rapl_domain d)
{
	if ((unsigned int)d >= RAPL_NR_DOMAINS)
		return "unknown";
	return domain_names[d];
}

int rapl_parse_u64(const char *buf, size_t len, __u64 *out)
{
	__u64 v = 0;
	size_t i;

	for (i = 0; i < len && buf[i] != '\n'; i++) {
		unsigned int d = (unsigned char)buf[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!i)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Parse a non-negative int of digits only; NULL if none or above INT_MAX. */
static const char *parse_int(const char *p, int *out)
{
	int v = 0;

	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		int d = *p - '0';

		if (v > (INT_MAX - d) / 10)
			return NULL;
		v = v * 10 + d;
	}
	*out = v;
	return p;
}

int rapl_parse_zone_name(const char *name, enum rapl_domain *dom, int *socket)
{
	const char *p;
	int pkg, die;

	if (!strncmp(name, "package-", 8)) {
		p = parse_int(name + 8, &pkg);
		if (!p)
			return -EINVAL;
		/* multi-die parts: "package-%d-die-%d" */
		if (!strncmp(p, "-die-", 5))
			p = parse_int(p + 5, &die);
		if (!p || *p)
			return -EINVAL;
		*dom = RAPL_PACKAGE;
		*socket = pkg;
		return 0;
	}
	for (int d = RAPL_CORE; d < RAPL_NR_DOMAINS; d++) {
		if (!strcmp(name, domain_names[d])) {
			*dom = d;
			*socket = -1;
			return 0;
		}
	}
	return -EINVAL;
}

int rapl_energy_delta(__u64 prev, __u64 cur, __u64 max_range, __u64 max_plausible_uj,
		      __u64 *delta)
{
	__u64 gap;

	*delta = 0;
	if (max_range && (cur > max_range || prev > max_range))
		return RAPL_GARBAGE;
	if (cur >= prev) {
		*delta = cur - prev;
		return RAPL_OK;
	}
	if (!max_range)
		return RAPL_RESET;
	/* wrapped: (max_range - prev) to reach the top, 1 to reach 0, then cur */
	gap = max_range - prev;
	if (gap >= max_plausible_uj || cur >= max_plausible_uj - gap)
		return RAPL_RESET;
	*delta = gap + cur + 1;
	return RAPL_WRAPPED;
}

/* Largest energy one zone can plausibly use in elapsed_ns, saturating. */
static __u64 max_plausible_uj(__u64 elapsed_ns)
{
	if (elapsed_ns > UINT64_MAX / RAPL_MAX_PLAUSIBLE_WATTS)
		return UINT64_MAX;
	return elapsed_ns * RAPL_MAX_PLAUSIBLE_WATTS / 1000;	/* W * ns = 1e-3 uJ */
}

/* "intel-rapl:N" (sub = -1) or "intel-rapl:N:M"; anything else is not a zone. */
static int parse_entry(const char *entry, int *top, int *sub)
{
	const char *p;

	if (strncmp(entry, ZONE_PREFIX, strlen(ZONE_PREFIX)))
		return -EINVAL;
	p = parse_int(entry + strlen(ZONE_PREFIX), top);
	if (!p)
		return -EINVAL;
	*sub = -1;
	if (*p == ':')
		p = parse_int(p + 1, sub);
	return p && !*p ? 0 : -EINVAL;
}

/* --- sysfs ------------------------------------------------------------------- */

struct candidate {
	char entry[NAME_MAX + 1];
	int top, sub;
	char name[64];
	enum rapl_domain domain;
	int socket;
};

static int zone_entry_filter(const struct dirent *d)
{
	int top, sub;

	return !parse_entry(d->d_name, &top, &sub);
}

/* Read a small sysfs file into buf, NUL-terminated, first newline cut. Length or -errno. */
static int read_attr(const char *dir, const char *attr, char *buf, size_t size)
{
	char path[640];
	ssize_t n;
	char *nl;
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return (int)strlen(buf);
}

/* psys (socket -1) sorts after every package. */
static unsigned int socket_key(int socket)
{
	return socket < 0 ? UINT_MAX : (unsigned int)socket;
}

static int cmp_candidate(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;

	if (socket_key(a->socket) != socket_key(b->socket))
		return socket_key(a->socket) < socket_key(b->socket) ? -1 : 1;
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->top != b->top)
		return a->top < b->top ? -1 : 1;
	return a->sub < b->sub ? -1 : a->sub > b->sub;
}

/*
 * Name, domain and socket of every zone entry. Top-level zones must be package
 * or psys, subzones core, uncore or dram of a package zone; zones with another
 * or unreadable name are left out (socket stays -2). Number of zones kept.
 */
static int classify(const char *root, struct dirent **ents, int n, struct candidate *c)
{
	char dir[600];
	int kept = 0;

	for (int i = 0; i < n; i++) {
		snprintf(c[i].entry, sizeof(c[i].entry), "%s", ents[i]->d_name);
		parse_entry(c[i].entry, &c[i].top, &c[i].sub);
		c[i].socket = -2;
		snprintf(dir, sizeof(dir), "%s/%s", root, c[i].entry);
		if (read_attr(dir, "name", c[i].name, sizeof(c[i].name)) <= 0)
			continue;
		if (rapl_parse_zone_name(c[i].name, &c[i].domain, &c[i].socket)) {
			c[i].socket = -2;
			continue;
		}
		if ((c[i].sub < 0) != (c[i].domain == RAPL_PACKAGE || c[i].domain == RAPL_PSYS))
			c[i].socket = -2;
	}
	/* a subzone belongs to the socket its parent's name gives, not to N */
	for (int i = 0; i < n; i++) {
		if (c[i].sub < 0 || c[i].socket == -2)
			continue;
		c[i].socket = -2;
		for (int j = 0; j < n; j++)
			if (c[j].sub < 0 && c[j].top == c[i].top && c[j].domain == RAPL_PACKAGE)
				c[i].socket = c[j].socket;
	}
	for (int i = 0; i < n; i++)
		if (c[i].socket != -2)
			c[kept++] = c[i];
	return kept;
}

static int open_energy(const char *dir)
{
	char path[640];
	int fd;

	if (snprintf(path, sizeof(path), "%s/energy_uj", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static void access_message(char *err, size_t errlen, const char *what, const char *dir, int ret)
{
	if (ret == -EACCES || ret == -EPERM)
		snprintf(err, errlen, "failed to %s %s/energy_uj: %s; RAPL energy is root-only since "
			 "Linux 5.10 (CVE-2020-8694): run as root or with CAP_DAC_READ_SEARCH, or "
			 "`chmod o+r` the energy_uj files", what, dir, strerror(-ret));
	else
		snprintf(err, errlen, "failed to %s %s/energy_uj: %s", what, dir, strerror(-ret));
}

/* Fill and open one zone; a trial read catches files that open but cannot be read. */
static int open_zone(struct rapl_zone *z, const char *root, const struct candidate *c,
		     char *err, size_t errlen)
{
	char buf[64];
	ssize_t n;
	int ret;

	if (snprintf(z->path, sizeof(z->path), "%s/%s", root, c->entry) >= (int)sizeof(z->path)) {
		snprintf(err, errlen, "failed to open zone %s/%s: %s", root, c->entry,
			 strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	snprintf(z->name, sizeof(z->name), "%s", c->name);
	z->domain = c->domain;
	z->socket = c->socket;
	z->have_last = 0;
	/* without max_energy_range_uj, wraps cannot be told from resets */
	z->max_range_uj = 0;
	ret = read_attr(z->path, "max_energy_range_uj", buf, sizeof(buf));
	if (ret > 0 && rapl_parse_u64(buf, ret, &z->max_range_uj))
		z->max_range_uj = 0;

	z->fd = open_energy(z->path);
	if (z->fd < 0) {
		ret = z->fd;
		access_message(err, errlen, "open", z->path, ret);
		return ret == -EPERM ? -EACCES : ret;
	}
	n = pread(z->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		ret = -errno;
		access_message(err, errlen, "read", z->path, ret);
		return ret == -EPERM ? -EACCES : ret;
	}
	return 0;
}

int rapl__open(struct rapl *r, const char *root, char *err, size_t errlen)
{
	struct candidate *cands = NULL;
	struct dirent **ents = NULL;
	int n, kept, ret = 0;

	memset(r, 0, sizeof(*r));
	n = scandir(root, &ents, zone_entry_filter, alphasort);
	if (n < 0) {
		ret = -errno;
		if (ret == -ENOENT || ret == -ENOTDIR)
			snprintf(err, errlen, "no RAPL zone: %s does not exist (no powercap "
				 "driver; try `modprobe intel_rapl_msr`)", root);
		else
			snprintf(err, errlen, "failed to list %s: %s", root, strerror(-ret));
		return ret == -ENOTDIR ? -ENOENT : ret;
	}
	cands = calloc(n ? n : 1, sizeof(*cands));
	if (!cands) {
		ret = -ENOMEM;
		snprintf(err, errlen, "failed to list %s: %s", root, strerror(ENOMEM));
		goto cleanup;
	}
	kept = classify(root, ents, n, cands);
	if (!kept) {
		ret = -ENOENT;
		snprintf(err, errlen, "no RAPL zone under %s (no intel-rapl:N package or psys "
			 "zone; virtual machines usually have none)", root);
		goto cleanup;
	}
	qsort(cands, kept, sizeof(*cands), cmp_candidate);
	if (kept > RAPL_MAX_ZONES)
		kept = RAPL_MAX_ZONES;	/* sorted: psys and the highest sockets go first */
	for (int i = 0; i < kept; i++) {
		ret = open_zone(&r->zones[i], root, &cands[i], err, errlen);
		r->nr = i + 1;
		if (ret)
			goto cleanup;
	}

cleanup:
	if (ret)
		rapl__close(r);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(cands);
	return ret;
}

/*
 * The zone's energy_uj fd, reopened when lost or when the file was removed
 * (st_nlink 0: sysfs itself fails the read with ENODEV instead). A reopened
 * counter is a new baseline.
 */
static int zone_fd(struct rapl_zone *z)
{
	struct stat st;

	if (z->fd >= 0 && !fstat(z->fd, &st) && st.st_nlink)
		return z->fd;
	if (z->fd >= 0)
		close(z->fd);
	z->have_last = 0;
	z->fd = open_energy(z->path);
	return z->fd;
}

/* One value of one zone: 0, RAPL_UNREADABLE or RAPL_GARBAGE. */
static int read_zone(struct rapl_zone *z, __u64 *val)
{
	char buf[64];
	ssize_t n;

	if (zone_fd(z) < 0)
		return RAPL_UNREADABLE;
	n = pread(z->fd, buf, sizeof(buf), 0);
	if (n < 0) {
		close(z->fd);
		z->fd = -1;
		return RAPL_UNREADABLE;
	}
	/* a full buffer without a newline may be a cut number */
	if (n == sizeof(buf) && !memchr(buf, '\n', n))
		return RAPL_GARBAGE;
	if (rapl_parse_u64(buf, n, val))
		return RAPL_GARBAGE;
	if (z->max_range_uj && *val > z->max_range_uj)
		return RAPL_GARBAGE;
	return 0;
}

int rapl__sample(struct rapl *r, __u64 elapsed_ns, struct rapl_reading *out)
{
	__u64 plausible = max_plausible_uj(elapsed_ns);

	for (int i = 0; i < r->nr; i++) {
		struct rapl_zone *z = &r->zones[i];
		__u64 cur;
		int ret;

		out[i].delta_uj = 0;
		ret = read_zone(z, &cur);
		if (ret) {
			z->have_last = 0;
			out[i].status = ret;
			continue;
		}
		if (!z->have_last)
			ret = RAPL_FIRST;
		else
			ret = rapl_energy_delta(z->last_uj, cur, z->max_range_uj, plausible,
						&out[i].delta_uj);
		out[i].status = ret;
		/* after a reset, cur is the new baseline */
		z->last_uj = cur;
		z->have_last = ret != RAPL_GARBAGE;
	}
	return r->nr;
}

void rapl__close(struct rapl *r)
{
	for (int i = 0; i < r->nr; i++) {
		if (r->zones[i].fd >= 0)
			close(r->zones[i].fd);
		r->zones[i].fd = -1;
	}
	r->nr = 0;
}
