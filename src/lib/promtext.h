/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Prometheus text exposition format 0.0.4. Pure: no I/O. */
#ifndef __PROMTEXT_H
#define __PROMTEXT_H

#include <stddef.h>

/* A growable text buffer, NUL-terminated once written to. Errors are sticky
 * until pbuf_reset(): once err is set, nothing more is written. */
struct pbuf {
	char *buf;
	size_t len, cap;
	int err;		/* -ENOMEM once an allocation failed */
};

void pbuf_init(struct pbuf *b);
/* Empty the buffer (keeping its memory) and clear err. */
void pbuf_reset(struct pbuf *b);
void pbuf_free(struct pbuf *b);
void pbuf_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * "# HELP name help" and "# TYPE name type" (type "gauge" or "counter");
 * help escaped as the format wants (\\ and \n). Names are the caller's
 * constants and are not checked.
 */
void prom_family(struct pbuf *b, const char *name, const char *type, const char *help);
/*
 * One sample line: name{l1="v1",l2="v2"} value. labels: NULL, or a
 * NULL-terminated array of alternating label name and value; a NULL value
 * leaves its label out. Values: NaN, +Inf, -Inf; integral values below 2^53
 * in full without exponent; others in the shortest of %.15g..%.17g that
 * reads back exactly; '.' whatever the locale.
 */
void prom_sample(struct pbuf *b, const char *name, const char *const *labels, double value);
/* A family of one sample: prom_family() then prom_sample(). */
void prom_metric(struct pbuf *b, const char *name, const char *type, const char *help,
		 const char *const *labels, double value);
/*
 * Escape a label value losslessly, so that two names never make one series.
 * The value shown is the name with \ doubled and every byte that is not
 * printable UTF-8 written as \xHH: control bytes (below 0x20, and 0x7f) and
 * each byte of an ill-formed UTF-8 sequence. That value is then escaped as
 * the text format wants (\ as \\, " as \"), so the byte 0x01 appears in the
 * page as \\x01 and a backslash as \\\\. Well-formed UTF-8 passes through.
 * Writes the longest prefix of whole escapes that fits in cap bytes (no
 * NUL); returns the bytes the whole escape needs.
 */
size_t prom_escape_label(char *dst, size_t cap, const char *src);

#endif /* __PROMTEXT_H */
