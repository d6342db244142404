// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Basic authentication against bcrypt hashes, as the Prometheus exporter
 * toolkit does it: libcrypt (libxcrypt, loaded when the first user is added:
 * http/serverlibs.h) computes bcrypt; we compare in constant time, check
 * unknown users against a dummy hash so that timing does not tell which users
 * exist, and cache the digests of credentials that passed so that a scrape
 * every few seconds does not cost a bcrypt each.
 *
 * The Authorization header is decoded here rather than with libmicrohttpd's
 * helper, which returns C strings: a password "secret\0xyz" would then check
 * as "secret". bcrypt reads the first 72 bytes of a password: Go's bcrypt,
 * which the toolkit uses, compares those whatever the length, and so do we
 * (a 73-byte password matched the 72-byte one here, while one of 1,072 bytes
 * was refused for its length).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include "http/basicauth.h"
#include "http/serverlibs.h"
#include "lib/util.h"

#define BCRYPT_LEN	60
#define CACHE_SLOTS	16
#define DIGEST_LEN	32	/* SHA-256 */

struct auth_user {
	char *name;
	char hash[BCRYPT_LEN + 1];
};

_Static_assert(sizeof(((struct auth_user *)0)->hash) <= sizeof(((struct auth_check *)0)->hash),
	       "a user's hash does not fit a check");

struct basic_auth {
	pthread_mutex_t lock;		/* the cache and the budget */
	struct auth_user *users;	/* fixed once the server runs */
	unsigned nr_users;
	unsigned max_cost;
	char dummy[BCRYPT_SETTING_LEN];	/* a setting of max_cost, for unknown users */
	unsigned char salt[16];		/* for the cache's digests */
	unsigned char cache[CACHE_SLOTS][DIGEST_LEN];
	unsigned cache_used, cache_next;
	unsigned long long window_start, window_spent;	/* bcrypt time in the current second */
};

/* --- pure parts ------------------------------------------------------------------------- */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Standard base64 with padding into out (size outlen); bytes written or -EINVAL. */
static long b64_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
	size_t n = 0;

	if (!len || len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (in[i + k] == '=' && i + 4 == len && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad)	/* data after padding */
				return -EINVAL;
			v[k] = b64_value(in[i + k]);
			if (v[k] < 0)
				return -EINVAL;
		}
		if (n + 3 - pad > outlen)
			return -EINVAL;
		out[n++] = v[0] << 2 | v[1] >> 4;
		if (pad < 2)
			out[n++] = (v[1] & 15) << 4 | v[2] >> 2;
		if (pad < 1)
			out[n++] = (v[2] & 3) << 6 | v[3];
	}
	return n;
}

