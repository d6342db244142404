// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The web config file (--web.config.file), in the exporter toolkit's format.
 *
 * YAML is parsed by libyaml (Debian's libyaml-0-2, the parser PyYAML and
 * many C programs use, loaded when a web config is read: http/serverlibs.h)
 * into a document tree that we walk against a fixed schema: every key is
 * known, every value has the type it must have, and each error names the
 * file, the line and the remedy. The certificate and
 * key are then read (paths relative to the config file's folder, as the
 * toolkit does) and checked with GnuTLS, the TLS library libmicrohttpd uses,
 * so that a wrong file is reported at start-up rather than as a failed
 * handshake later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yaml.h>
#include "http/basicauth.h"
#include "http/serverlibs.h"
#include "lib/util.h"
#include "http/webconfig.h"

#define MAX_FILE (1 << 20)	/* config, certificate or key: larger is not one */

struct ctx {
	yaml_document_t *doc;
	const char *name;
	struct web_config *w;
	const yaml_node_t *tls;		/* tls_server_config, for messages */
	const yaml_node_t *key;		/* the key being looked at, for messages about it */
	char *err;
	size_t errlen;
};

static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int len;

	len = snprintf(c->err, c->errlen, "%s:%zu: ", c->name, n ? n->start_mark.line + 1 : 1);
	if (len < 0 || (size_t)len >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + len, c->errlen - len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* --- YAML nodes ------------------------------------------------------------------------- */

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* An empty value, ~ or null: the key counts as absent. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE)
		return false;
	if (n->tag && !strcmp((const char *)n->tag, YAML_NULL_TAG))
		return true;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp(scalar(n), nulls[i]))
			return true;
	return false;
}

static bool is_empty(const yaml_node_t *n)
{
	if (is_null(n))
		return true;
	if (n->type == YAML_SCALAR_NODE)
		return !n->data.scalar.length;
	if (n->type == YAML_SEQUENCE_NODE)
		return n->data.sequence.items.start == n->data.sequence.items.top;
	return n->data.mapping.pairs.start == n->data.mapping.pairs.top;
}

/* A string value (NULL for null), copied to *out. */
static int get_string(struct ctx *c, const yaml_node_t *n, const char *key, char **out)
{
	free(*out);
	*out = NULL;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return fail(c, n, "%s must be a string", key);
	if (strlen(scalar(n)) != n->data.scalar.length)
		return fail(c, n, "%s holds a NUL character", key);
	*out = strdup(scalar(n));
	return *out ? 0 : -ENOMEM;
}

static int get_bool(struct ctx *c, const yaml_node_t *n, const char *key, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };

	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return fail(c, n, "%s must be true or false", key);
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(scalar(n), yes[i]) || !strcmp(scalar(n), no[i])) {
			*out = !strcmp(scalar(n), yes[i]);
			return 0;
		}
	}
	return fail(c, n, "%s must be true or false", key);
}

typedef int (*key_fn)(struct ctx *c, const char *key, const yaml_node_t *v);

/* Call fn for each key of mapping n (NULL or null: none); keys must be strings, once each. */
static int each_key(struct ctx *c, const yaml_node_t *n, const char *what, key_fn fn)
{
	yaml_node_pair_t *p, *q;

	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s must be a mapping of keys to values", what);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml.document_get_node(c->doc, p->key);
		int ret;

		if (!k || k->type != YAML_SCALAR_NODE ||
		    strlen(scalar(k)) != k->data.scalar.length)
			return fail(c, k, "a key of %s is not a string", what);
		for (q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml.document_get_node(c->doc, q->key);

			if (!strcmp(scalar(k2), scalar(k)))
				return fail(c, k, "'%s' appears twice in %s", scalar(k), what);
		}
		c->key = k;
		ret = fn(c, scalar(k), yaml.document_get_node(c->doc, p->value));
		if (ret)
			return ret;
	}
	return 0;
}

