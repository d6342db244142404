// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The Pushgateway's group URLs; see run/pushgw.h. Pure: no I/O (the HTTP is http/client.c's). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "run/pushgw.h"

static const char *after_scheme(const char *url)
{
	if (!strncmp(url, "http://", 7))
		return url + 7;
	if (!strncmp(url, "https://", 8))
		return url + 8;
	return NULL;
}

int pushgw__check_url(const char *url, char *err, size_t errlen)
{
	const char *host = after_scheme(url);

	if (!host) {
		snprintf(err, errlen, "expected http://HOST:PORT or https://HOST:PORT");
		return -EINVAL;
	}
	if (!*host || *host == '/' || *host == ':') {
		snprintf(err, errlen, "no host in the URL");
		return -EINVAL;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, errlen, "spaces and control characters are not allowed");
			return -EINVAL;
		}
	if (strpbrk(url, "?#")) {
		snprintf(err, errlen, "the URL must not have a query or a fragment");
		return -EINVAL;
	}
	return 0;
}

int pushgw__check_label(const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	size_t n = eq ? (size_t)(eq - kv) : 0;

	if (!eq || !n) {
		snprintf(err, errlen, "expected NAME=VALUE");
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = kv[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			  (i && c >= '0' && c <= '9');

		if (!ok) {
			snprintf(err, errlen, "a label name is letters, digits and '_', "
				 "not starting with a digit");
			return -EINVAL;
		}
	}
	if (n == 3 && !strncmp(kv, "job", 3)) {
		snprintf(err, errlen, "the job is set with --job");
		return -EINVAL;
	}
	if (n >= 2 && !strncmp(kv, "__", 2)) {
		snprintf(err, errlen, "label names starting with __ are reserved");
		return -EINVAL;
	}
	return 0;
}

struct out {
	char *buf;
	size_t len, n;
};

static void put(struct out *o, char c)
{
	if (o->n + 1 < o->len)
		o->buf[o->n] = c;
	o->n++;
}

static void puts_(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
}

static void percent(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			put(o, c);
		} else {
			put(o, '%');
			put(o, hex[c >> 4]);
			put(o, hex[c & 15]);
		}
	}
}

/* RFC 4648 section 5, with padding (the Pushgateway takes "=" for an empty value). */
static void base64url(struct out *o, const unsigned char *s, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	if (!n) {
		put(o, '=');
		return;
	}
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);

		put(o, tab[v >> 18 & 63]);
		put(o, tab[v >> 12 & 63]);
		put(o, i + 1 < n ? tab[v >> 6 & 63] : '=');
		put(o, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* "/NAME/VALUE" or "/NAME@base64/..." */
static void segment(struct out *o, const char *name, size_t nlen, const char *value)
{
	size_t vlen = strlen(value);

	put(o, '/');
	puts_(o, name, nlen);
	if (!vlen || memchr(value, '/', vlen)) {
		puts_(o, "@base64/", 8);
		base64url(o, (const unsigned char *)value, vlen);
	} else {
		put(o, '/');
		percent(o, value, vlen);
	}
}

size_t pushgw__url(char *out, size_t len, const char *base, const char *job,
		   const char *const *labels, int n)
{
	struct out o = { out, len, 0 };
	size_t blen = strlen(base);

	while (blen && base[blen - 1] == '/')
		blen--;
	puts_(&o, base, blen);
	puts_(&o, "/metrics", 8);
	segment(&o, "job", 3, job);
	for (int i = 0; i < n; i++) {
		const char *eq = strchr(labels[i], '=');

		if (eq)
			segment(&o, labels[i], eq - labels[i], eq + 1);
	}
	if (len)
		out[o.n < len ? o.n : len - 1] = '\0';
	return o.n;
}

void pushgw__redact(char *out, size_t len, const char *url)
{
	const char *host = after_scheme(url), *at, *end;

	if (!host) {
		snprintf(out, len, "%s", url);
		return;
	}
	end = host + strcspn(host, "/");
	at = memrchr(host, '@', end - host);
	if (!at) {
		snprintf(out, len, "%s", url);
		return;
	}
	snprintf(out, len, "%.*s%s", (int)(host - url), url, at + 1);
}
