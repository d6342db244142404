// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `wattprobe top` on a terminal: curses (loaded at run time: output/termlib.h)
 * draws the lines top__render() lays out for the terminal's size, keys sort,
 * group and pause like top and htop, and a resize redraws. The sample on screen
 * is copied, so that a key or a resize redraws it at once, whatever the sampler
 * does next.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "lib/heldlog.h"
#include "lib/termsafe.h"
#include "lib/util.h"
#include "output/output.h"
#include "output/termlib.h"
#include "output/top.h"

/* g without a list of levels: the levels a table of one host reads best */
static const enum group_by default_cycle[] = { GROUP_PID, GROUP_COMM, GROUP_EXE, GROUP_CGROUP,
					       GROUP_CONTAINER, GROUP_UNIT };
#define EV_NONE (-1)

struct top_ui {
	SCREEN *screen;
	struct top_opts o;
	struct top_frame frame;
	bool keys;		/* stdin is a terminal: read keys from it */
	bool help;		/* the help screen is up */
	bool have;		/* a sample was kept */
	bool take_next;		/* show the next sample even when paused */
	bool quit;		/* q was pressed */
	enum group_by shown_by;	/* the grouping of the sample on screen */
	enum group_by cycle[GROUP_NR];	/* what g goes through: --group-by's levels */
	unsigned nr_cycle;
	struct sigaction old_winch;
	int saved_stderr;	/* the terminal, while messages go to errlog */
	int errlog;		/* memfd: stderr while curses draws, replayed after */
	struct heldlog held;	/* what of it was left out */
	/* the sample on screen: a copy, its rows, their processes and command lines */
	struct sample s;
	struct view v;
	struct view_row *rows;
	struct proc *procs;
	__u32 cap_rows;
	char *strings;
	size_t cap_strings;
};

static volatile sig_atomic_t resized;

static void on_winch(int sig)
{
	resized = 1;
}

static const char *const help_text[] = {
	"wattprobe top: keys",
	"",
	"  q            quit (Ctrl-C too)",
	"  h, ?         this help (any key goes back)",
	"  w            sort by watts, this interval (the default)",
	"  P, p         sort by CPU%, this interval",
	"  E, e, T      sort by energy (joules) since wattprobe started",
	"  N, n         sort by PID (groups: by number of processes)",
	"  A, a         sort by name (comm, or the group's key)",
	"  < >          previous / next sort column",
	"  R, r         reverse the order",
	"  g, G         next / previous grouping: the levels of --group-by,",
	"               or pid, comm, exe, cgroup, container, unit",
	"  c            COMMAND: the whole command line / the name (comm)",
	"  I, i         CPU%: of one CPU (100% = one CPU busy) / of all CPUs",
	"  space, Z, z  pause (sampling goes on; the screen holds still)",
	"  Ctrl-L       redraw",
	"",
	"Names and command lines are shown with control characters and",
	"invisible characters escaped: \\e is ESC, \\xHH a byte, \\uHHHH a",
	"character, \\\\ a backslash. An x before a command: the process exited.",
};

/* Copy the sample and what its view's rows point to. */
static int keep(struct top_ui *u, const struct sample *s, const struct view *v)
{
	size_t need = 0, off = 0;

	for (__u32 i = 0; i < v->nr; i++) {
		struct view_row tmp;
		const struct view_row *r = view__row(v, i, &tmp);

		need += strlen(r->key) + 1;
		if (r->p && r->p->cmdline)
			need += strlen(r->p->cmdline) + 1;
	}
	if (v->nr > u->cap_rows) {
		struct view_row *rows = realloc(u->rows, v->nr * sizeof(*rows));
		struct proc *procs;

		if (!rows)
			return -ENOMEM;
		u->rows = rows;
		procs = realloc(u->procs, v->nr * sizeof(*procs));
		if (!procs)
			return -ENOMEM;
		u->procs = procs;
		u->cap_rows = v->nr;
	}
	if (need > u->cap_strings) {
		char *str = realloc(u->strings, need);

		if (!str)
			return -ENOMEM;
		u->strings = str;
		u->cap_strings = need;
	}
	u->s = *s;
	u->s.procs = NULL;
	u->s.nr_procs = 0;
	u->s.charges = NULL;
	u->s.nr_charges = 0;
	u->v = (struct view){ .rows = u->rows, .nr = v->nr, .cap = u->cap_rows,
			      .others = v->others };
	for (__u32 i = 0; i < v->nr; i++) {
		struct view_row tmp;
		const struct view_row *r = view__row(v, i, &tmp);
		struct proc *p = &u->procs[i];
		size_t n = strlen(r->key) + 1;

		u->rows[i] = *r;
		/* keys are the view's until it is built again */
		memcpy(u->strings + off, r->key, n);
		u->rows[i].key = u->strings + off;
		off += n;
		if (!r->p)
			continue;
		*p = *r->p;
		p->cgroup = NULL;
		p->cg = NULL;
		p->exe = NULL;
		if (p->cmdline) {
			size_t n = strlen(p->cmdline) + 1;

			memcpy(u->strings + off, p->cmdline, n);
			p->cmdline = u->strings + off;
			off += n;
		}
		u->rows[i].p = p;
	}
	return 0;
}

