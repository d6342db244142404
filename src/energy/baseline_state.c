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

/* A block of the file no slot of this run has: its OWNER and DOMAIN as read */
struct baseline_kept_fit {
	char owner[BASELINE_STATE_TOKEN], kind[BASELINE_STATE_TOKEN];
	struct baseline fit;
};

void baseline_kept__free(struct baseline_kept *k)
{
	free(k->fits);
	*k = (struct baseline_kept){ 0 };
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

/* A fit's block; points aged to nothing (a weight of 0 no reader takes) are left out. */
static void write_fit(FILE *f, const struct baseline_slot *slot)
{
	const struct baseline *b = slot->fit;
	int n = 0;

	for (int k = 0; k < b->n; k++)
		n += b->w[k] > 0;
	if (!n)
		return;
	if (slot->owner)
		fprintf(f, "fit %s %s %d\n", slot->owner, slot->kind, n);
	else if (slot->socket < 0)
		fprintf(f, "fit host %s %d\n", energy_domain_name(slot->domain), n);
	else
		fprintf(f, "fit %d %s %d\n", slot->socket, energy_domain_name(slot->domain), n);
	for (int k = 0; k < b->n; k++)
		if (b->w[k] > 0)
			fprintf(f, "%.6f %.6f %.9g\n", b->u[k], b->p[k], b->w[k]);
}

/* The kept blocks' points age from kept->aged_s to now_s, as they would have in the file. */
static void age_kept(struct baseline_kept *kept, __u64 now_s)
{
	double decay;

	if (now_s <= kept->aged_s)
		return;
	decay = exp2(-(double)(now_s - kept->aged_s) / BASELINE_HALF_LIFE_S);
	for (int i = 0; i < kept->n; i++)
		for (int k = 0; k < kept->fits[i].fit.n; k++)
			kept->fits[i].fit.w[k] *= decay;
	kept->aged_s = now_s;
}

int baseline_state__write(FILE *f, __u64 now_s, const struct baseline_slot *slots, int n,
			  struct baseline_kept *kept)
{
	fprintf(f, "%s\nwritten %llu\n", STATE_MAGIC, (unsigned long long)now_s);
	for (int i = 0; i < n; i++)
		write_fit(f, &slots[i]);
	if (kept)
		age_kept(kept, now_s);
	for (int i = 0; kept && i < kept->n; i++) {
		struct baseline_kept_fit *kf = &kept->fits[i];

		/* an owner that came back since (a GPU plugged in again) writes its own */
		if (!find_slot(slots, n, kf->owner, kf->kind))
			write_fit(f, &(struct baseline_slot){ .fit = &kf->fit, .owner = kf->owner,
							      .kind = kf->kind });
	}
	return ferror(f) ? -EIO : 0;
}

/* Room for one more kept block (emptied), NULL when BASELINE_KEPT_MAX are kept. */
static struct baseline *keep_block(struct baseline_kept *kept, const char *sock,
				   const char *dom)
{
	struct baseline_kept_fit *kf;

	if (kept->n >= BASELINE_KEPT_MAX)
		return NULL;
	if (kept->n == kept->room) {
		kf = realloc(kept->fits, (kept->room + 4) * sizeof(*kf));
		if (!kf)
			return NULL;
		kept->fits = kf;
		kept->room += 4;
	}
	kf = &kept->fits[kept->n++];
	snprintf(kf->owner, sizeof(kf->owner), "%s", sock);
	snprintf(kf->kind, sizeof(kf->kind), "%s", dom);
	baseline__init(&kf->fit);
	return &kf->fit;
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
			 int n, struct baseline_kept *kept, int *bad_line)
{
	char line[256], sock[32], dom[32], extra[2];
	unsigned long long written;
	const char *p = text;
	double age, decay;
	int lineno = 0, restored = 0, count;

	*bad_line = 1;
	if (kept) {
		kept->n = 0;
		kept->aged_s = now_s;
	}
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
		struct baseline *fit;

		*bad_line = ++lineno;
		if (!*line)
			continue;
		if (sscanf(line, "fit %31s %31s %d%1s", sock, dom, &count, extra) != 3 ||
		    count < 1 || count > BASELINE_WINDOW)
			return -EINVAL;
		slot = find_slot(slots, n, sock, dom);
		fit = slot ? slot->fit : kept ? keep_block(kept, sock, dom) : NULL;
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
			if (fit && weight * decay > 0)
				baseline__restore(fit, u, w, weight * decay);
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
			 struct baseline_kept *kept, char *err, size_t errlen)
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
		ret = baseline_state__read(text, now_s(), slots, n, kept, &bad);
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
	if (ret < 0) {
		for (int i = 0; i < n; i++)
			baseline__init(slots[i].fit);
		if (kept)
			kept->n = 0;
	}
	return ret;
}

/*
 * The new content goes to a file of a new name made with mkstemp() in the
 * same folder (O_EXCL: never a file or a link that is there already), then is
 * renamed over PATH; a fixed PATH.tmp followed a link planted there.
 */
int baseline_state__save(const char *path, const struct baseline_slot *slots, int n,
			 struct baseline_kept *kept, char *err, size_t errlen)
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
	ret = baseline_state__write(f, now_s(), slots, n, kept);
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