/* --- the schema ---------------------------------------------------------------------------- */

static const char *const versions[] = { "TLS10", "TLS11", "TLS12", "TLS13" };

static int version_index(const char *v)
{
	for (size_t i = 0; i < ARRAY_SIZE(versions); i++)
		if (!strcmp(v, versions[i]))
			return i;
	return -1;
}

static int tls_key(struct ctx *c, const char *key, const yaml_node_t *v)
{
	struct web_config *w = c->w;
	int ret;

	if (!strcmp(key, "cert_file"))
		return get_string(c, v, key, &w->cert_file);
	if (!strcmp(key, "key_file"))
		return get_string(c, v, key, &w->key_file);
	if (!strcmp(key, "cert"))
		return get_string(c, v, key, &w->cert_pem);
	if (!strcmp(key, "key"))
		return get_string(c, v, key, &w->key_pem);
	if (!strcmp(key, "min_version") || !strcmp(key, "max_version")) {
		char **out = key[1] == 'i' ? &w->min_version : &w->max_version;

		ret = get_string(c, v, key, out);
		if (!ret && *out && version_index(*out) < 0)
			return fail(c, v, "%s '%s' is not one of TLS10, TLS11, TLS12, TLS13", key,
				    *out);
		return ret;
	}
	if (!strcmp(key, "prefer_server_cipher_suites"))
		return get_bool(c, v, key, &w->prefer_server_ciphers);
	if (!strcmp(key, "client_auth_type")) {
		if (is_null(v) || (v->type == YAML_SCALAR_NODE &&
				   (!strcmp(scalar(v), "NoClientCert") || !*scalar(v))))
			return 0;
		return fail(c, c->key, "client_auth_type other than NoClientCert: client "
			    "certificates are not supported by wattprobe; use basic_auth_users, "
			    "or a TLS proxy that checks them");
	}
	if (!strcmp(key, "client_ca_file") || !strcmp(key, "client_ca") ||
	    !strcmp(key, "client_allowed_sans") || !strcmp(key, "cipher_suites") ||
	    !strcmp(key, "curve_preferences")) {
		if (is_empty(v))
			return 0;
		return fail(c, c->key, "%s is not supported by wattprobe (it uses GnuTLS's "
			    "defaults for ciphers and curves, and no client certificates): remove "
			    "it", key);
	}
	return fail(c, c->key, "unknown key '%s' in tls_server_config (expected cert_file, "
		    "key_file, cert, key, min_version, max_version, prefer_server_cipher_suites)",
		    key);
}

static const char *const header_names[WEBCFG_MAX_HEADERS] = {
	"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
	"X-XSS-Protection", "Strict-Transport-Security",
};

static int header_key(struct ctx *c, const char *key, const yaml_node_t *v)
{
	struct web_config *w = c->w;
	char *val = NULL;
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(header_names) && strcmp(key, header_names[i]); i++)
		;
	if (i == ARRAY_SIZE(header_names))
		return fail(c, c->key, "unknown header '%s' in http_server_config.headers "
			    "(expected Content-Security-Policy, X-Frame-Options, X-Content-Type-Options, "
			    "X-XSS-Protection or Strict-Transport-Security)", key);
	ret = get_string(c, v, key, &val);
	if (ret || !val || !*val) {	/* blank: unset */
		free(val);
		return ret;
	}
	for (const char *p = val; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			free(val);
			return fail(c, v, "the value of header %s holds a control character", key);
		}
	if ((i == 1 && strcasecmp(val, "deny") && strcasecmp(val, "sameorigin")) ||
	    (i == 2 && strcasecmp(val, "nosniff"))) {
		free(val);
		return fail(c, v, "%s must be %s", key, i == 1 ? "deny or sameorigin" : "nosniff");
	}
	w->headers[w->nr_headers].name = header_names[i];
	w->headers[w->nr_headers++].value = val;
	return 0;
}

