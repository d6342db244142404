/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Prometheus text exposition format 0.0.4. Pure: no I/O. */
#ifndef __PROMTEXT_H
#define __PROMTEXT_H

#include <stddef.h>

struct pbuf {
	char *buf;
	size_t len, cap;
	int err;		/* -ENOMEM once an allocation failed */
};

void pbuf_init(struct pbuf *b);
void pbuf_reset(struct pbuf *b);
void pbuf_free(struct pbuf *b);
void pbuf_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* # HELP and # TYPE lines of a family; help text escaped (\\ and \n). */
void prom_family(struct pbuf *b, const char *name, const char *type, const char *help);
/* name{l1="v1",...} value; labels: NULL-terminated name, value pairs, or NULL. */
void prom_sample(struct pbuf *b, const char *name, const char *const *labels, double value);
/* Escape a label value: \\, \" and \n; bytes that are not UTF-8 become U+FFFD.
 * Writes at most cap bytes (no NUL); returns the bytes needed. */
size_t prom_escape_label(char *dst, size_t cap, const char *src);

#endif /* __PROMTEXT_H */
