// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* termsafe on hostile names: escapes, UTF-8, truncation, widths, losslessness. */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include "lib/termsafe.h"

static void utf8_locale(void)
{
	cr_assert_not_null(setlocale(LC_CTYPE, "C.UTF-8"), "the C.UTF-8 locale is missing");
	cr_assert_eq(termsafe_locale_flags(), TERMSAFE_UTF8);
}

static char *esc(const char *s, size_t n, unsigned flags)
{
	size_t need = termsafe_escape(NULL, 0, s, n, flags);
	char *out = malloc(need + 1);

	cr_assert_eq(termsafe_escape(out, need + 1, s, n, flags), need);
	cr_assert_eq(strlen(out), need, "no NUL inside the result");
	return out;
}

#define expect_esc(bytes, flags, want)                                                            \
	do {                                                                                      \
		char *got_ = esc(bytes, sizeof(bytes) - 1, flags);                                \
		cr_expect_str_eq(got_, want, "input %s", #bytes);                                 \
		free(got_);                                                                       \
	} while (0)

/* No byte a terminal would act on: C0, DEL, and no 8-bit C1 byte at all (ASCII mode). */
static void assert_inert_ascii(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in \"%s\"", *p, s);
}

Test(termsafe, printable_ascii_passes)
{
	expect_esc("node /srv/app.js --port=8080", 0, "node /srv/app.js --port=8080");
	expect_esc("", 0, "");
	expect_esc("~!@#$%^&*()_+{}|:\"<>?`-=[];',./", 0, "~!@#$%^&*()_+{}|:\"<>?`-=[];',./");
}

Test(termsafe, the_attacks_of_the_issue)
{
	/* retitle the window, clear the screen, forge a row */
	expect_esc("ev\033]0;PWNED\a", 0, "ev\\e]0;PWNED\\a");
	expect_esc("\033[2J\033[H", 0, "\\e[2J\\e[H");
	expect_esc("x\r\nfake_metric 1", 0, "x\\r\\nfake_metric 1");
	expect_esc("a\tb", 0, "a\\tb");
	expect_esc("\033[31mred\033[0m", 0, "\\e[31mred\\e[0m");
	/* OSC 52 would write the clipboard; DCS, APC and friends start with ESC too */
	expect_esc("\033]52;c;cHduZWQ=\033\\", 0, "\\e]52;c;cHduZWQ=\\e\\\\");
}

Test(termsafe, every_control_byte_and_del)
{
	char in[33];

	for (int c = 0; c < 0x20; c++)
		in[c] = (char)c;
	in[32] = 0x7f;
	char *got = esc(in, sizeof(in), TERMSAFE_UTF8);
	cr_assert_str_eq(got, "\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\a\\b\\t\\n\\v\\f\\r\\x0e\\x0f"
			      "\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\e\\x1c\\x1d"
			      "\\x1e\\x1f\\x7f");
	free(got);
}

Test(termsafe, backslash_is_escaped_so_escapes_cannot_be_forged)
{
	/* a process named literally `\e` must not look like one named ESC */
	expect_esc("\\e", 0, "\\\\e");
	expect_esc("\033", 0, "\\e");
	expect_esc("\\", 0, "\\\\");
}

Test(termsafe, ascii_mode_escapes_every_high_byte)
{
	/* on a terminal that is not UTF-8, 0x9b alone is CSI: never raw */
	expect_esc("\x9b" "2J", 0, "\\x9b2J");
	expect_esc("caf\xc3\xa9", 0, "caf\\xc3\\xa9");
	expect_esc("\xc2\x9b" "31m", 0, "\\xc2\\x9b31m");
	expect_esc("\xff\xfe", 0, "\\xff\\xfe");
}

Test(termsafe, utf8_mode_keeps_printable_characters, .init = utf8_locale)
{
	expect_esc("caf\xc3\xa9", TERMSAFE_UTF8, "caf\xc3\xa9");
	expect_esc("\xe6\xbc\xa2\xe5\xad\x97", TERMSAFE_UTF8, "\xe6\xbc\xa2\xe5\xad\x97");
	expect_esc("\xf0\x9f\x94\xa5", TERMSAFE_UTF8, "\xf0\x9f\x94\xa5");	/* U+1F525 */
}

