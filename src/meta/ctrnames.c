// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Container and pod names of this node, cached; see meta/ctrnames.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "meta/container.h"
#include "meta/ctrname.h"
#include "meta/ctrnames.h"
#include "meta/dockername.h"
#include "lib/util.h"

#define CN_MAX		4096			/* containers and pods remembered */
#define CN_SLOTS	(2 * CN_MAX)
#define CN_LOG_MAX	65536			/* files read from each log folder */
#define CN_RETRY_NS	(5 * NSEC_PER_SEC)	/* a name still missing: look again after */
#define CN_RESCAN_NS	(2 * NSEC_PER_SEC)	/* the log folders: at most so often */

struct cn_ent {
	char key[CG_CONTAINER_ID_LEN + 1];	/* the container id, or the pod UID */
	char id[CG_CONTAINER_ID_LEN + 1];
	char uid[CG_POD_UID_LEN + 1];
	char name[CTR_NAME_MAX];
	char pod[CTR_NAME_MAX];
	char ns[64];
	unsigned long long checked_ns;
	bool complete;
	struct ctr_names pub;
};

/* kubelet's log folders, as last read */
struct cn_logs {
	struct ctr_ref *ctrs;
	char (*ctr_uids)[CG_POD_UID_LEN + 1];
	size_t nr_ctrs;
	struct pod_ref *pods;
	size_t nr_pods;
};

struct ctrnames {
	char *log_root;
	int docker_fd;
	unsigned long long docker_restart_ns;	/* when the helper was last restarted */
	unsigned docker_restarts;
	struct cn_ent **slots;
	size_t nr;
	struct cn_logs logs;
	bool scanned;
	unsigned long long scan_ns;
};

/* --- kubelet's log folders ---------------------------------------------------------- */

static void logs_free(struct cn_logs *l)
{
	free(l->ctrs);
	free(l->ctr_uids);
	free(l->pods);
	memset(l, 0, sizeof(*l));
}

/* Grow an array of n elements of size sz to hold one more. */
static int grow(void **a, size_t n, size_t sz)
{
	void *p;

	if (n && (n < 16 || (n & (n - 1))))
		return 0;	/* room left: capacities are 16, 32, 64, ... */
	p = realloc(*a, (n ? 2 * n : 16) * sz);
	if (!p)
		return -ENOMEM;
	*a = p;
	return 0;
}

static void scan_containers(const char *root, struct cn_logs *l)
{
	char dir[PATH_MAX], link[PATH_MAX], target[PATH_MAX];
	struct ctr_ref ref;
	struct dirent *de;
	ssize_t n;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/containers", root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && l->nr_ctrs < CN_LOG_MAX) {
		if (ctrname_parse_container_log(de->d_name, &ref))
			continue;
		if (grow((void **)&l->ctrs, l->nr_ctrs, sizeof(*l->ctrs)) ||
		    grow((void **)&l->ctr_uids, l->nr_ctrs, sizeof(*l->ctr_uids)))
			break;
		l->ctr_uids[l->nr_ctrs][0] = '\0';
		n = -1;
		if (snprintf(link, sizeof(link), "%s/%s", dir, de->d_name) < (int)sizeof(link))
			n = readlink(link, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			ctrname_uid_of_target(target, ref.ns, ref.pod, l->ctr_uids[l->nr_ctrs]);
		}
		l->ctrs[l->nr_ctrs++] = ref;
	}
	closedir(d);
}

static void scan_pods(const char *root, struct cn_logs *l)
{
	char dir[PATH_MAX];
	struct pod_ref ref;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/pods", root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d)) && l->nr_pods < CN_LOG_MAX) {
		if (ctrname_parse_pod_dir(de->d_name, &ref))
			continue;
		if (grow((void **)&l->pods, l->nr_pods, sizeof(*l->pods)))
			break;
		l->pods[l->nr_pods++] = ref;
	}
	closedir(d);
}

/* Read the log folders again, at most every CN_RESCAN_NS. */
static void rescan(struct ctrnames *c, unsigned long long now)
{
	struct cn_logs l = {};

	if (!c->log_root || (c->scanned && now - c->scan_ns < CN_RESCAN_NS))
		return;
	c->scanned = true;
	c->scan_ns = now;
	scan_containers(c->log_root, &l);
	scan_pods(c->log_root, &l);
	logs_free(&c->logs);
	c->logs = l;
}

static const struct ctr_ref *find_ctr(const struct cn_logs *l, const char *id, const char **uid)
{
	for (size_t i = 0; i < l->nr_ctrs; i++) {
		if (!strcmp(l->ctrs[i].id, id)) {
			*uid = l->ctr_uids[i];
			return &l->ctrs[i];
		}
	}
	return NULL;
}

static const struct pod_ref *find_pod(const struct cn_logs *l, const char *uid)
{
	for (size_t i = 0; i < l->nr_pods; i++)
		if (!strcmp(l->pods[i].uid, uid))
			return &l->pods[i];
	return NULL;
}

/* --- the cache -------------------------------------------------------------------- */

static size_t slot_of(const char *key)
{
	return fnv1a32_str(FNV1A32_INIT, key) & (CN_SLOTS - 1);
}

struct ctrnames *ctrnames__new(const char *log_root, int docker_fd)
{
	struct ctrnames *c = calloc(1, sizeof(*c));