/* the screen's window, once curses is set up */
static WINDOW *stdwin(void)
{
	return *curses.stdscr;
}

static void put_line(int y, const char *text, int attr)
{
	if (attr)
		curses.wattron(stdwin(), attr);
	curses.mvwaddstr(stdwin(), y, 0, text);
	if (attr)
		curses.wattroff(stdwin(), attr);
}

static void draw(struct top_ui *u)
{
	int cols = *curses.COLS, lines = *curses.LINES;
	struct top_opts o;

	u->o.width = cols;
	u->o.height = lines;
	o = u->o;
	curses.werase(stdwin());
	if (u->help) {
		for (int i = 0; i < (int)ARRAY_SIZE(help_text) && i < lines; i++) {
			char line[256];
			size_t n = strlen(help_text[i]);

			if (n > (size_t)cols)
				n = cols;
			memcpy(line, help_text[i], n);
			line[n] = '\0';
			put_line(i, line, i ? 0 : A_BOLD);
		}
	} else if (!u->have) {
		char line[256];

		snprintf(line, sizeof(line),
			 "wattprobe: measuring the first interval...  (h: help, q: quit)");
		line[cols < (int)sizeof(line) ? cols : (int)sizeof(line) - 1] = '\0';
		put_line(0, line, A_BOLD);
	} else if (o.by = u->shown_by, !top__render(&u->frame, &u->s, &u->v, &o)) {
		for (int i = 0; i < u->frame.nr && i < lines; i++) {
			enum top_attr a = u->frame.lines[i].attr;

			put_line(i, top_frame__line(&u->frame, i),
				 a == TOP_TITLE ? A_BOLD : a == TOP_COLUMNS ? A_REVERSE : 0);
		}
	}
	curses.wrefresh(stdwin());
}

static void resize(void)
{
	struct winsize ws;

	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row && ws.ws_col)
		curses.resizeterm(ws.ws_row, ws.ws_col);
}

static void set_sort(struct top_ui *u, enum top_sort sort)
{
	u->o.sort = sort;
	u->o.reverse = false;
}

static int key(struct top_ui *u, int ch)
{
	if (u->help && ch != KEY_RESIZE) {
		u->help = false;	/* any key goes back */
		return EV_NONE;
	}
	switch (ch) {
	case 'q':
	case 'Q':
	case KEY_F(10):
		u->quit = true;
		return TOP_UI_QUIT;
	case 'h':
	case '?':
	case KEY_F(1):
		u->help = true;
		break;
	case 'w':
	case 'W':
		set_sort(u, TOP_SORT_WATTS);
		break;
	case 'p':
	case 'P':
		set_sort(u, TOP_SORT_CPU);
		break;
	case 'e':
	case 'E':
	case 'T':
		set_sort(u, TOP_SORT_ENERGY);
		break;
	case 'n':
	case 'N':
		set_sort(u, TOP_SORT_PID);
		break;
	case 'a':
	case 'A':
		set_sort(u, TOP_SORT_NAME);
		break;
	case '<':
		set_sort(u, (u->o.sort + TOP_SORT_NR - 1) % TOP_SORT_NR);
		break;
	case '>':
		set_sort(u, (u->o.sort + 1) % TOP_SORT_NR);
		break;
	case 'r':
	case 'R':
		u->o.reverse = !u->o.reverse;
		break;
	case 'c':
	case 'C':
		u->o.names = !u->o.names;
		break;
	case 'i':
	case 'I':
		u->o.host_cpu = !u->o.host_cpu;
		break;
	case ' ':
	case 'z':
	case 'Z':
		u->o.paused = !u->o.paused;
		break;
	case 'g':
	case 'G': {
		unsigned i = 0;

		while (i < u->nr_cycle && u->cycle[i] != u->o.by)
			i++;	/* not there (-g pod alone): from the start */
		i = i == u->nr_cycle ? (ch == 'g' ? u->nr_cycle - 1 : 0) : i;
		u->o.by = u->cycle[(i + (ch == 'g' ? 1 : u->nr_cycle - 1)) % u->nr_cycle];
		u->take_next = true;
		return TOP_UI_REGROUP;
	}
	case 12:	/* Ctrl-L */
		curses.clearok(*curses.curscr, TRUE);
		break;
	default:
		break;
	}
	return EV_NONE;
}

