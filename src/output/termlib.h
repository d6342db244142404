/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * curses (ncursesw, and the terminfo library it links), loaded at run time
 * (lib/dynlib.h) by the one output that draws with it: top on a terminal
 * (top_ui.c). Linked, they were 250 KiB of every agent's resident memory,
 * json's and prometheus' too, which draw nothing.
 *
 * Call curses.newterm(...) after termlib__curses() returned 0. curses' macros
 * (erase(), getch(), attron(), ...) are left out (NCURSES_NOMACROS): they name
 * its functions and variables directly. Call the functions they stand for on
 * the window (curses.werase(*curses.stdscr)); the variables are pointers in
 * the table (*curses.COLS).
 */
#ifndef __OUTPUT_TERMLIB_H
#define __OUTPUT_TERMLIB_H

#include <stddef.h>
#define NCURSES_NOMACROS
#include <curses.h>
#include "lib/dynlib.h"

/* the calls of ncursesw that top makes (some are terminfo's: ncursesw links it) */
#define CURSES_CALLS(X)								\
	X(newterm) X(delscreen) X(endwin) X(cbreak) X(noecho) X(nonl) X(keypad)	\
	X(nodelay) X(leaveok) X(curs_set) X(clearok) X(resizeterm) X(werase)	\
	X(wrefresh) X(wattron) X(wattroff) X(mvwaddstr) X(wgetch)

/* and the variables they keep: pointers to them */
#define CURSES_VARS(X) X(stdscr) X(curscr) X(COLS) X(LINES)

extern struct curses_calls {
	CURSES_CALLS(DYNLIB_CALL)
	CURSES_VARS(DYNLIB_CALL)
} curses;

/*
 * Load ncursesw (libncursesw.so.6, which links libtinfo.so.6), once; any thread
 * may call it, again and again. 0, or -ENOENT with err naming what is missing
 * and the Debian package that has it.
 */
int termlib__curses(char *err, size_t errlen);

#endif /* __OUTPUT_TERMLIB_H */
