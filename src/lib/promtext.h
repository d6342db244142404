/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Prometheus text exposition format 0.0.4, and OpenMetrics 1.0.0 text (the
 * same families: counters' TYPE and HELP named without _total, a _created
 * sample after each counter's, and "# EOF" at the end). Pure: no I/O.
 */
#ifndef __PROMTEXT_H
#define __PROMTEXT_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

enum prom_format { PROM_TEXT, PROM_OPENMETRICS };

#define PROM_TEXT_TYPE		"text/plain; version=0.0.4; charset=utf-8"
#define PROM_OPENMETRICS_TYPE	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/* A growable text buffer, NUL-terminated once written to. Errors are sticky
 * until pbuf_reset(): once err is set, nothing more is written. */
struct pbuf {
	char *buf;
	size_t len, cap;
	int err;		/* -ENOMEM once an allocation failed */
	/* set by the caller; pbuf_reset() keeps them */
	enum prom_format format;
	const regex_t *drop;	/* families whose whole name matches are left out (and, in
				 * OpenMetrics, _created samples whose name does) */
	/* the family being written (prom_family()) */
	bool skip;		/* left out */
	bool skip_created;	/* a counter whose _created samples are left out */
	char created[128];	/* a counter's _created name (OpenMetrics), or "" */
};

void pbuf_init(struct pbuf *b);
/* Empty the buffer (keeping its memory) and clear err. */
void pbuf_reset(struct pbuf *b);
void pbuf_free(struct pbuf *b);
void pbuf_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * "# HELP name help" and "# TYPE name type" (type "gauge" or "counter");
 * help escaped as the format wants (\\ and \n). Names are the caller's
 * constants and are not checked; a counter's ends with _total, which
 * OpenMetrics leaves out of HELP and TYPE. With b->drop, a family whose name
 * matches is left out, its samples too, until the next prom_family().
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
/*
 * A sample of a counter: prom_sample(), and in OpenMetrics a _created sample
 * with the same labels (the Unix time in seconds at which the counter was 0),
 * as the client libraries write it; none when created is 0 (not known).
 */
void prom_counter(struct pbuf *b, const char *name, const char *const *labels, double value,
		  double created);
/* A family of one sample: prom_family() then prom_sample(). */
void prom_metric(struct pbuf *b, const char *name, const char *type, const char *help,
		 const char *const *labels, double value);
/* The end of the page: "# EOF" in OpenMetrics, nothing in text 0.0.4. */
void prom_end(struct pbuf *b);
/* Does the whole of name match re (the anchored match of --no-metric)? */
bool prom_name_matches(const regex_t *re, const char *name);
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
