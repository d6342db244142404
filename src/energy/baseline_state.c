// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The baselines' state file; see energy/baseline_state.h. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "energy/baseline_state.h"
#include "lib/util.h"

#define STATE_NAME	"wattprobe-baselines"
#define STATE_VERSION	1
#define STATE_MAGIC	"wattprobe-baselines 1"
#define STATE_MAX_BYTES	(1 << 20)

int baseline_state__write(FILE *f, __u64 now_s, const struct baseline_slot *slots, int n)
{
	fprintf(f, "%s\nwritten %llu\n", STATE_MAGIC, (unsigned long long)now_s);
	for (int i = 0; i < n; i++) {
		const struct baseline *b = slots[i].fit;

		if (!b->n)
			continue;
		if (slots[i].owner)
			fprintf(f, "fit %s %s %d\n", slots[i].owner, slots[i].kind, b->n);
		else if (slots[i].socket < 0)
			fprintf(f, "fit host %s %d\n", energy_domain_name(slots[i].domain), b->n);
		else
			fprintf(f, "fit %d %s %d\n", slots[i].socket,
				energy_domain_name(slots[i].domain), b->n);
		for (int k = 0; k < b->n; k++)
			fprintf(f, "%.6f %.6f %.9g\n", b->u[k], b->p[k], b->w[k]);
	}
	return ferror(f) ? -EIO : 0;
}

static const struct baseline_slot *find_slot(const struct baseline_slot *slots, int n,
					     const char *sock, const char *dom)
{
	char *end;
	long id = -1;

	for (int i = 0; i < n; i++)
		if (slots[i].owner && !strcmp(slots[i].owner, sock) && !strcmp(slots[i].kind, dom))
			return &slots[i];
	if (strcmp(sock, "host")) {
		errno = 0;
		id = strtol(sock, &end, 10);
		if (errno || end == sock || *end || id < 0 || id > 1 << 20)
			return NULL;
	}
	for (int i = 0; i < n; i++)
		if (!slots[i].owner && slots[i].socket == id &&
		    !strcmp(energy_domain_name(slots[i].domain), dom))
			return &slots[i];
	return NULL;
}

bool baseline_state_gpu_owner(const char *uuid, char *owner, size_t size)
{
	if (!uuid || !*uuid)
		return false;
	return snprintf(owner, size, "gpu-%016llx",
			(unsigned long long)fnv1a64_str(FNV1A64_INIT, uuid)) < (int)size;
}

/* The next line of *p (NUL-terminated copy in buf); NULL at the end. */
static const char *next_line(const char **p, char *buf, size_t size)
{
	const char *s = *p, *nl;
	size_t len;

	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	len = nl ? (size_t)(nl - s) : strlen(s);
	*p = nl ? nl + 1 : s + len;
	if (len >= size)
		len = size - 1;	/* too long for any valid line: it will not parse */
	memcpy(buf, s, len);
	buf[len] = '\0';
	return buf;
}

/* "wattprobe-baselines N" of a version N other than ours: its N, else 0. */
static long other_version(const char *line)
{
	char *end;
	long v;

	if (strncmp(line, STATE_NAME " ", strlen(STATE_NAME) + 1))
		return 0;
	line += strlen(STATE_NAME) + 1;
	errno = 0;
	v = strtol(line, &end, 10);
	return !errno && end != line && !*end && v > 0 && v != STATE_VERSION ? v : 0;
}

int baseline_state__read(const char *text, __u64 now_s, const struct baseline_slot *slots,
			 int n, int *bad_line)
{
	char line[256], sock[32], dom[32], extra[2];
	unsigned long long written;
	const char *p = text;
	double age, decay;
	int lineno = 0, restored = 0, count;

	*bad_line = 1;
	if (!next_line(&p, line, sizeof(line)))
		return -EINVAL;
	if (strcmp(line, STATE_MAGIC))
		return other_version(line) ? -EPROTONOSUPPORT : -EINVAL;
	lineno++;
	*bad_line = 2;
	if (!next_line(&p, line, sizeof(line)) ||
	    sscanf(line, "written %llu%1s", &written, extra) != 1)
		return -EINVAL;
	lineno++;
	age = written < now_s ? (double)(now_s - written) : 0;
	decay = exp2(-age / BASELINE_HALF_LIFE_S);
	while (next_line(&p, line, sizeof(line))) {
		const struct baseline_slot *slot;

		*bad_line = ++lineno;
		if (!*line)
			continue;
		if (sscanf(line, "fit %31s %31s %d%1s", sock, dom, &count, extra) != 3 ||
		    count < 1 || count > BASELINE_WINDOW)
			return -EINVAL;
		slot = find_slot(slots, n, sock, dom);
		if (slot)
			baseline__init(slot->fit);
		for (int k = 0; k < count; k++) {
			double u, w, weight;

			*bad_line = ++lineno;
			if (!next_line(&p, line, sizeof(line)) ||
			    sscanf(line, "%lf %lf %lf%1s", &u, &w, &weight, extra) != 3)
				return -EINVAL;
			if (!(u >= 0 && u <= 1) || !(w >= 0 && isfinite(w)) ||
			    !(weight > 0 && weight <= 1))
				return -EINVAL;
			/* a point aged to nothing is read and left out */
			if (slot && weight * decay > 0)
				baseline__restore(slot->fit, u, w, weight * decay);
		}
		restored += slot != NULL;
	}
	return restored;
}

