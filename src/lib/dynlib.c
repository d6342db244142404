// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Shared libraries loaded at run time as tables of their calls; see lib/dynlib.h. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "lib/dynlib.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Every entry of the table, or none: it stays empty unless all are there. */
static int load(struct dynlib *l)
{
	void *h = dlopen(l->file, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(l->err, sizeof(l->err), "%s, which is not installed (%s; on Debian: "
			 "apt-get install %s)", l->file, dlerror(), l->package);
		return -ENOENT;
	}
	for (size_t i = 0; i < l->nr; i++) {
		l->table[i] = dlsym(h, l->names[i]);
		if (!l->table[i]) {
			snprintf(l->err, sizeof(l->err), "%s, which has no %s (too old: on Debian, "
				 "apt-get install %s)", l->file, l->names[i], l->package);
			memset(l->table, 0, l->nr * sizeof(void *));
			dlclose(h);
			return -ENOENT;
		}
	}
	return 0;	/* loaded for good: what it hands out (responses, windows) outlives us */
}

int dynlib__load(struct dynlib *l, char *err, size_t errlen)
{
	int ret;

	pthread_mutex_lock(&lock);
	if (l->ret == 1)
		l->ret = load(l);
	ret = l->ret;
	if (ret && err && errlen)
		snprintf(err, errlen, "%s", l->err);
	pthread_mutex_unlock(&lock);
	return ret;
}
