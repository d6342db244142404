// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The JSON writer on hostile input: escaping, UTF-8, structure, numbers. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "lib/json.h"

/* jw_strn of n bytes at top level, returned as a string the caller frees. */
static char *enc(const char *s, size_t n)
{
	struct jw w;
	char *out;

	jw_init(&w);
	jw_strn(&w, s, n);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(strlen(w.buf), w.len, "output must not contain a raw NUL");
	out = strdup(w.buf);
	jw_free(&w);
	return out;
}

#define expect_enc(bytes, want)                                                                   \
	do {                                                                                      \
		char *got_ = enc(bytes, sizeof(bytes) - 1);                                       \
		cr_expect_str_eq(got_, want, "input %s", #bytes);                                 \
		free(got_);                                                                       \
	} while (0)

Test(json, quotes_and_backslash)
{
	expect_enc("a\"b\\c", "\"a\\\"b\\\\c\"");
	expect_enc("\\\"", "\"\\\\\\\"\"");
	expect_enc("/", "\"/\"");
	expect_enc("", "\"\"");
}

Test(json, every_control_byte)
{
	char in[33];

	for (int c = 0; c < 0x20; c++)
		in[c] = (char)c;
	in[32] = 0x7f;
	char *got = enc(in, sizeof(in));
	cr_assert_str_eq(got, "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
			      "\\u0008\\t\\n\\u000b\\u000c\\r\\u000e\\u000f"
			      "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
			      "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\\u007f\"");
	free(got);
}

Test(json, nul_inside)
{
	expect_enc("a\0b", "\"a\\u0000b\"");
	expect_enc("\0\0", "\"\\u0000\\u0000\"");
}

/* One U+FFFD per maximal ill-formed subsequence, as Unicode recommends. */
Test(json, invalid_utf8_overlong)
{
	expect_enc("\xc0\xaf", "\"\\ufffd\\ufffd\"");		/* '/' in 2 bytes */
	expect_enc("\xc1\xbf", "\"\\ufffd\\ufffd\"");
	expect_enc("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");	/* in 3 bytes */
	expect_enc("\xe0\x9f\xbf", "\"\\ufffd\\ufffd\\ufffd\"");
	expect_enc("\xf0\x80\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	expect_enc("\xf0\x8f\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

Test(json, invalid_utf8_surrogates)
{
	expect_enc("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");	/* U+D800 */
	expect_enc("\xed\xbf\xbf", "\"\\ufffd\\ufffd\\ufffd\"");	/* U+DFFF */
	expect_enc("\xed\xa0\xbd\xed\xb8\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
}

Test(json, invalid_utf8_above_max)
{
	expect_enc("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");	/* U+110000 */
	expect_enc("\xf5\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
	expect_enc("\xf8\x88\x80\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	expect_enc("\xfe\xff", "\"\\ufffd\\ufffd\"");
}

Test(json, invalid_utf8_truncated)
{
	expect_enc("\xc3", "\"\\ufffd\"");
	expect_enc("\xe2\x82", "\"\\ufffd\"");
	expect_enc("\xe2\x82" "A", "\"\\ufffdA\"");
	expect_enc("\xf0\x9f\x98", "\"\\ufffd\"");
	expect_enc("\xf0\x9f\x98\"", "\"\\ufffd\\\"\"");
	expect_enc("\xe2\x82\xe2\x82\xac", "\"\\ufffd\xe2\x82\xac\"");	/* then a good euro */
	expect_enc("\xc3\0", "\"\\ufffd\\u0000\"");
}

Test(json, invalid_utf8_stray_continuation)
{
	expect_enc("\x80", "\"\\ufffd\"");
	expect_enc("a\xbf\xbf" "b", "\"a\\ufffd\\ufffdb\"");
	expect_enc("\xc3\xa9\xa9", "\"\xc3\xa9\\ufffd\"");
}

Test(json, valid_multibyte_passes)
{
	expect_enc("\xc2\x80", "\"\xc2\x80\"");				/* U+0080 */
	expect_enc("caf\xc3\xa9", "\"caf\xc3\xa9\"");			/* é */
	expect_enc("\xdf\xbf", "\"\xdf\xbf\"");				/* U+07FF */
	expect_enc("\xe0\xa0\x80", "\"\xe0\xa0\x80\"");			/* U+0800 */
	expect_enc("\xe2\x82\xac", "\"\xe2\x82\xac\"");			/* € */
	expect_enc("\xed\x9f\xbf", "\"\xed\x9f\xbf\"");			/* U+D7FF */
	expect_enc("\xee\x80\x80", "\"\xee\x80\x80\"");			/* U+E000 */
	expect_enc("\xef\xbf\xbd", "\"\xef\xbf\xbd\"");			/* U+FFFD itself */
	expect_enc("\xf0\x90\x80\x80", "\"\xf0\x90\x80\x80\"");		/* U+10000 */
	expect_enc("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");		/* 😀 */
	expect_enc("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\"");		/* U+10FFFF */
}

Test(json, escape_sizes_and_truncates_on_whole_escapes)
{
	char dst[8];

	cr_assert_eq(json_escape(NULL, 0, "a\"b", 3), 4);
	cr_assert_eq(json_escape(NULL, 0, "\x01\xff", 2), 12);
	memset(dst, '#', sizeof(dst));
	cr_assert_eq(json_escape(dst, 2, "a\"b", 3), 4);
	cr_assert_eq(dst[0], 'a');
	cr_assert_eq(dst[1], '#', "a half escape must not be written");
	memset(dst, '#', sizeof(dst));
	cr_assert_eq(json_escape(dst, 4, "a\"b", 3), 4);
	cr_assert_eq(memcmp(dst, "a\\\"b#", 5), 0);
}

Test(json, nesting_and_commas)
{
	struct jw w;

	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "a");
	jw_u64(&w, 1);
	jw_key(&w, "b");
	jw_arr_begin(&w);
	jw_u64(&w, 1);
	jw_i64(&w, -2);
	jw_obj_begin(&w);
	jw_key(&w, "c");
	jw_null(&w);
	jw_obj_end(&w);
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_arr_end(&w);
	jw_key(&w, "d");
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_key(&w, "e\n");
	jw_bool(&w, 1);
	jw_key(&w, "f");
	jw_bool(&w, 0);
	jw_key(&w, "g");
	jw_str(&w, "x");
	jw_key(&w, "h");
	jw_raw(&w, "[7]");
	jw_obj_end(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_eq(w.depth, 0);
	cr_assert_str_eq(w.buf, "{\"a\":1,\"b\":[1,-2,{\"c\":null},[]],\"d\":{},\"e\\n\":true,"
				"\"f\":false,\"g\":\"x\",\"h\":[7]}");
	cr_assert_eq(w.len, strlen(w.buf));

	jw_reset(&w);
	cr_assert_eq(w.len, 0);
	cr_assert_str_eq(w.buf, "");
	jw_arr_begin(&w);
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_obj_begin(&w);
	jw_key(&w, "k");
	jw_arr_begin(&w);
	jw_str(&w, "");
	jw_str(&w, "");
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_arr_end(&w);
	cr_assert_str_eq(w.buf, "[{},{\"k\":[\"\",\"\"]}]");
	jw_free(&w);
}

Test(json, structure_errors_are_sticky_until_reset)
{
	struct jw w;
	int i;

	jw_init(&w);
	for (i = 0; i < JW_MAX_DEPTH; i++)
		jw_arr_begin(&w);
	cr_assert_eq(w.err, 0);
	jw_arr_begin(&w);
	cr_assert_eq(w.err, -E2BIG);
	cr_assert_eq(w.len, JW_MAX_DEPTH, "nothing written past the limit");
	jw_str(&w, "more");
	cr_assert_eq(w.len, JW_MAX_DEPTH);

	jw_reset(&w);
	cr_assert_eq(w.err, 0);
	jw_obj_end(&w);
	cr_assert_eq(w.err, -EINVAL);

	jw_reset(&w);
	jw_obj_begin(&w);
	jw_arr_end(&w);
	cr_assert_eq(w.err, -EINVAL);
	cr_assert_str_eq(w.buf, "{");
	jw_free(&w);
}

static char *dbl(double v, int decimals)
{
	struct jw w;
	char *out;

	jw_init(&w);
	jw_double(&w, v, decimals);
	cr_assert_eq(w.err, 0);
	out = strdup(w.buf);
	jw_free(&w);
	return out;
}

#define expect_dbl(v, d, want)                                                                    \
	do {                                                                                      \
		char *got_ = dbl(v, d);                                                           \
		cr_expect_str_eq(got_, want, "jw_double(%s, %d)", #v, d);                         \
		free(got_);                                                                       \
	} while (0)

Test(json, doubles)
{
	expect_dbl(0.0, 3, "0.000");
	expect_dbl(1.5, 1, "1.5");
	expect_dbl(1.5, 3, "1.500");
	expect_dbl(-1.5, 2, "-1.50");
	expect_dbl(-0.0, 3, "0.000");
	expect_dbl(-0.0, 0, "0");
	expect_dbl(-0.0004, 3, "0.000");
	expect_dbl(-0.0006, 3, "-0.001");
	expect_dbl(123456.789, 0, "123457");
	expect_dbl(2.0, -5, "2");
	expect_dbl(NAN, 3, "null");
	expect_dbl(-NAN, 3, "null");
	expect_dbl(INFINITY, 3, "null");
	expect_dbl(-INFINITY, 3, "null");
}

Test(json, huge_doubles_in_full)
{
	char *got = dbl(1e300, 2);

	/* no exponent, no truncation: all 301 integer digits */
	cr_assert_eq(strlen(got), 301 + 3, "got %s", got);
	cr_assert_eq(strncmp(got, "1000000000000000052504760255204420248704468581108159", 52), 0);
	cr_assert_str_eq(got + 301, ".00");
	cr_assert_null(strchr(got, 'e'));
	free(got);

	got = dbl(-1.7976931348623157e308, 1000);	/* -DBL_MAX, decimals clamped */
	cr_assert_eq(strlen(got), 1 + 309 + 1 + JW_MAX_DECIMALS, "got %s", got);
	cr_assert_eq(strncmp(got, "-17976931348623157", 18), 0);
	free(got);
}

Test(json, integers_exact)
{
	struct jw w;

	jw_init(&w);
	jw_arr_begin(&w);
	jw_u64(&w, UINT64_MAX);
	jw_u64(&w, 9007199254740993ULL);	/* 2^53 + 1: a double would round it */
	jw_i64(&w, INT64_MIN);
	jw_i64(&w, INT64_MAX);
	jw_u64(&w, 0);
	jw_arr_end(&w);
	cr_assert_str_eq(w.buf, "[18446744073709551615,9007199254740993,-9223372036854775808,"
				"9223372036854775807,0]");
	jw_free(&w);
}

Test(json, radix_from_any_locale)
{
	char a[] = "3,14", b[] = "-1\xd9\xab" "5e+10", c[] = "42", d[] = "1.5";

	num_c_radix(a);
	num_c_radix(b);
	num_c_radix(c);
	num_c_radix(d);
	cr_assert_str_eq(a, "3.14");
	cr_assert_str_eq(b, "-1.5e+10");
	cr_assert_str_eq(c, "42");
	cr_assert_str_eq(d, "1.5");
}

/* Criterion runs each test in its own process: an address-space limit stays here. */
Test(json, allocation_failure_sets_err)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("AddressSanitizer reserves address space; RLIMIT_AS would break it");
#else
	static char chunk[1 << 20];
	unsigned long pages = 0;
	struct rlimit rl;
	struct jw w;
	FILE *f;
	int i;

	f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * sysconf(_SC_PAGESIZE) + (64 << 20);
	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);

	memset(chunk, 'x', sizeof(chunk));
	jw_init(&w);
	jw_arr_begin(&w);
	for (i = 0; i < 1024 && !w.err; i++)
		jw_strn(&w, chunk, sizeof(chunk));
	cr_assert_eq(w.err, -ENOMEM, "a 64 MiB limit must stop a 1 GiB document");
	cr_assert_leq(w.len + 1, w.cap);
	cr_assert_eq(w.buf[w.len], '\0');
	size_t len = w.len;
	jw_str(&w, "after");
	jw_arr_end(&w);
	cr_assert_eq(w.len, len, "nothing written after a failure");
	jw_free(&w);
#endif
}

/* --- round trip through an independent decoder ------------------------------------------ */

/* Decode one code point from well-formed UTF-8 only; -1 if not well-formed. */
static long decode_utf8(const unsigned char *s, size_t n, size_t *len)
{
	static const long min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t k, i;
	long cp;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0)
		k = 2;
	else if ((s[0] & 0xf0) == 0xe0)
		k = 3;
	else if ((s[0] & 0xf8) == 0xf0)
		k = 4;
	else
		return -1;
	cp = s[0] & (0x7f >> k);
	if (k > n)
		return -1;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = k;
	return cp;
}

static size_t encode_utf8(long cp, unsigned char *o)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = 0xe0 | cp >> 12;
		o[1] = 0x80 | (cp >> 6 & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	o[0] = 0xf0 | cp >> 18;
	o[1] = 0x80 | (cp >> 12 & 0x3f);
	o[2] = 0x80 | (cp >> 6 & 0x3f);
	o[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse exactly one JSON string (RFC 8259) that must fill all n bytes of js,
 * with UTF-8 text and no raw DEL; decode it into out. Returns the decoded
 * length, or -1 with *why set.
 */
static long json_string_decode(const char *js, size_t n, unsigned char *out, const char **why)
{
	static const char names[] = "\"\\/bfnrt", values[] = "\"\\/\b\f\n\r\t";
	const unsigned char *s = (const unsigned char *)js;
	size_t i = 1, o = 0, k;
	const char *esc;
	long cp;

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return *why = "not quoted", -1;
	while (i < n - 1) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return *why = "raw control byte", -1;
		if (s[i] == '"')
			return *why = "unescaped quote", -1;
		if (s[i] != '\\') {
			if (decode_utf8(s + i, n - 1 - i, &k) < 0)
				return *why = "invalid UTF-8", -1;
			memcpy(out + o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		if (i + 1 >= n - 1)
			return *why = "dangling backslash", -1;
		esc = strchr(names, s[i + 1]);
		if (esc && *esc) {
			out[o++] = values[esc - names];
			i += 2;
			continue;
		}
		if (s[i + 1] != 'u')
			return *why = "bad escape", -1;
		if (i + 6 > n - 1)
			return *why = "short \\u", -1;
		cp = 0;
		for (k = 2; k < 6; k++) {
			int h = hexval(s[i + k]);

			if (h < 0)
				return *why = "bad hex", -1;
			cp = cp << 4 | h;
		}
		if (cp >= 0xd800 && cp <= 0xdfff)
			return *why = "surrogate escape (never needed here)", -1;
		o += encode_utf8(cp, out + o);
		i += 6;
	}
	return o;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* A mix of ASCII, specials, encoded code points and (unless clean) raw bytes. */
static size_t random_bytes(unsigned char *s, size_t cap, int clean)
{
	size_t n = 0, want = rnd() % 64;
	long cp;

	while (n < want && n + 4 <= cap) {
		switch (rnd() % (clean ? 3 : 4)) {
		case 0:
			s[n++] = 0x20 + rnd() % 0x5f;
			break;
		case 1:
			s[n++] = "\"\\\0\n\t\x01\x1f\x7f/"[rnd() % 9];
			break;
		case 2:
			do
				cp = 1 + rnd() % 0x10ffff;
			while (cp >= 0xd800 && cp <= 0xdfff);
			n += encode_utf8(cp, s + n);
			break;
		default:
			s[n++] = rnd();
			break;
		}
	}
	return n;
}

Test(json, random_round_trip)
{
	unsigned char in[256], out[2048];
	const char *why = NULL;
	struct jw w;
	int invalid_seen = 0;

	jw_init(&w);
	for (int t = 0; t < 10000; t++) {
		int clean = t % 4 == 0;
		size_t n = random_bytes(in, sizeof(in), clean);
		long got;

		jw_reset(&w);
		jw_strn(&w, (const char *)in, n);
		cr_assert_eq(w.err, 0);
		cr_assert_eq(w.len, json_escape(NULL, 0, (const char *)in, n) + 2);
		got = json_string_decode(w.buf, w.len, out, &why);
		cr_assert_geq(got, 0, "case %d: %s in %s", t, why, w.buf);
		if (clean) {
			cr_assert_eq((size_t)got, n, "case %d", t);
			cr_assert_eq(memcmp(out, in, n), 0, "case %d: clean text must round-trip", t);
		} else if ((size_t)got != n || memcmp(out, in, n)) {
			invalid_seen++;
		}
	}
	cr_assert_gt(invalid_seen, 1000, "the generator should make invalid UTF-8 often");
	jw_free(&w);
}

/* --- jw_sink: a document written in pieces ------------------------------------------ */

struct pieces {
	char out[8192];
	size_t len;
	int calls;
	int fail_at;	/* the call that fails (-EPIPE), 0: none */
};

static int collect(void *ctx, const char *s, size_t n)
{
	struct pieces *p = ctx;

	if (++p->calls == p->fail_at)
		return -EPIPE;
	cr_assert_leq(p->len + n, sizeof(p->out));
	memcpy(p->out + p->len, s, n);
	p->len += n;
	return 0;
}

static void document(struct jw *w)
{
	jw_reset(w);
	jw_obj_begin(w);
	jw_key(w, "rows");
	jw_arr_begin(w);
	for (int i = 0; i < 200; i++) {
		jw_obj_begin(w);
		jw_key(w, "pid");
		jw_u64(w, 1000 + i);
		jw_key(w, "cmdline");
		jw_str(w, "sleep \"x\"\n");
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

Test(json, sink_pieces_make_the_same_document)
{
	struct jw whole, w;
	struct pieces p = { .len = 0 };

	jw_init(&whole);
	document(&whole);
	cr_assert_eq(whole.err, 0);
	cr_assert_gt(whole.len, 4096);

	jw_init(&w);
	jw_sink(&w, collect, &p, 512);
	document(&w);
	cr_assert_eq(w.err, 0);
	cr_assert_gt(p.calls, 5, "handed in pieces: %d", p.calls);
	cr_assert_lt(w.cap, 2048, "the buffer stays small: %zu", w.cap);
	cr_assert_eq(w.sunk, p.len);
	/* what the sink took, then what is left in the buffer: the whole document */
	cr_assert_eq(p.len + w.len, whole.len);
	cr_assert_eq(memcmp(p.out, whole.buf, p.len), 0);
	cr_assert_eq(memcmp(w.buf, whole.buf + p.len, w.len), 0);
	/* jw_reset() keeps the sink */
	p.len = 0;
	p.calls = 0;
	document(&w);
	cr_assert_gt(p.calls, 5);
	cr_assert_eq(p.len + w.len, whole.len);
	jw_free(&w);
	jw_free(&whole);
}

Test(json, sink_error_is_sticky)
{
	struct jw w;
	struct pieces p = { .fail_at = 2 };

	jw_init(&w);
	jw_sink(&w, collect, &p, 256);
	document(&w);
	cr_assert_eq(w.err, -EPIPE);
	cr_assert_eq(p.calls, 2, "nothing more is handed after the error: %d", p.calls);
	jw_free(&w);
}
