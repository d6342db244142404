// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus text exposition; see lib/promtext.h. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json.h"
#include "lib/promtext.h"

void pbuf_init(struct pbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void pbuf_reset(struct pbuf *b)
{
	b->len = 0;
	b->err = 0;
	b->skip = b->skip_created = false;
	b->created[0] = '\0';
	if (b->buf)
		b->buf[0] = '\0';
}

void pbuf_free(struct pbuf *b)
{
	free(b->buf);
	pbuf_init(b);
}

/* Room for more bytes and a NUL; 0 or the (sticky) error. */
static int grow(struct pbuf *b, size_t more)
{
	size_t cap;
	char *buf;

	if (b->err)
		return b->err;
	if (more > SIZE_MAX / 4 - b->len)
		return b->err = -ENOMEM;
	if (b->len + more + 1 <= b->cap)
		return 0;
	for (cap = b->cap ? b->cap : 4096; cap < b->len + more + 1; cap *= 2)
		;
	buf = realloc(b->buf, cap);
	if (!buf)
		return b->err = -ENOMEM;
	b->buf = buf;
	b->cap = cap;
	return 0;
}

static void put(struct pbuf *b, const char *s, size_t n)
{
	if (grow(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

void pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += n;
}

size_t prom_escape_label(char *dst, size_t cap, const char *src)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(src), i = 0, out = 0;

	while (i < n) {
		unsigned char c = src[i];
		/* a byte as \xHH in the value: "\\xHH" in the exposition */
		char esc[5] = { '\\', '\\', 'x', hex[c >> 4], hex[c & 0xf] };
		const char *put = esc;
		size_t len = 5, k = 1;

		if (c == '\\') {
			put = "\\\\\\\\";	/* \\ in the value */
			len = 4;
		} else if (c == '"') {
			put = "\\\"";
			len = 2;
		} else if (c < 0x20 || c == 0x7f) {
			;	/* \xHH */
		} else if (!utf8_next(src + i, n - i, &k)) {
			put = src + i;
			len = k;
		} else {
			k = 1;	/* each byte of an ill-formed sequence as \xHH */
		}
		if (out + len <= cap)
			memcpy(dst + out, put, len);
		out += len;
		i += k;
	}
	return out;
}

bool prom_name_matches(const regex_t *re, const char *name)
{
	regmatch_t m;

	return !regexec(re, name, 1, &m, 0) && m.rm_so == 0 && (size_t)m.rm_eo == strlen(name);
}

void prom_family(struct pbuf *b, const char *name, const char *type, const char *help)
{
	size_t n = strlen(name);
	int base = (int)n;

	b->skip = b->drop && prom_name_matches(b->drop, name);
	b->created[0] = '\0';
	if (b->skip)
		return;
	if (b->format == PROM_OPENMETRICS && !strcmp(type, "counter") && n > 6 &&
	    !strcmp(name + n - 6, "_total")) {
		base = (int)n - 6;
		snprintf(b->created, sizeof(b->created), "%.*s_created", base, name);
		b->skip_created = b->drop && prom_name_matches(b->drop, b->created);
	}
	pbuf_printf(b, "# HELP %.*s ", base, name);
	for (const char *s = help; *s; s++) {
		if (*s == '\\')
			put(b, "\\\\", 2);
		else if (*s == '\n')
			put(b, "\\n", 2);
		else if (*s == '"' && b->format == PROM_OPENMETRICS)
			put(b, "\\\"", 2);	/* OpenMetrics escapes it too */
		else
			put(b, s, 1);
	}
	pbuf_printf(b, "\n# TYPE %.*s %s\n", base, name, type);
}

static void value(struct pbuf *b, double v)
{
	char num[40];
	int prec;

	if (isnan(v)) {
		put(b, "NaN", 3);
		return;
	}
	if (isinf(v)) {
		put(b, v > 0 ? "+Inf" : "-Inf", 4);
		return;
	}
	if (v == trunc(v) && fabs(v) < 0x1p53) {
		pbuf_printf(b, "%lld", (long long)v);	/* -0.0 prints 0 */
		return;
	}
	/* strtod reads the same locale snprintf wrote in: the round trip holds in any */
	for (prec = 15; prec < 17; prec++) {
		snprintf(num, sizeof(num), "%.*g", prec, v);
		if (strtod(num, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(num, sizeof(num), "%.17g", v);
	num_c_radix(num);
	put(b, num, strlen(num));
}

void prom_sample(struct pbuf *b, const char *name, const char *const *labels, double v)
{
	const char *open = "{";
	size_t need;

	if (b->skip)
		return;
	put(b, name, strlen(name));
	for (const char *const *l = labels; l && l[0]; l += 2) {
		if (!l[1])
			continue;
		pbuf_printf(b, "%s%s=\"", open, l[0]);
		open = ",";
		need = prom_escape_label(NULL, 0, l[1]);
		if (grow(b, need))
			return;
		prom_escape_label(b->buf + b->len, need, l[1]);
		b->len += need;
		b->buf[b->len] = '\0';
		put(b, "\"", 1);
	}
	if (*open == ',')
		put(b, "}", 1);
	put(b, " ", 1);
	value(b, v);
	put(b, "\n", 1);
}

void prom_counter(struct pbuf *b, const char *name, const char *const *labels, double value,
		  double created)
{
	prom_sample(b, name, labels, value);
	if (b->created[0] && created > 0 && !b->skip_created)
		prom_sample(b, b->created, labels, created);
}

void prom_metric(struct pbuf *b, const char *name, const char *type, const char *help,
		 const char *const *labels, double value)
{
	prom_family(b, name, type, help);
	prom_sample(b, name, labels, value);
}

void prom_end(struct pbuf *b)
{
	if (b->format == PROM_OPENMETRICS)
		put(b, "# EOF\n", 6);
}
