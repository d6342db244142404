/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A streaming JSON writer into a growable buffer. Pure: no I/O. */
#ifndef __JSON_H
#define __JSON_H

#include <stddef.h>

#define JW_MAX_DEPTH 32

struct jw {
	char *buf;
	size_t len, cap;
	int depth;
	unsigned char first[JW_MAX_DEPTH];	/* no member written yet at this depth */
	int err;				/* -ENOMEM once an allocation failed */
};

void jw_init(struct jw *w);
void jw_reset(struct jw *w);
void jw_free(struct jw *w);
void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_u64(struct jw *w, unsigned long long v);
void jw_i64(struct jw *w, long long v);
/* Fixed decimals; NaN and infinities become null, -0 becomes 0. */
void jw_double(struct jw *w, double v, int decimals);
void jw_null(struct jw *w);
void jw_bool(struct jw *w, int v);
void jw_raw(struct jw *w, const char *s);

/*
 * Escape n bytes of src as the inside of a JSON string: '"' and '\\', every
 * byte below 0x20 and 0x7f as an escape, and every byte that is not part of
 * well-formed UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF) as U+FFFD. Writes at most cap bytes (no NUL); returns the bytes
 * the whole escape needs.
 */
size_t json_escape(char *dst, size_t cap, const char *src, size_t n);

#endif /* __JSON_H */
