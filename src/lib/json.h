/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A streaming JSON writer into a growable buffer, and the string escaper it
 * uses. Pure: no I/O.
 *
 * Commas are placed automatically: a value after a key takes no comma, any
 * other value or key after the first in its container takes one. The buffer
 * is always NUL-terminated once something was written. Errors are sticky
 * until jw_reset(): once w->err is set, nothing more is written.
 */
#ifndef __JSON_H
#define __JSON_H

#include <stddef.h>

#define JW_MAX_DEPTH 32

struct jw {
	char *buf;
	size_t len, cap;
	int depth;
	unsigned char first[JW_MAX_DEPTH];	/* per open container: JW_FIRST, JW_AFTER_KEY or 0 */
	int err;	/* -ENOMEM: allocation failed; -E2BIG: nested deeper than JW_MAX_DEPTH;
			 * -EINVAL: a container closed that was not open; or the sink's */
	/* optional (jw_sink()): where the text goes once the buffer holds sink_at bytes */
	int (*sink)(void *ctx, const char *s, size_t n);
	void *sink_ctx;
	size_t sink_at;
	size_t sunk;	/* bytes handed to the sink since jw_reset() */
};

void jw_init(struct jw *w);
/*
 * Stream: once the buffer holds at bytes, hand them to sink (which returns 0 or -errno,
 * then sticky in w->err) and go on from an empty buffer, so that a document of many
 * megabytes never sits in memory whole. w->buf then holds its tail only. sink NULL:
 * the whole document stays in the buffer (the default).
 */
void jw_sink(struct jw *w, int (*sink)(void *ctx, const char *s, size_t n), void *ctx,
	     size_t at);
/* Empty the buffer (keeping its memory and the sink), depth 0, no error. */
void jw_reset(struct jw *w);
void jw_free(struct jw *w);
/* After a line: free a buffer above keep bytes that the line used under a quarter of
 * (the line of a flood of processes); it grows again as needed. */
void jw_trim(struct jw *w, size_t keep);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
/* n bytes of s, which may hold NULs and any other bytes: see json_escape(). */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, unsigned long long v);
void jw_i64(struct jw *w, long long v);
/* Fixed decimals (clamped to 0..JW_MAX_DECIMALS), '.' whatever the locale;
 * NaN and infinities become null, a value that rounds to zero is never "-0". */
#define JW_MAX_DECIMALS 64
void jw_double(struct jw *w, double v, int decimals);
void jw_null(struct jw *w);
void jw_bool(struct jw *w, int v);
/* A value written verbatim (commas handled like any other value). */
void jw_raw(struct jw *w, const char *s);

/*
 * Escape n bytes of src as the inside of a JSON string: '"' and '\\'; \n, \r
 * and \t by name, every other byte below 0x20 and 0x7f as \u00XX; each
 * maximal ill-formed UTF-8 subsequence (RFC 3629: overlongs, surrogates,
 * above U+10FFFF, truncated sequences, stray continuation bytes) as \ufffd.
 * Well-formed multibyte UTF-8 passes through. Writes the longest prefix of
 * whole escapes that fits in cap bytes (no NUL); returns the bytes the whole
 * escape needs, so json_escape(NULL, 0, src, n) sizes it.
 */
size_t json_escape(char *dst, size_t cap, const char *src, size_t n);
/* How many bytes of src escape into at most cap bytes: a prefix that never
 * ends inside a character or an escape. */
size_t json_escape_fit(const char *src, size_t n, size_t cap);

/*
 * Shared with promtext.c. utf8_next(): 0 and *len the length of the
 * well-formed UTF-8 character at s, or -EILSEQ and *len the length of the
 * maximal ill-formed subsequence there (the bytes one U+FFFD replaces, as
 * Unicode's "substitution of maximal subparts" counts them). n must be > 0.
 */
int utf8_next(const char *s, size_t n, size_t *len);
/* Rewrite a locale's decimal separator in a printf'd number to '.', in place. */
void num_c_radix(char *num);

#endif /* __JSON_H */