static int http_key(struct ctx *c, const char *key, const yaml_node_t *v)
{
	bool http2;

	if (!strcmp(key, "http2"))	/* HTTP/1.1 only: clients fall back to it */
		return get_bool(c, v, key, &http2);
	if (!strcmp(key, "headers"))
		return each_key(c, v, "http_server_config.headers", header_key);
	return fail(c, c->key, "unknown key '%s' in http_server_config (expected http2, headers)",
		    key);
}

static int user_key(struct ctx *c, const char *key, const yaml_node_t *v)
{
	char msg[256];
	int ret;

	if (!c->w->auth) {
		c->w->auth = basic_auth__new();
		if (!c->w->auth)
			return -ENOMEM;
	}
	if (is_null(v) || v->type != YAML_SCALAR_NODE)
		return fail(c, v, "basic_auth_users: user '%s' needs a bcrypt hash as its value",
			    key);
	ret = basic_auth__add(c->w->auth, key, scalar(v), msg, sizeof(msg));
	if (ret == -ENOMEM)
		return ret;
	if (ret) {
		fail(c, v, "basic_auth_users: %s", msg);
		/* a library missing is not the file's fault: no usage error */
		return ret == -ENOENT ? ret : -EINVAL;
	}
	if (bcrypt_cost(scalar(v)) > WEBCFG_MAX_BCRYPT_COST)
		return fail(c, v, "basic_auth_users: the hash of user '%s' has cost %u, above %d: "
			    "every new client and every wrong password costs a check, and one at "
			    "cost %u is %u times the work of one at %d, which takes most of a second of a CPU; "
			    "make a hash of cost 10 to %d: htpasswd -nBC 10 \"\" | tr -d ':\\n'",
			    key, bcrypt_cost(scalar(v)), WEBCFG_MAX_BCRYPT_COST,
			    bcrypt_cost(scalar(v)), 1u << (bcrypt_cost(scalar(v)) -
							  WEBCFG_MAX_BCRYPT_COST),
			    WEBCFG_MAX_BCRYPT_COST, WEBCFG_MAX_BCRYPT_COST);
	return 0;
}

static int top_key(struct ctx *c, const char *key, const yaml_node_t *v)
{
	if (!strcmp(key, "tls_server_config")) {
		c->tls = v;
		return each_key(c, v, key, tls_key);
	}
	if (!strcmp(key, "http_server_config"))
		return each_key(c, v, key, http_key);
	if (!strcmp(key, "basic_auth_users"))
		return each_key(c, v, key, user_key);
	if (!strcmp(key, "rate_limit")) {
		if (is_empty(v))
			return 0;
		return fail(c, c->key, "rate_limit is not supported by wattprobe (it bounds "
			    "connections and request times itself): remove it");
	}
	return fail(c, c->key, "unknown key '%s' (expected tls_server_config, http_server_config, "
		    "basic_auth_users)", key);
}

/* After the walk: what only makes sense as a whole. */
static int check_tls_keys(struct ctx *c)
{
	const yaml_node_t *root = c->tls;
	struct web_config *w = c->w;
	int lo, hi;

	if (w->cert_file && w->cert_pem)
		return fail(c, root, "tls_server_config: give cert_file or cert, not both");
	if (w->key_file && w->key_pem)
		return fail(c, root, "tls_server_config: give key_file or key, not both");
	w->tls = w->cert_file || w->cert_pem || w->key_file || w->key_pem;
	if (!w->tls) {
		if (w->min_version || w->max_version)
			return fail(c, root, "tls_server_config: min_version and max_version "
				    "need a certificate: add cert_file and key_file");
		return 0;
	}
	if (!w->cert_file && !w->cert_pem)
		return fail(c, root, "tls_server_config: missing cert_file (the server's "
			    "certificate, PEM)");
	if (!w->key_file && !w->key_pem)
		return fail(c, root, "tls_server_config: missing key_file (the certificate's "
			    "private key, PEM, unencrypted)");
	lo = w->min_version ? version_index(w->min_version) : 2;
	hi = w->max_version ? version_index(w->max_version) : 3;
	if (lo > hi)
		return fail(c, root, "tls_server_config: min_version %s is above max_version %s",
			    versions[lo], versions[hi]);
	snprintf(w->priorities, sizeof(w->priorities), "NORMAL:-VERS-ALL");
	for (int i = hi; i >= lo; i--)
		snprintf(w->priorities + strlen(w->priorities),
			 sizeof(w->priorities) - strlen(w->priorities), ":+VERS-TLS1.%d", i);
	if (w->prefer_server_ciphers)
		strcat(w->priorities, ":%SERVER_PRECEDENCE");
	return 0;
}

