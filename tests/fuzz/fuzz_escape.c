// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: the JSON and Prometheus escapers (the latter lossless), and --listen parsing. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http/http.h"
#include "lib/json.h"
#include "lib/promtext.h"

/* Well-formed UTF-8 and no raw byte below 0x20 or 0x7f. */
static void assert_clean(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = 0;

		assert((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
		assert(utf8_next(s + i, n - i, &len) >= 0 && len > 0);
		i += len;
	}
}

/* Undo both layers of a label escape (the text format's, then ours): the name
 * must come back, so that no two names share a series. */
static void assert_lossless(const char *esc, size_t n, const char *name)
{
	char *value = malloc(n + 1), *back = malloc(n + 1);
	size_t v = 0, m = 0;

	for (size_t i = 0; i < n; i++) {
		if (esc[i] == '\\') {
			assert(i + 1 < n && (esc[i + 1] == '\\' || esc[i + 1] == '"'));
			i++;
		}
		value[v++] = esc[i];
	}
	for (size_t i = 0; i < v; i++) {
		if (value[i] != '\\') {
			back[m++] = value[i];
			continue;
		}
		assert(i + 1 < v);
		if (value[i + 1] == '\\') {
			back[m++] = '\\';
			i++;
			continue;
		}
		assert(value[i + 1] == 'x' && i + 3 < v);
		back[m++] = (char)strtol((char[]){ value[i + 2], value[i + 3], 0 }, NULL, 16);
		i += 3;
	}
	assert(m == strlen(name) && !memcmp(back, name, m));
	free(value);
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t need = json_escape(NULL, 0, in, size), got;
	char *out = malloc(need + 1), *s, host[256];
	unsigned short port;
	bool bracketed;

	got = json_escape(out, need, in, size);
	assert(got == need);
	assert_clean(out, got);
	/* every quote is escaped: preceded by an odd run of backslashes */
	for (size_t i = 0; i < got; i++) {
		if (out[i] != '"')
			continue;
		size_t k = 0;

		while (k < i && out[i - 1 - k] == '\\')
			k++;
		assert(k % 2 == 1);
	}
	free(out);

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	need = prom_escape_label(NULL, 0, s);
	out = malloc(need + 1);
	got = prom_escape_label(out, need, s);
	assert(got == need);
	assert(!memchr(out, '\n', got));
	assert_clean(out, got);
	assert_lossless(out, got, s);
	free(out);
	if (!http_split_listen(s, host, sizeof(host), &bracketed, &port))
		assert(strlen(host) < sizeof(host));
	free(s);
	return 0;
}
