/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Prometheus Pushgateway: the URL of a group and pushing a page to it.
 * Pure: the HTTP is http/client.h's.
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

/* The Content-Type of what is pushed (the text format). */
#define PUSHGW_CONTENT_TYPE "text/plain; version=0.0.4"

#endif /* __PUSHGW_H */
