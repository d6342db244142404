// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * /metrics over HTTP (or HTTPS) with libmicrohttpd, in its own thread (epoll,
 * else poll: the agent holds many descriptors, select would not do). The
 * sampling loop publishes each page as a reference-counted copy; a scrape takes
 * a reference under a mutex held for a pointer swap, so it neither waits for
 * nor triggers a sample, and nothing is copied per scrape. A page is gzipped
 * once, by the first scrape that accepts gzip, and kept with the page. Nothing
 * a request says can make the agent read a file or run anything: there are
 * two fixed pages.
 *
 * Slow clients. libmicrohttpd's timeout is an idle one: a client that sends a
 * header line every few seconds keeps its connection for ever, and a few dozen
 * of them took every connection there was. So we follow each connection from
 * libmicrohttpd's notifications (started, request line read, headers read,
 * request completed, closed) and bound what it may take:
 *   - a whole request within HTTP_REQUEST_TIMEOUT_S of connecting or of the
 *     previous answer, a whole answer within HTTP_ANSWER_TIMEOUT_S;
 *   - at most HTTP_MAX_CONNECTIONS, for every address together: one more
 *     closes a connection of the address that holds the most, the one that
 *     has waited longest for its request (then the oldest answering one), so
 *     that a new scraper is served at once whatever holds the others. (Oldest
 *     first alone was not enough: 150 trickling connections from 50
 *     addresses, each reconnecting when closed, closed 13,000 connections a
 *     second, and a scraper's became the oldest waiting within milliseconds,
 *     before its request was read on a loaded machine.)
 * We close a connection with shutdown(): libmicrohttpd sees the end of the
 * stream and closes and frees it in its own thread. The deadlines are kept by
 * a small thread of ours (the reaper) that sleeps until the next one; the cap
 * by the notification of a new connection. Both only touch connections on our
 * list, under its lock, and libmicrohttpd notifies their end (which takes
 * them off the list) before it closes their socket: a descriptor we shut down
 * is always still the connection's.
 *
 * We bind the listening socket ourselves (so that a failure reports the
 * errno of bind or listen) and hand it to libmicrohttpd, which closes it in
 * mhd.stop_daemon(). Binding and serving are two steps: capabilities are per
 * thread, and the threads, libmicrohttpd's above all, which parses everything
 * the network sends, must be created after the agent dropped its own
 * (http__listen(), privs__drop(), http__serve()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/types.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include "http/basicauth.h"
#include "http/http.h"
#include "http/serverlibs.h"
#include "lib/promtext.h"
#include "lib/util.h"
#include "http/webconfig.h"

/* libmicrohttpd's own limit: room for those being closed */
#define HARD_LIMIT	(HTTP_MAX_CONNECTIONS + 16)
#define LISTEN_BACKLOG	128
#define GZIP_LEVEL	6	/* zlib's default */
#define REALM		"wattprobe"

struct page {
	atomic_uint refs;
	void *gz;		/* gzip of body, made by the first scrape that accepts it */
	size_t gz_len;
	bool gz_failed;
	size_t len;
	char body[];
};

enum conn_phase { CONN_WAITING, CONN_ANSWERING };

/* Where a request's password check is, and how it ended. */
enum check_state {
	CHECK_NONE,	/* none asked for, or its answer was taken */
	CHECK_PENDING,	/* the connection waits, suspended, for the checker */
	CHECK_OK,
	CHECK_DENIED,
	CHECK_BUSY,	/* this second's bcrypt budget, or the queue, is full */
	CHECK_LATE,	/* past its deadline (HTTP_CHECK_TIMEOUT_MS), or the server stops */
};

/* A password check, queued for the checker thread or running there. */
struct auth_job {
	struct auth_job *next;
	struct conn *c;			/* NULL once answered without the check's result */
	struct MHD_Connection *mc;	/* suspended until answered */
	__u64 deadline;			/* CLOCK_MONOTONIC */
	struct auth_check check;
};

/*
 * The checker: one thread that runs the bcrypts, one at a time, so that the
 * thread that serves never waits for one. Shared with the server by
 * reference: the thread is never joined (a bcrypt cannot be interrupted, and
 * stopping must not wait for one) and frees it if it is the last one out.
 */
struct checker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct basic_auth *auth;	/* the server's; not touched once stop is set */
	struct auth_job *head, *tail;	/* queued */
	struct auth_job *running;
	unsigned queued;
	unsigned refs;
	bool stop;
};

/* A connection, from libmicrohttpd's STARTED notification to its CLOSED one. */
struct conn {
	struct conn *prev, *next;
	int fd;
	__u32 addr;		/* a hash of the client's address (not its port) */
	/* under conns_lock: the reaper reads them */
	enum conn_phase phase;
	__u64 since;		/* start of the phase, CLOCK_MONOTONIC */
	bool evicted;		/* shut down by us; libmicrohttpd closes it soon */
	/* the request in progress; only libmicrohttpd's thread touches these */
	const char *target_at;	/* the raw target, where libmicrohttpd parsed it */
	size_t target_len;
	enum http_target kind;
	bool called;		/* the handler has seen this request's headers */
	bool gzip;
	enum http_format format;	/* what its Accept prefers */
	/* its password check, under the checker's lock */
	struct auth_job *job;	/* queued or running; NULL: none */
	enum check_state check;
};

struct http_server {
	struct MHD_Daemon *daemon;
	const struct web_config *web;
	pthread_mutex_t lock;		/* the page pointers */
	struct page *page[HTTP_NR_FORMATS];	/* NULL until the first publish (or none in
					 * that format: the text page is served) */
	pthread_mutex_t gz_lock;
	/* connections and the reaper */
	pthread_mutex_t conns_lock;
	pthread_cond_t conns_cond;	/* on CLOCK_MONOTONIC */
	struct conn *head, *tail;
	unsigned nr_conns;		/* on the list and not evicted */
	__u64 reaper_wake;		/* the reaper's next deadline; 0: none */
	bool reaper_stop, reaper_running;
	pthread_t reaper;
	/* the listening socket until http__serve() hands it over */
	int fd;
	int family, any6;
	unsigned short port;
	char listen[128];		/* as given, for messages */
	unsigned request_s, answer_s;	/* the deadlines (http__set_deadlines()) */
	unsigned check_ms;		/* a password check's deadline */
	struct checker *checker;	/* with basic authentication */
};

static const char index_page[] =
	"<html><head><title>wattprobe</title></head><body><h1>wattprobe</h1>"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
static const char *const metrics_type[HTTP_NR_FORMATS] = {
	[HTTP_TEXT] = PROM_TEXT_TYPE, [HTTP_OPENMETRICS] = PROM_OPENMETRICS_TYPE,
};
static const char text_type[] = "text/plain; charset=utf-8";

