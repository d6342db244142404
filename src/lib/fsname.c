// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Names made into safe file names; see lib/fsname.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/fsname.h"
#include "lib/util.h"

static bool kept(unsigned char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '+' || c == '@' || (c == '.' && !first);
}


int fsname_escape(const char *name, size_t n, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	/* a cut name keeps this much, then "~" and 16 hex digits */
	const size_t cut = FSNAME_MAX - 17;
	size_t o = 0, i;

	if (!name || !n || !out || outlen < FSNAME_MAX + 1)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned char c = name[i];
		size_t need = kept(c, i == 0) ? 1 : 3;

		if (o + need > FSNAME_MAX)
			break;
		if (need == 1) {
			out[o++] = c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (i < n) {
		/* too long: cut at an escape's boundary ('%' only starts one), then the hash of
		 * the whole name */
		while (o > cut)
			o -= o >= 3 && out[o - 3] == '%' ? 3 : 1;
		o += snprintf(out + o, outlen - o, "~%016llx", (unsigned long long)fnv1a64(FNV1A64_INIT, name, n));
	}
	out[o] = '\0';
	return (int)o;
}
