// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* strpool: one copy per distinct string, stable pointers, the bound. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include "lib/strpool.h"

Test(strpool, one_copy_per_string_stable_across_growth)
{
	struct strpool *p = strpool__new(10000);
	const char *bash, *again;
	char name[32];

	cr_assert(p);
	bash = strpool__intern(p, "/usr/bin/bash", 13);
	cr_assert_str_eq(bash, "/usr/bin/bash");
	/* not NUL-terminated at len, or a longer buffer: only len bytes count */
	again = strpool__intern(p, "/usr/bin/bash--", 13);
	cr_assert_eq(again, bash);
	cr_assert_eq(strpool__intern(p, "/usr/bin/bash\0xx", 20), bash);
	cr_assert_neq(strpool__intern(p, "/usr/bin/bas", 12), bash);
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "/opt/x%d", i);
		cr_assert_not_null(strpool__intern(p, name, strlen(name)));
	}
	cr_assert_eq(strpool__size(p), 3002);
	cr_assert_eq(strpool__intern(p, "/usr/bin/bash", 13), bash, "moved when the pool grew");
	cr_assert_str_eq(bash, "/usr/bin/bash");
	snprintf(name, sizeof(name), "/opt/x%d", 1234);
	cr_assert_str_eq(strpool__intern(p, name, strlen(name)), "/opt/x1234");
	cr_assert_eq(strpool__size(p), 3002);
	strpool__free(p);
}

Test(strpool, bounded)
{
	struct strpool *p = strpool__new(2);
	const char *a;

	cr_assert(p);
	a = strpool__intern(p, "a", 1);
	cr_assert_not_null(strpool__intern(p, "b", 1));
	cr_assert_null(strpool__intern(p, "c", 1), "a third string in a pool of 2");
	cr_assert_eq(strpool__intern(p, "a", 1), a, "known strings still answer");
	cr_assert_eq(strpool__size(p), 2);
	cr_assert_null(strpool__new(0));
	cr_assert_null(strpool__intern(NULL, "a", 1));
	strpool__free(p);
	strpool__free(NULL);
}
