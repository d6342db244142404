// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prometheus text exposition: exact lines, escaping, numbers, and promtool's verdict. */
#include <criterion/criterion.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/promtext.h"

Test(promtext, family_help_escaped)
{
	struct pbuf b;

	pbuf_init(&b);
	prom_family(&b, "wattprobe_socket_watts", "gauge", "Power of a socket.\nA \\ too.");
	cr_assert_str_eq(b.buf, "# HELP wattprobe_socket_watts Power of a socket.\\nA \\\\ too.\n"
				"# TYPE wattprobe_socket_watts gauge\n");
	cr_assert_eq(b.len, strlen(b.buf));
	pbuf_free(&b);
}

Test(promtext, samples_and_labels)
{
	const char *const two[] = { "pid", "42", "comm", "bash", NULL };
	const char *const some_null[] = { "a", NULL, "b", "x", "c", NULL, NULL };
	const char *const all_null[] = { "a", NULL, NULL };
	const char *const none[] = { NULL };
	struct pbuf b;

	pbuf_init(&b);
	prom_sample(&b, "m", NULL, 1);
	prom_sample(&b, "m", none, 2);
	prom_sample(&b, "m", all_null, 3);
	prom_sample(&b, "m", some_null, 4);
	prom_sample(&b, "wattprobe_process_watts", two, 12.5);
	cr_assert_str_eq(b.buf, "m 1\n"
				"m 2\n"
				"m 3\n"
				"m{b=\"x\"} 4\n"
				"wattprobe_process_watts{pid=\"42\",comm=\"bash\"} 12.5\n");
	pbuf_reset(&b);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(b.buf, "");
	pbuf_free(&b);
}

static char *label(const char *v)
{
	size_t need = prom_escape_label(NULL, 0, v);
	char *out = malloc(need + 1);

	cr_assert_not_null(out);
	cr_assert_eq(prom_escape_label(out, need, v), need);
	out[need] = '\0';
	return out;
}

