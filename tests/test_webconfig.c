// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The web config file (exporter toolkit format) and basic authentication against bcrypt. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "http/basicauth.h"
#include "http/serverlibs.h"
#include "helpers.h"
#include "http/webconfig.h"

/* A bcrypt hash of password at cost, made by the agent's libcrypt as htpasswd -B would. */
static const char *bcrypt_of(const char *password, const char *prefix, unsigned cost)
{
	static char out[8][64];
	static int next;
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], why[256];
	struct crypt_data cd = {};
	char *h;

	cr_assert_eq(serverlibs__crypt(why, sizeof(why)), 0, "%s", why);
	cr_assert_not_null(xcrypt.gensalt_rn(prefix, cost, NULL, 0, setting, sizeof(setting)));
	h = xcrypt.rn(password, setting, &cd, sizeof(cd));
	cr_assert_not_null(h);
	next = (next + 1) % 8;
	snprintf(out[next], sizeof(out[next]), "%s", h);
	return out[next];
}

static int parse(const char *yaml, struct web_config *w, char *err, size_t errlen)
{
	return webcfg_parse(yaml, strlen(yaml), "web.yml", w, err, errlen);
}

/* The YAML fails to load, with err starting with want. */
static void expect_error(const char *yaml, const char *want)
{
	struct web_config w;
	char err[512] = "";

	cr_expect_eq(parse(yaml, &w, err, sizeof(err)), -EINVAL, "accepted:\n%s", yaml);
	cr_expect(strstr(err, want) != NULL, "error '%s' lacks '%s'", err, want);
}

/* --- parsing --------------------------------------------------------------------------------- */

Test(webconfig, full)
{
	char yaml[1024], err[256] = "";
	struct web_config w;
	const char *h = bcrypt_of("pw", "$2y$", 4);

	snprintf(yaml, sizeof(yaml),
		 "# as in the exporter toolkit's docs\n"
		 "tls_server_config:\n"
		 "  cert_file: server.crt\n"
		 "  key_file: \"/etc/wattprobe/server.key\"\n"
		 "  min_version: TLS13\n"
		 "  client_auth_type: NoClientCert\n"
		 "  cipher_suites: []\n"
		 "http_server_config:\n"
		 "  http2: false\n"
		 "  headers:\n"
		 "    X-Content-Type-Options: nosniff\n"
		 "    Strict-Transport-Security: max-age=31536000\n"
		 "    X-XSS-Protection: ''\n"
		 "basic_auth_users:\n"
		 "  alice: %s\n"
		 "  bob: '%s'\n", h, bcrypt_of("pw2", "$2a$", 5));
	cr_assert_eq(parse(yaml, &w, err, sizeof(err)), 0, "%s", err);
	cr_assert(w.tls);
	cr_assert_str_eq(w.cert_file, "server.crt");
	cr_assert_str_eq(w.key_file, "/etc/wattprobe/server.key");
	cr_assert_null(w.cert_pem, "nothing is read by the parser");
	cr_assert_str_eq(w.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:%SERVER_PRECEDENCE");
	cr_assert_eq(basic_auth__users(w.auth), 2);
	cr_assert_eq(w.nr_headers, 2, "a blank header is unset");
	cr_assert_str_eq(w.headers[0].name, "X-Content-Type-Options");
	cr_assert_str_eq(w.headers[0].value, "nosniff");
	cr_assert_str_eq(w.headers[1].name, "Strict-Transport-Security");
	webcfg_clear(&w);
}

Test(webconfig, empty_means_nothing)
{
	static const char *const empty[] = {
		"", "# nothing\n", "---\n", "~\n", "tls_server_config:\nbasic_auth_users:\n",
		"tls_server_config: {}\nbasic_auth_users: {}\nhttp_server_config: null\n",
		"rate_limit:\n",
	};
	char err[256] = "";
	struct web_config w;

	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		cr_assert_eq(parse(empty[i], &w, err, sizeof(err)), 0, "'%s': %s", empty[i], err);
		cr_expect_not(w.tls, "'%s'", empty[i]);
		cr_expect_null(w.auth, "'%s'", empty[i]);
		webcfg_clear(&w);
	}
}