static int yaml_error(const yaml_parser_t *parser, const char *name, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s:%zu: not valid YAML: %s%s%s", name, parser->problem_mark.line + 1,
		 parser->problem ? parser->problem : "error", parser->context ? " " : "",
		 parser->context ? parser->context : "");
	return -EINVAL;
}

/*
 * The nesting of mappings and sequences at most WEBCFG_MAX_DEPTH deep, checked
 * on libyaml's events before it builds the document: it takes time quadratic
 * in the depth (100,000 levels of "[" took 9 s), and the format needs 3.
 */
static int check_depth(const char *text, size_t len, const char *name, char *err, size_t errlen)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	int depth = 0, ret = 0;
	bool end = false;

	if (!yaml.parser_initialize(&parser))
		return -ENOMEM;
	yaml.parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!end && !ret) {
		if (!yaml.parser_parse(&parser, &ev)) {
			ret = yaml_error(&parser, name, err, errlen);
			break;
		}
		if (ev.type == YAML_SEQUENCE_START_EVENT || ev.type == YAML_MAPPING_START_EVENT) {
			if (++depth > WEBCFG_MAX_DEPTH) {
				snprintf(err, errlen, "%s:%zu: mappings and sequences nested deeper "
					 "than %d levels: not a web config", name,
					 ev.start_mark.line + 1, WEBCFG_MAX_DEPTH);
				ret = -EINVAL;
			}
		} else if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml.event_delete(&ev);
	}
	yaml.parser_delete(&parser);
	return ret;
}

int webcfg_parse(const char *text, size_t len, const char *name, struct web_config *w, char *err,
		 size_t errlen)
{
	struct ctx c = { .name = name, .w = w, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char why[256];
	int ret;

	memset(w, 0, sizeof(*w));
	w->prefer_server_ciphers = true;	/* the toolkit's default */
	if (serverlibs__yaml(why, sizeof(why))) {
		snprintf(err, errlen, "%s: reading a web config needs %s", name, why);
		return -ENOENT;
	}
	ret = check_depth(text, len, name, err, errlen);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", name);
		return ret;
	}
	if (!yaml.parser_initialize(&parser))
		return -ENOMEM;
	yaml.parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml.parser_load(&parser, &doc)) {
		ret = yaml_error(&parser, name, err, errlen);
		yaml.parser_delete(&parser);
		return ret;
	}
	c.doc = &doc;
	root = yaml.document_get_root_node(&doc);
	ret = each_key(&c, root, "the web config", top_key);
	if (!ret)
		ret = check_tls_keys(&c);
	yaml.document_delete(&doc);
	yaml.parser_delete(&parser);
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(err, errlen, "%s: out of memory", name);
		webcfg_clear(w);
	}
	return ret;
}

void webcfg_clear(struct web_config *w)
{
	free(w->cert_file);
	free(w->key_file);
	free(w->cert_pem);
	if (w->key_pem)
		explicit_bzero(w->key_pem, strlen(w->key_pem));
	free(w->key_pem);
	free(w->min_version);
	free(w->max_version);
	basic_auth__free(w->auth);
	for (unsigned i = 0; i < w->nr_headers; i++)
		free(w->headers[i].value);
	memset(w, 0, sizeof(*w));
}

