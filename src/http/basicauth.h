/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* HTTP basic authentication against bcrypt hashes (basic_auth_users of a web config). */
#ifndef __BASICAUTH_H
#define __BASICAUTH_H

#include <stdbool.h>
#include <stddef.h>

#define BASIC_AUTH_MAX_USER	256	/* bytes of a user name, NUL included */
/*
 * bcrypt reads the first 72 bytes of a password and no more. As the exporter
 * toolkit does (Go's bcrypt.CompareHashAndPassword), a password is checked on
 * those 72 bytes whatever its length: a longer one passes when they match.
 */
#define BCRYPT_MAX_PASS		72
#define BCRYPT_SETTING_LEN	64	/* a hash (60 characters) or a setting, NUL included */

struct basic_auth;

enum auth_result {
	AUTH_OK,	/* a known user with its password */
	AUTH_DENIED,	/* no credentials, malformed ones, unknown user or wrong password */
	AUTH_BUSY,	/* not checked: this second's budget of bcrypt work is spent */
	AUTH_PENDING,	/* basic_auth__lookup(): a bcrypt is needed (basic_auth_verify()) */
};

/*
 * Credentials that need a bcrypt: everything the check needs, copied, so that
 * it runs on any thread without a lock. Clear it with auth_check_clear().
 */
struct auth_check {
	char pass[BCRYPT_MAX_PASS + 1];
	char hash[BCRYPT_SETTING_LEN];	/* the user's, or a setting of the highest cost */
	bool known;			/* a user of the file */
	bool have_digest;
	unsigned char digest[32];	/* for the cache, when it passes */
};

struct basic_auth *basic_auth__new(void);
/*
 * Add a user with its bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to 31, as
 * htpasswd -B and Go's bcrypt make them). 0; -EINVAL for a bad name or hash,
 * -EEXIST for a second entry of a name (err says which); -ENOMEM.
 */
int basic_auth__add(struct basic_auth *a, const char *user, const char *hash, char *err,
		    size_t errlen);
unsigned basic_auth__users(const struct basic_auth *a);
/* The highest cost of its hashes (0: no user). */
unsigned basic_auth__max_cost(const struct basic_auth *a);

/*
 * Check an Authorization header value (NULL if the request had none), in two
 * steps so that the slow one can run off the serving thread:
 * basic_auth__lookup() is quick: AUTH_DENIED for no or malformed credentials,
 * AUTH_OK for credentials that passed before (a cache of salted SHA-256
 * digests: bcrypt at cost 10 takes tens of milliseconds, and Prometheus
 * sends the same credentials every scrape), else AUTH_PENDING with *c filled.
 * basic_auth_verify() is the bcrypt, on any thread, without a lock: an
 * unknown user costs one too, against a setting of the highest cost, so
 * timing does not tell which users exist; hashes are compared in constant
 * time. basic_auth__remember() puts credentials that passed in the cache.
 */
enum auth_result basic_auth__lookup(struct basic_auth *a, const char *authorization,
				    struct auth_check *c);
bool basic_auth_verify(const struct auth_check *c);
void basic_auth__remember(struct basic_auth *a, const struct auth_check *c);
void auth_check_clear(struct auth_check *c);
/*
 * Uncached checks may spend at most BASIC_AUTH_BUDGET_MS of bcrypt per
 * second: basic_auth__budget() says whether this second's is spent (then
 * answer AUTH_BUSY without a check), basic_auth__spent() counts a check's time.
 */
#define BASIC_AUTH_BUDGET_MS	250
bool basic_auth__budget(struct basic_auth *a);
void basic_auth__spent(struct basic_auth *a, unsigned long long ns);
/* All of it on this thread: lookup, budget, verify, remember. */
enum auth_result basic_auth__check(struct basic_auth *a, const char *authorization);
void basic_auth__free(struct basic_auth *a);

/* --- pure parts, for tests -------------------------------------------------------------- */

/*
 * Split an Authorization header value "Basic <base64 of user:password>"
 * (scheme case-insensitive, standard base64 with padding) into user and the
 * password's first BCRYPT_MAX_PASS bytes (pass needs room for them and a NUL;
 * *pass_len gets the password's whole length). -EINVAL when it is not that,
 * when the user does not fit, when the user is empty or holds a control byte,
 * or when those bytes of the password hold a NUL (bcrypt cannot take it).
 */
int basic_auth_parse(const char *header, char *user, size_t ulen, char *pass, size_t plen,
		     size_t *pass_len);
/* Is hash a bcrypt hash we can check: "$2[aby]$NN$" and 53 characters of ./A-Za-z0-9, NN 04..31. */
bool bcrypt_hash_valid(const char *hash);
/* The cost of a valid hash. */
unsigned bcrypt_cost(const char *hash);

#endif /* __BASICAUTH_H */