	if (!c)
		goto fail;
	c->docker_fd = docker_fd;
	c->slots = calloc(CN_SLOTS, sizeof(*c->slots));
	if (!c->slots)
		goto fail;
	if (log_root && *log_root) {
		c->log_root = strdup(log_root);
		if (!c->log_root)
			goto fail;
	}
	return c;
fail:
	if (c) {
		free(c->slots);
		free(c);
	}
	dockername__close(docker_fd);
	errno = ENOMEM;
	return NULL;
}

static void drop_all(struct ctrnames *c)
{
	for (size_t i = 0; i < CN_SLOTS; i++) {
		free(c->slots[i]);
		c->slots[i] = NULL;
	}
	c->nr = 0;
}

void ctrnames__begin(struct ctrnames *c)
{
	if (c && c->nr >= CN_MAX)
		drop_all(c);
}

/*
 * The Docker name helper did not answer (it died, or is stuck): start another,
 * at most once every CN_RETRY_NS (a helper that keeps dying must not make the
 * agent fork all the time; meanwhile, names wait as missing ones do). True when
 * there is a new one to ask.
 */
static bool docker_restart(struct ctrnames *c, unsigned long long now)
{
	int fd;

	if (c->docker_restarts && now - c->docker_restart_ns < CN_RETRY_NS)
		return false;
	c->docker_restart_ns = now;
	if (!c->docker_restarts++)
		fprintf(stderr, "wattprobe: warning: the Docker name helper did not answer; "
			"starting another\n");
	fd = dockername__restart(c->docker_fd);
	if (fd == -EINVAL)	/* not one dockername__spawn() made (tests): ours no more */
		close(c->docker_fd);
	c->docker_fd = fd >= 0 ? fd : -1;
	if (fd < 0 && fd != -EINVAL)
		fprintf(stderr, "wattprobe: warning: failed to start the Docker name helper again: "
			"%s; Docker containers are shown by id only\n", strerror(-fd));
	return fd >= 0;
}

/* Look for the names of e in the log folders, then Docker's config. */
static void fill(struct ctrnames *c, struct cn_ent *e, unsigned long long now)
{
	const struct ctr_ref *cr = NULL;
	const struct pod_ref *pr = NULL;
	const char *uid = "";
	char name[CTR_NAME_MAX];

	for (int pass = 0; pass < 2; pass++) {
		cr = e->id[0] ? find_ctr(&c->logs, e->id, &uid) : NULL;
		if (!e->uid[0] && uid[0])
			strcpy(e->uid, uid);
		pr = e->uid[0] ? find_pod(&c->logs, e->uid) : NULL;
		if (cr || pr || pass)
			break;
		rescan(c, now);		/* a miss: the folders may have changed */
	}
	if (cr) {
		snprintf(e->name, sizeof(e->name), "%s", cr->name);
		snprintf(e->pod, sizeof(e->pod), "%s", cr->pod);
		snprintf(e->ns, sizeof(e->ns), "%s", cr->ns);
	} else if (pr) {
		snprintf(e->pod, sizeof(e->pod), "%s", pr->pod);
		snprintf(e->ns, sizeof(e->ns), "%s", pr->ns);
	}
	if (e->id[0] && !e->name[0] && c->docker_fd >= 0) {
		int r = dockername__ask(c->docker_fd, e->id, name, sizeof(name));

		if (r == -EPIPE && docker_restart(c, now))
			r = dockername__ask(c->docker_fd, e->id, name, sizeof(name));
		if (!r)
			snprintf(e->name, sizeof(e->name), "%s", name);
	}
	e->checked_ns = now;
	/* a container is complete with its name, a pod with its name */
	e->complete = e->id[0] ? e->name[0] && (!e->uid[0] || e->pod[0]) : e->pod[0];
	e->pub = (struct ctr_names){
		.id = e->id[0] ? e->id : NULL, .name = e->name[0] ? e->name : NULL,
		.pod = e->pod[0] ? e->pod : NULL, .ns = e->ns[0] ? e->ns : NULL,
		.pod_uid = e->uid[0] ? e->uid : NULL,
	};
}

const struct ctr_names *ctrnames__get(struct ctrnames *c, const struct cg_info *cg)
{
	unsigned long long now;
	const char *key;
	struct cn_ent *e;
	size_t i, n;

	if (!c || !cg)
		return NULL;
	key = cg->container_id[0] ? cg->container_id : cg->pod_uid;
	if (!key[0])
		return NULL;
	for (i = slot_of(key), n = 0; n < CN_SLOTS; i = (i + 1) & (CN_SLOTS - 1), n++)
		if (!c->slots[i] || !strcmp(c->slots[i]->key, key))
			break;
	if (n == CN_SLOTS)
		return NULL;
	now = now_ns(CLOCK_MONOTONIC);
	e = c->slots[i];
	if (!e) {
		if (c->nr >= CN_MAX)
			return NULL;	/* full until the next round */
		e = calloc(1, sizeof(*e));
		if (!e)
			return NULL;
		strcpy(e->key, key);
		strcpy(e->id, cg->container_id);
		strcpy(e->uid, cg->pod_uid);
		c->slots[i] = e;
		c->nr++;
	} else if (e->complete || now - e->checked_ns < CN_RETRY_NS) {
		return &e->pub;
	}
	fill(c, e, now);
	return &e->pub;
}

void ctrnames__free(struct ctrnames *c)
{
	if (!c)
		return;
	drop_all(c);
	free(c->slots);
	logs_free(&c->logs);
	free(c->log_root);
	dockername__close(c->docker_fd);
	free(c);
}