Test(termsafe, utf8_mode_escapes_c1_controls, .init = utf8_locale)
{
	/* U+009B is CSI and U+009D OSC for terminals that take 8-bit controls */
	expect_esc("\xc2\x9b" "2J", TERMSAFE_UTF8, "\\u009b2J");
	expect_esc("\xc2\x9d" "0;x\xc2\x9c", TERMSAFE_UTF8, "\\u009d0;x\\u009c");
	expect_esc("\xc2\x85", TERMSAFE_UTF8, "\\u0085");	/* NEL: a new line */
}

Test(termsafe, utf8_mode_escapes_ill_formed_bytes, .init = utf8_locale)
{
	expect_esc("\x9b" "2J", TERMSAFE_UTF8, "\\x9b2J");		/* stray continuation */
	expect_esc("\xc0\xaf", TERMSAFE_UTF8, "\\xc0\\xaf");		/* overlong '/' */
	expect_esc("\xed\xa0\x80", TERMSAFE_UTF8, "\\xed\\xa0\\x80");	/* surrogate */
	expect_esc("\xf4\x90\x80\x80", TERMSAFE_UTF8, "\\xf4\\x90\\x80\\x80");	/* > U+10FFFF */
	expect_esc("ab\xe6\xbc", TERMSAFE_UTF8, "ab\\xe6\\xbc");	/* truncated at the end */
	expect_esc("\xe6\xbc" "a", TERMSAFE_UTF8, "\\xe6\\xbca");	/* truncated in the middle */
	expect_esc("\xff", TERMSAFE_UTF8, "\\xff");
}

Test(termsafe, invisible_and_reordering_characters_are_shown, .init = utf8_locale)
{
	/* names that would look like "admin" or read backwards */
	expect_esc("ad\xe2\x80\x8bmin", TERMSAFE_UTF8, "ad\\u200bmin");		/* ZWSP */
	expect_esc("\xe2\x80\xae" "nimda", TERMSAFE_UTF8, "\\u202enimda");	/* RLO */
	expect_esc("a\xe2\x81\xa6" "b", TERMSAFE_UTF8, "a\\u2066b");		/* LRI */
	expect_esc("\xef\xbb\xbf" "x", TERMSAFE_UTF8, "\\ufeffx");		/* BOM */
	expect_esc("a\xc2\xa0" "b", TERMSAFE_UTF8, "a\\u00a0b");		/* NBSP */
	expect_esc("a\xc2\xad" "b", TERMSAFE_UTF8, "a\\u00adb");		/* soft hyphen */
	expect_esc("a\xe2\x80\xa8" "b", TERMSAFE_UTF8, "a\\u2028b");		/* LS */
	expect_esc("a\xf3\xa0\x80\x81", TERMSAFE_UTF8, "a\\U000e0001");	/* tag */
	expect_esc("\xef\xbf\xbf", TERMSAFE_UTF8, "\\uffff");			/* nonchar */
}

Test(termsafe, nul_inside_the_bytes)
{
	expect_esc("a\0b", 0, "a\\x00b");
}

/* Read an escaped string back into bytes; -1 on a malformed escape. */
static long unescape(const char *s, unsigned char *out)
{
	long n = 0;

	while (*s) {
		if (*s != '\\') {
			out[n++] = (unsigned char)*s++;
			continue;
		}
		s++;
		const char *p = strchr("abtnvfre", *s);
		if (*s == '\\') {
			out[n++] = '\\';
			s++;
		} else if (p && *s) {
			out[n++] = (unsigned char)"\a\b\t\n\v\f\r\033"[p - "abtnvfre"];
			s++;
		} else if (*s == 'x' || *s == 'u' || *s == 'U') {
			int digits = *s == 'x' ? 2 : *s == 'u' ? 4 : 8;
			char hex[9] = {};
			unsigned long cp;

			memcpy(hex, s + 1, digits);
			if ((int)strlen(hex) != digits)
				return -1;
			cp = strtoul(hex, NULL, 16);
			if (*s == 'x') {
				out[n++] = (unsigned char)cp;
			} else if (cp < 0x800) {
				out[n++] = 0xc0 | (cp >> 6);
				out[n++] = 0x80 | (cp & 0x3f);
			} else if (cp < 0x10000) {
				out[n++] = 0xe0 | (cp >> 12);
				out[n++] = 0x80 | ((cp >> 6) & 0x3f);
				out[n++] = 0x80 | (cp & 0x3f);
			} else {
				out[n++] = 0xf0 | (cp >> 18);
				out[n++] = 0x80 | ((cp >> 12) & 0x3f);
				out[n++] = 0x80 | ((cp >> 6) & 0x3f);
				out[n++] = 0x80 | (cp & 0x3f);
			}
			s += 1 + digits;
		} else {
			return -1;
		}
	}
	return n;
}

