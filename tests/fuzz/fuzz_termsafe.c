// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer: termsafe_escape() in both modes. Properties: nothing a terminal
 * acts on comes out (no C0, DEL, C1; only well-formed UTF-8), the escapes read
 * back into the exact input (lossless), and a cut result is a prefix of the
 * whole that still reads back (no escape or character cut in two).
 */
#include <assert.h>
#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "lib/json.h"
#include "lib/termsafe.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	return 0;
}

static int hex(const char *s, int digits, unsigned long *v)
{
	*v = 0;
	for (int i = 0; i < digits; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			*v = *v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			*v = *v * 16 + (c - 'a' + 10);
		else
			return -1;
	}
	return 0;
}

/* Read escapes back into bytes; -1 when s is not something termsafe_escape() writes. */
static long unescape(const char *s, size_t n, unsigned char *out)
{
	static const char names[] = "abtnvfre", bytes[] = "\a\b\t\n\v\f\r\033";
	size_t i = 0;
	long m = 0;

	while (i < n) {
		const char *p;
		unsigned long cp;
		int digits;

		if (s[i] != '\\') {
			out[m++] = (unsigned char)s[i++];
			continue;
		}
		if (++i >= n)
			return -1;
		if (s[i] == '\\') {
			out[m++] = '\\';
			i++;
			continue;
		}
		p = memchr(names, s[i], sizeof(names) - 1);
		if (p) {
			out[m++] = (unsigned char)bytes[p - names];
			i++;
			continue;
		}
		digits = s[i] == 'x' ? 2 : s[i] == 'u' ? 4 : s[i] == 'U' ? 8 : 0;
		if (!digits || i + 1 + digits > n || hex(s + i + 1, digits, &cp))
			return -1;
		if (digits == 2) {
			out[m++] = (unsigned char)cp;
		} else if (cp < 0x800) {
			out[m++] = 0xc0 | (cp >> 6);
			out[m++] = 0x80 | (cp & 0x3f);
		} else if (cp < 0x10000) {
			out[m++] = 0xe0 | (cp >> 12);
			out[m++] = 0x80 | ((cp >> 6) & 0x3f);
			out[m++] = 0x80 | (cp & 0x3f);
		} else {
			out[m++] = 0xf0 | (cp >> 18);
			out[m++] = 0x80 | ((cp >> 12) & 0x3f);
			out[m++] = 0x80 | ((cp >> 6) & 0x3f);
			out[m++] = 0x80 | (cp & 0x3f);
		}
		i += 1 + digits;
	}
	return m;
}

static void check(const uint8_t *data, size_t size, unsigned flags)
{
	const char *in = (const char *)data;
	size_t need = termsafe_escape(NULL, 0, in, size, flags), cap;
	char *out = malloc(need + 1), *cut;
	unsigned char *back = malloc(size + 1);

	assert(termsafe_escape(out, need + 1, in, size, flags) == need);
	assert(strlen(out) == need);
	for (size_t i = 0; i < need;) {
		unsigned char c = (unsigned char)out[i];
		size_t len = 1;

		assert(c >= 0x20 && c != 0x7f);
		if (c >= 0x80) {
			assert(flags & TERMSAFE_UTF8);
			assert(!utf8_next(out + i, need - i, &len));
			/* U+0080..U+009F are C2 80..C2 9F */
			assert(!(c == 0xc2 && (unsigned char)out[i + 1] < 0xa0));
		}
		i += len;
	}
	assert(unescape(out, need, back) == (long)size);
	assert(!memcmp(back, data, size));

	/* cut at a size taken from the input */
	cap = size ? data[0] % (need + 2) : 0;
	cut = malloc(cap + 1);
	termsafe_escape(cut, cap + 1, in, size, flags);
	assert(!strncmp(cut, out, strlen(cut)));
	long m = unescape(cut, strlen(cut), back);
	assert(m >= 0 && !memcmp(back, data, m));
	free(cut);
	free(back);
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, 0);
	check(data, size, TERMSAFE_UTF8);
	return 0;
}