#define expect_label(in, want)                                                                    \
	do {                                                                                      \
		char *got_ = label(in);                                                           \
		cr_expect_str_eq(got_, want, "label %s", #in);                                    \
		free(got_);                                                                       \
	} while (0)

/* Label values are escaped losslessly: \ doubled, bytes that are not printable
 * UTF-8 as \xHH, then the text format's own escapes (\\ and \"). */
Test(promtext, label_escaping)
{
	expect_label("", "");
	expect_label("plain", "plain");
	expect_label("a\\b", "a\\\\\\\\b");			/* value a\\b */
	expect_label("say \"hi\"", "say \\\"hi\\\"");
	expect_label("two\nlines", "two\\\\x0alines");		/* value two\x0alines */
	expect_label("tab\there", "tab\\\\x09here");
	expect_label("\x01\x1b[31m\x7f", "\\\\x01\\\\x1b[31m\\\\x7f");	/* no terminal escapes */
	expect_label("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
		     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	expect_label("\xc0\xaf", "\\\\xc0\\\\xaf");			/* overlong */
	expect_label("\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80");		/* surrogate */
	expect_label("\xf4\x90\x80\x80", "\\\\xf4\\\\x90\\\\x80\\\\x80");	/* above U+10FFFF */
	expect_label("x\xe2\x82", "x\\\\xe2\\\\x82");			/* truncated */
	expect_label("\x80" "a", "\\\\x80a");				/* stray continuation */
}

/* Inverse of the two layers of escaping, as Prometheus and then a reader of the
 * value would undo them: the names of the report stay apart. */
static char *unescape(const char *page)
{
	char *value = malloc(strlen(page) + 1), *name = malloc(strlen(page) + 1);
	size_t n = 0, m = 0;

	cr_assert(value && name);
	for (const char *p = page; *p; p++) {
		if (*p == '\\') {
			p++;
			value[n++] = *p == 'n' ? '\n' : *p;
		} else {
			value[n++] = *p;
		}
	}
	value[n] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (value[i] == '\\' && value[i + 1] == '\\') {
			name[m++] = '\\';
			i++;
		} else if (value[i] == '\\' && value[i + 1] == 'x') {
			unsigned int c;

			cr_assert_eq(sscanf(value + i + 2, "%2x", &c), 1);
			name[m++] = (char)c;
			i += 3;
		} else {
			name[m++] = value[i];
		}
	}
	name[m] = '\0';
	free(value);
	return name;
}

Test(promtext, label_escaping_is_lossless)
{
	static const char *const names[] = {
		"dup\x01", "dup\x02", "dup\xff", "dup\\x01", "dup\\\\x01", "dup\\", "dup\\\\",
		"dup\"", "dup\n", "dup\\n", "dup\xef\xbf\xbd", "dup\xc3", "dup\xc3\xa9", "dup",
	};
	char *esc[sizeof(names) / sizeof(names[0])];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *back;

		esc[i] = label(names[i]);
		back = unescape(esc[i]);
		cr_expect_str_eq(back, names[i], "round trip of name %zu through %s", i, esc[i]);
		free(back);
		for (size_t k = 0; k < i; k++)
			cr_expect_str_neq(esc[i], esc[k], "names %zu and %zu escape alike", i, k);
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		free(esc[i]);
}

Test(promtext, label_escape_sizes_and_truncates_on_whole_escapes)
{
	char dst[8];

	cr_assert_eq(prom_escape_label(NULL, 0, "a\"\xff"), 8);
	memset(dst, '#', sizeof(dst));
	cr_assert_eq(prom_escape_label(dst, 2, "a\"b"), 4);
	cr_assert_eq(dst[0], 'a');
	cr_assert_eq(dst[1], '#', "a half escape must not be written");
}

static char *val(double v)
{
	struct pbuf b;
	char *out;

	pbuf_init(&b);
	prom_sample(&b, "m", NULL, v);
	cr_assert_eq(b.err, 0);
	cr_assert_eq(strncmp(b.buf, "m ", 2), 0);
	cr_assert_eq(b.buf[b.len - 1], '\n');
	b.buf[b.len - 1] = '\0';
	out = strdup(b.buf + 2);
	pbuf_free(&b);
	return out;
}

#define expect_val(v, want)                                                                       \
	do {                                                                                      \
		char *got_ = val(v);                                                              \
		cr_expect_str_eq(got_, want, "value %s", #v);                                     \
		free(got_);                                                                       \
	} while (0)

Test(promtext, values)
{
	expect_val(0.0, "0");
	expect_val(-0.0, "0");
	expect_val(1.0, "1");
	expect_val(-5.0, "-5");
	expect_val(1.5, "1.5");
	expect_val(0.1, "0.1");
	expect_val(123.456, "123.456");
	expect_val(1.0 / 3, "0.3333333333333333");
	expect_val(1e15, "1000000000000000");
	expect_val(9007199254740991.0, "9007199254740991");	/* 2^53 - 1 */
	expect_val(-9007199254740991.0, "-9007199254740991");
	expect_val(9007199254740992.0, "9007199254740992");	/* 2^53: %.16g is exact */
	expect_val(18446744073709551616.0, "1.8446744073709552e+19");
	expect_val(1e300, "1e+300");
	expect_val(1e-300, "1e-300");
	expect_val(5e-324, "4.94065645841247e-324");
	expect_val(NAN, "NaN");
	expect_val(INFINITY, "+Inf");
	expect_val(-INFINITY, "-Inf");
}

Test(promtext, errors_are_sticky_until_reset)
{
	struct pbuf b;

	pbuf_init(&b);
	prom_sample(&b, "m", NULL, 1);
	b.err = -ENOMEM;
	prom_family(&b, "x", "gauge", "y");
	prom_sample(&b, "x", NULL, 2);
	pbuf_printf(&b, "%s", "z");
	cr_assert_str_eq(b.buf, "m 1\n");
	pbuf_reset(&b);
	cr_assert_eq(b.err, 0);
	prom_sample(&b, "x", NULL, 2);
	cr_assert_str_eq(b.buf, "x 2\n");
	pbuf_free(&b);
}

Test(promtext, allocation_failure_sets_err)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("AddressSanitizer reserves address space; RLIMIT_AS would break it");
#else
	static char big[1 << 20];
	const char *const l[] = { "k", big, NULL };
	unsigned long pages = 0;
	struct rlimit rl;
	struct pbuf b;
	FILE *f;

	f = fopen("/proc/self/statm", "r");
	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * sysconf(_SC_PAGESIZE) + (64 << 20);
	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);

	memset(big, 'v', sizeof(big) - 1);
	pbuf_init(&b);
	for (int i = 0; i < 1024 && !b.err; i++)
		prom_sample(&b, "m", l, i);
	cr_assert_eq(b.err, -ENOMEM);
	cr_assert_leq(b.len + 1, b.cap);
	cr_assert_eq(b.buf[b.len], '\0');
	pbuf_free(&b);
#endif
}

static int have_promtool(void)
{
	return system("command -v promtool >/dev/null 2>&1") == 0;
}

