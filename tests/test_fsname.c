// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Names made into safe file names: hostile ones, long ones, and no two alike. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "lib/fsname.h"

static const char *esc(const char *name)
{
	static char out[FSNAME_MAX + 1];

	memset(out, 'X', sizeof(out));
	cr_assert_geq(fsname_escape(name, strlen(name), out, sizeof(out)), 1, "%s", name);
	return out;
}

Test(fsname, plain_names_are_kept)
{
	cr_expect_str_eq(esc("guest1"), "guest1");
	cr_expect_str_eq(esc("web-01.prod_eu+a@b"), "web-01.prod_eu+a@b");
}

Test(fsname, hostile_names)
{
	cr_expect_str_eq(esc("."), "%2E");
	cr_expect_str_eq(esc(".."), "%2E.");
	cr_expect_str_eq(esc(".hidden"), "%2Ehidden");
	cr_expect_str_eq(esc("../../etc/passwd"), "%2E.%2F..%2Fetc%2Fpasswd");
	cr_expect_str_eq(esc("/"), "%2F");
	cr_expect_str_eq(esc("a b"), "a%20b");
	cr_expect_str_eq(esc("\x1b[31m\n"), "%1B%5B31m%0A");
	cr_expect_str_eq(esc("100%"), "100%25");
	cr_expect_str_eq(esc("*?~$`'\"\\"), "%2A%3F%7E%24%60%27%22%5C");
	cr_expect_str_eq(esc("\xc3\xa9t\xc3\xa9"), "%C3%A9t%C3%A9");
}

/* Every byte that could matter, in every name: never a '/', a NUL or a leading dot. */
Test(fsname, no_separator_whatever_the_bytes)
{
	char name[4], out[FSNAME_MAX + 1];

	for (int a = 1; a < 256; a++) {
		for (int b = 1; b < 256; b += 7) {
			int n;

			name[0] = (char)a;
			name[1] = (char)b;
			name[2] = '.';
			n = fsname_escape(name, 3, out, sizeof(out));
			cr_assert_gt(n, 0);
			cr_assert_eq((size_t)n, strlen(out));
			cr_assert_null(strchr(out, '/'), "%02x %02x: %s", a, b, out);
			cr_assert_neq(out[0], '.', "%02x %02x: %s", a, b, out);
			for (int i = 0; i < n; i++)
				cr_assert((unsigned char)out[i] > 0x20 && (unsigned char)out[i] < 0x7f,
					  "%02x %02x: %s", a, b, out);
		}
	}
}

Test(fsname, long_names_are_cut_with_a_hash)
{
	char name[1000], a[FSNAME_MAX + 1], b[FSNAME_MAX + 1];
	int n;

	memset(name, 'g', sizeof(name));
	n = fsname_escape(name, FSNAME_MAX, a, sizeof(a));
	cr_expect_eq(n, FSNAME_MAX, "exactly FSNAME_MAX: kept whole");
	cr_expect_null(strchr(a, '~'));
	n = fsname_escape(name, 1000, a, sizeof(a));
	cr_expect_leq(n, FSNAME_MAX);
	cr_expect_eq(a[n - 17], '~', "%s", a);
	/* names that differ only past the cut are still two names */
	name[999] = 'h';
	cr_assert_gt(fsname_escape(name, 1000, b, sizeof(b)), 0);
	cr_expect_str_neq(a, b);
	cr_expect_eq(strncmp(a, b, n - 17), 0);
	/* escapes are cut whole, never in the middle */
	memset(name, '/', sizeof(name));
	n = fsname_escape(name, 1000, a, sizeof(a));
	cr_expect_leq(n, FSNAME_MAX);
	cr_expect_eq((n - 17) % 3, 0, "%s", a);
	cr_expect_eq(a[n - 17], '~');
}

Test(fsname, distinct_names_stay_distinct)
{
	/* what an escaper that drops or maps bytes would merge */
	static const char *const names[] = { "a/b", "a%2Fb", "a_b", "a b", "a.b", "a%b", "a%25b",
					     ".a", "%2Ea", "a~", "a%7E" };
	char out[sizeof(names) / sizeof(names[0])][FSNAME_MAX + 1];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cr_assert_gt(fsname_escape(names[i], strlen(names[i]), out[i], sizeof(out[i])), 0);
		for (size_t k = 0; k < i; k++)
			cr_expect_str_neq(out[i], out[k], "%s and %s", names[i], names[k]);
	}
}

Test(fsname, bad_arguments)
{
	char out[FSNAME_MAX + 1];

	cr_expect_eq(fsname_escape("", 0, out, sizeof(out)), -EINVAL);
	cr_expect_eq(fsname_escape(NULL, 1, out, sizeof(out)), -EINVAL);
	cr_expect_eq(fsname_escape("a", 1, out, FSNAME_MAX), -EINVAL);
}