/* --- --listen (parsing is pure; resolving asks the resolver for names) ------------------------ */

/* 0 to 65535, decimal digits only (no sign, no spaces); -1 otherwise. */
static long parse_port(const char *s)
{
	long port = 0;
	int digits = 0;

	for (; *s; s++, digits++) {
		if (*s < '0' || *s > '9' || digits == 5)
			return -1;
		port = port * 10 + (*s - '0');
	}
	return digits && port <= 65535 ? port : -1;
}

/* A dotted-quad IPv4 address, or a host name: labels of [A-Za-z0-9_-], no '-' at their ends. */
static bool valid_host(const char *h)
{
	size_t len = strlen(h), label = 0;
	bool numeric = true;
	struct in_addr a;

	if (!len || len > 253)
		return false;
	for (const char *p = h; *p; p++) {
		if (*p == '.') {
			if (!label || p[-1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
		if ((*p == '-' && !label) || ++label > 63)
			return false;
		if (*p < '0' || *p > '9')
			numeric = false;
	}
	if (h[len - 1] == '-')
		return false;
	/* all digits and dots: an address, and a whole one ("127.1" is not) */
	return !numeric || inet_pton(AF_INET, h, &a) == 1;
}

int http_split_listen(const char *listen, char *host, size_t hostlen, bool *bracketed,
		      unsigned short *port)
{
	const char *end, *port_s;
	size_t hlen;
	long p;

	if (!listen)
		return -EINVAL;
	*bracketed = listen[0] == '[';
	if (*bracketed) {
		end = strchr(listen, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		listen++;
		port_s = end + 2;
	} else {
		end = strchr(listen, ':');
		if (!end || strchr(end + 1, ':'))	/* an IPv6 address needs brackets */
			return -EINVAL;
		port_s = end + 1;
	}
	hlen = end - listen;
	if (hlen >= hostlen || (*bracketed && !hlen))
		return -EINVAL;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	if (!*bracketed && hlen && !valid_host(host))
		return -EINVAL;
	p = parse_port(port_s);
	if (p < 0)
		return -EINVAL;
	*port = p;
	return 0;
}

static const char listen_forms[] = "expected HOST:PORT, such as 127.0.0.1:9725, "
				   "localhost:9725, :9725 (every address) or [::1]:9725";

int http_resolve_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len,
			char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *pick = NULL;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	unsigned short port;
	char host[256];
	bool bracketed;
	int ret;

	memset(ss, 0, sizeof(*ss));
	if (http_split_listen(listen, host, sizeof(host), &bracketed, &port)) {
		snprintf(err, errlen, "invalid --listen '%s': %s", listen ? listen : "",
			 listen_forms);
		return -EINVAL;
	}
	if (!*host) {	/* every address: IPv6 and IPv4 on one socket */
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons(port);
		*len = sizeof(*a6);
		return 0;
	}
	if (!bracketed && inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		*len = sizeof(*a4);
		return 0;
	}
	hints.ai_family = bracketed ? AF_INET6 : AF_UNSPEC;
	hints.ai_flags = bracketed ? AI_NUMERICHOST : 0;
	ret = getaddrinfo(host, NULL, &hints, &res);
	if (ret) {
		if (bracketed)
			snprintf(err, errlen, "invalid --listen '%s': '%s' is not an IPv6 address; "
				 "%s", listen, host, listen_forms);
		else
			snprintf(err, errlen, "invalid --listen '%s': cannot resolve '%s' (%s)",
				 listen, host,
				 ret == EAI_SYSTEM ? strerror(errno) : gai_strerror(ret));
		return -EINVAL;
	}
	/* like Go's net.Listen, which the exporters use: the first IPv4 address, else IPv6 */
	for (struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
		if (ai->ai_family == AF_INET)
			pick = ai;
	for (struct addrinfo *ai = res; ai && !pick; ai = ai->ai_next)
		if (ai->ai_family == AF_INET6)
			pick = ai;
	if (!pick) {
		freeaddrinfo(res);
		snprintf(err, errlen, "invalid --listen '%s': '%s' has no IPv4 or IPv6 address",
			 listen, host);
		return -EINVAL;
	}
	memcpy(ss, pick->ai_addr, pick->ai_addrlen);
	*len = pick->ai_addrlen;
	if (ss->ss_family == AF_INET)
		a4->sin_port = htons(port);
	else
		a6->sin6_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

/* --- requests: pure parts ------------------------------------------------------------------ */

enum http_target http_target_kind(const char *t, size_t len)
{
	size_t path = 0;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return HTTP_TARGET_BAD;
	while (path < len && t[path] != '?')
		path++;
	if (path == 8 && !memcmp(t, "/metrics", 8))
		return HTTP_TARGET_METRICS;
	if (path == 1 && t[0] == '/')
		return HTTP_TARGET_INDEX;
	return HTTP_TARGET_NONE;
}

/* RFC 9110, 5.6.2: tchar */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool http_field_name_ok(const char *name, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!tchar(name[i]))
			return false;
	return true;
}

int http_content_length(const char *v, size_t len, __u64 *cl)
{
	__u64 n = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (UINT64_MAX - (v[i] - '0')) / 10)
			return -EINVAL;
		n = n * 10 + (v[i] - '0');
	}
	*cl = n;
	return 0;
}

/* A run of NULs at b[p] (before len): its length. */
static size_t nuls(const char *b, size_t len, size_t p)
{
	size_t n = 0;

	while (p + n < len && !b[p + n])
		n++;
	return n;
}

bool http_block_ok(const char *b, size_t len, size_t version_end, const struct http_field_at *f,
		   unsigned n)
{
	size_t p = version_end, eol = nuls(b, len, p);

	/* the request line's end: CRLF (2) or LF (1), and every line ends the same way */
	if (!n)
		return (eol == 2 || eol == 4) && p + eol == len;
	if (eol != 1 && eol != 2)
		return false;
	p += eol;
	for (unsigned i = 0; i < n; i++) {
		size_t run;

		if (f[i].key != p || f[i].key_len > len - p)
			return false;
		p += f[i].key_len;
		if (p >= len || b[p++])		/* the colon */
			return false;
		if (f[i].value < p || f[i].value > len || f[i].value_len > len - f[i].value)
			return false;
		for (; p < f[i].value; p++)	/* OWS before the value */
			if (b[p] != ' ' && b[p] != '\t')
				return false;
		p += f[i].value_len;
		run = nuls(b, len, p);
		if (i + 1 < n ? run != eol : run != 2 * eol || p + run != len)
			return false;
		p += run;
	}
	return true;
}

static bool ows(char c)
{
	return c == ' ' || c == '\t';
}

/* The q of one element's parameters ("; q=0.5; x=y"): 1000ths, 1000 when absent or bad. */
static int qvalue(const char *p, const char *end)
{
	while (p < end) {
		const char *semi = memchr(p, ';', end - p);

		if (!semi)
			break;
		p = semi + 1;
		while (p < end && ows(*p))
			p++;
		if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
			int q = 0, scale = 1000;

			p += 2;
			if (p < end && (*p == '0' || *p == '1'))
				q = (*p++ - '0') * 1000;
			else
				return 1000;
			if (p < end && *p == '.')
				for (p++; p < end && *p >= '0' && *p <= '9' && scale > 1; p++) {
					scale /= 10;
					q += (*p - '0') * scale;
				}
			return q > 1000 ? 1000 : q;
		}
	}
	return 1000;
}

/* The value of parameter name in one element's parameters ("; version=1.0.0"), or NULL. */
static const char *param(const char *p, const char *end, const char *name, size_t *len)
{
	size_t n = strlen(name);

	while ((p = memchr(p, ';', end - p))) {
		for (p++; p < end && ows(*p); p++)
			;
		if ((size_t)(end - p) > n && !strncasecmp(p, name, n) && p[n] == '=') {
			p += n + 1;
			for (*len = 0; p + *len < end && !ows(p[*len]) && p[*len] != ';'; (*len)++)
				;
			return p;
		}
	}
	return NULL;
}

/*
 * The q of the most specific media range of an Accept value that takes
 * type/sub (type/sub itself, then "type/" with a star, then star/star), in
 * 1000ths; -1 if none. A version parameter must be one of versions (a
 * NULL-terminated list).
 */
static int accept_q(const char *v, const char *type, const char *sub,
		    const char *const *versions)
{
	int best = -1, q[3] = { -1, -1, -1 };
	size_t tn = strlen(type), sn = strlen(sub);

	while (*v) {
		const char *end = strchr(v, ','), *tok, *tend, *ver;
		size_t len = 0;
		int rank = -1;

		if (!end)
			end = v + strlen(v);
		for (tok = v; tok < end && ows(*tok); tok++)
			;
		for (tend = tok; tend < end && !ows(*tend) && *tend != ';'; tend++)
			;
		if ((size_t)(tend - tok) == tn + 1 + sn && !strncasecmp(tok, type, tn) &&
		    tok[tn] == '/' && !strncasecmp(tok + tn + 1, sub, sn)) {
			rank = 0;
			ver = param(tend, end, "version", &len);
			for (const char *const *k = versions; ver && *k; k++)
				if (strlen(*k) == len && !strncmp(ver, *k, len))
					ver = NULL;
			if (ver)
				rank = -1;	/* a version we do not write */
		} else if ((size_t)(tend - tok) == tn + 2 && !strncasecmp(tok, type, tn) &&
			   tok[tn] == '/' && tok[tn + 1] == '*') {
			rank = 1;
		} else if (tend - tok == 3 && !strncmp(tok, "*/*", 3)) {
			rank = 2;
		}
		if (rank >= 0) {
			int e = qvalue(tend, end);

			q[rank] = q[rank] > e ? q[rank] : e;
		}
		v = *end ? end + 1 : end;
	}
	for (int i = 2; i >= 0; i--)
		if (q[i] >= 0)
			best = q[i];
	return best;
}

enum http_format http_accepts_format(const char *accept)
{
	static const char *const om[] = { "1.0.0", "0.0.1", NULL }, *const text[] = { "0.0.4", NULL };
	int q_om, q_text;

	if (!accept)
		return HTTP_TEXT;
	q_om = accept_q(accept, "application", "openmetrics-text", om);
	q_text = accept_q(accept, "text", "plain", text);
	return q_om > 0 && q_om > q_text ? HTTP_OPENMETRICS : HTTP_TEXT;
}

bool http_accepts_gzip(const char *v)
{
	int gzip = -1, star = -1;

	if (!v)
		return false;
	while (*v) {
		const char *end = strchr(v, ','), *tok, *tend;

		if (!end)
			end = v + strlen(v);
		for (tok = v; tok < end && ows(*tok); tok++)
			;
		for (tend = tok; tend < end && !ows(*tend) && *tend != ';'; tend++)
			;
		if ((tend - tok == 4 && !strncasecmp(tok, "gzip", 4)) ||
		    (tend - tok == 6 && !strncasecmp(tok, "x-gzip", 6)))
			gzip = qvalue(tend, end);
		else if (tend - tok == 1 && *tok == '*')
			star = qvalue(tend, end);
		v = *end ? end + 1 : end;
	}
	if (gzip >= 0)
		return gzip > 0;
	return star > 0;
}

int http_gzip(const void *in, size_t len, void **out, size_t *outlen)
{
	z_stream z = {};
	void *buf;
	int ret;

	if (deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	*outlen = deflateBound(&z, len);
	buf = malloc(*outlen);
	if (!buf) {
		deflateEnd(&z);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = len;
	z.next_out = buf;
	z.avail_out = *outlen;
	ret = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (ret != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return 0;
}

/* --- published pages ---------------------------------------------------------------------- */

static void page_put(void *p)
{
	struct page *pg = p;

	if (pg && atomic_fetch_sub(&pg->refs, 1) == 1) {
		free(pg->gz);
		free(pg);
	}
}

/* The current page in *f (or, without one, the text page: *f says which) with a
 * reference taken, or NULL before the first publish. */
static struct page *page_get(struct http_server *s, enum http_format *f)
{
	struct page *pg;

	pthread_mutex_lock(&s->lock);
	if (!s->page[*f])
		*f = HTTP_TEXT;
	pg = s->page[*f];
	if (pg)
		atomic_fetch_add(&pg->refs, 1);
	pthread_mutex_unlock(&s->lock);
	return pg;
}

/* Gzip pg once; false if that failed (the page goes out uncompressed). */
static bool page_gzip(struct http_server *s, struct page *pg)
{
	bool ok;

	pthread_mutex_lock(&s->gz_lock);
	if (!pg->gz && !pg->gz_failed)
		pg->gz_failed = http_gzip(pg->body, pg->len, &pg->gz, &pg->gz_len) != 0;
	ok = pg->gz;
	pthread_mutex_unlock(&s->gz_lock);
	return ok;
}

int http__publish_formats(struct http_server *s, const char *const body[HTTP_NR_FORMATS],
			  const size_t len[HTTP_NR_FORMATS])
{
	struct page *pg[HTTP_NR_FORMATS] = {}, *old[HTTP_NR_FORMATS];

	for (int f = 0; f < HTTP_NR_FORMATS; f++) {
		if (!body[f])
			continue;
		pg[f] = calloc(1, sizeof(*pg[f]) + len[f]);
		if (!pg[f]) {
			while (f--)
				free(pg[f]);
			return -ENOMEM;
		}
		atomic_init(&pg[f]->refs, 1);
		pg[f]->len = len[f];
		if (len[f])
			memcpy(pg[f]->body, body[f], len[f]);
	}
	/* the formats of one sample change together */
	pthread_mutex_lock(&s->lock);
	memcpy(old, s->page, sizeof(old));
	memcpy(s->page, pg, sizeof(pg));
	pthread_mutex_unlock(&s->lock);
	for (int f = 0; f < HTTP_NR_FORMATS; f++)
		page_put(old[f]);
	return 0;
}

int http__publish(struct http_server *s, const char *body, size_t len)
{
	const char *bodies[HTTP_NR_FORMATS] = { [HTTP_TEXT] = body ? body : "" };
	size_t lens[HTTP_NR_FORMATS] = { [HTTP_TEXT] = len };

	return http__publish_formats(s, bodies, lens);
}

/* --- password checks, off the serving thread ------------------------------------------------ */

/*
 * Under ck->lock: the job's connection gets state as its answer and goes on
 * (libmicrohttpd calls the handler again). A job answered before its check
 * ran or finished stays where it is, without its connection.
 */
static void job_answer(struct auth_job *j, enum check_state state)
{
	struct conn *c = j->c;

	if (!c)
		return;
	c->check = state;
	c->job = NULL;
	j->c = NULL;
	mhd.resume_connection(j->mc);
}

static void job_free(struct auth_job *j)
{
	auth_check_clear(&j->check);
	free(j);
}

/* Under ck->lock: drop a reference; true when it was the last (free ck then). */
static bool checker_put_locked(struct checker *ck)
{
	return !--ck->refs;
}

static void checker_free(struct checker *ck)
{
	pthread_cond_destroy(&ck->cond);
	pthread_mutex_destroy(&ck->lock);
	free(ck);
}

static void *checker_main(void *arg)
{
	struct checker *ck = arg;
	bool last;

	pthread_mutex_lock(&ck->lock);
	while (!ck->stop) {
		struct auth_job *j = ck->head;
		enum check_state state;
		__u64 t0, spent = 0;
		bool ok = false;

		if (!j) {
			pthread_cond_wait(&ck->cond, &ck->lock);
			continue;
		}
		ck->head = j->next;
		if (!ck->head)
			ck->tail = NULL;
		ck->queued--;
		if (!j->c) {	/* answered already: its deadline passed in the queue */
			job_free(j);
			continue;
		}
		if (!basic_auth__budget(ck->auth)) {
			job_answer(j, CHECK_BUSY);
			job_free(j);
			continue;
		}
		ck->running = j;
		pthread_mutex_unlock(&ck->lock);
		t0 = now_ns(CLOCK_MONOTONIC);
		ok = basic_auth_verify(&j->check);
		spent = now_ns(CLOCK_MONOTONIC) - t0;
		pthread_mutex_lock(&ck->lock);
		ck->running = NULL;
		if (!ck->stop) {
			basic_auth__spent(ck->auth, spent);
			/* remembered even when answered late: the client's next try passes */
			if (ok)
				basic_auth__remember(ck->auth, &j->check);
			state = ok ? CHECK_OK : CHECK_DENIED;
			job_answer(j, state);
		}
		job_free(j);
	}
	last = checker_put_locked(ck);
	pthread_mutex_unlock(&ck->lock);
	if (last)
		checker_free(ck);
	return NULL;
}

static struct checker *checker_new(struct basic_auth *auth)
{
	struct checker *ck = calloc(1, sizeof(*ck));

	if (!ck)
		return NULL;
	if (pthread_mutex_init(&ck->lock, NULL)) {
		free(ck);
		return NULL;
	}
	if (pthread_cond_init(&ck->cond, NULL)) {
		pthread_mutex_destroy(&ck->lock);
		free(ck);
		return NULL;
	}
	ck->auth = auth;
	ck->refs = 1;
	return ck;
}

/* Start the thread (signals blocked by the caller); 0 or -errno. */
static int checker_start(struct checker *ck)
{
	pthread_attr_t attr;
	pthread_t t;
	int ret;

	ret = -pthread_attr_init(&attr);
	if (ret)
		return ret;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&ck->lock);
	ck->refs++;
	ret = -pthread_create(&t, &attr, checker_main, ck);
	if (ret)
		ck->refs--;
	pthread_mutex_unlock(&ck->lock);
	pthread_attr_destroy(&attr);
	return ret;
}

/*
 * Stop: every connection that waits for a check goes on with CHECK_LATE (so
 * that libmicrohttpd has none suspended when it stops), and the server's
 * reference goes. A bcrypt in progress finishes in its thread, unwaited.
 */
static void checker_stop(struct checker *ck)
{
	struct auth_job *j;
	bool last;

	if (!ck)
		return;
	pthread_mutex_lock(&ck->lock);
	ck->stop = true;
	while ((j = ck->head)) {
		ck->head = j->next;
		job_answer(j, CHECK_LATE);
		job_free(j);
	}
	ck->tail = NULL;
	ck->queued = 0;
	if (ck->running)
		job_answer(ck->running, CHECK_LATE);
	pthread_cond_broadcast(&ck->cond);
	last = checker_put_locked(ck);
	pthread_mutex_unlock(&ck->lock);
	if (last)
		checker_free(ck);
}

/* Under ck->lock: answer j if past its deadline, else keep the earliest deadline in *next. */
static void job_expire(struct auth_job *j, __u64 now, __u64 *next)
{
	if (!j->c)
		return;
	if (j->deadline <= now)
		job_answer(j, CHECK_LATE);
	else if (!*next || j->deadline < *next)
		*next = j->deadline;
}

/* Under ck->lock: answer the jobs past their deadline; the next deadline (0: none). */
static __u64 checker_expire(struct checker *ck, __u64 now)
{
	__u64 next = 0;

	if (ck->running)
		job_expire(ck->running, now, &next);
	for (struct auth_job *j = ck->head; j; j = j->next)
		job_expire(j, now, &next);
	return next;
}

/* --- connections: deadlines and the cap ---------------------------------------------------- */

static __u64 phase_timeout(const struct http_server *s, enum conn_phase p)
{
	return (__u64)(p == CONN_WAITING ? s->request_s : s->answer_s) * NSEC_PER_SEC;
}

/* Under conns_lock: a new deadline; wake the reaper if it is asleep past it. */
static void reaper_kick(struct http_server *s, __u64 deadline)
{
	if (!s->reaper_wake || deadline < s->reaper_wake)
		pthread_cond_signal(&s->conns_cond);
}

/* Under conns_lock. */
static void conn_evict(struct http_server *s, struct conn *c)
{
	if (!c || c->evicted)
		return;
	shutdown(c->fd, SHUT_RDWR);
	c->evicted = true;
	s->nr_conns--;
}

/* A client's address, without its port, as a number (FNV-1a of its bytes). */
static __u32 addr_hash(const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET)
		return fnv1a32(FNV1A32_INIT, &((const struct sockaddr_in *)sa)->sin_addr,
			       sizeof(struct in_addr));
	if (sa && sa->sa_family == AF_INET6)
		return fnv1a32(FNV1A32_INIT, &((const struct sockaddr_in6 *)sa)->sin6_addr,
			       sizeof(struct in6_addr));
	return FNV1A32_INIT;
}

/* Room for every connection's address (HARD_LIMIT of them) at most half full. */
#define ADDR_SLOTS	256

struct addr_count {
	__u32 addr, n;
};

/* Under conns_lock: the open connections of each address, in t (ADDR_SLOTS, zeroed). */
static void count_addrs(const struct http_server *s, struct addr_count *t)
{
	for (const struct conn *c = s->head; c; c = c->next) {
		__u32 i = c->addr % ADDR_SLOTS;

		if (c->evicted)
			continue;
		while (t[i].n && t[i].addr != c->addr)
			i = (i + 1) % ADDR_SLOTS;
		t[i].addr = c->addr;
		t[i].n++;
	}
}

static __u32 addr_conns(const struct addr_count *t, __u32 addr)
{
	__u32 i = addr % ADDR_SLOTS;

	while (t[i].n && t[i].addr != addr)
		i = (i + 1) % ADDR_SLOTS;
	return t[i].n;
}

/*
 * Under conns_lock: the connection to close to make room (not keep): one of the
 * address with the most open; then waiting beats answering; then the older phase.
 */
static struct conn *conn_victim(struct http_server *s, const struct conn *keep)
{
	struct addr_count t[ADDR_SLOTS] = { { 0 } };
	struct conn *best = NULL;
	__u32 best_n = 0;

	_Static_assert(2 * HARD_LIMIT <= ADDR_SLOTS, "the address table is too small");
	count_addrs(s, t);
	for (struct conn *c = s->head; c; c = c->next) {
		__u32 n;

		if (c == keep || c->evicted)
			continue;
		n = addr_conns(t, c->addr);
		if (!best || n > best_n ||
		    (n == best_n && ((c->phase == CONN_WAITING && best->phase != CONN_WAITING) ||
				     (c->phase == best->phase && c->since < best->since)))) {
			best = c;
			best_n = n;
		}
	}
	return best;
}

static void conn_phase(struct http_server *s, struct conn *c, enum conn_phase phase)
{
	pthread_mutex_lock(&s->conns_lock);
	c->phase = phase;
	c->since = now_ns(CLOCK_MONOTONIC);
	reaper_kick(s, c->since + phase_timeout(s, phase));
	pthread_mutex_unlock(&s->conns_lock);
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct http_server *s = cls;
	struct conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (!c)
			return;
		pthread_mutex_lock(&s->conns_lock);
		*(c->prev ? &c->prev->next : &s->head) = c->next;
		*(c->next ? &c->next->prev : &s->tail) = c->prev;
		if (!c->evicted)
			s->nr_conns--;
		if (s->checker) {	/* a job of it must not resume it any more */
			pthread_mutex_lock(&s->checker->lock);
			if (c->job)
				c->job->c = NULL;
			pthread_mutex_unlock(&s->checker->lock);
		}
		pthread_mutex_unlock(&s->conns_lock);
		free(c);
		*socket_context = NULL;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = mhd.get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	c = calloc(1, sizeof(*c));
	if (!c) {	/* we could not bound it: refuse it */
		shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	c->fd = ci->connect_fd;
	ci = mhd.get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	c->addr = ci ? addr_hash(ci->client_addr) : 0;
	c->phase = CONN_WAITING;
	pthread_mutex_lock(&s->conns_lock);
	c->since = now_ns(CLOCK_MONOTONIC);
	c->prev = s->tail;
	*(s->tail ? &s->tail->next : &s->head) = c;
	s->tail = c;
	if (++s->nr_conns > HTTP_MAX_CONNECTIONS)
		conn_evict(s, conn_victim(s, c));
	reaper_kick(s, c->since + phase_timeout(s, c->phase));
	pthread_mutex_unlock(&s->conns_lock);
	*socket_context = c;
}

/* Close every connection past its deadline, then sleep until the next deadline. */
static void *reaper_main(void *arg)
{
	struct http_server *s = arg;

	pthread_mutex_lock(&s->conns_lock);
	while (!s->reaper_stop) {
		__u64 now = now_ns(CLOCK_MONOTONIC), next = 0;

		for (struct conn *c = s->head; c; c = c->next) {
			__u64 deadline = c->since + phase_timeout(s, c->phase);

			if (c->evicted)
				continue;
			if (deadline <= now)
				conn_evict(s, c);
			else if (!next || deadline < next)
				next = deadline;
		}
		if (s->checker) {
			__u64 check;

			pthread_mutex_lock(&s->checker->lock);
			check = checker_expire(s->checker, now);
			pthread_mutex_unlock(&s->checker->lock);
			if (check && (!next || check < next))
				next = check;
		}
		s->reaper_wake = next;
		if (!next) {
			pthread_cond_wait(&s->conns_cond, &s->conns_lock);
		} else {
			struct timespec ts = { .tv_sec = next / NSEC_PER_SEC,
					       .tv_nsec = next % NSEC_PER_SEC };

			pthread_cond_timedwait(&s->conns_cond, &s->conns_lock, &ts);
		}
	}
	pthread_mutex_unlock(&s->conns_lock);
	return NULL;
}

/* --- requests ------------------------------------------------------------------------------ */

/* The request line is read: remember where its target is and what it asks for. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *c;

	ci = mhd.get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	c = ci ? ci->socket_context : NULL;
	if (!c)
		return NULL;
	c->target_at = uri;
	c->target_len = strlen(uri);
	c->kind = http_target_kind(uri, c->target_len);
	c->called = false;
	c->gzip = false;
	return c;	/* the request's context (*req_cls) */
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *req_cls;

	if (!c)
		return;
	c->target_at = NULL;
	c->called = false;
	conn_phase(cls, c, CONN_WAITING);
	*req_cls = NULL;
}

/*
 * libmicrohttpd hands us the target as a C string, cut at the first NUL:
 * "GET /metrics\0/../etc/passwd HTTP/1.1" reads "/metrics". It parses the
 * request line in place, the version right after the target and a space, so
 * the target was whole when the version starts where the string ends.
 */
static bool target_whole(const struct conn *c, const char *version)
{
	return c->target_at && (uintptr_t)version == (uintptr_t)c->target_at + c->target_len + 1;
}

/* What the header fields say, as far as we check them. */
#define BLOCK_FIELDS	100	/* a request with more is refused */
struct fields {
	const char *block;	/* the request's header block (its method) */
	size_t block_len;
	struct http_field_at at[BLOCK_FIELDS];
	unsigned n;		/* fields seen (at[] holds the first BLOCK_FIELDS) */
	int hosts;
	int lengths;		/* Content-Length fields */
	__u64 length;		/* the first one's value */
	bool bad_name;		/* a name that is not a token: empty, with a space, ... */
	bool bad_length;	/* a Content-Length that is not digits, or two that differ */
};

static enum MHD_Result check_field(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct fields *f = cls;
	__u64 cl = 0;

	if (f->n < BLOCK_FIELDS)
		f->at[f->n] = (struct http_field_at){
			.key = (uintptr_t)key - (uintptr_t)f->block, .key_len = key_size,
			.value = (uintptr_t)value - (uintptr_t)f->block, .value_len = value_size };
	f->n++;
	if (!http_field_name_ok(key, key_size)) {
		f->bad_name = true;
		return MHD_YES;
	}
	if (!strcasecmp(key, MHD_HTTP_HEADER_HOST))
		f->hosts++;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (http_content_length(value, value_size, &cl) || (f->lengths && cl != f->length))
			f->bad_length = true;
		if (!f->lengths++)
			f->length = cl;
	}
	return MHD_YES;
}

/*
 * The header fields as RFC 9112 wants them, else the reason for a 400:
 * every name a token (5.1: no whitespace before the colon; not empty), a
 * Content-Length of digits only and the same in every field (6.3: conflicting
 * lengths make the framing invalid), and for HTTP/1.1 exactly one Host (3.2;
 * HTTP/1.0 none or one). libmicrohttpd takes each of these as it comes.
 *
 * An empty name it does not even keep: a line ": x" ends the header section
 * for it, and what follows is read as the next request. So we also check the
 * header block itself (http_block_ok()): libmicrohttpd 0.9.75 parses it in
 * place, the method at its start, and every byte of it must be the request
 * line, one of the fields it gave us, a separator, or the empty line.
 */
static const char *fields_bad(struct MHD_Connection *mc, const char *method, const char *version)
{
	const union MHD_ConnectionInfo *ci;
	struct fields f = { .block = method };

	ci = mhd.get_connection_info(mc, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	if (!ci || version < method || version > method + ci->header_size)
		return "malformed request\n";
	f.block_len = ci->header_size;
	mhd.get_connection_values_n(mc, MHD_HEADER_KIND, check_field, &f);
	if (f.n > BLOCK_FIELDS)
		return "too many header fields\n";
	if (f.bad_name)
		return "a header field name is empty or not a token\n";
	if (!http_block_ok(f.block, f.block_len, version - method + strlen(version), f.at, f.n))
		return "a malformed header field (an empty name, a folded line, mixed line ends)\n";
	if (f.bad_length)
		return "conflicting or invalid Content-Length\n";
	if (strcmp(version, MHD_HTTP_VERSION_1_0) ? f.hosts != 1 : f.hosts > 1)
		return "an HTTP/1.1 request needs one Host header\n";
	return NULL;
}

/* Does the request announce a body? */
static bool has_body(struct MHD_Connection *mc)
{
	const char *cl = mhd.lookup_connection_value(mc, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && strcmp(cl, "0")) ||
	       mhd.lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* The web config's headers, on every answer. */
static bool add_headers(struct http_server *s, struct MHD_Response *r)
{
	for (unsigned i = 0; s->web && i < s->web->nr_headers; i++)
		if (mhd.add_response_header(r, s->web->headers[i].name,
					    s->web->headers[i].value) != MHD_YES)
			return false;
	return true;
}

static enum MHD_Result reply(struct http_server *s, struct MHD_Connection *mc, unsigned int status,
			     const char *type, const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	bool ok;

	r = mhd.create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	ok = add_headers(s, r) &&
	     mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES;
	if (ok && status == MHD_HTTP_METHOD_NOT_ALLOWED)
		ok = mhd.add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_YES;
	if (ok && status == MHD_HTTP_SERVICE_UNAVAILABLE)
		ok = mhd.add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1") == MHD_YES;
	if (!ok) {
		mhd.destroy_response(r);
		return MHD_NO;
	}
	if (status == MHD_HTTP_UNAUTHORIZED)	/* adds WWW-Authenticate: Basic realm="..." */
		ret = mhd.queue_basic_auth_fail_response(mc, REALM, r);
	else
		ret = mhd.queue_response(mc, status, r);
	mhd.destroy_response(r);
	return ret;
}

#define REPLY_TEXT(s, mc, status, text) reply(s, mc, status, text_type, text, sizeof(text) - 1)

static enum MHD_Result reply_metrics(struct http_server *s, struct conn *c,
				     struct MHD_Connection *mc)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	enum http_format f = c->format;
	struct page *pg;
	bool gz, ok;

	pg = page_get(s, &f);
	if (!pg)
		return REPLY_TEXT(s, mc, MHD_HTTP_SERVICE_UNAVAILABLE, "no sample yet\n");
	gz = c->gzip && page_gzip(s, pg);
	/* the response holds our reference and drops it when libmicrohttpd is done with it */
	r = mhd.create_response_from_buffer_with_free_callback_cls(gz ? pg->gz_len : pg->len,
								   gz ? pg->gz : pg->body,
								   page_put, pg);
	if (!r) {
		page_put(pg);
		return MHD_NO;
	}
	ok = add_headers(s, r) &&
	     mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, metrics_type[f]) == MHD_YES &&
	     mhd.add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding") == MHD_YES &&
	     (!gz ||
	      mhd.add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip") == MHD_YES);
	if (!ok) {
		mhd.destroy_response(r);
		return MHD_NO;
	}
	ret = mhd.queue_response(mc, MHD_HTTP_OK, r);
	mhd.destroy_response(r);
	return ret;
}

enum decision {
	GO_ON,		/* the request may have its page */
	ANSWERED,	/* an answer was queued (or failed): its result is in *ret */
	SUSPENDED,	/* waiting for a password check */
};

/* A request whose credentials need a bcrypt: queue it and suspend the connection. */
static enum decision check_later(struct http_server *s, struct conn *c, struct MHD_Connection *mc,
				 struct auth_check *check, enum MHD_Result *ret)
{
	struct checker *ck = s->checker;
	struct auth_job *j;
	__u64 deadline;
	bool full;

	pthread_mutex_lock(&ck->lock);
	full = ck->queued >= HTTP_CHECK_QUEUE;
	pthread_mutex_unlock(&ck->lock);
	j = full ? NULL : calloc(1, sizeof(*j));
	if (!j) {
		auth_check_clear(check);
		*ret = REPLY_TEXT(s, mc, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many password checks, try again\n");
		return ANSWERED;
	}
	j->check = *check;
	auth_check_clear(check);
	j->c = c;
	j->mc = mc;
	/* kept here: once queued, the checker may answer and free the job at once */
	deadline = now_ns(CLOCK_MONOTONIC) + (__u64)s->check_ms * 1000000;
	j->deadline = deadline;
	/* before the checker can see it: it resumes what it answers */
	mhd.suspend_connection(mc);
	pthread_mutex_lock(&ck->lock);
	c->check = CHECK_PENDING;
	c->job = j;
	*(ck->tail ? &ck->tail->next : &ck->head) = j;
	ck->tail = j;
	ck->queued++;
	pthread_cond_signal(&ck->cond);
	pthread_mutex_unlock(&ck->lock);
	pthread_mutex_lock(&s->conns_lock);
	reaper_kick(s, deadline);
	pthread_mutex_unlock(&s->conns_lock);
	return SUSPENDED;
}

/* Authentication done (state): what the request asked for, 401, or 503. */
static enum decision check_target(struct http_server *s, struct conn *c,
				  struct MHD_Connection *mc, const char *method,
				  enum check_state state, enum MHD_Result *ret)
{
	switch (state) {
	case CHECK_NONE:
	case CHECK_OK:
		break;
	case CHECK_BUSY:
		*ret = REPLY_TEXT(s, mc, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many password checks, try again\n");
		return ANSWERED;
	case CHECK_LATE:
		*ret = REPLY_TEXT(s, mc, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "the password check took too long, try again\n");
		return ANSWERED;
	default:
		*ret = REPLY_TEXT(s, mc, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
		return ANSWERED;
	}
	if (c->kind == HTTP_TARGET_NONE) {
		*ret = REPLY_TEXT(s, mc, MHD_HTTP_NOT_FOUND, "not found\n");
		return ANSWERED;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		*ret = REPLY_TEXT(s, mc, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
		return ANSWERED;
	}
	c->gzip = c->kind == HTTP_TARGET_METRICS &&
		  http_accepts_gzip(mhd.lookup_connection_value(mc, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_ACCEPT_ENCODING));
	c->format = http_accepts_format(mhd.lookup_connection_value(mc, MHD_HEADER_KIND,
								    MHD_HTTP_HEADER_ACCEPT));
	return GO_ON;
}

/* The headers are in: decide. */
static enum decision check_request(struct http_server *s, struct conn *c,
				   struct MHD_Connection *mc, const char *method,
				   const char *version, enum MHD_Result *ret)
{
	enum check_state state = CHECK_NONE;
	struct auth_check check;
	const char *bad;

	if (c->kind == HTTP_TARGET_BAD || !target_whole(c, version)) {
		*ret = REPLY_TEXT(s, mc, MHD_HTTP_BAD_REQUEST, "bad request target\n");
		return ANSWERED;
	}
	bad = fields_bad(mc, method, version);
	if (bad) {
		*ret = reply(s, mc, MHD_HTTP_BAD_REQUEST, text_type, bad, strlen(bad));
		return ANSWERED;
	}
	if (s->checker) {
		const char *authz = mhd.lookup_connection_value(mc, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_AUTHORIZATION);

		switch (basic_auth__lookup(s->web->auth, authz, &check)) {
		case AUTH_OK:
			state = CHECK_OK;
			break;
		case AUTH_PENDING:
			return check_later(s, c, mc, &check, ret);
		default:
			state = CHECK_DENIED;
			break;
		}
	}
	return check_target(s, c, mc, method, state, ret);
}

/*
 * Called once the headers are in (c->called false), then again for any body
 * and at its end. An answer queued on the first call makes libmicrohttpd
 * skip the body and close the connection afterwards: we do that for errors
 * and for requests that carry a body, and otherwise answer at the end so
 * that the scraper can keep its connection. A request whose password needs
 * a check waits for it suspended, and is answered at its end too.
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *mc, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	struct conn *c = *req_cls;
	enum check_state state;
	enum MHD_Result ret;

	if (!c)		/* not followed (out of memory when it connected) */
		return MHD_NO;
	if (!c->called) {
		c->called = true;
		conn_phase(s, c, CONN_ANSWERING);
		switch (check_request(s, c, mc, method, version, &ret)) {
		case ANSWERED:
			return ret;
		case SUSPENDED:
			return MHD_YES;
		default:
			if (!has_body(mc))
				return MHD_YES;
			break;
		}
	} else if (*upload_size) {
		*upload_size = 0;	/* not announced, yet there: drop it */
		return MHD_YES;
	}
	if (s->checker) {	/* after a password check: its answer */
		pthread_mutex_lock(&s->checker->lock);
		state = c->check;
		c->check = CHECK_NONE;
		pthread_mutex_unlock(&s->checker->lock);
		if (state == CHECK_PENDING)	/* cannot be: resumed only when answered */
			return MHD_NO;
		if (state != CHECK_NONE &&
		    check_target(s, c, mc, method, state, &ret) == ANSWERED)
			return ret;
	}
	if (c->kind == HTTP_TARGET_INDEX)
		return reply(s, mc, MHD_HTTP_OK, "text/html; charset=utf-8", index_page,
			     sizeof(index_page) - 1);
	return reply_metrics(s, c, mc);
}

/* --- start and stop ------------------------------------------------------------------------ */

static bool is_any6(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 &&
	       IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * A bound, listening, non-blocking socket, or -errno. [::] (every address)
 * becomes 0.0.0.0 where the kernel has no IPv6.
 */
static int open_listener(struct sockaddr_storage *ss, socklen_t *len)
{
	int fd, one = 1, v6only, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && errno == EAFNOSUPPORT && is_any6(ss)) {
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
		in_port_t port = ((struct sockaddr_in6 *)ss)->sin6_port;

		memset(ss, 0, sizeof(*ss));
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
		a4->sin_port = port;
		*len = sizeof(*a4);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (ss->ss_family == AF_INET6) {
		/* [::] takes IPv4 too; a specific IPv6 address only itself */
		v6only = !is_any6(ss);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
			goto fail;
	}
	if (bind(fd, (const struct sockaddr *)ss, *len) || listen(fd, LISTEN_BACKLOG))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static unsigned short port_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port) :
					   ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(a6) ||
	       (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

static const char *listen_remedy(int err, const struct sockaddr_storage *ss)
{
	unsigned short port = port_of(ss);

	if (err == -EADDRINUSE)
		return " (another process uses this port: choose another with --listen)";
	if (err == -EACCES && port && port < 1024)
		return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
	if (err == -EADDRNOTAVAIL)
		return " (no interface of this host has that address)";
	return "";
}

static struct MHD_Daemon *start_daemon(struct http_server *s, unsigned int poll_flag)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | poll_flag |
			     (s->checker ? MHD_ALLOW_SUSPEND_RESUME : 0);
	const struct web_config *web = s->web;
	struct MHD_OptionItem o[16];
	int n = 0;

#define OPT(opt, val, ptr) (o[n++] = (struct MHD_OptionItem){ opt, (intptr_t)(val), ptr })
	if (s->family == AF_INET6)
		flags |= s->any6 ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	OPT(MHD_OPTION_LISTEN_SOCKET, s->fd, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, HARD_LIMIT, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, s->request_s, NULL);	/* without progress */
	OPT(MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL);	/* e.g. no spaces in the target */
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, s);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, on_uri, s);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, s);
	if (web && web->tls) {
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, web->cert_pem);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, web->key_pem);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)web->priorities);
	}
	OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
	return mhd.start_daemon(flags, 0, NULL, NULL, handle, s, MHD_OPTION_ARRAY, o,
				MHD_OPTION_END);
}

