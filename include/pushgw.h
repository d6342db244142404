/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Prometheus Pushgateway: the URL of a group and pushing a page to it.
 * pushgw__check_*, pushgw__url and pushgw__redact are pure; pushgw__put does
 * the HTTP (libcurl).
 *
 * A group's URL is BASE/metrics/job/JOB{/LABEL/VALUE}. A value with a '/' (or
 * an empty one) is written LABEL@base64/BASE64URL(VALUE), as the Pushgateway
 * wants; other bytes outside [A-Za-z0-9._~-] are percent-encoded.
 */
#ifndef __PUSHGW_H
#define __PUSHGW_H

#include <stddef.h>

#define PUSHGW_MAX_LABELS 16

/* "http://..." or "https://..." with a host: 0 or -EINVAL, err says why. */
int pushgw__check_url(const char *url, char *err, size_t errlen);
/* "NAME=VALUE" with a Prometheus label name that is neither "job" nor
 * reserved (__*): 0 or -EINVAL, err says why. */
int pushgw__check_label(const char *kv, char *err, size_t errlen);
/*
 * The group's URL into out (NUL-terminated). labels: n strings "NAME=VALUE",
 * already checked. Returns the length it needs (without the NUL); a return
 * >= len means out was too small and holds nothing usable.
 */
size_t pushgw__url(char *out, size_t len, const char *base, const char *job,
		   const char *const *labels, int n);
/* url without its user:password@ part, for messages. */
void pushgw__redact(char *out, size_t len, const char *url);

/*
 * Load libcurl (dlopen) and initialise it, once, before any thread starts.
 * 0, or -ENOENT with err naming what is missing. pushgw__exit() undoes it.
 */
int pushgw__init(char *err, size_t errlen);
void pushgw__exit(void);

/*
 * PUT body to url (Content-Type: text/plain; version=0.0.4), replacing the
 * group's metrics. Needs pushgw__init() done. 0, or -EIO with err saying
 * what failed (connection, HTTP status and the first line of the answer).
 */
int pushgw__put(const char *url, const char *body, size_t len, long timeout_s, char *err,
		size_t errlen);

#endif /* __PUSHGW_H */
