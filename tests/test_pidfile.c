// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --pid-file: the check that the file is still ours before it is removed. */
#include <criterion/criterion.h>
#include <string.h>
#include "lib/pidfile.h"

static int holds(const char *text, pid_t pid)
{
	return pidfile__holds(text, strlen(text), pid);
}

Test(pidfile, holds_our_pid_with_or_without_newline)
{
	cr_assert(holds("4242\n", 4242));
	cr_assert(holds("4242", 4242));
}

Test(pidfile, another_pid_or_more_text_is_not_ours)
{
	cr_assert(!holds("424\n", 4242), "a prefix of it");
	cr_assert(!holds("42420\n", 4242), "longer");
	cr_assert(!holds("4242\n\n", 4242), "a second line");
	cr_assert(!holds(" 4242\n", 4242));
	cr_assert(!holds("", 4242));
	cr_assert(!holds("\n", 4242));
}