struct http_server *http__listen(const char *listen, const struct web_config *web, char *err,
				 size_t errlen)
{
	struct sockaddr_storage ss, bound;
	socklen_t len, blen = sizeof(bound);
	pthread_condattr_t ca;
	struct http_server *s;
	char why[256];
	int fd, ret;

	if (http_resolve_listen(listen, &ss, &len, err, errlen))
		return NULL;
	if (serverlibs__mhd(why, sizeof(why))) {
		snprintf(err, errlen, "failed to start the HTTP server on %s: it needs %s", listen,
			 why);
		return NULL;
	}
	fd = open_listener(&ss, &len);
	if (fd < 0) {
		snprintf(err, errlen, "failed to listen on %s: %s%s", listen, strerror(-fd),
			 listen_remedy(fd, &ss));
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		ret = -ENOMEM;
		goto fail_fd;
	}
	s->fd = fd;
	s->web = web;
	s->request_s = HTTP_REQUEST_TIMEOUT_S;
	s->answer_s = HTTP_ANSWER_TIMEOUT_S;
	s->check_ms = HTTP_CHECK_TIMEOUT_MS;
	s->family = ss.ss_family;
	s->any6 = is_any6(&ss);
	if (getsockname(fd, (struct sockaddr *)&bound, &blen)) {
		ret = -errno;
		goto fail_s;
	}
	s->port = port_of(&bound);
	ret = -pthread_condattr_init(&ca);
	if (ret)
		goto fail_s;
	ret = -pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!ret)
		ret = -pthread_cond_init(&s->conns_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret)
		goto fail_s;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->gz_lock, NULL);
	pthread_mutex_init(&s->conns_lock, NULL);
	snprintf(s->listen, sizeof(s->listen), "%s", listen);
	if (web && web->auth && !web->tls && !is_loopback(&ss))
		fprintf(stderr, "wattprobe: warning: basic authentication without TLS on %s: "
			"passwords cross the network in clear text (add tls_server_config)\n",
			listen);
	return s;

