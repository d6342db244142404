// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libmicrohttpd and GnuTLS, loaded at run time; see http/serverlibs.h. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "http/serverlibs.h"

struct mhd_calls mhd;
struct gnutls_calls gnutls;

/* One library: its file, its Debian package, its table and the names of the table's calls. */
struct serverlib {
	const char *file, *package;
	void **calls;
	const char *const *names;
	size_t nr;
	int ret;		/* 1: not tried yet; then 0 or -ENOENT, for good */
	char err[256];
};

#define NAME(f) "MHD_" #f,
static const char *const mhd_names[] = { MHD_CALLS(NAME) };
#undef NAME
#define NAME(f) "gnutls_" #f,
static const char *const gnutls_names[] = { GNUTLS_CALLS(NAME) "gnutls_free" };
#undef NAME

_Static_assert(sizeof(mhd) == sizeof(mhd_names) / sizeof(*mhd_names) * sizeof(void *),
	       "a call of libmicrohttpd without its name");
_Static_assert(sizeof(gnutls) == sizeof(gnutls_names) / sizeof(*gnutls_names) * sizeof(void *),
	       "a call of GnuTLS without its name");

static struct serverlib libs[] = {
	{ "libmicrohttpd.so.12", "libmicrohttpd12", (void **)&mhd, mhd_names,
	  sizeof(mhd_names) / sizeof(*mhd_names), 1, "" },
	{ "libgnutls.so.30", "libgnutls30", (void **)&gnutls, gnutls_names,
	  sizeof(gnutls_names) / sizeof(*gnutls_names), 1, "" },
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* Every call of the library, or none: the table stays empty unless all are there. */
static int load(struct serverlib *l)
{
	void *h = dlopen(l->file, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		snprintf(l->err, sizeof(l->err), "%s, which is not installed (%s; on Debian: "
			 "apt-get install %s)", l->file, dlerror(), l->package);
		return -ENOENT;
	}
	for (size_t i = 0; i < l->nr; i++) {
		l->calls[i] = dlsym(h, l->names[i]);
		if (!l->calls[i]) {
			snprintf(l->err, sizeof(l->err), "%s, which has no %s (too old: on Debian, "
				 "apt-get install %s)", l->file, l->names[i], l->package);
			memset(l->calls, 0, l->nr * sizeof(void *));
			dlclose(h);
			return -ENOENT;
		}
	}
	return 0;	/* loaded for good: what it hands out (responses, digests) outlives us */
}

static int serverlib__get(struct serverlib *l, char *err, size_t errlen)
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

int serverlibs__mhd(char *err, size_t errlen)
{
	return serverlib__get(&libs[0], err, errlen);
}

int serverlibs__gnutls(char *err, size_t errlen)
{
	return serverlib__get(&libs[1], err, errlen);
}
