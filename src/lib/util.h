/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Small helpers used across the agent. */
#ifndef __UTIL_H
#define __UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC 1000000000ULL

/*
 * Parse the first line of buf[0..len) as an unsigned decimal: digits only (leading
 * zeros fine), optionally ended by '\n'; what follows the newline is ignored. 0,
 * -EINVAL (empty, sign, space, other byte) or -ERANGE (above 2^64 - 1). *out is
 * written only on success.
 */
int parse_u64_line(const char *buf, size_t len, unsigned long long *out);
/*
 * A number as a user writes it on a command line, in decimal: digits, with at
 * most one '.' among or around them ("10", "0.5", ".5", "2."). No sign, space,
 * exponent, hexadecimal, inf or nan (strtod() took "0x10" for 16). 0 or -EINVAL;
 * *out is written only on success.
 */
int parse_decimal(const char *s, double *out);
/* The same, digits only, at most LLONG_MAX: 0, -EINVAL or -ERANGE. */
int parse_decimal_ll(const char *s, long long *out);
/* Read a small file into buf (NUL-terminated). Bytes read or -errno. */
int read_small_file(const char *path, char *buf, size_t size);
/*
 * Zero n bytes at p, writing only the pages that are not zero already. A page of a fresh
 * mapping that is only read is the kernel's zero page and costs nothing; clearing it would
 * make it the process's own (a sampler's fits and readings for 16 sockets and 16 GPUs,
 * 200 KiB, of which a machine uses what it has).
 */
void zero_lazily(void *p, size_t n);

/*
 * FNV-1a, the tables' one hash: start from FNV1A32_INIT (or FNV1A64_INIT) and chain
 * calls to hash a key of several fields. The _str forms stop at the NUL.
 */
#define FNV1A32_INIT	2166136261u
#define FNV1A64_INIT	14695981039346656037ULL

static inline uint32_t fnv1a32(uint32_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 16777619u;
	return h;
}

static inline uint32_t fnv1a32_str(uint32_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static inline uint64_t fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		h = (h ^ *b++) * 1099511628211ULL;
	return h;
}

static inline uint64_t fnv1a64_str(uint64_t h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static inline unsigned long long now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (unsigned long long)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

#endif /* __UTIL_H */