Test(webconfig, versions)
{
	char err[256] = "";
	struct web_config w;

	cr_assert_eq(parse("tls_server_config:\n  cert_file: a\n  key_file: b\n", &w, err,
			   sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(w.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE",
			 "the toolkit's default: TLS 1.2 and 1.3");
	webcfg_clear(&w);
	cr_assert_eq(parse("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS10\n"
			   "  max_version: TLS11\n  prefer_server_cipher_suites: false\n", &w, err,
			   sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(w.priorities, "NORMAL:-VERS-ALL:+VERS-TLS1.1:+VERS-TLS1.0");
	webcfg_clear(&w);
	cr_assert_eq(parse("tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n"
			   "    x\n  key: k\n", &w, err, sizeof(err)), 0, "%s", err);
	cr_assert(w.tls);
	cr_assert_str_eq(w.cert_pem, "-----BEGIN CERTIFICATE-----\nx\n", "inline PEM");
	cr_assert_null(w.cert_file);
	webcfg_clear(&w);
}

Test(webconfig, errors_name_the_line_and_key)
{
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  cert_fil: c\n",
		     "web.yml:4: unknown key 'cert_fil' in tls_server_config");
	expect_error("basic_auth_user:\n  a: b\n", "web.yml:1: unknown key 'basic_auth_user'");
	expect_error("http_server_config:\n  http3: true\n",
		     "web.yml:2: unknown key 'http3' in http_server_config");
	expect_error("http_server_config:\n  headers:\n    X-Powered-By: me\n",
		     "web.yml:3: unknown header 'X-Powered-By'");
	expect_error("tls_server_config:\n  cert_file: a\n", "missing key_file");
	expect_error("tls_server_config:\n  key_file: a\n", "missing cert_file");
	expect_error("tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: c\n",
		     "cert_file or cert, not both");
	expect_error("tls_server_config:\n  min_version: TLS12\n", "need a certificate");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n",
		     "web.yml:4: min_version 'TLS14' is not one of");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n"
		     "  max_version: TLS12\n", "min_version TLS13 is above max_version TLS12");
	expect_error("tls_server_config:\n  cert_file: [a, b]\n", "web.yml:2: cert_file must be a string");
	expect_error("tls_server_config:\n  cert_file: \"a\\0b\"\n  key_file: b\n", "NUL");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n",
		     "web.yml:4: client_auth_type other than NoClientCert");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca.crt\n",
		     "client_ca_file is not supported");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites:\n"
		     "    - TLS_AES_128_GCM_SHA256\n", "cipher_suites is not supported");
	expect_error("tls_server_config:\n  cert_file: a\n  key_file: b\n"
		     "  prefer_server_cipher_suites: yes please\n", "must be true or false");
	expect_error("rate_limit:\n  interval: 1s\n  burst: 20\n", "rate_limit is not supported");
	expect_error("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
		     "X-Frame-Options must be deny or sameorigin");
	expect_error("http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
		     "must be nosniff");
	expect_error("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n",
		     "control character");
	expect_error("- tls_server_config\n", "web.yml:1: the web config must be a mapping");
	expect_error("tls_server_config: yes\n", "tls_server_config must be a mapping");
	expect_error("tls_server_config:\n  cert_file: a\n tls: [\n", "web.yml:3: not valid YAML");
	expect_error("tls_server_config:\n  cert_file: a\ntls_server_config:\n  key_file: b\n",
		     "web.yml:3: 'tls_server_config' appears twice");
}

Test(webconfig, users_and_hashes)
{
	char yaml[512];

	expect_error("basic_auth_users:\n  alice: secret\n",
		     "web.yml:2: basic_auth_users: the password of user 'alice' is not a bcrypt hash");
	expect_error("basic_auth_users:\n  alice:\n", "user 'alice' needs a bcrypt hash");
	/* the value is never echoed: it may be a password */
	{
		struct web_config w;
		char err[512] = "";

		cr_assert_eq(parse("basic_auth_users:\n  alice: hunter2hunter2\n", &w, err, sizeof(err)),
			     -EINVAL);
		cr_assert_null(strstr(err, "hunter2"), "%s", err);
	}
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: %s\n  alice: %s\n",
		 bcrypt_of("p", "$2b$", 4), bcrypt_of("q", "$2b$", 4));
	expect_error(yaml, "web.yml:3: 'alice' appears twice in basic_auth_users");
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  'al:ice': %s\n", bcrypt_of("p", "$2b$", 4));
	expect_error(yaml, "holds a ':'");
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  '': %s\n", bcrypt_of("p", "$2b$", 4));
	expect_error(yaml, "is empty");
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  \"a\\tb\": %s\n", bcrypt_of("p", "$2b$", 4));
	expect_error(yaml, "control character");
}