void webcfg__free(struct web_config *w)
{
	if (!w)
		return;
	webcfg_clear(w);
	free(w);
}

/* --- files ---------------------------------------------------------------------------------- */

/*
 * A whole regular file, NUL-terminated, into *out; its length, -EFBIG, -ESPIPE
 * for what is not a regular file, or -errno. Opened without blocking: a FIFO
 * would wait for a writer for ever, with SIGTERM restarting the open.
 */
static long read_file(const char *path, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = NULL, *nb;
	struct stat st;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -ESPIPE;
	}
	for (;;) {
		if (len + 1 >= cap || !buf) {
			if (buf)
				cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				goto fail;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* -EINVAL means bad content to our callers */
			err = errno == EINVAL ? -EIO : -errno;
			goto fail;
		}
		if (!n)
			break;
		len += n;
		if (len > MAX_FILE) {
			err = -EFBIG;
			goto fail;
		}
	}
	close(fd);
	buf[len] = '\0';
	*out = buf;
	return len;
fail:
	close(fd);
	if (buf)
		explicit_bzero(buf, len);
	free(buf);
	return err;
}

/* path, or path relative to the folder of the config file. */
static void resolve(const char *config, const char *path, char *out, size_t len)
{
	const char *slash = strrchr(config, '/');

	if (path[0] == '/' || !slash)
		snprintf(out, len, "%s", path);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - config), config, path);
}

/* The PEM file a key of tls_server_config names, into *pem; *file becomes its path from here. */
static int read_pem(const char *config, const char *key, char **file, char **pem, char *err,
		    size_t errlen)
{
	char path[4096], *p;
	long n;

	resolve(config, *file, path, sizeof(path));
	p = strdup(path);
	if (!p)
		return -ENOMEM;
	free(*file);
	*file = p;
	n = read_file(path, pem);
	if (n == -ESPIPE) {
		snprintf(err, errlen, "%s: %s %s is not a regular file (a FIFO, a device or a "
			 "folder): name the PEM file itself", config, key, path);
		return -EINVAL;
	}
	if (n == -EFBIG) {
		snprintf(err, errlen, "%s: %s %s is larger than 1 MiB: not a PEM file", config, key,
			 path);
		return -EINVAL;
	}
	if (n < 0) {
		snprintf(err, errlen, "%s: failed to read %s %s: %s%s", config, key, path,
			 strerror(-n), n == -EACCES ? " (it is read at start-up, before the agent "
			 "drops its privileges: start it as a user that can read it)" : "");
		return n;
	}
	if ((size_t)n != strlen(*pem)) {
		snprintf(err, errlen, "%s: %s %s is binary (DER?): convert it to PEM "
			 "(openssl x509 -inform der -in FILE -out FILE.pem)", config, key, path);
		return -EINVAL;
	}
	return 0;
}