/*
 * Messages on stderr while curses owns the terminal would land in the middle
 * of the table and vanish with it: they are kept and written out at the end.
 */
static void hold_stderr(struct top_ui *u)
{
	u->saved_stderr = -1;
	u->errlog = -1;
	if (!isatty(STDERR_FILENO))
		return;
	u->errlog = memfd_create("wattprobe-stderr", MFD_CLOEXEC);
	if (u->errlog < 0)
		return;
	fflush(stderr);
	u->saved_stderr = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (u->saved_stderr < 0 || dup2(u->errlog, STDERR_FILENO) < 0) {
		if (u->saved_stderr >= 0)
			close(u->saved_stderr);
		close(u->errlog);
		u->saved_stderr = u->errlog = -1;
	}
}

static void release_stderr(struct top_ui *u)
{
	if (u->saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(u->saved_stderr, STDERR_FILENO);
	close(u->saved_stderr);
	heldlog__replay(u->errlog, &u->held, STDERR_FILENO);
	close(u->errlog);
}

struct top_ui *top_ui__open(const enum group_by *levels, unsigned nr, char *err, size_t errlen)
{
	struct sigaction sa = { .sa_handler = on_winch };
	struct top_ui *u = calloc(1, sizeof(*u));
	const char *term = getenv("TERM");
	char why[256];

	if (!u) {
		snprintf(err, errlen, "failed to allocate the screen: %s", strerror(ENOMEM));
		return NULL;
	}
	if (termlib__curses(why, sizeof(why))) {
		snprintf(err, errlen, "failed to set up the terminal: the screen needs %s", why);
		free(u);
		return NULL;
	}
	/* ours, not curses': installed first, curses leaves it alone */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGWINCH, &sa, &u->old_winch);
	u->screen = curses.newterm(NULL, stdout, stdin);
	if (!u->screen) {
		char name[64] = "unset";

		if (term)
			termsafe_escape(name, sizeof(name), term, strlen(term), 0);
		snprintf(err, errlen, "failed to set up the terminal: TERM=%s is not in the terminfo "
			 "database (set TERM to your terminal's type)", name);
		sigaction(SIGWINCH, &u->old_winch, NULL);
		free(u);
		return NULL;
	}
	u->keys = isatty(STDIN_FILENO);
	hold_stderr(u);
	curses.cbreak();
	curses.noecho();
	curses.nonl();
	curses.keypad(stdwin(), TRUE);
	curses.nodelay(stdwin(), TRUE);
	curses.leaveok(stdwin(), TRUE);
	curses.curs_set(0);
	u->o = (struct top_opts){ .by = levels[0], .terminal = true,
				  .charset = termsafe_locale_flags() };
	if (nr > 1) {
		memcpy(u->cycle, levels, nr * sizeof(*levels));
		u->nr_cycle = nr;
	} else {
		memcpy(u->cycle, default_cycle, sizeof(default_cycle));
		u->nr_cycle = ARRAY_SIZE(default_cycle);
	}
	draw(u);
	return u;
}

int top_ui__show(struct top_ui *u, const struct sample *s, const struct views *vs)
{
	const struct view *v = &vs->v[0];	/* one level at a time: the one shown */
	int err;

	if (u->errlog >= 0) {	/* once a sample: bounded however long it runs */
		fflush(stderr);
		heldlog__trim(u->errlog, &u->held, HELDLOG_KEEP);
	}
	if (u->o.paused && u->have && !u->take_next)
		return 0;
	err = keep(u, s, v);
	if (err)
		return err;
	u->have = true;
	u->take_next = false;
	u->shown_by = u->o.by;
	draw(u);
	return 0;
}

