// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Numbers as users write them on the command line: decimal only. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
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
