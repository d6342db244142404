/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The /metrics endpoint, on libmicrohttpd. */
#ifndef __HTTP_H
#define __HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>

struct http_server;
struct web_config;

/*
 * Connection limits (docs/prometheus.md and docs/failures.md): at most
 * HTTP_MAX_CONNECTIONS connections (one more closes, of the address that holds
 * the most, the one that has waited longest for its request); a whole request within HTTP_REQUEST_TIMEOUT_S of
 * connecting or of the previous answer, a whole answer within
 * HTTP_ANSWER_TIMEOUT_S.
 */
#define HTTP_MAX_CONNECTIONS	64
#define HTTP_REQUEST_TIMEOUT_S	10
#define HTTP_ANSWER_TIMEOUT_S	30
/*
 * Password checks (basic authentication) run in a thread of their own, one
 * at a time, never in the one that serves: a request whose credentials are
 * not cached waits for its check, at most HTTP_CHECK_QUEUE of them; past
 * that, or past HTTP_CHECK_TIMEOUT_MS, it is answered 503 (the check still
 * finishes, and credentials that pass are cached for the next try).
 */
#define HTTP_CHECK_QUEUE	16
#define HTTP_CHECK_TIMEOUT_MS	5000

/*
 * Bind listen and serve from threads of our own and libmicrohttpd's:
 *   GET|HEAD /metrics  200 with the last published page in the format the client's
 *                      Accept prefers (gzip when it accepts it), 503 before the first;
 *   GET|HEAD /         200, a short page that links /metrics;
 *   other methods      405 with Allow: GET, HEAD; other paths 404.
 * The raw request target must be "/metrics" or "/" exactly, a query string
 * ("?...") allowed and ignored; one with a NUL or a control byte is 400, as is
 * an HTTP/1.1 request without exactly one Host, a header field name that is
 * not a token (empty, a space before the colon) and Content-Lengths that are
 * not digits or differ (RFC 9112, 5.1 and 6.3). With web (TLS, basic_auth_users,
 * headers; it must outlive the server), every request needs the credentials
 * (401 with WWW-Authenticate otherwise; 503 when the check could not be made in
 * time, see HTTP_CHECK_TIMEOUT_MS).
 * Listen forms: "127.0.0.1:9725", "localhost:9725" (a name binds its first
 * IPv4 address, else its first IPv6 one), ":9725" (every address, IPv6 and
 * IPv4; IPv4 only without IPv6), "[::1]:9725", "[::]:9725"; port 0 picks a free
 * one. Returns NULL with a one-line reason in err ("invalid --listen ..." or
 * "failed to listen on ...: <strerror>") on failure.
 */
struct http_server *http__start(const char *listen, const struct web_config *web, char *err,
				size_t errlen);
/*
 * http__start() in two steps, for a caller that drops privileges in between:
 * capabilities are per thread, and the server's threads must be made without
 * them. http__listen() resolves and binds (no thread); http__serve() starts the
 * threads, 0 or -errno with a message in err. http__stop() frees either.
 */
struct http_server *http__listen(const char *listen, const struct web_config *web, char *err,
				 size_t errlen);
int http__serve(struct http_server *s, char *err, size_t errlen);
/* The formats of /metrics: Prometheus text 0.0.4, OpenMetrics 1.0.0 text. */
enum http_format { HTTP_TEXT, HTTP_OPENMETRICS, HTTP_NR_FORMATS };

/* Replace the page served at /metrics with a copy of body (text 0.0.4). Scrapes
 * never wait for a sample: they serve the latest published page. 0 or -ENOMEM. */
int http__publish(struct http_server *s, const char *body, size_t len);
/* The same for each format of one sample: body[f] of len[f] bytes, NULL for a
 * format not published (its scrapers get the text page). */
int http__publish_formats(struct http_server *s, const char *const body[HTTP_NR_FORMATS],
			  const size_t len[HTTP_NR_FORMATS]);
/* Other deadlines than HTTP_REQUEST_TIMEOUT_S and HTTP_ANSWER_TIMEOUT_S (the
 * tests' short ones), between http__listen() and http__serve(). */
void http__set_deadlines(struct http_server *s, unsigned request_s, unsigned answer_s);
/* Another deadline than HTTP_CHECK_TIMEOUT_MS for a password check (tests). */
void http__set_check_deadline(struct http_server *s, unsigned check_ms);
/* The port bound (the one picked when listen asked for port 0). */
unsigned short http__port(struct http_server *s);
/* Stop serving, close every connection, free s. NULL is fine. */
void http__stop(struct http_server *s);

/*
 * Resolve a --listen value into *ss (see http__start() for the forms). 0, or
 * -EINVAL with the reason in err ("invalid --listen 'X': ..."), for
 * parse_args() to reject a bad value before anything is loaded.
 */
int http_resolve_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
			char *err, size_t errlen);

/* --- pure parts, for tests ------------------------------------------------------------------ */

/*
 * Split HOST:PORT, [HOST]:PORT or :PORT: host without brackets ("" for
 * :PORT), *bracketed, the port (decimal, 0 to 65535). An unbracketed host must
 * be a dotted-quad IPv4 address or a host name (letters, digits, '-', '_',
 * dots); a bracketed one is left to the resolver. 0 or -EINVAL.
 */
int http_split_listen(const char *listen, char *host, size_t hostlen, bool *bracketed,
		      unsigned short *port);

enum http_target { HTTP_TARGET_NONE, HTTP_TARGET_INDEX, HTTP_TARGET_METRICS, HTTP_TARGET_BAD };
/* What a raw request target of len bytes (NULs count) asks for. */
enum http_target http_target_kind(const char *target, size_t len);
/*
 * The format an Accept value prefers: OpenMetrics (application/openmetrics-text,
 * version 1.0.0 or 0.0.1, or none) when its q is above 0 and above text/plain's
 * (version 0.0.4 or none), each the q of the most specific range that takes it
 * (the type itself, then "type/" with a star, then star/star). Text otherwise,
 * and without Accept.
 */
enum http_format http_accepts_format(const char *accept);
/* Is a header field name of len bytes a token (RFC 9110, 5.6.2: not empty, no space)? */
bool http_field_name_ok(const char *name, size_t len);
/* A Content-Length value of len bytes: digits only (RFC 9112, 6.3). 0 or -EINVAL. */
int http_content_length(const char *v, size_t len, __u64 *cl);
/* Where a header field is in a request's header block: offsets and lengths. */
struct http_field_at {
	size_t key, key_len, value, value_len;
};
/*
 * Is a header block as libmicrohttpd left it after parsing it in place (the
 * colons and line ends made NULs) the request line (ending at version_end) and
 * these n fields, in order, each "name:OWS value" and nothing else, every line
 * ended alike (CRLF or LF), then the empty line and the end (len)? A line with
 * an empty name, which libmicrohttpd takes for the end of the header section,
 * or a folded one, fails.
 */
bool http_block_ok(const char *b, size_t len, size_t version_end, const struct http_field_at *f,
		   unsigned n);
/* Does an Accept-Encoding value accept gzip (gzip, x-gzip or *, with q above 0)? */
bool http_accepts_gzip(const char *accept_encoding);
/* A gzip member of in (malloc'd into *out). 0 or -ENOMEM / -EIO. */
int http_gzip(const void *in, size_t len, void **out, size_t *outlen);

#endif /* __HTTP_H */
