// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus text exposition; see include/promtext.h. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "promtext.h"

void pbuf_init(struct pbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void pbuf_reset(struct pbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->buf)
		b->buf[0] = '\0';
}

void pbuf_free(struct pbuf *b)
{
	free(b->buf);
	pbuf_init(b);
}

static int grow(struct pbuf *b, size_t more)
{
	size_t cap;
	char *buf;

	if (b->err)
		return b->err;
	if (b->len + more + 1 <= b->cap)
		return 0;
	for (cap = b->cap ? b->cap : 8192; cap < b->len + more + 1; cap *= 2)
		;
	buf = realloc(b->buf, cap);
	if (!buf)
		return b->err = -ENOMEM;
	b->buf = buf;
	b->cap = cap;
	return 0;
}

void pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

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

static void put(struct pbuf *b, const char *s, size_t n)
{
	if (grow(b, n))
		return;
	memcpy(b->buf + b->len, s, n);
	b->len += n;
	b->buf[b->len] = '\0';
}

/*
 * Label values share the JSON escaper's UTF-8 validation; of its escapes only
 * \" and \\ mean the same here, so control bytes are rewritten: \n stays (the
 * format knows it), the others become U+FFFD, which the format has no escape
 * for and a scraper would otherwise reject.
 */
size_t prom_escape_label(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src), need = json_escape(NULL, 0, src, n), out = 0;
	char *tmp = malloc(need + 1);

	if (!tmp)
		return 0;
	json_escape(tmp, need, src, n);
	for (size_t i = 0; i < need; i++) {
		const char *rep = NULL;
		char one[2] = { tmp[i], 0 };
		size_t len;

		if (tmp[i] == '\\') {
			char e = tmp[i + 1];

			if (e == '"' || e == '\\' || e == 'n') {
				one[0] = '\\';
				rep = e == '"' ? "\\\"" : e == '\\' ? "\\\\" : "\\n";
				i++;
			} else if (e == 'u' && !strncmp(tmp + i, "\\ufffd", 6)) {
				rep = "\xef\xbf\xbd";
				i += 5;
			} else {	/* \t, \r, \u00XX: a control byte */
				rep = "\xef\xbf\xbd";
				i += e == 'u' ? 5 : 1;
			}
		}
		if (!rep)
			rep = one;
		len = strlen(rep);
		if (out + len <= cap)
			memcpy(dst + out, rep, len);
		out += len;
	}
	free(tmp);
	return out;
}

static void help_text(struct pbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(b, "\\\\", 2);
		else if (*s == '\n')
			put(b, "\\n", 2);
		else
			put(b, s, 1);
	}
}

void prom_family(struct pbuf *b, const char *name, const char *type, const char *help)
{
	pbuf_printf(b, "# HELP %s ", name);
	help_text(b, help);
	pbuf_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* The shortest decimal that reads back as exactly v. */
static void shortest(struct pbuf *b, double v)
{
	char buf[32];

	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	put(b, buf, strlen(buf));
}

static void value(struct pbuf *b, double v)
{
	if (isnan(v))
		put(b, "NaN", 3);
	else if (isinf(v))
		put(b, v > 0 ? "+Inf" : "-Inf", 4);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		pbuf_printf(b, "%.0f", v == 0 ? 0.0 : v);
	else
		shortest(b, v);
}

void prom_sample(struct pbuf *b, const char *name, const char *const *labels, double v)
{
	bool first = true;

	put(b, name, strlen(name));
	for (const char *const *l = labels; l && l[0]; l += 2) {
		size_t need;

		if (!l[1])
			continue;
		put(b, first ? "{" : ",", 1);
		first = false;
		pbuf_printf(b, "%s=\"", l[0]);
		need = prom_escape_label(NULL, 0, l[1]);
		if (!grow(b, need)) {
			prom_escape_label(b->buf + b->len, need, l[1]);
			b->len += need;
			b->buf[b->len] = '\0';
		}
		put(b, "\"", 1);
	}
	if (!first)
		put(b, "}", 1);
	put(b, " ", 1);
	value(b, v);
	put(b, "\n", 1);
}