static __u64 now_s(void)
{
	return (__u64)time(NULL);
}

int baseline_state_dir_check(const char *path, char *err, size_t errlen)
{
	char *copy = strdup(path), *dir;
	struct stat st;
	int ret = 0;

	if (!copy) {
		snprintf(err, errlen, "failed to check the folder of %s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	dir = dirname(copy);
	if (stat(dir, &st)) {
		ret = -errno;
		snprintf(err, errlen, "failed to use --state-file %s: its folder %s: %s", path, dir,
			 strerror(-ret));
	} else if (!S_ISDIR(st.st_mode)) {
		ret = -ENOTDIR;
		snprintf(err, errlen, "failed to use --state-file %s: %s is not a folder", path, dir);
	} else if (st.st_mode & S_IWOTH) {
		ret = -EPERM;
		snprintf(err, errlen, "refusing --state-file %s: its folder %s is writable by every "
			 "user (mode %04o), who could put a file or a link in its place: give a "
			 "path in a folder only root and --user can write, such as /var/lib/wattprobe",
			 path, dir, (unsigned)(st.st_mode & 07777));
	}
	free(copy);
	return ret;
}

int baseline_state__load(const char *path, const struct baseline_slot *slots, int n,
			 char *err, size_t errlen)
{
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	int ret, bad, fd;
	FILE *f;

	ret = baseline_state_dir_check(path, err, errlen);
	if (ret)
		return ret == -ENOENT ? -ENOTDIR : ret;	/* -ENOENT is "no file yet" */
	/* without blocking: a FIFO would wait for a writer for ever, SIGTERM and all */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		if (ret != -ENOENT)
			snprintf(err, errlen, "failed to open %s: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s is not a regular file (a FIFO, a device or a folder): "
			 "starting afresh (give --state-file the path of a file)", path);
		close(fd);
		return ret;
	}
	f = fdopen(fd, "r");
	if (!f) {
		ret = -errno;
		close(fd);
		snprintf(err, errlen, "failed to open %s: %s", path, strerror(-ret));
		return ret;
	}
	text = malloc(STATE_MAX_BYTES + 1);
	if (!text) {
		fclose(f);
		snprintf(err, errlen, "failed to read %s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	len = fread(text, 1, STATE_MAX_BYTES + 1, f);
	ret = ferror(f) ? -EIO : 0;
	fclose(f);
	if (!ret && len > STATE_MAX_BYTES)
		ret = -EFBIG;
	if (ret) {
		snprintf(err, errlen, "failed to read %s: %s", path, strerror(-ret));
		free(text);
		return ret;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len)) {
		ret = -EINVAL;
		bad = 1;
	} else {
		ret = baseline_state__read(text, now_s(), slots, n, &bad);
	}
	if (ret == -EPROTONOSUPPORT)
		snprintf(err, errlen, "%s: version %ld of the baselines file, this wattprobe reads "
			 "version %d (the file is from another wattprobe); starting afresh and "
			 "writing version %d over it (keep a copy if the other one needs it)", path,
			 other_version(strtok(text, "\n")), STATE_VERSION, STATE_VERSION);
	else if (ret < 0)
		snprintf(err, errlen, "%s, line %d: not a wattprobe baselines file; starting afresh "
			 "(remove it, or give --state-file another path)", path, bad);
	free(text);
	if (ret < 0)
		for (int i = 0; i < n; i++)
			baseline__init(slots[i].fit);
	return ret;
}

/*
 * The new content goes to a file of a new name made with mkstemp() in the
 * same folder (O_EXCL: never a file or a link that is there already), then is
 * renamed over PATH; a fixed PATH.tmp followed a link planted there.
 */
int baseline_state__save(const char *path, const struct baseline_slot *slots, int n,
			 char *err, size_t errlen)
{
	char tmp[4096];
	int ret, fd;
	FILE *f;

	ret = baseline_state_dir_check(path, err, errlen);
	if (ret)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "failed to write %s: %s", path, strerror(ENAMETOOLONG));
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to write %s: %s (the agent writes it after dropping "
			 "its privileges: its directory must be writable by --user)", tmp,
			 strerror(-ret));
		return ret;
	}
	fchmod(fd, 0644);	/* as it was with fopen(): not a secret */
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto fail;
	}
	ret = baseline_state__write(f, now_s(), slots, n);
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
fail:
	if (ret) {
		snprintf(err, errlen, "failed to write %s: %s", path, strerror(-ret));
		unlink(tmp);
	}
	return ret;
}
