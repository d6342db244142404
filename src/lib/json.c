// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Streaming JSON writer and a complete string escaper; see lib/json.h. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json.h"

/* States in first[]: the low bits say what comes next, JW_OBJ what the container is. */
#define JW_FIRST	1	/* nothing written in it yet */
#define JW_AFTER_KEY	2	/* a key was written, its value comes next */
#define JW_STATE	3
#define JW_OBJ		4

int utf8_next(const char *src, size_t n, size_t *len)
{
	const unsigned char *s = (const unsigned char *)src;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] < 0x80) {
		*len = 1;
		return 0;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 2;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;	/* below: overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;	/* above: surrogates U+D800..DFFF */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 4;
		if (s[0] == 0xf0)
			lo = 0x90;	/* below: overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;	/* above: beyond U+10FFFF */
	} else {
		/* stray continuation byte, C0/C1 (always overlong) or F5..FF */
		*len = 1;
		return -EILSEQ;
	}
	/* the second byte has the narrow range, the others any continuation */
	for (i = 1; i < need && i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			break;
		lo = 0x80;
		hi = 0xbf;
	}
	*len = i;
	return i == need ? 0 : -EILSEQ;
}

void num_c_radix(char *num)
{
	char *out = num, *p = num;

	while (*p) {
		if (strchr("0123456789+-eE", *p)) {
			*out++ = *p++;
			continue;
		}
		*out++ = '.';
		while (*p && !strchr("0123456789+-eE", *p))
			p++;
	}
	*out = '\0';
}

/* The escape of the character (or byte) at src[i]: *put, *len bytes; returns
 * the source bytes it stands for. esc is room for a \uXXXX escape. */
static size_t escape_unit(const char *src, size_t n, size_t i, char esc[6], const char **put,
			  size_t *len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = src[i];
	size_t k = 1;

	esc[0] = '\\';
	*put = esc;
	*len = 2;
	if (c == '"' || c == '\\') {
		esc[1] = c;
	} else if (c == '\n' || c == '\r' || c == '\t') {
		esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
	} else if (c < 0x20 || c == 0x7f) {
		memcpy(esc + 1, "u00", 3);
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 0xf];
		*len = 6;
	} else if (!utf8_next(src + i, n - i, &k)) {
		*put = src + i;
		*len = k;
	} else {
		*put = "\\ufffd";
		*len = 6;
	}
	return k;
}

size_t json_escape(char *dst, size_t cap, const char *src, size_t n)
{
	size_t i = 0, out = 0;

	while (i < n) {
		char esc[6];
		const char *put;
		size_t len, k = escape_unit(src, n, i, esc, &put, &len);

		if (out + len <= cap)
			memcpy(dst + out, put, len);
		out += len;
		i += k;
	}
	return out;
}

size_t json_escape_fit(const char *src, size_t n, size_t cap)
{
	size_t i = 0, out = 0;

	while (i < n) {
		char esc[6];
		const char *put;
		size_t len, k = escape_unit(src, n, i, esc, &put, &len);

		if (out + len > cap)
			break;
		out += len;
		i += k;
	}
	return i;
}

/* Room for more bytes and a NUL; 0 or the (sticky) error. */
static int grow(struct jw *w, size_t more)
{
	size_t cap;
	char *buf;

	if (w->err)
		return w->err;
	if (more > SIZE_MAX / 4 - w->len)
		return w->err = -ENOMEM;
	if (w->sink && w->len >= w->sink_at && w->len) {
		int err = w->sink(w->sink_ctx, w->buf, w->len);

		if (err)
			return w->err = err;
		w->sunk += w->len;
		w->len = 0;
	}
	if (w->len + more + 1 <= w->cap)
		return 0;
	for (cap = w->cap ? w->cap : 1024; cap < w->len + more + 1; cap *= 2)
		;
	buf = realloc(w->buf, cap);
	if (!buf)
		return w->err = -ENOMEM;
	w->buf = buf;
	w->cap = cap;
	return 0;
}

static void put(struct jw *w, const char *s, size_t n)
{
	if (grow(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

void jw_init(struct jw *w)
{
	memset(w, 0, sizeof(*w));
}

void jw_sink(struct jw *w, int (*sink)(void *ctx, const char *s, size_t n), void *ctx,
	     size_t at)
{
	w->sink = sink;
	w->sink_ctx = ctx;
	w->sink_at = at;
}

void jw_reset(struct jw *w)
{
	w->len = 0;
	w->sunk = 0;
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

void jw_trim(struct jw *w, size_t keep)
{
	if (w->cap > keep && 4 * w->len < w->cap) {
		free(w->buf);
		w->buf = NULL;
		w->len = w->cap = 0;
	}
}

/* Before a key, or a value that does not follow a key: a comma unless first. */
static void sep(struct jw *w)
{
	unsigned char *st;

	if (w->err || w->depth <= 0)
		return;
	st = &w->first[w->depth - 1];
	if ((*st & JW_STATE) == 0)
		put(w, ",", 1);
	*st &= ~JW_STATE;
}

static void open_container(struct jw *w, char c, unsigned char obj)
{
	sep(w);
	if (w->err)
		return;
	if (w->depth >= JW_MAX_DEPTH) {
		w->err = -E2BIG;
		return;
	}
	put(w, &c, 1);
	if (w->err)
		return;
	w->first[w->depth++] = JW_FIRST | obj;
}

static void close_container(struct jw *w, char c, unsigned char obj)
{
	if (w->err)
		return;
	if (w->depth <= 0 || (w->first[w->depth - 1] & JW_OBJ) != obj) {
		w->err = -EINVAL;
		return;
	}
	put(w, &c, 1);
	w->depth--;
}

void jw_obj_begin(struct jw *w)
{
	open_container(w, '{', JW_OBJ);
}

void jw_obj_end(struct jw *w)
{
	close_container(w, '}', JW_OBJ);
}

void jw_arr_begin(struct jw *w)
{
	open_container(w, '[', 0);
}

void jw_arr_end(struct jw *w)
{
	close_container(w, ']', 0);
}

static void string(struct jw *w, const char *s, size_t n)
{
	size_t need = json_escape(NULL, 0, s, n);

	if (grow(w, need + 2))
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
	if (!w->err && w->depth > 0)
		w->first[w->depth - 1] |= JW_AFTER_KEY;
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

void jw_raw(struct jw *w, const char *s)
{
	sep(w);
	put(w, s, strlen(s));
}

void jw_u64(struct jw *w, unsigned long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", v);
	jw_raw(w, buf);
}

void jw_i64(struct jw *w, long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	jw_raw(w, buf);
}

void jw_double(struct jw *w, double v, int decimals)
{
	/* sign, 309 integer digits of DBL_MAX, separator (a few bytes in some locales) */
	char buf[320 + JW_MAX_DECIMALS], *p;

	if (!isfinite(v)) {
		jw_null(w);
		return;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > JW_MAX_DECIMALS)
		decimals = JW_MAX_DECIMALS;
	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	num_c_radix(buf);
	if (buf[0] == '-') {
		/* -0.0 or a negative value too small for the decimals: no "-0.000" */
		for (p = buf + 1; *p == '0' || *p == '.'; p++)
			;
		if (!*p)
			memmove(buf, buf + 1, strlen(buf));
	}
	jw_raw(w, buf);
}

void jw_null(struct jw *w)
{
	jw_raw(w, "null");
}

void jw_bool(struct jw *w, int v)
{
	jw_raw(w, v ? "true" : "false");
}
