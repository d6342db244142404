/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Interned strings: one copy of each distinct string, kept until the pool is freed, so
 * that pointers to them can be handed out and copied freely (an executable's path is
 * shared by every process that runs it). Bounded: once max strings are held, new ones
 * are refused. Pure: no I/O.
 */
#ifndef __STRPOOL_H
#define __STRPOOL_H

#include <stddef.h>

struct strpool;

/* A pool of at most max strings; NULL with errno set on failure. */
struct strpool *strpool__new(size_t max);
/* The pooled copy of s[0..len) (no NUL needed in s), or NULL: pool full, or no memory. */
const char *strpool__intern(struct strpool *p, const char *s, size_t len);
size_t strpool__size(const struct strpool *p);
void strpool__free(struct strpool *p);

#endif /* __STRPOOL_H */