Test(termsafe, lossless_on_random_bytes, .init = utf8_locale)
{
	unsigned char in[64], back[64 * 10];
	unsigned seed = 16;

	for (int round = 0; round < 20000; round++) {
		size_t n = rand_r(&seed) % sizeof(in);
		unsigned flags = round % 2 ? TERMSAFE_UTF8 : 0;

		for (size_t i = 0; i < n; i++) {
			/* bias towards the interesting bytes */
			unsigned r = rand_r(&seed);
			in[i] = r % 4 == 0 ? (unsigned char)(0x80 | (r >> 8)) :
				r % 4 == 1 ? (unsigned char)((r >> 8) % 0x20) : (unsigned char)(r >> 8);
		}
		char *got = esc((const char *)in, n, flags);
		if (!flags)
			assert_inert_ascii(got);
		for (const unsigned char *p = (const unsigned char *)got; *p; p++)
			cr_assert(*p >= 0x20 && *p != 0x7f);
		long m = unescape(got, back);
		cr_assert_eq(m, (long)n, "round %d: %zu bytes came back as %ld from \"%s\"", round,
			     n, m, got);
		cr_assert(!memcmp(in, back, n), "round %d: not the same bytes", round);
		free(got);
	}
}

Test(termsafe, truncation_never_cuts_an_escape_or_a_character, .init = utf8_locale)
{
	const char in[] = "a\033b\xe6\xbc\xa2";	/* "a\eb漢" = 8 bytes escaped */
	char out[16];

	cr_assert_eq(termsafe_escape(out, sizeof(out), in, sizeof(in) - 1, TERMSAFE_UTF8), 7);
	cr_assert_str_eq(out, "a\\eb\xe6\xbc\xa2");
	for (size_t cap = 1; cap <= 8; cap++) {
		memset(out, 'Z', sizeof(out));
		cr_assert_eq(termsafe_escape(out, cap, in, sizeof(in) - 1, TERMSAFE_UTF8), 7);
		const char *want = cap <= 1 ? "" : cap <= 3 ? "a" : cap <= 4 ? "a\\e" :
				   cap <= 7 ? "a\\eb" : "a\\eb\xe6\xbc\xa2";
		cr_expect_str_eq(out, want, "cap %zu", cap);
	}
	/* a piece that does not fit ends the output, a shorter one after it is not taken */
	cr_assert_eq(termsafe_escape(out, 3, "\033ab", 3, 0), 4);
	cr_assert_str_eq(out, "\\e");
	cr_assert_eq(termsafe_escape(out, 2, "\033ab", 3, 0), 4);
	cr_assert_str_eq(out, "");
}

Test(termsafe, columns_of_wide_and_combining_characters, .init = utf8_locale)
{
	const char *cjk = "\xe6\xbc\xa2\xe5\xad\x97x";		/* 漢字x: 5 columns */
	const char *comb = "e\xcc\x81" "a";			/* e + COMBINING ACUTE, a: 2 */
	int w;

	cr_assert_eq(termsafe_width(cjk, strlen(cjk), TERMSAFE_UTF8), 5);
	cr_assert_eq(termsafe_fit(cjk, strlen(cjk), 3, TERMSAFE_UTF8, &w), 3);	/* 漢 only */
	cr_assert_eq(w, 2);
	cr_assert_eq(termsafe_fit(cjk, strlen(cjk), 4, TERMSAFE_UTF8, &w), 6);
	cr_assert_eq(w, 4);
	cr_assert_eq(termsafe_width(comb, strlen(comb), TERMSAFE_UTF8), 2);
	/* the accent stays with its letter */
	cr_assert_eq(termsafe_fit(comb, strlen(comb), 1, TERMSAFE_UTF8, &w), 3);
	cr_assert_eq(w, 1);
	/* ASCII mode: bytes are columns */
	cr_assert_eq(termsafe_fit("abcdef", 6, 4, 0, &w), 4);
	cr_assert_eq(termsafe_fit("abc", 3, 0, 0, &w), 0);
	cr_assert_eq(w, 0);
}
