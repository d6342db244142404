/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A shared library loaded at run time (dlopen) by the part of wattprobe that
 * uses it, as a table of its calls. Linked, a library is mapped into every
 * agent, which keeps its pages resident whether it calls it or not: json pays
 * for top's curses and prometheus' TLS.
 *
 * The table is a struct of pointers, each typed from the library's own header
 * by DYNLIB_FIELD (its prototype, or for a variable such as curses' stdscr a
 * pointer to it), filled in the order of a list of names:
 *
 *	#define Z_CALLS(X) X(zlibVersion) X(crc32)
 *	struct z_calls { Z_CALLS(DYNLIB_CALL) } z;
 *	static const char *const z_names[] = { "zlibVersion", "crc32" };
 *	static struct dynlib zlib = DYNLIB("libz.so.1", "zlib1g", z, z_names);
 *	DYNLIB_CHECK(z, z_names);
 *	if (!dynlib__load(&zlib, err, errlen)) z.crc32(...);
 */
#ifndef __LIB_DYNLIB_H
#define __LIB_DYNLIB_H

#include <stddef.h>

/* A table's field: a pointer to PREFIX##f, named f (f itself when PREFIX is empty). */
#define DYNLIB_FIELD(PREFIX, f) __typeof__(PREFIX##f) *f;
#define DYNLIB_CALL(f) DYNLIB_FIELD(, f)

struct dynlib {
	const char *file;		/* its SONAME: "libyaml-0.so.2" */
	const char *package;		/* the Debian package that has it */
	void **table;			/* filled in the order of names */
	const char *const *names;
	size_t nr;
	int ret;			/* 1: not tried yet; then 0 or -ENOENT, for good */
	char err[256];
};

/* The library FILE of PACKAGE, whose table TABLE is filled by the names NAMES. */
#define DYNLIB(FILE, PACKAGE, TABLE, NAMES)						\
	{ .file = (FILE), .package = (PACKAGE), .table = (void **)&(TABLE),		\
	  .names = (NAMES), .nr = sizeof(NAMES) / sizeof(*(NAMES)), .ret = 1 }

/* At file scope, beside DYNLIB(): a name for every pointer of the table, and no more. */
#define DYNLIB_CHECK(TABLE, NAMES)							\
	_Static_assert(sizeof(TABLE) == sizeof(NAMES) / sizeof(*(NAMES)) * sizeof(void *), \
		       #TABLE ": a pointer without its name, or a name without its pointer")

/*
 * Load the library and every entry of its table, once; any thread may call it,
 * again and again. 0, or -ENOENT with err naming the file, what is wrong with it
 * and the package to install (the table then stays empty, for good).
 */
int dynlib__load(struct dynlib *l, char *err, size_t errlen);

#endif /* __LIB_DYNLIB_H */
