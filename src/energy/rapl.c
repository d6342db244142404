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
#include "energy/rapl.h"
#include "lib/util.h"

#define ZONE_PREFIX	"intel-rapl:"

/* --- pure helpers ---------------------------------------------------------- */

const char *rapl_status_name(int status)
{
	switch (status) {
	case RAPL_FIRST:
		return "first reading";
	case RAPL_RESET:
		return "counter reset";
	case RAPL_UNREADABLE:
		return "unreadable";
	case RAPL_GARBAGE:
		return "garbage";
	case RAPL_JUMP:
		return "implausible jump";
	case RAPL_STUCK:
		return "counter stuck";
	case RAPL_HOST_GAP:
		return "missing on the host";
	default:
		return NULL;
	}
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

int rapl_parse_zone_name(const char *name, enum energy_domain *dom, int *socket, int *die)
{
	const char *p;
	int pkg, d = 0;

	if (!strncmp(name, "package-", 8)) {
		p = parse_int(name + 8, &pkg);
		if (!p)
			return -EINVAL;
		/* multi-die parts: "package-%d-die-%d" */
		if (!strncmp(p, "-die-", 5))
			p = parse_int(p + 5, &d);
		if (!p || *p)
			return -EINVAL;
		*dom = ENERGY_PACKAGE;
		*socket = pkg;
		if (die)
			*die = d;
		return 0;
	}
	for (int k = ENERGY_CORE; k < ENERGY_NR_DOMAINS; k++) {
		if (!strcmp(name, energy_domain_name(k))) {
			*dom = k;
			*socket = -1;
			if (die)
				*die = 0;
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
		if (cur - prev > max_plausible_uj)
			return RAPL_JUMP;
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

__u64 rapl_counter_add(__u64 prev, __u64 uj, __u64 max_range)
{
	__u64 room;

	if (!max_range)
		return prev + uj;
	prev %= max_range + 1;
	uj %= max_range + 1;
	room = max_range - prev;	/* steps before the top */
	return uj <= room ? prev + uj : uj - room - 1;
}

/* Largest energy a zone of max_w watts can use in elapsed_ns, saturating. */
static __u64 max_plausible_uj(__u64 elapsed_ns, double max_w)
{
	double uj = (double)elapsed_ns * max_w / 1000;	/* W * ns = 1e-3 uJ */

	return uj >= 1.8e19 ? UINT64_MAX : (__u64)uj;
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
	enum energy_domain domain;
	int socket;			/* -2: not a zone we count */
	int die;
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
	char *nl;
	int n;

	if (snprintf(path, sizeof(path), "%s/%s", dir, attr) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	n = read_small_file(path, buf, size);
	if (n < 0)
		return n;
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

/* By socket, domain, die, then zone number: the first of equal names is the one that counts. */
static int cmp_candidate(const void *pa, const void *pb)
{
	const struct candidate *a = pa, *b = pb;

	if (socket_key(a->socket) != socket_key(b->socket))
		return socket_key(a->socket) < socket_key(b->socket) ? -1 : 1;
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->die != b->die)
		return a->die < b->die ? -1 : 1;
	if (a->top != b->top)
		return a->top < b->top ? -1 : 1;
	return a->sub < b->sub ? -1 : a->sub > b->sub;
}

static bool same_zone_name(const struct candidate *a, const struct candidate *b)
{
	return a->socket == b->socket && a->domain == b->domain && a->die == b->die;
}

/*
 * Name, domain, socket and die of every zone entry. Top-level zones must be
 * package or psys, subzones core, uncore or dram of a package zone; zones
 * with another name are left out (socket -2), and so are zones whose name
 * cannot be read, with a warning (they would otherwise vanish silently).
 */
static void classify(struct rapl *r, const char *root, struct dirent **ents, int n,
		     struct candidate *c)
{
	char dir[600];
	int ret;

	for (int i = 0; i < n; i++) {
		snprintf(c[i].entry, sizeof(c[i].entry), "%s", ents[i]->d_name);
		parse_entry(c[i].entry, &c[i].top, &c[i].sub);
		c[i].socket = -2;
		c[i].die = 0;
		snprintf(dir, sizeof(dir), "%s/%s", root, c[i].entry);
		ret = read_attr(dir, "name", c[i].name, sizeof(c[i].name));
		if (ret <= 0) {
			fprintf(stderr, "wattprobe: warning: %s has no readable name (%s); "
				"skipping it\n", dir, ret ? strerror(-ret) : "empty");
			r->nr_unnamed++;
			continue;
		}
		if (rapl_parse_zone_name(c[i].name, &c[i].domain, &c[i].socket, &c[i].die)) {
			c[i].socket = -2;
			continue;
		}
		if ((c[i].sub < 0) != (c[i].domain == ENERGY_PACKAGE || c[i].domain == ENERGY_PSYS))
			c[i].socket = -2;
	}
	/* a subzone belongs to the socket and die its parent's name gives, not to N */
	for (int i = 0; i < n; i++) {
		if (c[i].sub < 0 || c[i].socket == -2)
			continue;
		c[i].socket = -2;
		for (int j = 0; j < n; j++) {
			if (c[j].sub < 0 && c[j].top == c[i].top && c[j].domain == ENERGY_PACKAGE &&
			    c[j].socket != -2) {
				c[i].socket = c[j].socket;
				c[i].die = c[j].die;
			}
		}
	}
}

/*
 * Two zones that say the same thing (two "package-0", or "package-0" and
 * "package-0-die-0") would count the same energy twice. The zone with the
 * lowest number counts, the other is dropped with a warning, and so are its
 * subzones. Then equal subzones of one package: the lowest number counts.
 * c is sorted (cmp_candidate); returns the number kept, packed at the front.
 */
static int drop_duplicates(struct rapl *r, const char *root, struct candidate *c, int n)
{
	int kept = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			bool top = c[i].sub < 0;

			if (c[i].socket == -2 || top != (pass == 0))
				continue;
			for (int j = 0; j < i; j++) {
				if (c[j].socket == -2 || !same_zone_name(&c[i], &c[j]))
					continue;
				fprintf(stderr, "wattprobe: warning: %s/%s and %s/%s both say \"%s\" "
					"(%s %d): counting %s, ignoring %s%s\n", root, c[j].entry, root,
					c[i].entry, c[i].name, c[i].socket < 0 ? "platform" : "socket",
					c[i].socket, c[j].entry, c[i].entry,
					top ? " and its subzones" : "");
				r->nr_duplicates++;
				if (top)	/* its subzones go with it */
					for (int k = 0; k < n; k++)
						if (c[k].sub >= 0 && c[k].top == c[i].top)
							c[k].socket = -2;
				c[i].socket = -2;
				break;
			}
		}
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

/* A constraint_N_<what>_uw value in watts; 0 if absent, unreadable or below 1 W. */
static double constraint_w(const char *dir, int n, const char *what)
{
	char attr[64], buf[64];
	__u64 uw;
	int ret;

	snprintf(attr, sizeof(attr), "constraint_%d_%s_uw", n, what);
	ret = read_attr(dir, attr, buf, sizeof(buf));
	if (ret <= 0 || parse_u64_line(buf, ret, &uw) || uw < 1000000)
		return 0;
	return uw / 1e6;
}

/*
 * The zone's long-term limit (constraint "long_term", or constraint 0 where
 * constraints have no names): its max_power_uw, which the kernel fills from
 * the part's thermal spec power (its TDP), else its power_limit_uw (PL1,
 * which firmware sets to the TDP unless someone lowered it). The plausible
 * ceiling of a step is RAPL_PLAUSIBLE_LIMIT_FACTOR times the largest value of
 * any constraint, else RAPL_MAX_PLAUSIBLE_WATTS.
 */
static void read_limits(struct rapl_zone *z)
{
	static const char *const kinds[] = { "max_power", "power_limit" };
	double largest = 0, v;
	char attr[64], name[32];
	int long_term = -1;

	z->limit_w = 0;
	z->limit_from[0] = '\0';
	for (int i = 0; i < RAPL_MAX_CONSTRAINTS; i++) {
		snprintf(attr, sizeof(attr), "constraint_%d_name", i);
		if (long_term < 0 && read_attr(z->path, attr, name, sizeof(name)) > 0 &&
		    !strcmp(name, "long_term"))
			long_term = i;
		v = constraint_w(z->path, i, "max_power");
		if (v > largest)
			largest = v;
		v = constraint_w(z->path, i, "power_limit");
		if (v > largest)
			largest = v;
	}
	if (long_term < 0)
		long_term = 0;
	z->max_w = largest > 0 ? largest * RAPL_PLAUSIBLE_LIMIT_FACTOR : RAPL_MAX_PLAUSIBLE_WATTS;
	for (int k = 0; k < 2 && !z->limit_w; k++) {
		z->limit_w = constraint_w(z->path, long_term, kinds[k]);
		if (z->limit_w)
			snprintf(z->limit_from, sizeof(z->limit_from), "constraint_%d_%s_uw",
				 long_term, kinds[k]);
	}
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
	z->die = c->die;
	z->have_last = 0;
	z->unchanged_ns = 0;
	z->reported = 0;
	z->replaced = false;
	z->lag_ns = RAPL_STUCK_NS;
	z->stuck_ns = RAPL_STUCK_NS;
	read_limits(z);
	/* without max_energy_range_uj, wraps cannot be told from resets */
	z->max_range_uj = 0;
	ret = read_attr(z->path, "max_energy_range_uj", buf, sizeof(buf));
	if (ret > 0 && parse_u64_line(buf, ret, &z->max_range_uj))
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

/*
 * A host's export for its guest: the zones' files are replaced at each host interval, so
 * they are opened at each read, a step may hold one host interval more than elapsed, three
 * without a move are stuck, and the plausible ceiling is the 2 kW of any zone (the guest's
 * share of the host's limits says what it draws on average, not what one turbo core may).
 */
static void open_marker(struct rapl *r, const char *root)
{
	char buf[VMMARKER_MAX + 1];
	int n;

	snprintf(r->marker_path, sizeof(r->marker_path), "%s/" VMMARKER_FILE, root);
	n = read_small_file(r->marker_path, buf, sizeof(buf));
	if (n < 0 || vmmarker__parse(buf, n, &r->marker))
		return;
	r->vm_export = true;
	for (int i = 0; i < r->nr; i++) {
		struct rapl_zone *z = &r->zones[i];

		z->replaced = true;
		z->entry = strrchr(z->path, '/') + 1;
		z->lag_ns = r->marker.interval_ns + RAPL_STUCK_NS;
		z->stuck_ns = 3 * r->marker.interval_ns + RAPL_STUCK_NS;
		z->max_w = RAPL_MAX_PLAUSIBLE_WATTS;
	}
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
	classify(r, root, ents, n, cands);
	qsort(cands, n, sizeof(*cands), cmp_candidate);
	kept = drop_duplicates(r, root, cands, n);
	if (!kept && r->nr_unnamed) {
		ret = -ENODATA;
		snprintf(err, errlen, "%d RAPL zone%s under %s but none with a readable name "
			 "(a broken powercap tree or driver)", r->nr_unnamed,
			 r->nr_unnamed > 1 ? "s" : "", root);
		goto cleanup;
	}
	if (!kept) {
		ret = -ENOENT;
		snprintf(err, errlen, "no RAPL zone under %s (no intel-rapl:N package or psys "
			 "zone; virtual machines usually have none)", root);
		goto cleanup;
	}
	if (kept > RAPL_MAX_ZONES)
		kept = RAPL_MAX_ZONES;	/* sorted: psys and the highest sockets go first */
	for (int i = 0; i < kept; i++) {
		ret = open_zone(&r->zones[i], root, &cands[i], err, errlen);
		r->nr = i + 1;
		if (ret)
			goto cleanup;
	}
	open_marker(r, root);

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

	if (z->replaced) {	/* a new file at each update: the same counter */
		if (z->fd >= 0)
			close(z->fd);
		z->fd = open_energy(z->path);
		return z->fd;
	}
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
	if (parse_u64_line(buf, n, val))
		return RAPL_GARBAGE;
	if (z->max_range_uj && *val > z->max_range_uj)
		return RAPL_GARBAGE;
	return 0;
}

/* An exported tree: its marker again; did the host miss energy since the last read? False
 * when it cannot be read (gone: the zones' files say the rest). */
static bool read_marker(struct rapl *r)
{
	char buf[VMMARKER_MAX + 1];
	struct vmmarker m;
	int n;

	r->host_gap = false;
	n = read_small_file(r->marker_path, buf, sizeof(buf));
	if (n < 0 || vmmarker__parse(buf, n, &m))
		return false;
	r->host_gap = m.gaps != r->marker.gaps;
	r->marker = m;
	return true;
}

int rapl__sample(struct rapl *r, __u64 elapsed_ns, struct rapl_reading *out)
{
	bool marker = r->vm_export && read_marker(r);

	for (int i = 0; i < r->nr; i++) {
		struct rapl_zone *z = &r->zones[i];
		__u64 cur;
		int ret;

		out[i].delta_uj = 0;
		if (!marker || vmmarker__counter(&r->marker, z->entry, &cur))
			ret = read_zone(z, &cur);
		else
			ret = z->max_range_uj && cur > z->max_range_uj ? RAPL_GARBAGE : 0;
		if (ret) {
			z->have_last = 0;
			out[i].status = ret;
			continue;
		}
		if (!z->have_last) {
			ret = RAPL_FIRST;
			z->unchanged_ns = 0;
		} else {
			/* the values read are as of the counter's last update, which may
			 * lag each read by up to RAPL_STUCK_NS: a step may hold that much
			 * more than elapsed_ns (a short interval's step, above all) */
			ret = rapl_energy_delta(z->last_uj, cur, z->max_range_uj,
						max_plausible_uj(elapsed_ns + z->lag_ns, z->max_w),
						&out[i].delta_uj);
		}
		if (ret == RAPL_OK && cur == z->last_uj) {
			z->unchanged_ns += elapsed_ns;
			if (z->unchanged_ns >= z->stuck_ns)
				ret = RAPL_STUCK;
		} else if (ret != RAPL_FIRST) {
			z->unchanged_ns = 0;
		}
		if (r->host_gap && ret != RAPL_FIRST && ret != RAPL_GARBAGE) {
			ret = RAPL_HOST_GAP;
			out[i].delta_uj = 0;
		}
		out[i].status = ret;
		/* after a reset or a jump, cur is the new baseline */
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
