/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* HTTP basic authentication against bcrypt hashes (basic_auth_users of a web config). */
#ifndef __BASICAUTH_H
#define __BASICAUTH_H

#include <stdbool.h>
#include <stddef.h>

#define BASIC_AUTH_MAX_USER	256	/* bytes of a user name, NUL included */
#define BASIC_AUTH_MAX_PASS	256	/* bytes of a password, NUL included */

struct basic_auth;

enum auth_result {
	AUTH_OK,	/* a known user with its password */
	AUTH_DENIED,	/* no credentials, malformed ones, unknown user or wrong password */
	AUTH_BUSY,	/* not checked: this second's budget of bcrypt work is spent */
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
/*
 * Check an Authorization header value (NULL if the request had none).
 * A password is checked with bcrypt once; later checks of the same user and
 * password hit a cache of salted SHA-256 digests (bcrypt at cost 10 takes
 * tens of milliseconds, and Prometheus sends the same credentials every
 * scrape). An unknown user costs one bcrypt too, against a hash of the
 * highest cost, so timing does not tell which users exist; hashes are
 * compared in constant time. Uncached checks may spend at most
 * BASIC_AUTH_BUDGET_MS of bcrypt per second: past it, AUTH_BUSY without a
 * check, so that a flood of guesses cannot hold up the server's thread.
 */
#define BASIC_AUTH_BUDGET_MS	250
enum auth_result basic_auth__check(struct basic_auth *a, const char *authorization);
void basic_auth__free(struct basic_auth *a);

/* --- pure parts, for tests -------------------------------------------------------------- */

/*
 * Split an Authorization header value "Basic <base64 of user:password>"
 * (scheme case-insensitive, standard base64 with padding) into user and
 * password (NUL-terminated). -EINVAL when it is not that, when either does not
 * fit, when the user is empty or either holds a NUL or control byte (user) / NUL
 * (password).
 */
int basic_auth_parse(const char *header, char *user, size_t ulen, char *pass, size_t plen);
/* Is hash a bcrypt hash we can check: "$2[aby]$NN$" and 53 characters of ./A-Za-z0-9, NN 04..31. */
bool bcrypt_hash_valid(const char *hash);

#endif /* __BASICAUTH_H */
