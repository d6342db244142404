/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Any name made into one safe file name, losslessly. Pure: no I/O.
 *
 * Kept as they are: ASCII letters, digits, '-', '_', '+', '@' and '.' (but not as the
 * first byte). Every other byte is "%HH" (upper-case hex), '%' itself too. So the result
 * never holds '/' or a NUL, is never "." or "..", never starts with a dot (no hidden file,
 * nothing a shell glob skips), holds nothing a terminal or a shell would read, and two
 * names are never made the same (the escapes read back into the exact bytes). A name
 * whose escaped form is longer than FSNAME_MAX is cut there and ends in "~" and 16 hex
 * digits of a 64-bit hash of the whole name ('~' is never kept, so this form is told
 * apart from any other).
 */
#ifndef __FSNAME_H
#define __FSNAME_H

#include <stddef.h>

/* The longest file name made: room below NAME_MAX (255) for a temporary suffix. */
#define FSNAME_MAX 200

/* name[0..n) into out (at least FSNAME_MAX + 1 bytes). Its length, or -EINVAL for an empty
 * name or a short out. */
int fsname_escape(const char *name, size_t n, char *out, size_t outlen);

#endif /* __FSNAME_H */
