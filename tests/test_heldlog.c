// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Messages held while top's screen is up: bounded, and written out whole-lined. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lib/heldlog.h"

#define KEEP	8192

static int held, out;

static void setup(void)
{
	held = memfd_create("held", 0);
	out = memfd_create("out", 0);
	cr_assert(held >= 0 && out >= 0);
}

static void teardown(void)
{
	close(held);
	close(out);
}

/* Message i, of a width that varies so that lines straddle page edges. */
static void say(int i)
{
	dprintf(held, "wattprobe: warning: message %d%.*s\n", i, i % 37, "..........................................");
}

static char *replayed(size_t *len)
{
	struct stat st;
	char *s;

	cr_assert_eq(fstat(out, &st), 0);
	s = calloc(1, st.st_size + 1);
	cr_assert_eq(pread(out, s, st.st_size, 0), st.st_size);
	*len = st.st_size;
	return s;
}

/* The memory the file holds, in bytes. */
static long long resident(int fd)
{
	struct stat st;

	cr_assert_eq(fstat(fd, &st), 0);
	return (long long)st.st_blocks * 512;
}

TestSuite(heldlog, .init = setup, .fini = teardown);

Test(heldlog, a_few_messages_come_out_as_they_went_in)
{
	struct heldlog h = { 0 };
	size_t len;
	char *s;

	for (int i = 0; i < 50; i++) {
		say(i);
		cr_assert_eq(heldlog__trim(held, &h, KEEP), 0);
	}
	cr_expect_eq(h.hole_to, 0, "under 4 x keep nothing is left out");
	cr_assert_eq(heldlog__replay(held, &h, out), 0);
	s = replayed(&len);
	cr_expect(!strncmp(s, "wattprobe: warning: message 0\n", 30));
	cr_expect(strstr(s, "message 49...."));
	cr_expect(!strstr(s, "left out"));
	free(s);
}

Test(heldlog, a_flood_stays_bounded_and_says_what_it_left_out)
{
	struct heldlog h = { 0 };
	int n = 200000, first_tail = -1, last_head = -1, last = -1;
	char *s, *cut, *line;
	unsigned long long left;
	size_t len;

	for (int i = 0; i < n; i++) {
		say(i);
		if (!(i % 100))
			cr_assert_eq(heldlog__trim(held, &h, KEEP), 0);
	}
	cr_assert_eq(heldlog__trim(held, &h, KEEP), 0);
	/* ~12 MB written; what stays in memory is the two ends and what came since */
	cr_expect_lt(resident(held), 8 * KEEP, "the file holds %lld bytes", resident(held));
	cr_assert_eq(heldlog__replay(held, &h, out), 0);
	s = replayed(&len);
	cr_expect_lt(len, 8 * KEEP);
	cut = strstr(s, "wattprobe: ... ");
	cr_assert_not_null(cut, "a line says something was left out");
	cr_assert_eq(sscanf(cut, "wattprobe: ... %llu more lines", &left), 1);
	/* whole lines on both sides of the cut, and every line is one of ours */
	for (line = strtok(s, "\n"); line; line = strtok(NULL, "\n")) {
		int i;

		if (line >= cut && line < cut + 15)
			continue;
		cr_assert_eq(sscanf(line, "wattprobe: warning: message %d", &i), 1, "'%s'", line);
		cr_assert_eq(strspn(line + strcspn(line, "."), "."), (size_t)(i % 37),
			     "line %d is whole: '%s'", i, line);
		last = i;
		if (line < cut)
			last_head = i;
		else if (first_tail < 0)
			first_tail = i;
	}
	cr_expect_eq(first_tail - last_head - 1, (long long)left,
		     "the note says %llu lines, %d to %d were left out", left, last_head + 1,
		     first_tail - 1);
	cr_expect_gt(last_head, 0, "the first messages are kept");
	cr_expect_eq(last, n - 1, "the last message is kept");
	free(s);
}
