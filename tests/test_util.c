// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Numbers as users write them on the command line: decimal only; and memory cleared lazily. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "lib/util.h"

Test(util, parse_decimal)
{
	static const struct {
		const char *s;
		double v;
	} good[] = {
		{ "1", 1 }, { "0.5", 0.5 }, { ".5", 0.5 }, { "2.", 2 }, { "86400", 86400 },
		{ "007.250", 7.25 },
	};
	static const char *const bad[] = {
		"", ".", "0x10", "0X1p4", "1e1", "1E1", "inf", "nan", "-1", "+1", " 1", "1 ",
		"1..2", "1.2.3", "1,5", "\t1", "1\n",
	};
	double v = -7;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_assert_eq(parse_decimal(good[i].s, &v), 0, "'%s' refused", good[i].s);
		cr_assert_float_eq(v, good[i].v, 1e-12, "'%s' read as %g", good[i].s, v);
	}
	v = -7;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(parse_decimal(bad[i], &v), -EINVAL, "'%s' taken", bad[i]);
	cr_assert_eq(v, -7, "*out written on a refusal");
	cr_assert_eq(parse_decimal(NULL, &v), -EINVAL);
}

Test(util, parse_decimal_ll)
{
	long long v = -7;

	cr_assert_eq(parse_decimal_ll("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(parse_decimal_ll("9223372036854775807", &v), 0);
	cr_assert_eq(v, LLONG_MAX);
	cr_assert_eq(parse_decimal_ll("9223372036854775808", &v), -ERANGE);
	for (const char *const *s = (const char *const[]){ "", "0x10", "+5", " 5", "5 ", "-1",
							     "1e3", "1.0", NULL }; *s; s++)
		cr_expect_eq(parse_decimal_ll(*s, &v), -EINVAL, "'%s' taken", *s);
}

/* The Anonymous: kB of the mapping that holds addr, from /proc/self/smaps; -1 if not found. */
static long anon_kb_of(const void *addr)
{
	unsigned long a = (unsigned long)addr, lo, hi;
	char line[512];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	cr_assert_not_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = lo <= a && a < hi;
		else if (in && sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* A sampler's 200 KiB, most of it for sockets and GPUs a machine lacks: cleared, the
 * pages it never wrote stay the kernel's zero page; those it wrote are cleared. */
Test(util, zero_lazily_writes_only_pages_not_zero)
{
	size_t n = 64 * 4096, i;
	/* between two pages no one may touch: a mapping of its own, which the kernel does not
	 * merge with a neighbour (under the sanitizer, one of 1 MiB was) */
	unsigned char *g = mmap(NULL, n + 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *m = g + 4096;

	cr_assert_neq(g, MAP_FAILED);
	cr_assert_eq(mprotect(m, n, PROT_READ | PROT_WRITE), 0);
	m[3 * 4096 + 17] = 1;
	m[n - 1] = 2;
	zero_lazily(m + 1, n - 1);	/* unaligned start, the last byte included */
	for (i = 0; i < n && !m[i]; i++)
		;
	cr_expect_eq(i, n, "byte %zu not cleared", i);
	cr_expect_leq(anon_kb_of(m), 8, "pages made the process's own: %ld kB", anon_kb_of(m));
	/* memory in use (the stack, a reused struct) is cleared all the same */
	memset(m, 0xab, n);
	zero_lazily(m, n);
	for (i = 0; i < n && !m[i]; i++)
		;
	cr_expect_eq(i, n);
	munmap(g, n + 2 * 4096);
}

/* The published FNV-1a vectors (isthe.com/chongo/tech/comp/fnv), and chaining */
Test(util, fnv1a_vectors_and_chaining)
{
	cr_expect_eq(fnv1a32_str(FNV1A32_INIT, ""), 0x811c9dc5u);
	cr_expect_eq(fnv1a32_str(FNV1A32_INIT, "a"), 0xe40c292cu);
	cr_expect_eq(fnv1a32_str(FNV1A32_INIT, "foobar"), 0xbf9cf968u);
	cr_expect_eq(fnv1a32(FNV1A32_INIT, "foobar", 6), 0xbf9cf968u);
	cr_expect_eq(fnv1a32(fnv1a32(FNV1A32_INIT, "foo", 3), "bar", 3), 0xbf9cf968u);
	cr_expect_eq(fnv1a64_str(FNV1A64_INIT, "a"), 0xaf63dc4c8601ec8cULL);
	cr_expect_eq(fnv1a64(FNV1A64_INIT, "foobar", 6), 0x85944171f73967e8ULL);
	cr_expect_eq(fnv1a64_str(fnv1a64_str(FNV1A64_INIT, "foo"), "bar"), 0x85944171f73967e8ULL);
}