/* Certificate and key are PEM that GnuTLS accepts, and belong together. */
static int check_tls(const char *config, struct web_config *w, char *err, size_t errlen)
{
	gnutls_datum_t cd = { (unsigned char *)w->cert_pem, strlen(w->cert_pem) };
	gnutls_datum_t kd = { (unsigned char *)w->key_pem, strlen(w->key_pem) };
	char cert[4200], key[4200];
	gnutls_certificate_credentials_t cred;
	gnutls_x509_privkey_t pk;
	gnutls_x509_crt_t *crts;
	gnutls_priority_t prio;
	unsigned nr = 0;
	const char *where;
	time_t expires;
	int ret;

	snprintf(cert, sizeof(cert), "%s%s", w->cert_file ? "cert_file " : "cert",
		 w->cert_file ? w->cert_file : "");
	snprintf(key, sizeof(key), "%s%s", w->key_file ? "key_file " : "key",
		 w->key_file ? w->key_file : "");
	ret = gnutls.x509_crt_list_import2(&crts, &nr, &cd, GNUTLS_X509_FMT_PEM, 0);
	if (ret < 0 || !nr) {
		snprintf(err, errlen, "%s: %s holds no PEM certificate (%s)", config, cert,
			 gnutls.strerror(ret));
		return -EINVAL;
	}
	expires = gnutls.x509_crt_get_expiration_time(crts[0]);
	if (expires != (time_t)-1 && expires < time(NULL))
		fprintf(stderr, "wattprobe: warning: the certificate of %s expired on %s", cert,
			ctime(&expires));
	for (unsigned i = 0; i < nr; i++)
		gnutls.x509_crt_deinit(crts[i]);
	(*gnutls.free)(crts);

	if (gnutls.x509_privkey_init(&pk) < 0)
		return -ENOMEM;
	ret = gnutls.x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls.x509_privkey_deinit(pk);
	if (ret == GNUTLS_E_DECRYPTION_FAILED) {
		snprintf(err, errlen, "%s: %s is encrypted: wattprobe needs it unencrypted "
			 "(openssl pkey -in KEY -out PLAIN.key), readable by root only", config,
			 key);
		return -EINVAL;
	}
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s holds no PEM private key (%s)", config, key,
			 gnutls.strerror(ret));
		return -EINVAL;
	}

	if (gnutls.certificate_allocate_credentials(&cred) < 0)
		return -ENOMEM;
	ret = gnutls.certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls.certificate_free_credentials(cred);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s does not go with %s (%s)",
			 config, key, cert, gnutls.strerror(ret));
		return -EINVAL;
	}

	ret = gnutls.priority_init(&prio, w->priorities, &where);
	if (ret < 0) {
		snprintf(err, errlen, "%s: GnuTLS refuses the TLS versions asked for ('%s': %s)",
			 config, w->priorities, gnutls.strerror(ret));
		return -EINVAL;
	}
	gnutls.priority_deinit(prio);
	return 0;
}

int webcfg__load(const char *path, struct web_config **out, char *err, size_t errlen)
{
	struct web_config *w;
	char *text = NULL;
	long n;
	int ret;

	n = read_file(path, &text);
	if (n == -ESPIPE) {
		snprintf(err, errlen, "--web.config.file %s is not a regular file (a FIFO, a device "
			 "or a folder): name the file itself", path);
		return -EINVAL;
	}
	if (n == -EFBIG) {
		snprintf(err, errlen, "--web.config.file %s is larger than 1 MiB: not a web config",
			 path);
		return -EINVAL;
	}
	if (n < 0) {
		snprintf(err, errlen, "failed to read --web.config.file %s: %s", path,
			 strerror(-n));
		return n;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		free(text);
		return -ENOMEM;
	}
	ret = webcfg_parse(text, n, path, w, err, errlen);
	free(text);
	if (ret)
		goto fail;
	if (w->tls) {
		char why[256];

		if (serverlibs__mhd(why, sizeof(why)) || serverlibs__gnutls(why, sizeof(why))) {
			snprintf(err, errlen, "%s: TLS needs %s", path, why);
			ret = -ENOENT;
			goto fail;
		}
		if (mhd.is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "%s: TLS asked for, but this libmicrohttpd is built "
				 "without it", path);
			ret = -ENOTSUP;
			goto fail;
		}
		if (w->cert_file)
			ret = read_pem(path, "cert_file", &w->cert_file, &w->cert_pem, err, errlen);
		if (!ret && w->key_file)
			ret = read_pem(path, "key_file", &w->key_file, &w->key_pem, err, errlen);
		if (!ret)
			ret = check_tls(path, w, err, errlen);
		if (ret)
			goto fail;
	}
	*out = w;
	return 0;
fail:
	webcfg__free(w);
	return ret;
}