fail_s:
	free(s);
fail_fd:
	close(fd);
	snprintf(err, errlen, "failed to start the HTTP server on %s: %s", listen, strerror(-ret));
	return NULL;
}

int http__serve(struct http_server *s, char *err, size_t errlen)
{
	sigset_t all, old;
	int ret = 0;

	/* our threads take no signal: SIGTERM and SIGINT go to the sampling loop */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (s->web && s->web->auth) {
		s->checker = checker_new(s->web->auth);
		ret = s->checker ? checker_start(s->checker) : -ENOMEM;
	}
	if (!ret)
		ret = -pthread_create(&s->reaper, NULL, reaper_main, s);
	if (!ret) {
		s->reaper_running = true;
		/* libmicrohttpd leaves a socket it was given open when it fails to start */
		errno = 0;
		if (mhd.is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
			s->daemon = start_daemon(s, MHD_USE_EPOLL);
		if (!s->daemon)
			s->daemon = start_daemon(s, MHD_USE_POLL);
		if (!s->daemon)
			ret = errno ? -errno : -EIO;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		snprintf(err, errlen, "failed to start the HTTP server on %s: %s", s->listen,
			 strerror(-ret));
		return ret;
	}
	s->fd = -1;	/* libmicrohttpd's now: mhd.stop_daemon() closes it */
	return 0;
}

struct http_server *http__start(const char *listen, const struct web_config *web, char *err,
				size_t errlen)
{
	struct http_server *s = http__listen(listen, web, err, errlen);

	if (s && http__serve(s, err, errlen)) {
		http__stop(s);
		return NULL;
	}
	return s;
}

void http__set_deadlines(struct http_server *s, unsigned request_s, unsigned answer_s)
{
	s->request_s = request_s;
	s->answer_s = answer_s;
}

void http__set_check_deadline(struct http_server *s, unsigned check_ms)
{
	s->check_ms = check_ms;
}

unsigned short http__port(struct http_server *s)
{
	return s->port;
}

void http__stop(struct http_server *s)
{
	if (!s)
		return;
	if (s->reaper_running) {
		pthread_mutex_lock(&s->conns_lock);
		s->reaper_stop = true;
		pthread_cond_signal(&s->conns_cond);
		pthread_mutex_unlock(&s->conns_lock);
		pthread_join(s->reaper, NULL);
	}
	/* no connection waits for a check after this; a bcrypt running is not waited for */
	checker_stop(s->checker);
	/* joins the thread and ends every connection: no response holds a page after this */
	if (s->daemon)
		mhd.stop_daemon(s->daemon);
	if (s->fd >= 0)
		close(s->fd);
	pthread_cond_destroy(&s->conns_cond);
	pthread_mutex_destroy(&s->conns_lock);
	pthread_mutex_destroy(&s->gz_lock);
	pthread_mutex_destroy(&s->lock);
	for (int f = 0; f < HTTP_NR_FORMATS; f++)
		page_put(s->page[f]);
	free(s);
}