enum top_ui_event top_ui__wait(struct top_ui *u, unsigned long long deadline,
			       const volatile sig_atomic_t *stop)
{
	for (;;) {
		/* the terminal's output too: a hangup shows there when keys are not read */
		struct pollfd pfd[2] = { { .fd = STDOUT_FILENO }, { .fd = STDIN_FILENO, .events = POLLIN } };
		unsigned long long now, ms;
		bool redraw = false;
		int ch;

		if (*stop)
			return TOP_UI_STOP;
		if (resized) {
			resized = 0;
			resize();
			redraw = true;
		}
		while (u->keys && (ch = curses.wgetch(stdwin())) != ERR) {
			int ev = key(u, ch);

			if (ev != EV_NONE)
				return ev;
			redraw = true;
		}
		if (redraw)
			draw(u);
		now = now_ns(CLOCK_MONOTONIC);
		if (now >= deadline)
			return TOP_UI_TIMEOUT;
		ms = (deadline - now + 999999) / 1000000;
		/* the terminal hung up (its window closed): the end, as SIGHUP no longer is */
		if (poll(pfd, u->keys ? 2 : 1, ms > INT_MAX ? INT_MAX : (int)ms) > 0 &&
		    ((pfd[0].revents | pfd[1].revents) & (POLLHUP | POLLERR | POLLNVAL)))
			return TOP_UI_STOP;
	}
}

enum group_by top_ui__group_by(const struct top_ui *u)
{
	return u->o.by;
}

void top_ui__close(struct top_ui *u, bool leave)
{
	if (!u)
		return;
	curses.endwin();
	curses.delscreen(u->screen);
	release_stderr(u);
	/* the lines drawn last, for the size of the terminal */
	for (int i = 0; leave && !u->quit && !u->help && u->have && i < u->frame.nr; i++)
		printf("%s\n", top_frame__line(&u->frame, i));
	fflush(stdout);
	sigaction(SIGWINCH, &u->old_winch, NULL);
	top_frame__free(&u->frame);
	free(u->rows);
	free(u->procs);
	free(u->strings);
	free(u);
}

/* --- the output: `wattprobe top`, the screen on a terminal, else plain lines ---------- */

/* On a terminal, the screen and its keys; elsewhere plain lines (o->priv NULL). */
static int top_open(struct output *o, char *err, size_t errlen)
{
	struct output_env *env = o->env;
	char why[256];

	setlocale(LC_CTYPE, "");	/* names in UTF-8 only where the terminal takes it */
	o->cmdlines = true;
	if (!isatty(STDOUT_FILENO))
		return 0;
	o->priv = top_ui__open(env->view->levels, env->view->nr_levels, why, sizeof(why));
	if (!o->priv) {
		fprintf(stderr, "wattprobe: %s; printing plain lines\n", why);
		return 0;
	}
	o->waits = true;
	env->view->nr_levels = 1;	/* the screen shows one level at a time: g the next */
	if (!env->top_set)
		env->view->top = 0;	/* the rows fill the screen */
	return 0;
}

/* A reader of plain lines gone away (EPIPE) ends us quietly; another error is said. */
static int top_emit(struct output *o, const struct sample *s, const struct views *v)
{
	int err;

	if (o->priv) {
		err = top_ui__show(o->priv, s, v);
		if (err)
			fprintf(stderr, "wattprobe: failed to draw the table: %s\n", strerror(-err));
		return err;
	}
	err = top__print(stdout, s, v, o->env->opts);
	if (err == -EPIPE || (err == -EINTR && *o->env->stopping))	/* gone away; SIGTERM */
		return 1;
	if (err)
		fprintf(stderr, "wattprobe: failed to write to stdout: %s\n", strerror(-err));
	return err;
}

/* Keys and resizes until the deadline; a new grouping is sampled at once. */
static int top_wait(struct output *o, unsigned long long *deadline)
{
	switch (top_ui__wait(o->priv, *deadline, o->env->stopping)) {
	case TOP_UI_TIMEOUT:
		return 0;
	case TOP_UI_REGROUP:
		o->env->view->by = o->env->view->levels[0] = top_ui__group_by(o->priv);
		*deadline = now_ns(CLOCK_MONOTONIC);
		return 0;
	default:
		return 1;
	}
}

static void top_close(struct output *o, bool finished)
{
	top_ui__close(o->priv, finished);
	o->priv = NULL;
}

const struct output_ops top_output = {
	.name = "top",
	.summary = "a table refreshed every interval, biggest consumer first\n"
		   "(the default command); on a terminal it fills the screen\n"
		   "and takes keys (h lists them), else plain lines",
	.default_top = 20,
	.regroups = true,
	.open = top_open,
	.emit = top_emit,
	.wait = top_wait,
	.close = top_close,
};
