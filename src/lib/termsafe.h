/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Strings from processes and cgroups (comm, command line, cgroup path, group
 * key, exe) made safe to draw on a terminal, and measured in columns. Pure:
 * no I/O; only the locale's character classes (iswprint, wcwidth) are read.
 *
 * The rule. Kept as they are:
 *   - printable ASCII, 0x20..0x7e, except the backslash;
 *   - with TERMSAFE_UTF8 only: a well-formed UTF-8 character that the locale
 *     calls printable (iswprint), unless it is invisible or blank and so
 *     could make two names look alike: Unicode's default-ignorable code
 *     points and format characters (zero-width and bidirectional controls
 *     U+200B..U+200F, U+202A..U+202E, U+2066..U+2069, U+FEFF, U+00AD,
 *     variation selectors, tags, ...), spaces other than U+0020 (U+00A0,
 *     U+2000..U+200A, U+3000, ...), line and paragraph separators, C1
 *     controls (U+0080..U+009F) and noncharacters.
 * Everything else is escaped, in ASCII:
 *   \\                   a backslash
 *   \e                   ESC (0x1b)
 *   \a \b \t \n \v \f \r BEL, BS, TAB, LF, VT, FF, CR
 *   \xHH                 any other byte below 0x20, DEL (0x7f), every byte of
 *                        an ill-formed UTF-8 sequence, and without
 *                        TERMSAFE_UTF8 every byte from 0x80
 *   \uHHHH, \UHHHHHHHH   a well-formed character that is not kept
 * (lower-case hex). The result never holds a byte below 0x20 or 0x7f, nor an
 * 8-bit C1 byte outside a well-formed printable UTF-8 character, so nothing
 * from a process can start a terminal escape sequence. It is lossless: the
 * escapes can be read back into the exact bytes, so two different names are
 * never drawn the same (look-alike printable characters aside).
 */
#ifndef __TERMSAFE_H
#define __TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>

#define TERMSAFE_UTF8	1u	/* the terminal reads UTF-8: keep printable characters */

/*
 * Escape n bytes of src (which may hold NULs) by the rule above into dst: at
 * most cap - 1 bytes and a NUL when cap > 0, never cutting an escape or a
 * character. Returns the length of the whole result, like snprintf, so
 * termsafe_escape(NULL, 0, src, n, flags) sizes it.
 */
size_t termsafe_escape(char *dst, size_t cap, const char *src, size_t n, unsigned flags);

/*
 * Of a string termsafe_escape() made with the same flags: the bytes of its
 * longest prefix that fits in cols terminal columns (zero-width characters
 * after the last one that fits go with it); *width (if not NULL) gets the
 * columns of that prefix. Wide characters count 2 (wcwidth).
 */
size_t termsafe_fit(const char *s, size_t len, int cols, unsigned flags, int *width);

/* The columns of a whole string termsafe_escape() made. */
int termsafe_width(const char *s, size_t len, unsigned flags);

/* TERMSAFE_UTF8 if the locale's character set (LC_CTYPE) is UTF-8, else 0. */
unsigned termsafe_locale_flags(void);

#endif /* __TERMSAFE_H */
