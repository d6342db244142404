// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: cgroup paths (container ids, units), mountinfo, /proc cmdline. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "meta/cgroup.h"
#include "meta/container.h"
#include "procs/procinfo.h"

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[4096];
	struct cg_info info;

	memcpy(s, data, size);
	s[size] = '\0';
	if (!cgpath_classify(s, &info)) {
		size_t n = strlen(info.container_id);

		/* an id is 64 lower-case hex digits, found in the path */
		assert(n == 0 || (n == 64 && is_hex(info.container_id, 64) &&
				  strstr(s, info.container_id)));
		assert(strlen(info.unit) < sizeof(info.unit));
	}
	if (!mountinfo_find_cgroup2(s, out, sizeof(out)))
		assert(strlen(out) < sizeof(out));
	if (cmdline_from_raw((const char *)data, size, out, sizeof(out)) >= 0)
		assert(!memchr(out, '\0', strlen(out)));	/* NULs are gone */
	free(s);
	return 0;
}
