// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* curses, loaded at run time; see output/termlib.h. */
#include "output/termlib.h"

struct curses_calls curses;

#define NAME(f) #f,
static const char *const curses_names[] = { CURSES_CALLS(NAME) CURSES_VARS(NAME) };
#undef NAME

/* libncursesw6 depends on libtinfo6: installing it installs both */
static struct dynlib libcurses = DYNLIB("libncursesw.so.6", "libncursesw6", curses, curses_names);
DYNLIB_CHECK(curses, curses_names);

int termlib__curses(char *err, size_t errlen)
{
	return dynlib__load(&libcurses, err, errlen);
}