/* The cost a hash says: a cost-4 hash with other digits is a valid hash of that cost. */
static const char *hash_of_cost(unsigned cost)
{
	static char h[64];

	snprintf(h, sizeof(h), "%s", bcrypt_of("x", "$2y$", 4));
	h[4] = '0' + cost / 10;
	h[5] = '0' + cost % 10;
	return h;
}

/*
 * Costs above 14 are refused at start, with the reason: an unknown user or a
 * wrong password costs a check (cost 17 held a scrape for 21.6 s; at cost 31,
 * one check takes days).
 */
Test(webconfig, bcrypt_cost_bounded)
{
	struct web_config w;
	char yaml[256], err[512] = "";

	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: %s\n", hash_of_cost(14));
	cr_assert_eq(parse(yaml, &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(basic_auth__max_cost(w.auth), 14);
	webcfg_clear(&w);
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: %s\n  bob: %s\n",
		 bcrypt_of("y", "$2y$", 4), hash_of_cost(15));
	expect_error(yaml, "web.yml:3: basic_auth_users: the hash of user 'bob' has cost 15, above "
		     "14");
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: %s\n", hash_of_cost(31));
	expect_error(yaml, "has cost 31, above 14: every new client and every wrong password costs "
		     "a check, and one at cost 31 is 131072 times the work of one at 14");
}

/* Nesting is bounded before libyaml builds the tree (100,000 levels took over 9 s). */
Test(webconfig, nesting_bounded)
{
	size_t n = 100000;
	char *yaml = malloc(n + 32), *p;

	cr_assert_not_null(yaml);
	p = yaml + sprintf(yaml, "tls_server_config: ");
	memset(p, '[', n);
	strcpy(p + n, "\n");
	expect_error(yaml, "web.yml:1: mappings and sequences nested deeper than 16 levels");
	/* in block style too */
	p = yaml;
	for (int i = 0; i < 40; i++)
		p += sprintf(p, "%*sk%d:\n", i, "", i);
	expect_error(yaml, "web.yml:17: mappings and sequences nested deeper than 16 levels");
	free(yaml);
	/* 16 are fine (as YAML: the schema says what it thinks of them) */
	expect_error("tls_server_config: [[[[[[[[[[[[[[[]]]]]]]]]]]]]]]\n",
		     "tls_server_config must be a mapping");
}

Test(webconfig, bcrypt_format)
{
	const char *good = bcrypt_of("x", "$2y$", 4);
	char bad[80];

	cr_assert(bcrypt_hash_valid(good));
	cr_assert(bcrypt_hash_valid(bcrypt_of("x", "$2b$", 5)));
	cr_assert(bcrypt_hash_valid(bcrypt_of("x", "$2a$", 4)), "Go's bcrypt makes $2a$");
	/* from the exporter toolkit's documentation */
	cr_assert(bcrypt_hash_valid("$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"));
	cr_assert_not(bcrypt_hash_valid(""));
	cr_assert_not(bcrypt_hash_valid("$2y$10$abc"));
	cr_assert_not(bcrypt_hash_valid("$1$abcdefgh$abcdefghijklmnopqrstuv"));
	cr_assert_not(bcrypt_hash_valid("$6$salt$Oj0nh3k7vE0Nc3D4w8pOSW2hDm1n9xv2C3U8V6Hb1pUBC7tXc5qKd"));
	snprintf(bad, sizeof(bad), "%s", good);
	bad[2] = 'x';
	cr_assert_not(bcrypt_hash_valid(bad), "$2x$ is not checked");
	snprintf(bad, sizeof(bad), "%s", good);
	memcpy(bad + 4, "03", 2);
	cr_assert_not(bcrypt_hash_valid(bad), "cost 3");
	memcpy(bad + 4, "32", 2);
	cr_assert_not(bcrypt_hash_valid(bad), "cost 32");
	snprintf(bad, sizeof(bad), "%s", good);
	bad[40] = '!';
	cr_assert_not(bcrypt_hash_valid(bad));
	snprintf(bad, sizeof(bad), "%sx", good);
	cr_assert_not(bcrypt_hash_valid(bad), "61 characters");
}

/* --- loading from disk ------------------------------------------------------------------------ */

static char dir[64];

static void mkdir_tmp(void)
{
	snprintf(dir, sizeof(dir), "/tmp/wp-webcfg.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

static int load(const char *name, const char *text, struct web_config **w, char *err, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (text)
		cr_assert_eq(th_write_file(path, text), 0);
	return webcfg__load(path, w, err, len);
}

Test(webconfig, load_errors, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct web_config *w = NULL;
	char err[512] = "", want[256];

	/* a file that is not there is a runtime error (exit 1), not a usage error */
	cr_assert_eq(load("none.yml", NULL, &w, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "failed to read --web.config.file") != NULL, "%s", err);
	/* cert_file relative to the config's folder, not to the current one */
	cr_assert_eq(load("web.yml", "tls_server_config:\n  cert_file: server.crt\n"
			  "  key_file: server.key\n", &w, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "failed to read cert_file %s/server.crt: %s", dir,
		 strerror(ENOENT));
	cr_assert(strstr(err, want) != NULL, "%s", err);
	/* content: a usage error */
	cr_assert_eq(load("bad.yml", "tls_server_config: [\n", &w, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "bad.yml:") != NULL, "%s", err);
	cr_assert_eq(load("web2.yml", "tls_server_config:\n  cert_file: web2.yml\n"
			  "  key_file: web2.yml\n", &w, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "holds no PEM certificate") != NULL, "%s", err);
	cr_assert_null(w);
}

/* A FIFO (or another file that is not regular) is refused at once, not waited on for ever. */
Test(webconfig, load_refuses_fifo, .init = mkdir_tmp, .fini = rm_tmp, .timeout = 10)
{
	struct web_config *w = NULL;
	char path[128], err[512] = "";

	snprintf(path, sizeof(path), "%s/web.yml", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(webcfg__load(path, &w, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "is not a regular file") != NULL, "%s", err);
	cr_assert_eq(webcfg__load(dir, &w, err, sizeof(err)), -EINVAL, "a folder");
	cr_assert(strstr(err, "is not a regular file") != NULL, "%s", err);
	/* and a FIFO as cert_file */
	snprintf(path, sizeof(path), "%s/cert.pem", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(load("tls.yml", "tls_server_config:\n  cert_file: cert.pem\n"
			  "  key_file: cert.pem\n", &w, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "cert_file") && strstr(err, "is not a regular file"), "%s", err);
	cr_assert_null(w);
}

Test(webconfig, load_users_only, .init = mkdir_tmp, .fini = rm_tmp)
{
	struct web_config *w = NULL;
	char yaml[256], err[512] = "";

	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: %s\n", bcrypt_of("pw", "$2y$", 4));
	cr_assert_eq(load("web.yml", yaml, &w, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(w);
	cr_assert_not(w->tls);
	cr_assert_eq(basic_auth__users(w->auth), 1);
	webcfg__free(w);
}

/* --- basic authentication ------------------------------------------------------------------------ */

#define PARSE(h, u, ulen, p, plen) basic_auth_parse(h, u, ulen, p, plen, NULL)

Test(basicauth, parse_header)
{
	char u[BASIC_AUTH_MAX_USER], p[BCRYPT_MAX_PASS + 1];

	cr_assert_eq(PARSE("Basic YWxhZGRpbjpvcGVuc2VzYW1l", u, sizeof(u), p, sizeof(p)), 0);
	cr_assert_str_eq(u, "aladdin");
	cr_assert_str_eq(p, "opensesame");
	cr_assert_eq(PARSE("bAsIc   YTpiOmM= ", u, sizeof(u), p, sizeof(p)), 0);
	cr_assert_str_eq(u, "a");
	cr_assert_str_eq(p, "b:c", "the password may hold ':'");
	cr_assert_eq(PARSE("Basic YTo=", u, sizeof(u), p, sizeof(p)), 0);
	cr_assert_str_eq(p, "", "an empty password is a password");

	static const char *const bad[] = {
		NULL, "", "Basic", "Basic ", "Bearer YTpi", "BasicYTpi", "Basic YWI=" /* ab: no ':' */,
		"Basic OmI=" /* :b, no user */, "Basic YTpi!" /* not base64 */, "Basic YTp",
		"Basic YTpiYw=" /* bad padding */, "Basic =YTpi", "Basic YT=pi",
		"Basic YTpiAGM=" /* a:b\0c */, "Basic YQk6Yg==" /* a\t:b */,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(PARSE(bad[i], u, sizeof(u), p, sizeof(p)), -EINVAL, "'%s'",
			     bad[i] ? bad[i] : "(null)");
	/* a user too long for its buffer is refused, not cut; so is a buffer short of 72 bytes */
	cr_assert_eq(PARSE("Basic YWxhZGRpbjpvcGVuc2VzYW1l", u, 4, p, sizeof(p)), -EINVAL);
	cr_assert_eq(PARSE("Basic YWxhZGRpbjpvcGVuc2VzYW1l", u, sizeof(u), p, 72), -EINVAL);
}

/* base64 of "user:password" */
static char *basic_of(const char *user, const char *pass)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t ul = strlen(user), pl = strlen(pass), n = ul + 1 + pl, o = 6;
	unsigned char *in = malloc(n);
	char *out = malloc(6 + (n + 2) / 3 * 4 + 1);

	cr_assert(in && out);
	memcpy(in, user, ul);
	in[ul] = ':';
	memcpy(in + ul + 1, pass, pl);
	memcpy(out, "Basic ", 6);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	free(in);
	return out;
}

/*
 * bcrypt reads 72 bytes of a password. As the exporter toolkit (Go's
 * bcrypt.CompareHashAndPassword) does, a password is checked on those,
 * whatever its length: before, 73 bytes passed and 1,072 were refused.
 */
Test(basicauth, passwords_past_72_bytes)
{
	char p72[73], p71[72], *p73, *p1072, *h;
	size_t plen = 0;
	struct {
		const char *pass;
		enum auth_result want;
	} cases[4];

	memset(p72, 'p', 72);
	p72[71] = 'x';
	p72[72] = '\0';
	snprintf(p71, sizeof(p71), "%.71s", p72);
	p73 = malloc(74);
	p1072 = malloc(1073);
	cr_assert(p73 && p1072);
	snprintf(p73, 74, "%sy", p72);
	memcpy(p1072, p72, 72);
	memset(p1072 + 72, 'z', 1000);
	p1072[1072] = '\0';
	cases[0].pass = p72, cases[0].want = AUTH_OK;
	cases[1].pass = p73, cases[1].want = AUTH_OK;
	cases[2].pass = p1072, cases[2].want = AUTH_OK;
	cases[3].pass = p71, cases[3].want = AUTH_DENIED;
	h = strdup(bcrypt_of(p72, "$2y$", 4));
	for (int i = 0; i < 4; i++) {	/* each against a fresh cache */
		struct basic_auth *a = basic_auth__new();
		char err[256] = "", *hdr = basic_of("alice", cases[i].pass);

		cr_assert_eq(basic_auth__add(a, "alice", h, err, sizeof(err)), 0, "%s", err);
		cr_expect_eq(basic_auth__check(a, hdr), cases[i].want, "a password of %zu bytes",
			     strlen(cases[i].pass));
		free(hdr);
		basic_auth__free(a);
	}
	{
		char u[BASIC_AUTH_MAX_USER], p[BCRYPT_MAX_PASS + 1], *hdr = basic_of("alice", p1072);

		cr_assert_eq(basic_auth_parse(hdr, u, sizeof(u), p, sizeof(p), &plen), 0);
		cr_assert_eq(plen, 1072);
		cr_assert_str_eq(p, p72, "cut to its first 72 bytes");
		free(hdr);
	}
	free(h);
	free(p73);
	free(p1072);
}

static struct basic_auth *auth_with(const char *user, const char *hash)
{
	struct basic_auth *a = basic_auth__new();
	char err[256] = "";

	cr_assert_not_null(a);
	cr_assert_eq(basic_auth__add(a, user, hash, err, sizeof(err)), 0, "%s", err);
	return a;
}

Test(basicauth, check)
{
	struct basic_auth *a = auth_with("alice", bcrypt_of("opensesame", "$2y$", 4));
	char err[256];

	cr_assert_eq(basic_auth__add(a, "bob", bcrypt_of("x", "$2a$", 4), err, sizeof(err)), 0);
	cr_assert_eq(basic_auth__add(a, "bob", bcrypt_of("y", "$2a$", 4), err, sizeof(err)), -EEXIST);
	cr_assert_eq(basic_auth__users(a), 2);
	/* alice:opensesame, alice:opensesamf, bob:x, carol:opensesame, aliceX:opensesame */
	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2U6b3BlbnNlc2FtZQ=="), AUTH_OK);
	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2U6b3BlbnNlc2FtZQ=="), AUTH_OK, "cached");
	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2U6b3BlbnNlc2FtZg=="), AUTH_DENIED);
	cr_assert_eq(basic_auth__check(a, "Basic Ym9iOng="), AUTH_OK);
	cr_assert_eq(basic_auth__check(a, "Basic Y2Fyb2w6b3BlbnNlc2FtZQ=="), AUTH_DENIED);
	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2VYOm9wZW5zZXNhbWU="), AUTH_DENIED);
	/* bob's password is not alice's: the cache is per user */
	cr_assert_eq(basic_auth__check(a, "Basic Ym9iOm9wZW5zZXNhbWU="), AUTH_DENIED);
	cr_assert_eq(basic_auth__check(a, NULL), AUTH_DENIED);
	basic_auth__free(a);
}

/*
 * A flood of wrong passwords spends at most BASIC_AUTH_BUDGET_MS of bcrypt a
 * second; past it the answer is "busy" without a check, and credentials that
 * passed before still pass from the cache.
 */
Test(basicauth, budget)
{
	struct basic_auth *a = auth_with("alice", bcrypt_of("opensesame", "$2y$", 10));
	struct timespec t0, t1;
	int denied = 0, busy = 0;

	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2U6b3BlbnNlc2FtZQ=="), AUTH_OK);
	usleep(1100 * 1000);	/* a budget of its own for the flood */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 200 && !busy; i++) {
		enum auth_result r = basic_auth__check(a, "Basic YWxpY2U6d3Jvbmc=");

		cr_assert_neq(r, AUTH_OK);
		denied += r == AUTH_DENIED;
		busy += r == AUTH_BUSY;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_eq(busy, 1, "never busy after %d checks", denied);
	cr_assert_geq(denied, 1);
	/* the checks that ran took the budget, about; each bcrypt at cost 10 takes >= 1 ms */
	cr_assert_geq((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000,
		      BASIC_AUTH_BUDGET_MS - 1);
	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2U6b3BlbnNlc2FtZQ=="), AUTH_OK,
		     "cached credentials pass while busy");
	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2U6d3Jvbmc="), AUTH_BUSY);
	usleep(1100 * 1000);
	cr_assert_eq(basic_auth__check(a, "Basic YWxpY2U6d3Jvbmc="), AUTH_DENIED, "a new second");
	basic_auth__free(a);
}

/* An unknown user costs a bcrypt too (of the highest cost): else timing tells who exists. */
Test(basicauth, unknown_user_costs_a_bcrypt)
{
	struct basic_auth *a = auth_with("alice", bcrypt_of("opensesame", "$2y$", 9));
	struct timespec t0, t1;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	cr_assert_eq(basic_auth__check(a, "Basic Y2Fyb2w6b3BlbnNlc2FtZQ=="), AUTH_DENIED);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	/* bcrypt at cost 9 is 512 rounds of the key schedule: never below a millisecond */
	cr_assert_geq(ms, 1, "an unknown user was refused without a bcrypt (%ld ms)", ms);
	basic_auth__free(a);
}

/* The server's libraries are loaded on first use: every call of their tables is there then,
 * and a second load is the first's. */
Test(webconfig, server_libraries_load_whole)
{
	char err[256] = "";

	cr_assert_eq(serverlibs__mhd(err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(serverlibs__gnutls(err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < sizeof(mhd) / sizeof(void *); i++)
		cr_assert_not_null(((void **)&mhd)[i], "libmicrohttpd call %zu", i);
	for (size_t i = 0; i < sizeof(gnutls) / sizeof(void *); i++)
		cr_assert_not_null(((void **)&gnutls)[i], "GnuTLS call %zu", i);
	cr_assert_eq(serverlibs__mhd(NULL, 0), 0);
	cr_assert_eq(mhd.is_feature_supported(MHD_FEATURE_TLS), MHD_YES);
	cr_assert_str_eq(gnutls.strerror(GNUTLS_E_DECRYPTION_FAILED), "Decryption has failed.");
}
