// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Strings from processes made safe for a terminal; the rule is in lib/termsafe.h. */
#include <langinfo.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>
#include "lib/json.h"
#include "lib/termsafe.h"

struct range {
	unsigned lo, hi;
};

/*
 * Code points never drawn as they are, even where the locale calls them
 * printable: they are invisible or blank (so "a\u200bb" would look like "ab"),
 * reorder the text around them, or end a line. Unicode 15's
 * Default_Ignorable_Code_Point, general categories Cf, Zs (but U+0020), Zl,
 * Zp, and the C1 controls. Sorted, for the binary search.
 */
static const struct range hidden[] = {
	{ 0x0080, 0x00a0 },	/* C1 controls, NO-BREAK SPACE */
	{ 0x00ad, 0x00ad },	/* SOFT HYPHEN */
	{ 0x034f, 0x034f },	/* COMBINING GRAPHEME JOINER */
	{ 0x0600, 0x0605 },	/* Arabic number signs */
	{ 0x061c, 0x061c },	/* ARABIC LETTER MARK */
	{ 0x06dd, 0x06dd },
	{ 0x070f, 0x070f },
	{ 0x0890, 0x0891 },
	{ 0x08e2, 0x08e2 },
	{ 0x115f, 0x1160 },	/* Hangul fillers */
	{ 0x1680, 0x1680 },	/* OGHAM SPACE MARK */
	{ 0x17b4, 0x17b5 },
	{ 0x180b, 0x180f },	/* Mongolian variation selectors, vowel separator */
	{ 0x2000, 0x200f },	/* spaces, zero-width space/joiners, LRM, RLM */
	{ 0x2028, 0x202f },	/* line/paragraph separators, bidi embeddings, NNBSP */
	{ 0x205f, 0x206f },	/* MMSP, word joiner, invisible operators, bidi isolates */
	{ 0x3000, 0x3000 },	/* IDEOGRAPHIC SPACE */
	{ 0x3164, 0x3164 },	/* HANGUL FILLER */
	{ 0xfdd0, 0xfdef },	/* noncharacters */
	{ 0xfe00, 0xfe0f },	/* variation selectors */
	{ 0xfeff, 0xfeff },	/* ZERO WIDTH NO-BREAK SPACE (BOM) */
	{ 0xffa0, 0xffa0 },	/* HALFWIDTH HANGUL FILLER */
	{ 0xfff0, 0xfffb },	/* unassigned ignorables, interlinear annotation */
	{ 0x110bd, 0x110bd },
	{ 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f },	/* Egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 },	/* shorthand format controls */
	{ 0x1d173, 0x1d17a },	/* musical symbol format controls */
	{ 0xe0000, 0xe0fff },	/* tags, variation selectors supplement */
};

static bool is_hidden(unsigned cp)
{
	size_t lo = 0, hi = sizeof(hidden) / sizeof(hidden[0]);

	if ((cp & 0xfffe) == 0xfffe)	/* U+xxFFFE, U+xxFFFF: noncharacters */
		return true;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cp < hidden[mid].lo)
			hi = mid;
		else if (cp > hidden[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* The code point of a well-formed UTF-8 character of len bytes. */
static unsigned decode(const unsigned char *s, size_t len)
{
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned cp = s[0] & lead_mask[len];

	for (size_t i = 1; i < len; i++)
		cp = (cp << 6) | (s[i] & 0x3f);
	return cp;
}

static bool keep_char(unsigned cp)
{
	return !is_hidden(cp) && iswprint((wint_t)cp);
}

struct sink {
	char *dst;
	size_t cap;
	size_t len;	/* of the whole result */
	size_t done;	/* bytes written: the whole pieces that fitted, in order */
};

/* Append a piece if it fits whole before the NUL and every piece before it did. */
static void put(struct sink *o, const char *s, size_t len)
{
	if (o->done == o->len && o->len + len < o->cap) {
		memcpy(o->dst + o->len, s, len);
		o->done += len;
	}
	o->len += len;
}

size_t termsafe_escape(char *dst, size_t cap, const char *src, size_t n, unsigned flags)
{
	static const char named[] = "\a\b\t\n\v\f\r\033";
	static const char names[] = "abtnvfre";
	const unsigned char *s = (const unsigned char *)src;
	struct sink o = { .dst = dst, .cap = cap };
	char esc[16];

	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t len = 1;
		const char *nm;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			put(&o, src + i, 1);
		} else if (c == '\\') {
			put(&o, "\\\\", 2);
		} else if (c && (nm = memchr(named, c, sizeof(named) - 1))) {
			esc[0] = '\\';
			esc[1] = names[nm - named];
			put(&o, esc, 2);
		} else if (c < 0x80 || !(flags & TERMSAFE_UTF8) || utf8_next(src + i, n - i, &len)) {
			/* a control byte, or a byte of no character we may draw */
			len = 1;
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			put(&o, esc, 4);
		} else {
			unsigned cp = decode(s + i, len);

			if (keep_char(cp)) {
				put(&o, src + i, len);
			} else {
				int k = snprintf(esc, sizeof(esc),
						 cp > 0xffff ? "\\U%08x" : "\\u%04x", cp);

				put(&o, esc, (size_t)k);
			}
		}
		i += len;
	}
	if (cap)
		dst[o.done] = '\0';
	return o.len;
}

size_t termsafe_fit(const char *s, size_t len, int cols, unsigned flags, int *width)
{
	size_t i = 0;
	int w = 0;

	while (i < len) {
		size_t k = 1;
		int cw = 1;

		if ((unsigned char)s[i] >= 0x80 && (flags & TERMSAFE_UTF8) &&
		    !utf8_next(s + i, len - i, &k)) {
			cw = wcwidth((wchar_t)decode((const unsigned char *)s + i, k));
			if (cw < 0)	/* not from termsafe_escape(): count it as one */
				cw = 1;
		} else {
			k = 1;
		}
		if (w + cw > cols)
			break;
		w += cw;
		i += k;
	}
	if (width)
		*width = w;
	return i;
}

int termsafe_width(const char *s, size_t len, unsigned flags)
{
	int w;

	termsafe_fit(s, len, 1 << 30, flags, &w);
	return w;
}

unsigned termsafe_locale_flags(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8")) ? TERMSAFE_UTF8 : 0;
}
