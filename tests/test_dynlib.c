// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Libraries loaded at run time as tables of their calls (lib/dynlib.h), and the agent's. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <zlib.h>
#include "http/serverlibs.h"
#include "lib/dynlib.h"
#include "output/termlib.h"

#define Z_CALLS(X) X(zlibVersion) X(crc32)
#define NAME(f) #f,

static struct z_calls {
	Z_CALLS(DYNLIB_CALL)
} z;
static const char *const z_names[] = { Z_CALLS(NAME) };
DYNLIB_CHECK(z, z_names);

/* zlib's, and a call it has not */
static struct z_bad {
	Z_CALLS(DYNLIB_CALL)
	int (*missing)(void);
} zbad;
static const char *const zbad_names[] = { Z_CALLS(NAME) "wattprobe_no_such_call" };
DYNLIB_CHECK(zbad, zbad_names);

Test(dynlib, fills_the_table_with_the_library_s_calls)
{
	struct dynlib l = DYNLIB("libz.so.1", "zlib1g", z, z_names);
	char err[256] = "";

	cr_assert_eq(dynlib__load(&l, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(z.zlibVersion(), zlibVersion());
	/* the check value of "123456789" (zlib's CRC-32, as in its test) */
	cr_assert_eq(z.crc32(0, (const Bytef *)"123456789", 9), 0xcbf43926);
	cr_assert_eq(dynlib__load(&l, err, sizeof(err)), 0, "a second load");
}

Test(dynlib, a_library_not_installed_names_its_package)
{
	static struct z_calls none;
	struct dynlib l = DYNLIB("libwattprobe-none.so.7", "libwattprobe-none7", none, z_names);
	char err[256] = "";

	cr_assert_eq(dynlib__load(&l, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "libwattprobe-none.so.7, which is not installed"), "%s", err);
	cr_assert(strstr(err, "apt-get install libwattprobe-none7"), "%s", err);
	cr_assert_null(none.crc32);
	/* for good: the same answer, without trying again */
	err[0] = '\0';
	cr_assert_eq(dynlib__load(&l, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "apt-get install libwattprobe-none7"), "%s", err);
	cr_assert_eq(dynlib__load(&l, NULL, 0), -ENOENT);
}

Test(dynlib, a_call_missing_leaves_the_table_empty)
{
	struct dynlib l = DYNLIB("libz.so.1", "zlib1g", zbad, zbad_names);
	char err[256] = "";

	cr_assert_eq(dynlib__load(&l, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "libz.so.1, which has no wattprobe_no_such_call"), "%s", err);
	cr_assert_null(zbad.zlibVersion, "half a table");
	cr_assert_null(zbad.crc32, "half a table");
}

static struct z_calls zt;
static struct dynlib zt_lib = DYNLIB("libz.so.1", "zlib1g", zt, z_names);
DYNLIB_CHECK(zt, z_names);

static void *load_z(void *arg)
{
	return (void *)(long)dynlib__load(&zt_lib, NULL, 0);
}

Test(dynlib, threads_at_once_load_it_once)
{
	pthread_t t[8];
	void *ret;

	for (int i = 0; i < 8; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, load_z, NULL), 0);
	for (int i = 0; i < 8; i++) {
		cr_assert_eq(pthread_join(t[i], &ret), 0);
		cr_assert_eq((long)ret, 0);
	}
	cr_assert_not_null(zt.crc32);
}

/* The agent's own tables: every name is a call (or variable) its library has. */
Test(dynlib, the_agent_s_libraries_have_every_call_it_names)
{
	char err[256] = "";

	cr_assert_eq(serverlibs__mhd(err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(serverlibs__gnutls(err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(serverlibs__yaml(err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(serverlibs__crypt(err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(termlib__curses(err, sizeof(err)), 0, "%s", err);
	/* curses' variables, found in terminfo (which ncursesw links), before any screen */
	cr_assert_not_null(curses.COLS);
	cr_assert_not_null(curses.stdscr);
	cr_assert_null(*curses.stdscr, "a screen before newterm");
	cr_assert_not_null(yaml.document_get_node);
	cr_assert_eq(xcrypt.checksalt("$2b$04$abcdefghijklmnopqrstuu"), CRYPT_SALT_OK);
}