/* Runs promtool check metrics on text; returns its exit status, its output in out. */
static int promtool_check(const char *text, char *out, size_t outlen)
{
	char path[] = "/tmp/wattprobe-prom.XXXXXX", cmd[128];
	size_t n = 0;
	FILE *p;
	int fd, status;

	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	status = pclose(p);
	unlink(path);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(promtext, promtool_accepts_exposition)
{
	const char *const sock[] = { "socket", "0", "domain", "package", NULL };
	const char *const hostile[] = { "pid", "7", "comm", "a\\b\"c\nd\te\x01\xff\xc0\xaf\xed\xa0\x80"
				       "\xf0\x9f\x98\x80", NULL };
	const char *const plain[] = { "pid", "8", "comm", "caf\xc3\xa9", NULL };
	char out[4096];
	struct pbuf b;
	int rc;

	if (!have_promtool())
		cr_skip_test("promtool is not installed");
	pbuf_init(&b);
	prom_family(&b, "wattprobe_socket_joules_total", "counter",
		    "Energy a socket's RAPL domain used.\nSecond line with a \\ backslash.");
	prom_sample(&b, "wattprobe_socket_joules_total", sock, 1234.5678);
	prom_family(&b, "wattprobe_process_watts", "gauge", "Power attributed to a process.");
	prom_sample(&b, "wattprobe_process_watts", hostile, 0.1);
	prom_sample(&b, "wattprobe_process_watts", plain, NAN);
	prom_family(&b, "wattprobe_host_watts", "gauge", "Power of the host.");
	prom_sample(&b, "wattprobe_host_watts", NULL, INFINITY);
	prom_family(&b, "wattprobe_processes", "gauge", "Processes tracked.");
	prom_sample(&b, "wattprobe_processes", NULL, 18446744073709551616.0);
	cr_assert_eq(b.err, 0);

	rc = promtool_check(b.buf, out, sizeof(out));
	cr_assert_eq(rc, 0, "promtool exit %d: %s\n--- page ---\n%s", rc, out, b.buf);

	/* and the check is not vacuous: promtool rejects a raw newline in a label */
	rc = promtool_check("# HELP m M.\n# TYPE m gauge\nm{l=\"a\nb\"} 1\n", out, sizeof(out));
	cr_assert_neq(rc, 0, "promtool accepted a broken page: %s", out);
	pbuf_free(&b);
}

/* OpenMetrics: a counter's HELP and TYPE without _total, a _created sample after each
 * of its samples, help's quotes escaped, "# EOF" at the end; text 0.0.4 has none. */
Test(promtext, openmetrics_counters_and_eof)
{
	const char *const l[] = { "pid", "42", NULL };
	struct pbuf b;

	pbuf_init(&b);
	b.format = PROM_OPENMETRICS;
	prom_family(&b, "wattprobe_process_joules_total", "counter", "Energy of a \"process\".");
	prom_counter(&b, "wattprobe_process_joules_total", l, 2.5, 1764000000.25);
	prom_counter(&b, "wattprobe_process_joules_total", NULL, 0, 0);	/* no time: none */
	prom_family(&b, "wattprobe_host_watts", "gauge", "Power.");
	prom_counter(&b, "wattprobe_host_watts", NULL, 7, 1764000000);	/* a gauge: none */
	prom_end(&b);
	cr_assert_str_eq(b.buf,
			 "# HELP wattprobe_process_joules Energy of a \\\"process\\\".\n"
			 "# TYPE wattprobe_process_joules counter\n"
			 "wattprobe_process_joules_total{pid=\"42\"} 2.5\n"
			 "wattprobe_process_joules_created{pid=\"42\"} 1764000000.25\n"
			 "wattprobe_process_joules_total 0\n"
			 "# HELP wattprobe_host_watts Power.\n"
			 "# TYPE wattprobe_host_watts gauge\n"
			 "wattprobe_host_watts 7\n"
			 "# EOF\n");
	b.format = PROM_TEXT;
	pbuf_reset(&b);
	prom_family(&b, "wattprobe_process_joules_total", "counter", "Energy of a \"process\".");
	prom_counter(&b, "wattprobe_process_joules_total", l, 2.5, 1764000000.25);
	prom_end(&b);
	cr_assert_str_eq(b.buf,
			 "# HELP wattprobe_process_joules_total Energy of a \"process\".\n"
			 "# TYPE wattprobe_process_joules_total counter\n"
			 "wattprobe_process_joules_total{pid=\"42\"} 2.5\n");
	pbuf_free(&b);
}

/* drop: a family whose whole name matches is left out, samples and all, until the next
 * family; OpenMetrics _created samples by their own name. */
Test(promtext, drop_leaves_whole_families_out)
{
	regex_t re;
	struct pbuf b;

	cr_assert_eq(regcomp(&re, "(m_.*_total)|(c_created)", REG_EXTENDED), 0);
	pbuf_init(&b);
	b.drop = &re;
	b.format = PROM_OPENMETRICS;
	prom_family(&b, "m_x_total", "counter", "X.");
	prom_counter(&b, "m_x_total", NULL, 1, 5);
	prom_family(&b, "m_x_totals", "gauge", "Not the whole name.");
	prom_sample(&b, "m_x_totals", NULL, 2);
	prom_family(&b, "c_total", "counter", "C.");
	prom_counter(&b, "c_total", NULL, 3, 5);
	prom_family(&b, "d_total", "counter", "D.");
	prom_counter(&b, "d_total", NULL, 4, 5);
	cr_assert_str_eq(b.buf,
			 "# HELP m_x_totals Not the whole name.\n# TYPE m_x_totals gauge\nm_x_totals 2\n"
			 "# HELP c C.\n# TYPE c counter\nc_total 3\n"
			 "# HELP d D.\n# TYPE d counter\nd_total 4\nd_created 5\n");
	regfree(&re);
	pbuf_free(&b);
}