int basic_auth_parse(const char *header, char *user, size_t ulen, char *pass, size_t plen,
		     size_t *pass_len)
{
	const unsigned char *colon;
	unsigned char *buf;
	const char *p, *end;
	size_t ul, pl, cut;
	long n;
	int ret = -EINVAL;

	if (!header || strncasecmp(header, "Basic ", 6) || plen < BCRYPT_MAX_PASS + 1)
		return -EINVAL;
	for (p = header + 6; *p == ' '; p++)
		;
	for (end = p + strlen(p); end > p && (end[-1] == ' ' || end[-1] == '\t'); end--)
		;
	/* as long as the header: the server bounds that (a long password is cut, not refused) */
	buf = malloc((end - p) / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	n = b64_decode(p, end - p, buf, (end - p) / 4 * 3 + 3);
	if (n < 0)
		goto out;
	colon = memchr(buf, ':', n);
	if (!colon)
		goto out;
	ul = colon - buf;
	pl = n - ul - 1;
	cut = pl < BCRYPT_MAX_PASS ? pl : BCRYPT_MAX_PASS;
	if (!ul || ul >= ulen || memchr(colon + 1, '\0', cut))
		goto out;
	for (size_t i = 0; i < ul; i++)
		if (buf[i] < 0x20 || buf[i] == 0x7f)
			goto out;
	memcpy(user, buf, ul);
	user[ul] = '\0';
	memcpy(pass, colon + 1, cut);
	pass[cut] = '\0';
	if (pass_len)
		*pass_len = pl;
	ret = 0;
out:
	explicit_bzero(buf, (end - p) / 4 * 3 + 3);
	free(buf);
	return ret;
}

static bool bcrypt_char(char c)
{
	return c == '.' || c == '/' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

unsigned bcrypt_cost(const char *hash)
{
	return (hash[4] - '0') * 10 + (hash[5] - '0');
}

bool bcrypt_hash_valid(const char *hash)
{
	unsigned cost;

	if (strlen(hash) != BCRYPT_LEN || hash[0] != '$' || hash[1] != '2' ||
	    (hash[2] != 'a' && hash[2] != 'b' && hash[2] != 'y') || hash[3] != '$' ||
	    hash[6] != '$' || hash[4] < '0' || hash[4] > '9' || hash[5] < '0' || hash[5] > '9')
		return false;
	cost = bcrypt_cost(hash);
	if (cost < 4 || cost > 31)
		return false;
	for (int i = 7; i < BCRYPT_LEN; i++)
		if (!bcrypt_char(hash[i]))
			return false;
	/* and libcrypt takes it: none does when it is not installed */
	return !serverlibs__crypt(NULL, 0) && xcrypt.checksalt(hash) == CRYPT_SALT_OK;
}

/* 0 when the n bytes at a and b are equal, in a time that depends on n only. */
static int ct_diff(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d;
}

/* --- users -------------------------------------------------------------------------------- */

struct basic_auth *basic_auth__new(void)
{
	struct basic_auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	if (pthread_mutex_init(&a->lock, NULL) ||
	    getrandom(a->salt, sizeof(a->salt), 0) != sizeof(a->salt)) {
		free(a);
		return NULL;
	}
	return a;
}

int basic_auth__add(struct basic_auth *a, const char *user, const char *hash, char *err,
		    size_t errlen)
{
	struct auth_user *u;
	char why[256];

	if (!*user || strchr(user, ':') || strlen(user) >= BASIC_AUTH_MAX_USER) {
		snprintf(err, errlen, "user name '%s' is empty, too long or holds a ':' (basic "
			 "authentication cannot carry it)", user);
		return -EINVAL;
	}
	for (const char *p = user; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			snprintf(err, errlen, "user name holds a control character");
			return -EINVAL;
		}
	/* bcrypt is libcrypt's; the cache of checked passwords keeps GnuTLS's SHA-256 digests */
	if (serverlibs__crypt(why, sizeof(why)) || serverlibs__gnutls(why, sizeof(why))) {
		snprintf(err, errlen, "basic authentication needs %s", why);
		return -ENOENT;
	}
	if (!bcrypt_hash_valid(hash)) {
		/* never print the value: it may be a password put there by mistake */
		snprintf(err, errlen, "the password of user '%s' is not a bcrypt hash ($2y$, $2b$ "
			 "or $2a$, cost 04 to 31, 60 characters): make one with "
			 "htpasswd -nBC 10 \"\" | tr -d ':\\n'", user);
		return -EINVAL;
	}
	for (unsigned i = 0; i < a->nr_users; i++)
		if (!strcmp(a->users[i].name, user)) {
			snprintf(err, errlen, "user '%s' is listed twice", user);
			return -EEXIST;
		}
	u = realloc(a->users, (a->nr_users + 1) * sizeof(*u));
	if (!u)
		return -ENOMEM;
	a->users = u;
	u = &a->users[a->nr_users];
	u->name = strdup(user);
	if (!u->name)
		return -ENOMEM;
	memcpy(u->hash, hash, sizeof(u->hash));
	a->nr_users++;

	if (bcrypt_cost(hash) > a->max_cost) {
		/* libcrypt's size for any setting; a bcrypt one is 29 characters */
		char setting[CRYPT_GENSALT_OUTPUT_SIZE];

		if (!xcrypt.gensalt_rn("$2b$", bcrypt_cost(hash), NULL, 0, setting,
				       sizeof(setting))) {
			snprintf(err, errlen, "failed to make a bcrypt salt: %s", strerror(errno));
			return -errno;
		}
		if (strlen(setting) >= sizeof(a->dummy)) {
			snprintf(err, errlen, "failed to make a bcrypt salt: libcrypt made one "
				 "of %zu characters, not 29", strlen(setting));
			return -EINVAL;
		}
		memcpy(a->dummy, setting, strlen(setting) + 1);
		a->max_cost = bcrypt_cost(hash);
	}
	return 0;
}

unsigned basic_auth__users(const struct basic_auth *a)
{
	return a ? a->nr_users : 0;
}

unsigned basic_auth__max_cost(const struct basic_auth *a)
{
	return a ? a->max_cost : 0;
}

void basic_auth__free(struct basic_auth *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->nr_users; i++)
		free(a->users[i].name);
	free(a->users);
	pthread_mutex_destroy(&a->lock);
	explicit_bzero(a, sizeof(*a));
	free(a);
}

/* --- checking ---------------------------------------------------------------------------- */

static int digest(const struct basic_auth *a, const char *user, const char *pass,
		  unsigned char out[DIGEST_LEN])
{
	size_t ul = strlen(user), pl = strlen(pass);
	unsigned char buf[sizeof(a->salt) + BASIC_AUTH_MAX_USER + BCRYPT_MAX_PASS + 1];
	int ret;

	if (!gnutls.hash_fast)	/* no user was added: basic_auth__add() loads GnuTLS */
		return -ENOENT;
	memcpy(buf, a->salt, sizeof(a->salt));
	/* the NUL separates user and password */
	memcpy(buf + sizeof(a->salt), user, ul + 1);
	memcpy(buf + sizeof(a->salt) + ul + 1, pass, pl);
	ret = gnutls.hash_fast(GNUTLS_DIG_SHA256, buf, sizeof(a->salt) + ul + 1 + pl, out);
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

static bool cached(const struct basic_auth *a, const unsigned char d[DIGEST_LEN])
{
	bool hit = false;

	for (unsigned i = 0; i < a->cache_used; i++)	/* all of them, whatever matches */
		hit |= !ct_diff(a->cache[i], d, DIGEST_LEN);
	return hit;
}

void auth_check_clear(struct auth_check *c)
{
	explicit_bzero(c, sizeof(*c));
}

enum auth_result basic_auth__lookup(struct basic_auth *a, const char *authorization,
				    struct auth_check *c)
{
	char user[BASIC_AUTH_MAX_USER];
	const struct auth_user *u = NULL;
	bool hit;

	memset(c, 0, sizeof(*c));
	if (basic_auth_parse(authorization, user, sizeof(user), c->pass, sizeof(c->pass), NULL))
		return AUTH_DENIED;
	for (unsigned i = 0; i < a->nr_users; i++)
		if (!strcmp(a->users[i].name, user))
			u = &a->users[i];
	c->known = u;
	/* the user's hash, or the setting of the highest cost: each whole, NUL included */
	if (u)
		memcpy(c->hash, u->hash, sizeof(u->hash));
	else
		memcpy(c->hash, a->dummy, sizeof(a->dummy));
	c->have_digest = !digest(a, user, c->pass, c->digest);
	if (u && c->have_digest) {
		pthread_mutex_lock(&a->lock);
		hit = cached(a, c->digest);
		pthread_mutex_unlock(&a->lock);
		if (hit) {
			auth_check_clear(c);
			return AUTH_OK;
		}
	}
	return AUTH_PENDING;
}

bool basic_auth_verify(const struct auth_check *c)
{
	struct crypt_data *cd;
	const char *out;
	bool ok;

	if (!xcrypt.rn)	/* no user was added: basic_auth__add() loads libcrypt */
		return false;
	cd = calloc(1, sizeof(*cd));	/* 32 KiB: not on a thread's stack */
	if (!cd)
		return false;
	out = xcrypt.rn(c->pass, c->hash, cd, sizeof(*cd));
	ok = c->known && out && strlen(out) == BCRYPT_LEN && strlen(c->hash) == BCRYPT_LEN &&
	     !ct_diff(out, c->hash, BCRYPT_LEN);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

void basic_auth__remember(struct basic_auth *a, const struct auth_check *c)
{
	if (!c->have_digest)
		return;
	pthread_mutex_lock(&a->lock);
	memcpy(a->cache[a->cache_next], c->digest, DIGEST_LEN);
	a->cache_next = (a->cache_next + 1) % CACHE_SLOTS;
	if (a->cache_used < CACHE_SLOTS)
		a->cache_used++;
	pthread_mutex_unlock(&a->lock);
}

bool basic_auth__budget(struct basic_auth *a)
{
	unsigned long long now = now_ns(CLOCK_MONOTONIC);
	bool left;

	pthread_mutex_lock(&a->lock);
	if (now - a->window_start >= NSEC_PER_SEC) {
		a->window_start = now;
		a->window_spent = 0;
	}
	left = a->window_spent < BASIC_AUTH_BUDGET_MS * 1000000ULL;
	pthread_mutex_unlock(&a->lock);
	return left;
}

void basic_auth__spent(struct basic_auth *a, unsigned long long ns)
{
	pthread_mutex_lock(&a->lock);
	a->window_spent += ns;
	pthread_mutex_unlock(&a->lock);
}

enum auth_result basic_auth__check(struct basic_auth *a, const char *authorization)
{
	struct auth_check c;
	enum auth_result r = basic_auth__lookup(a, authorization, &c);
	unsigned long long t0;

	if (r != AUTH_PENDING)
		return r;
	if (!basic_auth__budget(a)) {
		r = AUTH_BUSY;
	} else {
		t0 = now_ns(CLOCK_MONOTONIC);
		r = basic_auth_verify(&c) ? AUTH_OK : AUTH_DENIED;
		basic_auth__spent(a, now_ns(CLOCK_MONOTONIC) - t0);
		if (r == AUTH_OK)
			basic_auth__remember(a, &c);
	}
	auth_check_clear(&c);
	return r;
}
