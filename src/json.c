// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Streaming JSON writer and a complete string escaper; see include/json.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		unsigned lo = c == 0xe0 ? 0xa0 : 0x80;	/* no overlongs */
		unsigned hi = c == 0xed ? 0x9f : 0xbf;	/* no surrogates */

		return n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned lo = c == 0xf0 ? 0x90 : 0x80;
		unsigned hi = c == 0xf4 ? 0x8f : 0xbf;	/* nothing above U+10FFFF */

		return n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 &&
		       (s[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

size_t json_escape(char *dst, size_t cap, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, out = 0;

#define PUT(str, len) do {						\
		if (out + (len) <= cap)					\
			memcpy(dst + out, (str), (len));		\
		out += (len);						\
	} while (0)

	while (i < n) {
		unsigned c = s[i];
		char esc[8];
		size_t k;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			PUT(esc, 2);
			i++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			PUT(esc, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			PUT(esc, 6);
			i++;
		} else if ((k = utf8_len(s + i, n - i))) {
			PUT(s + i, k);
			i += k;
		} else {
			PUT("\\ufffd", 6);	/* one replacement per bad byte */
			i++;
		}
	}
#undef PUT
	return out;
}

static void grow(struct jw *w, size_t more)
{
	size_t cap;
	char *buf;

	if (w->err || w->len + more + 1 <= w->cap)
		return;
	for (cap = w->cap ? w->cap : 4096; cap < w->len + more + 1; cap *= 2)
		;
	buf = realloc(w->buf, cap);
	if (!buf) {
		w->err = -ENOMEM;
		return;
	}
	w->buf = buf;
	w->cap = cap;
}

static void put(struct jw *w, const char *s, size_t n)
{
	grow(w, n);
	if (w->err)
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->err = 0;
	if (w->buf)
		w->buf[0] = '\0';
}

void jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

/* Before a value: a comma unless it is the first in its container or follows a key. */
static void sep(struct jw *w)
{
	if (w->depth <= 0 || w->depth > JW_MAX_DEPTH)
		return;
	if (w->first[w->depth - 1] == 2) {	/* after a key */
		w->first[w->depth - 1] = 0;
		return;
	}
	if (!w->first[w->depth - 1])
		put(w, ",", 1);
	w->first[w->depth - 1] = 0;
}

static void open_(struct jw *w, char c)
{
	sep(w);
	put(w, &c, 1);
	if (w->depth < JW_MAX_DEPTH)
		w->first[w->depth] = 1;
	w->depth++;
}

static void close_(struct jw *w, char c)
{
	w->depth--;
	put(w, &c, 1);
}

void jw_obj_begin(struct jw *w)
{
	open_(w, '{');
}

void jw_obj_end(struct jw *w)
{
	close_(w, '}');
}

void jw_arr_begin(struct jw *w)
{
	open_(w, '[');
}

void jw_arr_end(struct jw *w)
{
	close_(w, ']');
}

static void string(struct jw *w, const char *s, size_t n)
{
	size_t need = json_escape(NULL, 0, s, n);

	grow(w, need + 2);
	if (w->err)
		return;
	w->buf[w->len++] = '"';
	json_escape(w->buf + w->len, need, s, n);
	w->len += need;
	w->buf[w->len++] = '"';
	w->buf[w->len] = '\0';
}

void jw_key(struct jw *w, const char *key)
{
	sep(w);
	string(w, key, strlen(key));
	put(w, ":", 1);
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH)
		w->first[w->depth - 1] = 2;
}

void jw_strn(struct jw *w, const char *s, size_t n)
{
	sep(w);
	string(w, s, n);
}

void jw_str(struct jw *w, const char *s)
{
	jw_strn(w, s, strlen(s));
}

static void scalar(struct jw *w, const char *s)
{
	sep(w);
	put(w, s, strlen(s));
}

void jw_u64(struct jw *w, unsigned long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", v);
	scalar(w, buf);
}

void jw_i64(struct jw *w, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	scalar(w, buf);
}

void jw_double(struct jw *w, double v, int decimals)
{
	char buf[400];

	if (!isfinite(v)) {
		scalar(w, "null");
		return;
	}
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	if (buf[0] == '-') {	/* "-0.000" is 0 */
		char *p = buf + 1;

		while (*p == '0' || *p == '.')
			p++;
		if (!*p)
			memmove(buf, buf + 1, strlen(buf));
	}
	scalar(w, buf);
}

void jw_null(struct jw *w)
{
	scalar(w, "null");
}

void jw_bool(struct jw *w, int v)
{
	scalar(w, v ? "true" : "false");
}

void jw_raw(struct jw *w, const char *s)
{
	scalar(w, s);
}
