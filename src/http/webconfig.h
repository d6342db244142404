/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --web.config.file: TLS and basic authentication for /metrics, in the format
 * of the Prometheus exporter toolkit (docs/web-configuration.md there):
 *
 *   tls_server_config:
 *     cert_file: server.crt        # or cert: <PEM>, relative to the file's folder
 *     key_file: server.key         # or key: <PEM>
 *     min_version: TLS12           # TLS10 .. TLS13 (default TLS12 .. TLS13)
 *     max_version: TLS13
 *     prefer_server_cipher_suites: true
 *   http_server_config:
 *     http2: true                  # accepted and ignored: HTTP/1.1 only
 *     headers: { X-Frame-Options: deny, ... }   # the toolkit's five headers
 *   basic_auth_users:
 *     alice: $2y$10$...            # bcrypt
 *
 * Keys of the toolkit that wattprobe does not implement (client certificates,
 * cipher suites, curves, rate_limit) are errors rather than silently ignored;
 * so are unknown keys. The file is read once, at start-up, before the
 * privilege drop: certificate and key may be readable by root only.
 */
#ifndef __WEBCONFIG_H
#define __WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define WEBCFG_MAX_HEADERS 5
/*
 * The highest bcrypt cost taken: each step doubles the work of a check, and
 * every new client and every wrong password costs one (cost 14 is 16 times
 * cost 10, which htpasswd -B's docs and the toolkit's use).
 */
#define WEBCFG_MAX_BCRYPT_COST	14
/* The deepest nesting of mappings and sequences taken (the format needs 3). */
#define WEBCFG_MAX_DEPTH	16

struct basic_auth;

struct web_config {
	bool tls;			/* tls_server_config with a certificate */
	char *cert_file, *key_file;	/* as written; once loaded, the path read; NULL: none */
	char *cert_pem, *key_pem;	/* NUL-terminated PEM, once loaded */
	char *min_version, *max_version;	/* TLS10..TLS13 as written, NULL: default */
	bool prefer_server_ciphers;
	char priorities[160];		/* GnuTLS priority string from the versions */
	struct basic_auth *auth;	/* NULL: no authentication */
	unsigned nr_headers;
	struct {
		const char *name;
		char *value;
	} headers[WEBCFG_MAX_HEADERS];
};

/*
 * Read, parse and check the file at path: its YAML, every key, every hash,
 * and (with TLS) that the certificate and key files are readable PEM that go
 * together. 0 with *out set (free it with webcfg__free()); otherwise err holds
 * "PATH:LINE: what is wrong and what to do" and the return is -EINVAL when the
 * content is wrong (a usage error) or another -errno when a file could not be
 * read (a runtime error).
 */
int webcfg__load(const char *path, struct web_config **out, char *err, size_t errlen);
void webcfg__free(struct web_config *w);

/*
 * The parsing part alone, for tests: YAML text to *w (zeroed first), keys,
 * types, versions and hashes checked, nothing read from disk (cert_file and
 * key_file are left as written). name is the file's name for messages. 0,
 * -EINVAL, or -ENOENT when libyaml or libcrypt is not installed.
 */
int webcfg_parse(const char *text, size_t len, const char *name, struct web_config *w, char *err,
		 size_t errlen);
/* Free what w holds (not w). */
void webcfg_clear(struct web_config *w);

#endif /* __WEBCONFIG_H */
