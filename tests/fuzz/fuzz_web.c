// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * libFuzzer: what the network and the web config file hand the HTTP server:
 * the web config's YAML, Authorization, Accept-Encoding and the request
 * target. Every input goes through all of them.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http/basicauth.h"
#include "http/http.h"
#include "http/webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char user[BASIC_AUTH_MAX_USER], pass[BCRYPT_MAX_PASS + 1], err[512] = "", *s;
	const char *in = (const char *)data;
	struct web_config w;
	enum http_target t;
	size_t plen;
	int ret;

	ret = webcfg_parse(in, size, "f.yml", &w, err, sizeof(err));
	assert(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret)
		assert(!strncmp(err, "f.yml", 5));
	else if (w.tls)
		assert(!strncmp(w.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.", 28));
	webcfg_clear(&w);

	t = http_target_kind(in, size);
	if (t == HTTP_TARGET_METRICS)
		assert(size >= 8 && !memcmp(in, "/metrics", 8) && (size == 8 || in[8] == '?'));
	if (t == HTTP_TARGET_INDEX)
		assert(size >= 1 && in[0] == '/' && (size == 1 || in[1] == '?'));
	if (memchr(in, '\0', size))
		assert(t == HTTP_TARGET_BAD);

	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	if (!basic_auth_parse(s, user, sizeof(user), pass, sizeof(pass), &plen)) {
		assert(user[0] && !strchr(user, ':'));
		assert(strlen(user) < sizeof(user) && strlen(pass) < sizeof(pass));
		assert(strlen(pass) == (plen < BCRYPT_MAX_PASS ? plen : BCRYPT_MAX_PASS));
	}
	http_accepts_gzip(s);
	free(s);
	return 0;
}
