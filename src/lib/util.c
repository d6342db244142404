// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/util.h"

int parse_u64_line(const char *buf, size_t len, unsigned long long *out)
{
	unsigned long long v = 0;
	size_t i;

	for (i = 0; i < len && buf[i] != '\n'; i++) {
		unsigned d = (unsigned char)buf[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (ULLONG_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (!i)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_decimal(const char *s, double *out)
{
	size_t digits = 0, dots = 0;

	if (!s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.' && !dots)
			dots++;
		else
			return -EINVAL;
	}
	if (!digits)
		return -EINVAL;
	*out = strtod(s, NULL);	/* digits and a point: strtod reads them all */
	return 0;
}

int parse_decimal_ll(const char *s, long long *out)
{
	long long v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (LLONG_MAX - (*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	*out = v;
	return 0;
}

int read_small_file(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = '\0';
	close(fd);
	return (int)n;
}

void zero_lazily(void *p, size_t n)
{
	unsigned char *b = p;

	while (n) {
		size_t k = 4096 - ((unsigned long)b & 4095), i;

		k = k < n ? k : n;
		for (i = 0; i < k && !b[i]; i++)
			;
		if (i < k)
			memset(b, 0, k);
		b += k;
		n -= k;
	}
}
