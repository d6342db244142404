// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The /metrics server, driven by a plain socket client over loopback. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "http/basicauth.h"
#include "http/http.h"
#include "http/serverlibs.h"
#include "http/webconfig.h"

/* --- a small client ----------------------------------------------------------------------- */

static int recv_timeout_s = 5;

static int connect_to(int family, unsigned short port)
{
	struct timeval tv = { .tv_sec = recv_timeout_s };
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd;

	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		a->sin6_port = htons(port);
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a->sin_port = htons(port);
		len = sizeof(*a);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void send_all(int fd, const char *req, size_t len)
{
	while (len) {
		ssize_t n = send(fd, req, len, MSG_NOSIGNAL);

		if (n <= 0)
			return;	/* the server may close early: what it sent is still read */
		req += n;
		len -= n;
	}
}

/* Everything until the server closes (or 5 s pass); the caller frees it. */
static char *read_all(int fd, size_t *lenp)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	cr_assert_not_null(buf);
	for (;;) {
		if (cap - len < 1024) {
			cap *= 2;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n <= 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

/*
 * len bytes on a connection of their own, then (if half_close) the end of our
 * side; the whole answer, or "" if the server closed without one.
 */
static char *request_n(unsigned short port, const char *req, size_t len, int half_close)
{
	int fd = connect_to(AF_INET, port);
	char *resp;

	cr_assert_geq(fd, 0, "connect: %s", strerror(-fd));
	send_all(fd, req, len);
	if (half_close)
		shutdown(fd, SHUT_WR);
	resp = read_all(fd, NULL);
	close(fd);
	return resp;
}

static char *request(unsigned short port, const char *req)
{
	return request_n(port, req, strlen(req), 0);
}

static int status_of(const char *resp)
{
	int status = 0;

	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		return 0;
	return status;
}

/* The value of a header (case-insensitive name), copied into a static buffer; NULL if absent. */
static const char *header(const char *resp, const char *name)
{
	static char val[256];
	const char *end = strstr(resp, "\r\n\r\n"), *p = strstr(resp, "\r\n");
	size_t n = strlen(name);

	while (p && p < end) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 1, *e = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s", (int)(e - v), v);
			return val;
		}
		p = strstr(p, "\r\n");
	}
	return NULL;
}

static const char *body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p ? p + 4 : NULL;
}

/* --- fixtures ------------------------------------------------------------------------------ */

static struct http_server *srv;
static unsigned short port;
static const char page[] = "# HELP m M.\n# TYPE m gauge\nm 1\n";

static void start(void)
{
	char err[256] = "";

	srv = http__start("127.0.0.1:0", NULL, err, sizeof(err));
	cr_assert_not_null(srv, "%s", err);
	port = http__port(srv);
	cr_assert_neq(port, 0);
}

static void start_published(void)
{
	start();
	cr_assert_eq(http__publish(srv, page, sizeof(page) - 1), 0);
}

/*
 * Deadlines of a few seconds, as the agent's 10 and 30 would make the tests
 * slow. The request deadline is libmicrohttpd's idle timeout too: the slow
 * reader keeps the agent's 10 s, so that the answer deadline is what cuts it.
 */
#define REQUEST_S	3
#define ANSWER_S	6

static void start_deadlines(unsigned request_s, unsigned answer_s)
{
	char err[256] = "";

	srv = http__listen("127.0.0.1:0", NULL, err, sizeof(err));
	cr_assert_not_null(srv, "%s", err);
	http__set_deadlines(srv, request_s, answer_s);
	cr_assert_eq(http__serve(srv, err, sizeof(err)), 0, "%s", err);
	port = http__port(srv);
	cr_assert_neq(port, 0);
	cr_assert_eq(http__publish(srv, page, sizeof(page) - 1), 0);
}

static void start_short_request(void)
{
	start_deadlines(REQUEST_S, HTTP_ANSWER_TIMEOUT_S);
}

static void start_short_answer(void)
{
	start_deadlines(HTTP_REQUEST_TIMEOUT_S, ANSWER_S);
}

static void stop(void)
{
	http__stop(srv);
	srv = NULL;
}

#define GET_METRICS "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"

/* --- --listen parsing ---------------------------------------------------------------------- */

static int resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char err[256] = "";
	int ret = http_resolve_listen(listen, ss, len, err, sizeof(err));

	if (ret)
		cr_expect_eq(strncmp(err, "invalid --listen '", 18), 0, "%s", err);
	return ret;
}

Test(http, parse_listen_ipv4)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	socklen_t len = 0;

	cr_assert_eq(resolve("127.0.0.1:9725", &ss, &len), 0);
	cr_assert_eq(a->sin_family, AF_INET);
	cr_assert_eq(ntohs(a->sin_port), 9725);
	cr_assert_eq(ntohl(a->sin_addr.s_addr), INADDR_LOOPBACK);
	cr_assert_eq(len, sizeof(struct sockaddr_in));

	cr_assert_eq(resolve("0.0.0.0:0", &ss, &len), 0);
	cr_assert_eq(a->sin_addr.s_addr, htonl(INADDR_ANY));
	cr_assert_eq(ntohs(a->sin_port), 0);
	cr_assert_eq(resolve("10.1.2.3:65535", &ss, &len), 0);
	cr_assert_eq(ntohs(a->sin_port), 65535);
}

/* :PORT is every address, IPv6 and IPv4 (node_exporter's :9100) */
Test(http, parse_listen_any)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;

	cr_assert_eq(resolve(":9725", &ss, &len), 0);
	cr_assert_eq(a->sin6_family, AF_INET6);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr));
	cr_assert_eq(ntohs(a->sin6_port), 9725);
	cr_assert_eq(len, sizeof(struct sockaddr_in6));
}

Test(http, parse_listen_ipv6)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;

	cr_assert_eq(resolve("[::1]:80", &ss, &len), 0);
	cr_assert_eq(a->sin6_family, AF_INET6);
	cr_assert_eq(ntohs(a->sin6_port), 80);
	cr_assert(IN6_IS_ADDR_LOOPBACK(&a->sin6_addr));
	cr_assert_eq(len, sizeof(struct sockaddr_in6));

	cr_assert_eq(resolve("[::]:9725", &ss, &len), 0);
	cr_assert(IN6_IS_ADDR_UNSPECIFIED(&a->sin6_addr));
	cr_assert_eq(resolve("[::ffff:127.0.0.1]:1", &ss, &len), 0);
	cr_assert_eq(resolve("[fe80::1:2:3:4]:1", &ss, &len), 0);
	cr_assert_eq(ntohs(a->sin6_port), 1);
}

/* A name binds its first IPv4 address (as Go's net.Listen does), from /etc/hosts here. */
Test(http, parse_listen_names)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	socklen_t len = 0;

	cr_assert_eq(resolve("localhost:9725", &ss, &len), 0);
	cr_assert_eq(a->sin_family, AF_INET, "localhost: the IPv4 address first");
	cr_assert_eq(ntohl(a->sin_addr.s_addr), INADDR_LOOPBACK);
	cr_assert_eq(ntohs(a->sin_port), 9725);
	cr_assert_eq(resolve("no-such-host.invalid:9725", &ss, &len), -EINVAL);
}

Test(http, parse_listen_rejects)
{
	static const char *const bad[] = {
		"127.0.0.1:70000", "127.0.0.1:65536", "127.0.0.1:", "127.0.0.1", "abc", "",
		":", "[::1]", "[::1]:", "[::1]80", "::1:80", "[]:80", "[127.0.0.1]:80",
		"127.0.0.1:-1", "127.0.0.1:+80", "127.0.0.1: 80", "127.0.0.1:80 ", "127.0.0.1:8o",
		"127.0.0.1:000080", "127.1:80", "1.2.3.256:80", "[::1:80", "[zz]:80",
		"-host:80", "host-:80", "ho st:80", "a..b:80", ".a:80", "h/x:80", "h%x:80",
		"localhost:9725:1", "*:9725", "host:http",
	};
	struct sockaddr_storage ss;
	socklen_t len;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(resolve(bad[i], &ss, &len), -EINVAL, "'%s'", bad[i]);
	cr_expect_eq(resolve(NULL, &ss, &len), -EINVAL);
}

Test(http, split_listen)
{
	unsigned short port;
	char host[64];
	bool br;

	cr_assert_eq(http_split_listen("metrics.example.org:9725", host, sizeof(host), &br, &port),
		     0);
	cr_assert_str_eq(host, "metrics.example.org");
	cr_assert_not(br);
	cr_assert_eq(port, 9725);
	cr_assert_eq(http_split_listen("[fe80::1%lo]:80", host, sizeof(host), &br, &port), 0);
	cr_assert_str_eq(host, "fe80::1%lo");
	cr_assert(br);
	cr_assert_eq(http_split_listen(":0", host, sizeof(host), &br, &port), 0);
	cr_assert_str_eq(host, "");
	cr_assert_eq(port, 0);
	/* a host that does not fit is refused, not cut */
	cr_assert_eq(http_split_listen("abcdefghij:1", host, 8, &br, &port), -EINVAL);
}

Test(http, start_reports_errors)
{
	char err[256] = "", want[128];
	struct http_server *a, *b;

	cr_assert_null(http__start("abc", NULL, err, sizeof(err)));
	cr_assert_eq(strncmp(err, "invalid --listen 'abc'", 22), 0, "%s", err);

	a = http__start("127.0.0.1:0", NULL, err, sizeof(err));
	cr_assert_not_null(a, "%s", err);
	snprintf(want, sizeof(want), "127.0.0.1:%u", http__port(a));
	b = http__start(want, NULL, err, sizeof(err));
	cr_assert_null(b);
	snprintf(want, sizeof(want), "failed to listen on 127.0.0.1:%u: %s", http__port(a),
		 strerror(EADDRINUSE));
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
	http__stop(a);
	http__stop(NULL);
}

/* --- serving ------------------------------------------------------------------------------- */

Test(http, before_publish_503, .init = start, .fini = stop)
{
	char *r = request(port, GET_METRICS);

	cr_assert_eq(status_of(r), 503, "%s", r);
	cr_assert_str_eq(body_of(r), "no sample yet\n");
	free(r);
}

Test(http, get_metrics, .init = start_published, .fini = stop)
{
	char *r = request(port, GET_METRICS), want[16];

	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(header(r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	snprintf(want, sizeof(want), "%zu", sizeof(page) - 1);
	cr_assert_str_eq(header(r, "Content-Length"), want);
	cr_assert_str_eq(body_of(r), page);
	free(r);

	/* HTTP/1.0 and a query string are fine too */
	r = request(port, "GET /metrics?name[]=x HTTP/1.0\r\n\r\n");
	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(body_of(r), page);
	free(r);
}

Test(http, head_metrics, .init = start_published, .fini = stop)
{
	char *r = request(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	char want[16];

	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(header(r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	snprintf(want, sizeof(want), "%zu", sizeof(page) - 1);
	cr_assert_str_eq(header(r, "Content-Length"), want);
	cr_assert_str_eq(body_of(r), "", "HEAD must not send the body");
	free(r);
}

Test(http, index_page, .init = start, .fini = stop)
{
	char *r = request(port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_not_null(strstr(body_of(r), "href=\"/metrics\""));
	free(r);
}

Test(http, other_paths_404, .init = start_published, .fini = stop)
{
	static const char *const paths[] = {
		"/nope", "/metrics/", "/metricsx", "/Metrics", "//metrics", "/../etc/passwd",
		"/etc/passwd", "/metrics/../metrics2", "http://x/metrics", "*",
	};
	char req[256], *r;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
			 paths[i]);
		r = request(port, req);
		cr_expect(status_of(r) == 404 || (status_of(r) >= 400 && status_of(r) < 500),
			  "%s: %s", paths[i], r);
		cr_expect_null(strstr(r, "root:"), "%s", paths[i]);
		if (i < 4)
			cr_expect_eq(status_of(r), 404, "%s: %s", paths[i], r);
		free(r);
	}
}

Test(http, other_methods_405, .init = start_published, .fini = stop)
{
	static const char *const methods[] = { "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE" };
	char req[256], *r;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		snprintf(req, sizeof(req), "%s /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
			 "Connection: close\r\n\r\nhello", methods[i]);
		r = request(port, req);
		cr_expect_eq(status_of(r), 405, "%s: %s", methods[i], r);
		cr_expect_str_eq(header(r, "Allow") ? header(r, "Allow") : "", "GET, HEAD", "%s",
				 methods[i]);
		free(r);
	}
	r = request(port, "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	cr_expect_eq(status_of(r), 405, "%s", r);
	free(r);
}

/* A GET that carries a body is answered without reading it, and the connection closed. */
Test(http, get_with_body, .init = start_published, .fini = stop)
{
	char *r = request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
				"\r\nxyz");

	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(body_of(r), page);
	free(r);

	r = request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
			  "\r\nZZZ\r\n");
	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(body_of(r), page);
	free(r);
}

Test(http, keep_alive, .init = start_published, .fini = stop)
{
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[4096], *r;
	size_t got = 0, want;
	int fd = connect_to(AF_INET, port);
	const char *end;

	cr_assert_geq(fd, 0);
	send_all(fd, req, strlen(req));
	/* read one response: headers, then Content-Length bytes */
	for (;;) {
		ssize_t n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		cr_assert_gt(n, 0, "the server closed a keep-alive connection");
		got += n;
		buf[got] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end && header(buf, "Content-Length")) {
			want = end + 4 - buf + strtoul(header(buf, "Content-Length"), NULL, 10);
			if (got >= want)
				break;
		}
	}
	cr_assert_eq(status_of(buf), 200);
	cr_assert_str_eq(end + 4, page);

	send_all(fd, GET_METRICS, strlen(GET_METRICS));
	r = read_all(fd, NULL);
	cr_assert_eq(status_of(r), 200, "second request: %s", r);
	cr_assert_str_eq(body_of(r), page);
	free(r);
	close(fd);
}

Test(http, republish, .init = start_published, .fini = stop)
{
	static const char bin[] = "a 1\n\0b 2\n";
	char *r;
	size_t len;
	int fd;

	cr_assert_eq(http__publish(srv, "x 2\n", 4), 0);
	r = request(port, GET_METRICS);
	cr_assert_str_eq(body_of(r), "x 2\n");
	free(r);

	cr_assert_eq(http__publish(srv, bin, sizeof(bin) - 1), 0);
	fd = connect_to(AF_INET, port);
	send_all(fd, GET_METRICS, strlen(GET_METRICS));
	r = read_all(fd, &len);
	close(fd);
	cr_assert_eq(status_of(r), 200);
	cr_assert_eq(len - (body_of(r) - r), sizeof(bin) - 1);
	cr_assert_eq(memcmp(body_of(r), bin, sizeof(bin) - 1), 0, "bodies are bytes, not strings");
	free(r);

	cr_assert_eq(http__publish(srv, NULL, 0), 0);
	r = request(port, GET_METRICS);
	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(header(r, "Content-Length"), "0");
	cr_assert_str_eq(body_of(r), "");
	free(r);
}

/* A good request, retried while the server is still letting dropped connections go. */
static char *request_retry(const char *req)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	char *r = NULL;

	for (int i = 0; i < 150; i++) {
		r = request(port, req);
		if (status_of(r))
			return r;
		free(r);
		nanosleep(&ts, NULL);
	}
	return strdup("");
}

Test(http, malformed_requests, .init = start_published, .fini = stop)
{
	static const struct {
		const char *s;
		size_t len;
	} junk[] = {
#define J(s) { s, sizeof(s) - 1 }
		J("GARBAGE\r\n\r\n"),
		J("GET /metrics\r\n\r\n"),
		J("GET /metrics HTTP/9.9\r\n\r\n"),
		J("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),	/* a TLS hello */
		J("GET /metrics HTTP/1.1\r\nHost: x\r\nBad header line\r\n\r\n"),
		J("\r\n\r\n\r\n"),
		J("GET \0/metrics HTTP/1.1\r\n\r\n"),
		J("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
		J("\xff\xfe\xfd\r\n\r\n"),
#undef J
	};
	char *r;
	int status;

	/* some leave the server waiting for the rest: no answer within 1 s is fine */
	recv_timeout_s = 1;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		r = request_n(port, junk[i].s, junk[i].len, 1);
		status = status_of(r);
		cr_expect(status == 0 || (status >= 400 && status < 600) || status == 200,
			  "junk %zu: %s", i, r);
		cr_expect_neq(status, 200, "junk %zu must not be served the page: %s", i, r);
		free(r);
	}
	recv_timeout_s = 5;
	r = request_retry(GET_METRICS);
	cr_assert_eq(status_of(r), 200, "after junk: %s", r);
	cr_assert_str_eq(body_of(r), page);
	free(r);
}

Test(http, oversized_headers, .init = start_published, .fini = stop)
{
	size_t n = 256 * 1024;
	char *req = malloc(n + 64), *r;
	size_t p;

	cr_assert_not_null(req);
	strcpy(req, "GET /metrics HTTP/1.1\r\nX-Big: ");
	p = strlen(req);
	memset(req + p, 'a', n);
	strcpy(req + p + n, "\r\n\r\n");
	r = request(port, req);
	cr_expect(status_of(r) == 0 || status_of(r) >= 400, "%.200s", r);
	free(r);
	free(req);
	r = request_retry(GET_METRICS);
	cr_assert_eq(status_of(r), 200, "after a huge header: %s", r);
	free(r);
}

Test(http, many_connections_dropped, .init = start_published, .fini = stop)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fds[200];
	char *r;

	for (int i = 0; i < 200; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		cr_assert_geq(fds[i], 0);
		if (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS)
			cr_assert_fail("connect %d: %s", i, strerror(errno));
	}
	usleep(100 * 1000);
	for (int i = 0; i < 200; i++) {
		if (i % 2)
			send(fds[i], "GET /met", 8, MSG_NOSIGNAL);	/* half a request */
	}
	usleep(100 * 1000);
	for (int i = 0; i < 200; i++)
		close(fds[i]);
	r = request_retry(GET_METRICS);
	cr_assert_eq(status_of(r), 200, "after 200 dropped connections: %s", r);
	cr_assert_str_eq(body_of(r), page);
	free(r);
}

/* Scrapes while the page changes: each must get one whole published page. */
struct churn {
	atomic_int stop;
	int published;
};

static void *publisher(void *arg)
{
	struct churn *c = arg;
	char body[8192];

	while (!c->stop) {
		int n = c->published++ % 64 + 1, len = 0;

		/* page k: k lines "line k\n", so a torn page is detectable */
		for (int i = 0; i < n; i++)
			len += snprintf(body + len, sizeof(body) - len, "line %d\n", n);
		http__publish(srv, body, len);
	}
	return NULL;
}

Test(http, scrapes_during_publishes, .init = start_published, .fini = stop)
{
	struct churn c = {};
	pthread_t t;
	int ok = 0;

	cr_assert_eq(pthread_create(&t, NULL, publisher, &c), 0);
	for (int i = 0; i < 200; i++) {
		char *r = request(port, GET_METRICS), first[32];
		const char *b = body_of(r), *p;
		int n, lines = 0;

		cr_assert_eq(status_of(r), 200, "%s", r);
		if (sscanf(b, "line %d", &n) != 1) {
			cr_assert_str_eq(b, page);	/* the fixture's page, before any churn */
			free(r);
			continue;
		}
		snprintf(first, sizeof(first), "line %d\n", n);
		for (p = b; *p; p += strlen(first), lines++)
			cr_assert_eq(strncmp(p, first, strlen(first)), 0, "torn page: %s", b);
		cr_assert_eq(lines, n, "page %d has %d lines", n, lines);
		ok++;
		free(r);
	}
	c.stop = 1;
	pthread_join(t, NULL);
	cr_assert_gt(ok, 100);
	cr_assert_gt(c.published, 10);
}

Test(http, stop_with_idle_connection, .init = start_published)
{
	int fd = connect_to(AF_INET, port);
	struct timespec t0, t1;
	char c;

	cr_assert_geq(fd, 0);
	send_all(fd, "GET /metr", 9);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	stop();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cr_assert_lt(t1.tv_sec - t0.tv_sec, 3, "stop must not wait for idle clients");
	cr_assert_leq(recv(fd, &c, 1, 0), 0, "the server must have closed the connection");
	close(fd);
}

Test(http, ipv6_loopback)
{
	char err[256] = "", *r;
	struct http_server *s;
	int fd;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		cr_skip_test("no IPv6");
	close(fd);
	s = http__start("[::1]:0", NULL, err, sizeof(err));
	if (!s && strstr(err, strerror(EADDRNOTAVAIL)))
		cr_skip_test("no IPv6 loopback: %s", err);
	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(http__publish(s, page, sizeof(page) - 1), 0);
	fd = connect_to(AF_INET6, http__port(s));
	cr_assert_geq(fd, 0);
	send_all(fd, GET_METRICS, strlen(GET_METRICS));
	r = read_all(fd, NULL);
	close(fd);
	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(body_of(r), page);
	free(r);
	cr_assert_lt(connect_to(AF_INET, http__port(s)), 0, "[::1] must not take IPv4");
	http__stop(s);
}

Test(http, dual_stack_any)
{
	char err[256] = "", *r;
	struct http_server *s;
	int fd;

	s = http__start("[::]:0", NULL, err, sizeof(err));
	if (!s && (strstr(err, strerror(EAFNOSUPPORT)) || strstr(err, strerror(EADDRNOTAVAIL))))
		cr_skip_test("no IPv6: %s", err);
	cr_assert_not_null(s, "%s", err);
	cr_assert_eq(http__publish(s, page, sizeof(page) - 1), 0);
	fd = connect_to(AF_INET, http__port(s));
	cr_assert_geq(fd, 0, "[::] must take IPv4 too");
	send_all(fd, GET_METRICS, strlen(GET_METRICS));
	r = read_all(fd, NULL);
	close(fd);
	cr_assert_eq(status_of(r), 200, "%s", r);
	free(r);
	http__stop(s);
}

/* --- the request target, Host, and what the page may be encoded with --------------------------- */

Test(http, target_kind)
{
	static const struct {
		const char *t;
		size_t len;
		enum http_target want;
	} cases[] = {
#define T(s, w) { s, sizeof(s) - 1, w }
		T("/metrics", HTTP_TARGET_METRICS),
		T("/metrics?", HTTP_TARGET_METRICS),
		T("/metrics?name[]=x&y=%20", HTTP_TARGET_METRICS),
		T("/", HTTP_TARGET_INDEX),
		T("/?x", HTTP_TARGET_INDEX),
		T("/metrics\0/../etc/passwd", HTTP_TARGET_BAD),
		T("/metrics\0", HTTP_TARGET_BAD),
		T("/metrics?a\0b", HTTP_TARGET_BAD),
		T("/metrics\x01", HTTP_TARGET_BAD),
		T("/metrics\x7f", HTTP_TARGET_BAD),
		T("/m\xc3\xa9trics", HTTP_TARGET_BAD),
		T("/metrics x", HTTP_TARGET_BAD),
		T("/metrics%00", HTTP_TARGET_NONE),
		T("/metrics/", HTTP_TARGET_NONE),
		T("/metrics/../metrics", HTTP_TARGET_NONE),
		T("/%6detrics", HTTP_TARGET_NONE),
		T("//metrics", HTTP_TARGET_NONE),
		T("/Metrics", HTTP_TARGET_NONE),
		T("/metricsx", HTTP_TARGET_NONE),
		T("http://x/metrics", HTTP_TARGET_NONE),
		T("*", HTTP_TARGET_NONE),
		T("", HTTP_TARGET_NONE),
		T("?/metrics", HTTP_TARGET_NONE),
#undef T
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(http_target_kind(cases[i].t, cases[i].len), cases[i].want, "case %zu", i);
}

Test(http, accepts_gzip)
{
	static const char *const yes[] = {
		"gzip", "GZip", "gzip, deflate, br", "deflate, gzip", "br;q=1.0, gzip;q=0.8, *;q=0.1",
		"x-gzip", "*", "gzip;q=0.001", "identity, *;q=0.5", " gzip ", "deflate,gzip ;q=1",
		"gzip;level=1;q=0.5",
	};
	static const char *const no[] = {
		"", "identity", "deflate, br", "gzip;q=0", "gzip;q=0.0", "gzip; q=0.000", "*;q=0",
		"gzip;q=0, *", "gzipx", "xgzip", "gzi", "br, *;q=0", "gzip;Q=0",
	};

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		cr_expect(http_accepts_gzip(yes[i]), "'%s' accepts gzip", yes[i]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		cr_expect_not(http_accepts_gzip(no[i]), "'%s' does not accept gzip", no[i]);
	cr_expect_not(http_accepts_gzip(NULL));
}

/* OpenMetrics when the Accept header prefers it; text otherwise, as curl's * / * gets. */
Test(http, accepts_format)
{
	static const char *const om[] = {
		/* what Prometheus 2.42 sends */
		"application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		"application/openmetrics-text", "application/openmetrics-text; version=0.0.1",
		"Application/OpenMetrics-Text;q=0.9, text/plain;q=0.8",
		"text/plain;version=0.0.4;q=0.3, application/openmetrics-text;q=0.4",
		"application/*, text/plain;q=0.5", "text/plain;version=0.0.3, application/openmetrics-text",
	};
	static const char *const text[] = {
		"", "*/*", "text/plain", "text/plain;version=0.0.4",
		"application/openmetrics-text;q=0.5, text/plain",
		"application/openmetrics-text;q=0", "application/openmetrics-text;version=2.0.0",
		"application/openmetrics-text;version=2.0.0, text/plain;q=0.1",
		"application/openmetrics-textx", "text/*, application/openmetrics-text;q=1",
		"application/json",
	};

	for (size_t i = 0; i < sizeof(om) / sizeof(om[0]); i++)
		cr_expect_eq(http_accepts_format(om[i]), HTTP_OPENMETRICS, "'%s': OpenMetrics", om[i]);
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		cr_expect_eq(http_accepts_format(text[i]), HTTP_TEXT, "'%s': text", text[i]);
	cr_expect_eq(http_accepts_format(NULL), HTTP_TEXT);
}

/* Each scraper gets the page of the format it prefers, of the same sample; a format
 * without a page falls back to the text page, with the text page's type. */
Test(http, openmetrics_on_request, .init = start_published, .fini = stop)
{
	static const char om_page[] = "# TYPE m gauge\nm 1\n# EOF\n";
	const char *body[HTTP_NR_FORMATS] = { [HTTP_TEXT] = page, [HTTP_OPENMETRICS] = om_page };
	size_t len[HTTP_NR_FORMATS] = { sizeof(page) - 1, sizeof(om_page) - 1 };
	static const char get_om[] = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: "
				     "application/openmetrics-text;version=1.0.0,text/plain;"
				     "version=0.0.4;q=0.5\r\nConnection: close\r\n\r\n";
	char *r;

	r = request(port, get_om);
	cr_assert_str_eq(header(r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	cr_assert_str_eq(body_of(r), page);
	free(r);
	cr_assert_eq(http__publish_formats(srv, body, len), 0);
	r = request(port, get_om);
	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(header(r, "Content-Type"),
			 "application/openmetrics-text; version=1.0.0; charset=utf-8");
	cr_assert_str_eq(header(r, "Vary"), "Accept, Accept-Encoding");
	cr_assert_str_eq(body_of(r), om_page);
	free(r);
	r = request(port, GET_METRICS);
	cr_assert_str_eq(header(r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
	cr_assert_str_eq(body_of(r), page);
	free(r);
}

/* gzip's own format (a member with header and CRC), checked by zlib's gzip reader */
static size_t gunzip(const void *in, size_t len, char *out, size_t outlen)
{
	z_stream z = {};

	cr_assert_eq(inflateInit2(&z, 16 + 15), Z_OK);
	z.next_in = (Bytef *)in;
	z.avail_in = len;
	z.next_out = (Bytef *)out;
	z.avail_out = outlen;
	cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END, "not one whole gzip member");
	cr_assert_eq(z.avail_in, 0, "bytes after the gzip member");
	inflateEnd(&z);
	return z.total_out;
}

Test(http, gzip_roundtrip)
{
	static char in[200000], back[sizeof(in)];
	size_t outlen, n;
	void *out;

	for (size_t i = 0; i < sizeof(in); i++)	/* compressible, not trivially */
		in[i] = "wattprobe_process_joules_total{pid=\"1234\"} 12.5\n"[i % 49] + (i / 997) % 3;
	cr_assert_eq(http_gzip(in, sizeof(in), &out, &outlen), 0);
	cr_assert_eq(((unsigned char *)out)[0], 0x1f);
	cr_assert_eq(((unsigned char *)out)[1], 0x8b);
	cr_assert_lt(outlen, sizeof(in) / 4, "%zu bytes", outlen);
	n = gunzip(out, outlen, back, sizeof(back));
	cr_assert_eq(n, sizeof(in));
	cr_assert_eq(memcmp(in, back, n), 0);
	free(out);

	cr_assert_eq(http_gzip("", 0, &out, &outlen), 0);
	cr_assert_eq(gunzip(out, outlen, back, sizeof(back)), 0);
	free(out);
}

/* libmicrohttpd cuts the target at a NUL; the whole target must be /metrics. */
Test(http, nul_in_target_400, .init = start_published, .fini = stop)
{
	static const char req[] = "GET /metrics\0/../etc/passwd HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n";
	static const char req2[] = "GET /metrics\0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	static const char req3[] = "GET /\0metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char *r;

	r = request_n(port, req, sizeof(req) - 1, 0);
	cr_assert_eq(status_of(r), 400, "%s", r);
	cr_assert_null(strstr(r, page), "the page must not be served");
	free(r);
	r = request_n(port, req2, sizeof(req2) - 1, 0);
	cr_assert_eq(status_of(r), 400, "%s", r);
	free(r);
	r = request_n(port, req3, sizeof(req3) - 1, 0);
	cr_assert_eq(status_of(r), 400, "%s", r);
	free(r);
	r = request(port, "GET /metrics%00/../etc/passwd HTTP/1.1\r\nHost: x\r\n"
			  "Connection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 404, "%s", r);
	free(r);
	r = request(port, "GET /%6detrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 404, "%s", r);
	free(r);
	/* the same connection after a good request: the check is per request */
	r = request(port, GET_METRICS);
	cr_assert_eq(status_of(r), 200, "%s", r);
	free(r);
}

Test(http, host_required, .init = start_published, .fini = stop)
{
	char *r;

	r = request(port, "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 400, "HTTP/1.1 without Host: %s", r);
	cr_assert_null(strstr(r, page));
	free(r);
	r = request(port, "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 400, "two Hosts: %s", r);
	free(r);
	r = request(port, "GET /metrics HTTP/1.0\r\n\r\n");
	cr_assert_eq(status_of(r), 200, "HTTP/1.0 needs no Host: %s", r);
	free(r);
	r = request(port, "GET /metrics HTTP/1.1\r\nhOsT: x\r\nConnection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 200, "header names are case-insensitive: %s", r);
	free(r);
}

/*
 * RFC 9112: conflicting Content-Lengths (6.3: the framing is invalid, 400), a
 * field name with whitespace before its colon (5.1: 400) and an empty field
 * name (not a token, 5.1) are rejected; libmicrohttpd takes each of them.
 */
Test(http, lenient_framing_400, .init = start_published, .fini = stop)
{
	static const char *bad[] = {
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 5\r\n"
		"Connection: close\r\n\r\nhello",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 0\r\n"
		"Connection: close\r\n\r\nhello",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 5\r\n"
		"Connection: close\r\n\r\nhello",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n"
		"Connection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX Bad: 1\r\nConnection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Bad : 1\r\nConnection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Bad\t: 1\r\nConnection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\n: empty\r\nConnection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX(Bad): 1\r\nConnection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\n:\r\nConnection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\nHost: x\n: x\nConnection: close\n\n",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\nConnection: close\r\n\r\n",
		"GET /metrics HTTP/1.1\r\nHost: x\nConnection: close\r\n\r\n",
	};
	char *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = request(port, bad[i]);
		cr_expect_eq(status_of(r), 400, "request %zu: %s", i, r);
		cr_expect_null(strstr(r, page), "request %zu was served the page", i);
		free(r);
	}
	/* what the RFC allows still works: the same length twice, a zero length, odd but valid names */
	r = request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
			  "Content-Length: 0\r\nConnection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 200, "%s", r);
	free(r);
	r = request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-a.b_c~d!#$%&'*+^`|: 1\r\n"
			  "X-Empty:\r\nX-Spaces: \t 1 \t\r\nConnection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 200, "%s", r);
	free(r);
	r = request(port, "GET /metrics HTTP/1.1\nHost: x\nConnection: close\n\n");
	cr_assert_eq(status_of(r), 200, "bare LF line ends (RFC 9112, 2.2): %s", r);
	free(r);
	r = request(port, "GET /metrics HTTP/1.0\r\n\r\n");
	cr_assert_eq(status_of(r), 200, "no header field: %s", r);
	free(r);
}

/* Header blocks as libmicrohttpd leaves them: colons and line ends are NULs. */
Test(http, block_ok)
{
#define B(s) s, sizeof(s) - 1
	/* "GET / HTTP/1.1\r\nHost: x\r\nA:\r\n\r\n" */
	static const char good[] = "GET\0/\0HTTP/1.1\0\0Host\0 x\0\0A\0\0\0\0\0";
	const struct http_field_at f[] = { { 16, 4, 22, 1 }, { 25, 1, 27, 0 } };
	/* ": empty" after Host, where libmicrohttpd ended the header section */
	static const char empty[] = "GET\0/\0HTTP/1.1\0\0Host\0 x\0\0\0 empty\0\0";
	/* the same with LF line ends, an empty name without a value */
	static const char lf[] = "GET\0/\0HTTP/1.1\0Host\0 x\0\0\0";
	static const char lf_good[] = "GET\0/\0HTTP/1.1\0Host\0 x\0\0";
	const struct http_field_at lf_f[] = { { 15, 4, 21, 1 } };
	static const char bare[] = "GET\0/\0HTTP/1.0\0\0\0\0";

	cr_assert(http_block_ok(B(good), 14, f, 2));
	cr_assert_not(http_block_ok(B(good), 14, f, 1), "a field left out");
	cr_assert_not(http_block_ok(good, sizeof(good) - 2, 14, f, 2), "no empty line");
	cr_assert_not(http_block_ok(B(empty), 14, f, 1));
	cr_assert(http_block_ok(B(lf_good), 14, lf_f, 1));
	cr_assert_not(http_block_ok(B(lf), 14, lf_f, 1));
	cr_assert(http_block_ok(B(bare), 14, NULL, 0));
	cr_assert_not(http_block_ok(bare, sizeof(bare) - 2, 14, NULL, 0), "3 NULs: a lone CR");
	{	/* a field that is not where the block has it (a folded line is copied elsewhere) */
		struct http_field_at moved[] = { { 16, 4, 22, 1 }, { 25, 1, 4000, 0 } };

		cr_assert_not(http_block_ok(B(good), 14, moved, 2));
		moved[1] = (struct http_field_at){ (size_t)-1, 1, 27, 0 };
		cr_assert_not(http_block_ok(B(good), 14, moved, 2));
	}
#undef B
	cr_assert(http_field_name_ok("X-a.b_c~d!#$%&'*+^`|", 20));
	cr_assert_not(http_field_name_ok("", 0));
	cr_assert_not(http_field_name_ok("X Bad", 5));
	cr_assert_not(http_field_name_ok("X-Bad\t", 6));
	cr_assert_not(http_field_name_ok("X\0", 2));
	cr_assert_not(http_field_name_ok("X(", 2));
}

Test(http, content_length_value)
{
	__u64 cl = 7;

	cr_assert_eq(http_content_length("0", 1, &cl), 0);
	cr_assert_eq(cl, 0);
	cr_assert_eq(http_content_length("18446744073709551615", 20, &cl), 0);
	cr_assert_eq(cl, UINT64_MAX);
	cr_assert_eq(http_content_length("18446744073709551616", 20, &cl), -EINVAL);
	cr_assert_eq(http_content_length("+1", 2, &cl), -EINVAL);
	cr_assert_eq(http_content_length("1, 1", 4, &cl), -EINVAL);
	cr_assert_eq(http_content_length("", 0, &cl), -EINVAL);
	cr_assert_eq(http_content_length("1 ", 2, &cl), -EINVAL);
}

/* The body of a response as bytes (responses here may hold NULs). */
static const char *raw_body(const char *r, size_t len, size_t *blen)
{
	const char *p = memmem(r, len, "\r\n\r\n", 4);

	cr_assert_not_null(p);
	*blen = len - (p + 4 - r);
	return p + 4;
}

static char *request_len(const char *req, size_t *len)
{
	int fd = connect_to(AF_INET, port);
	char *r;

	cr_assert_geq(fd, 0);
	send_all(fd, req, strlen(req));
	r = read_all(fd, len);
	close(fd);
	return r;
}

Test(http, gzip_when_accepted, .init = start_published, .fini = stop)
{
	static char big[100000];
	char back[sizeof(big)], want[16];
	const char *b;
	size_t len, blen;
	char *r;

	for (size_t i = 0; i + 1 < sizeof(big); i++)
		big[i] = "m{a=\"b\"} 1\n"[i % 11];
	cr_assert_eq(http__publish(srv, big, strlen(big)), 0);

	r = request_len("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n"
			"Connection: close\r\n\r\n", &len);
	cr_assert_eq(status_of(r), 200, "%s", r);
	cr_assert_str_eq(header(r, "Content-Encoding") ? header(r, "Content-Encoding") : "", "gzip");
	cr_assert_str_eq(header(r, "Vary") ? header(r, "Vary") : "", "Accept, Accept-Encoding");
	b = raw_body(r, len, &blen);
	snprintf(want, sizeof(want), "%zu", blen);
	cr_assert_str_eq(header(r, "Content-Length"), want);
	cr_assert_lt(blen, strlen(big) / 10);
	cr_assert_eq(gunzip(b, blen, back, sizeof(back)), strlen(big));
	cr_assert_eq(memcmp(back, big, strlen(big)), 0);
	free(r);

	/* HEAD: the same headers, no body */
	r = request_len("HEAD /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
			"Connection: close\r\n\r\n", &len);
	cr_assert_str_eq(header(r, "Content-Encoding") ? header(r, "Content-Encoding") : "", "gzip");
	cr_assert_str_eq(header(r, "Content-Length"), want);
	raw_body(r, len, &blen);
	cr_assert_eq(blen, 0);
	free(r);

	/* not asked for, or refused: the page as it is */
	r = request_len("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip;q=0, br\r\n"
			"Connection: close\r\n\r\n", &len);
	cr_assert_null(header(r, "Content-Encoding"));
	cr_assert_str_eq(header(r, "Vary") ? header(r, "Vary") : "", "Accept, Accept-Encoding");
	b = raw_body(r, len, &blen);
	cr_assert_eq(blen, strlen(big));
	free(r);
	r = request_len(GET_METRICS, &len);
	cr_assert_null(header(r, "Content-Encoding"));
	free(r);
	/* the index page is small: never compressed */
	r = request_len("GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
			&len);
	cr_assert_null(header(r, "Content-Encoding"));
	free(r);
}

/* Each published page is compressed for itself: a new page is not served the old gzip. */
Test(http, gzip_follows_publish, .init = start_published, .fini = stop)
{
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
			  "Connection: close\r\n\r\n";
	char back[64], body[32];
	size_t len, blen, n;
	const char *b;

	for (int i = 0; i < 3; i++) {
		char *r;

		snprintf(body, sizeof(body), "page %d\n", i);
		cr_assert_eq(http__publish(srv, body, strlen(body)), 0);
		for (int k = 0; k < 2; k++) {	/* the second scrape takes the kept gzip */
			r = request_len(req, &len);
			b = raw_body(r, len, &blen);
			n = gunzip(b, blen, back, sizeof(back));
			cr_assert_eq(n, strlen(body));
			cr_assert_eq(memcmp(back, body, n), 0, "page %d, scrape %d", i, k);
			free(r);
		}
	}
}

/* --- slow clients -------------------------------------------------------------------------- */

static double elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) + (t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * A header line every second keeps an idle timer going for ever; the request
 * as a whole must still come within REQUEST_S. A client that
 * says nothing after its request line goes at the same time.
 */
Test(http, trickling_client_closed_at_deadline, .init = start_short_request, .fini = stop)
{
	struct timespec t0;
	int fd, silent, lines = 0;
	char c;

	recv_timeout_s = 1;
	silent = connect_to(AF_INET, port);
	cr_assert_geq(silent, 0);
	send_all(silent, "GET /metrics HTTP/1.1\r\n", 24);
	fd = connect_to(AF_INET, port);
	cr_assert_geq(fd, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n", 32);
	for (;;) {
		ssize_t n = recv(fd, &c, 1, 0);	/* waits 1 s: the pace of the trickle */

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		cr_assert_lt(n, 1, "the server answered an unfinished request");
		cr_assert_lt(elapsed_s(&t0), REQUEST_S + 10,
			     "still open after %d header lines", lines);
		if (send(fd, "X-Slow: 1\r\n", 11, MSG_NOSIGNAL) != 11)
			break;
		lines++;
	}
	cr_assert_geq(elapsed_s(&t0), REQUEST_S - 1);
	cr_assert_leq(elapsed_s(&t0), REQUEST_S + 2, "closed after %.1f s",
		      elapsed_s(&t0));
	cr_assert_geq(lines, REQUEST_S - 2);
	close(fd);
	cr_assert_eq(recv(silent, &c, 1, 0), 0, "the silent client was not closed: %s",
		     strerror(errno));
	close(silent);
	recv_timeout_s = 5;
}

/*
 * HTTP_MAX_CONNECTIONS connections that said nothing (or half a request) hold
 * every place: a new client still gets its page, and the one that waited
 * longest is the one closed for it.
 */
Test(http, cap_closes_oldest_waiting, .init = start_published, .fini = stop)
{
	int fds[HTTP_MAX_CONNECTIONS], more[3];
	char *r, ch;

	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++) {
		fds[i] = connect_to(AF_INET, port);
		cr_assert_geq(fds[i], 0);
		if (i % 2)
			send_all(fds[i], "GET /metr", 9);
		usleep(2000);	/* an order of arrival the server sees too */
	}
	usleep(100 * 1000);
	for (int round = 0; round < 3; round++) {
		recv_timeout_s = 2;
		r = request(port, GET_METRICS);
		recv_timeout_s = 5;
		cr_assert_eq(status_of(r), 200, "round %d at the cap: %s", round, r);
		cr_assert_str_eq(body_of(r), page);
		free(r);
		/* the oldest still held is closed: read its end (no data, EOF) */
		cr_assert_eq(recv(fds[round], &ch, 1, 0), 0, "connection %d should be closed", round);
		/* back to the cap for the next round, with a connection newer than all */
		more[round] = connect_to(AF_INET, port);
		cr_assert_geq(more[round], 0);
		usleep(50 * 1000);
	}
	/* the newer ones are kept */
	for (int i = 3; i < HTTP_MAX_CONNECTIONS; i++)
		cr_assert_lt(recv(fds[i], &ch, 1, MSG_DONTWAIT), 0, "connection %d was closed", i);
	for (int i = 0; i < 3; i++) {
		cr_assert_lt(recv(more[i], &ch, 1, MSG_DONTWAIT), 0, "new connection %d was closed", i);
		close(more[i]);
	}
	for (int i = 0; i < HTTP_MAX_CONNECTIONS; i++)
		close(fds[i]);
}

/* --- basic authentication from a web config ------------------------------------------------ */

static struct web_config web;

/* A bcrypt hash of password at cost 4 into out (64 bytes), by the agent's libcrypt. */
static void bcrypt_of(const char *password, const char *prefix, char *out)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE], why[256];
	struct crypt_data cd = {};
	char *h;

	cr_assert_eq(serverlibs__crypt(why, sizeof(why)), 0, "%s", why);
	cr_assert_not_null(xcrypt.gensalt_rn(prefix, 4, NULL, 0, setting, sizeof(setting)));
	h = xcrypt.rn(password, setting, &cd, sizeof(cd));
	cr_assert_not_null(h);
	cr_assert_lt(strlen(h), 64);
	memcpy(out, h, strlen(h) + 1);
}

static void start_auth(void)
{
	char yaml[512], err[256] = "", h[64];

	bcrypt_of("s3cret:with colon", "$2y$", h);
	snprintf(yaml, sizeof(yaml), "basic_auth_users:\n  alice: '%s'\n"
		 "http_server_config:\n  headers:\n    X-Frame-Options: deny\n", h);
	cr_assert_eq(webcfg_parse(yaml, strlen(yaml), "web.yml", &web, err, sizeof(err)), 0, "%s",
		     err);
	srv = http__start("127.0.0.1:0", &web, err, sizeof(err));
	cr_assert_not_null(srv, "%s", err);
	port = http__port(srv);
	cr_assert_eq(http__publish(srv, page, sizeof(page) - 1), 0);
}

static void stop_auth(void)
{
	stop();
	webcfg_clear(&web);
}

static char *get_as(const char *path, const char *credentials_b64)
{
	char req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n%s%s%sConnection: close\r\n\r\n",
		 path, credentials_b64 ? "Authorization: Basic " : "",
		 credentials_b64 ? credentials_b64 : "", credentials_b64 ? "\r\n" : "");
	return request(port, req);
}

Test(http, basic_auth, .init = start_auth, .fini = stop_auth)
{
	/* base64 of alice:s3cret:with colon, alice:wrong, bob:s3cret:with colon, alice:s3cret:with colon\0x */
	static const char right[] = "YWxpY2U6czNjcmV0OndpdGggY29sb24=";
	static const char wrong[] = "YWxpY2U6d3Jvbmc=";
	static const char bob[] = "Ym9iOnMzY3JldDp3aXRoIGNvbG9u";
	static const char nul[] = "YWxpY2U6czNjcmV0OndpdGggY29sb24AeA==";
	const char *www;
	char *r;

	r = get_as("/metrics", NULL);
	cr_assert_eq(status_of(r), 401, "no credentials: %s", r);
	www = header(r, "WWW-Authenticate");
	cr_assert_not_null(www, "%s", r);
	cr_assert_eq(strncmp(www, "Basic realm=\"wattprobe\"", 22), 0, "%s", www);
	cr_assert_null(strstr(r, page));
	cr_assert_str_eq(header(r, "X-Frame-Options") ? header(r, "X-Frame-Options") : "", "deny");
	free(r);

	for (int i = 0; i < 3; i++) {
		const char *bad = i == 0 ? wrong : i == 1 ? bob : nul;

		r = get_as("/metrics", bad);
		cr_assert_eq(status_of(r), 401, "credentials %d: %s", i, r);
		cr_assert_not_null(header(r, "WWW-Authenticate"));
		cr_assert_null(strstr(r, page));
		free(r);
	}
	/* paths are not told apart before authentication */
	r = get_as("/nope", NULL);
	cr_assert_eq(status_of(r), 401, "%s", r);
	free(r);

	for (int i = 0; i < 2; i++) {	/* the second one from the cache */
		r = get_as("/metrics", right);
		cr_assert_eq(status_of(r), 200, "%s", r);
		cr_assert_str_eq(body_of(r), page);
		cr_assert_str_eq(header(r, "X-Frame-Options"), "deny");
		free(r);
	}
	r = get_as("/nope", right);
	cr_assert_eq(status_of(r), 404, "%s", r);
	free(r);
	r = request(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: basic "
			  "YWxpY2U6czNjcmV0OndpdGggY29sb24=\r\nConnection: close\r\n\r\n");
	cr_assert_eq(status_of(r), 200, "the scheme is case-insensitive: %s", r);
	free(r);
}

/*
 * A reader that takes 400 KB a second keeps an idle timer going (it frees a
 * third of a 4 MB send buffer, when the kernel lets the server write again,
 * in about 3 s, well within its 10 s even on a busy machine); the answer as
 * a whole must still be taken within ANSWER_S: the server stops
 * sending it and closes (what its socket buffer held still comes).
 */
Test(http, slow_reader_cut_at_deadline, .init = start_short_answer, .fini = stop)
{
	size_t len = 32 << 20, got = 0;
	struct timespec t0;
	char *big, buf[4096];
	int fd, rcv = 4096;
	ssize_t n;

	big = malloc(len);
	cr_assert_not_null(big);
	memset(big, 'x', len);
	cr_assert_eq(http__publish(srv, big, len), 0);
	free(big);

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));	/* before connect: the window */
	{
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		struct timeval tv = { .tv_sec = 10 };

		cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	send_all(fd, GET_METRICS, strlen(GET_METRICS));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (elapsed_s(&t0) < ANSWER_S + 5) {
		for (size_t chunk = 0; chunk < 80000; chunk += n) {
			n = recv(fd, buf, sizeof(buf), 0);
			cr_assert_gt(n, 0, "closed after %.1f s, before the answer deadline",
				     elapsed_s(&t0));
			got += n;
		}
		usleep(200 * 1000);
	}
	cr_assert_lt(elapsed_s(&t0), ANSWER_S + 10);
	/* now as fast as it comes: the rest is cut */
	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		got += n;
	close(fd);
	cr_assert_lt(got, len * 2 / 3, "%zu of %zu bytes: the answer was not cut", got, len);
	cr_assert_gt(got, 100000, "%zu bytes: the reader was served", got);
}

/* --- password checks off the serving thread ----------------------------------------------- */

/* A hash that bcrypt takes long over: a cost-4 hash made cost 20 (a million times the work). */
static void slow_hash(char *out, size_t len)
{
	char h[64];

	bcrypt_of("whatever", "$2b$", h);
	snprintf(out, len, "$2b$20%s", h + 6);
}

/* alice (cost 4, password "right") and bob (cost 20: a check takes about a minute) */
static void start_slow_auth(void)
{
	char h[64], slow[64], err[256] = "";

	memset(&web, 0, sizeof(web));
	web.auth = basic_auth__new();
	cr_assert_not_null(web.auth);
	bcrypt_of("right", "$2y$", h);
	cr_assert_eq(basic_auth__add(web.auth, "alice", h, err, sizeof(err)), 0, "%s", err);
	slow_hash(slow, sizeof(slow));
	cr_assert_eq(basic_auth__add(web.auth, "bob", slow, err, sizeof(err)), 0, "%s", err);
	srv = http__listen("127.0.0.1:0", &web, err, sizeof(err));
	cr_assert_not_null(srv, "%s", err);
	http__set_check_deadline(srv, 1000);
	cr_assert_eq(http__serve(srv, err, sizeof(err)), 0, "%s", err);
	port = http__port(srv);
	cr_assert_eq(http__publish(srv, page, sizeof(page) - 1), 0);
}

#define ALICE_RIGHT	"YWxpY2U6cmlnaHQ="	/* alice:right */
#define BOB_WRONG	"Ym9iOndyb25n"		/* bob:wrong */

struct pending_get {
	pthread_t t;
	char *resp;
};

static void *get_bob(void *arg)
{
	struct pending_get *g = arg;

	g->resp = get_as("/metrics", BOB_WRONG);
	return NULL;
}

/*
 * A check that takes long runs beside the server, not in it: a scrape with
 * credentials that passed before is answered at once (it waited 21.6 s for
 * a cost-17 check of another user's guess), and the guess is answered 503
 * when its check passes the deadline.
 */
Test(http, password_check_off_the_thread, .init = start_slow_auth, .fini = stop_auth)
{
	struct pending_get bob = {};
	char *r;

	r = get_as("/metrics", ALICE_RIGHT);	/* a bcrypt at cost 4, then cached */
	cr_assert_eq(status_of(r), 200, "%s", r);
	free(r);
	cr_assert_eq(pthread_create(&bob.t, NULL, get_bob, &bob), 0);
	usleep(300 * 1000);	/* bob's check is running */
	r = get_as("/metrics", ALICE_RIGHT);
	cr_assert_eq(status_of(r), 200, "a cached scrape while another check runs: '%s'", r);
	free(r);
	pthread_join(bob.t, NULL);
	cr_assert_eq(status_of(bob.resp), 503, "a check past its deadline: '%s'", bob.resp);
	cr_assert_not_null(header(bob.resp, "Retry-After"), "%s", bob.resp);
	free(bob.resp);
}

/* Stopping does not wait for a check in progress (SIGTERM ends the agent at once). */
Test(http, stop_during_password_check, .init = start_slow_auth)
{
	struct pending_get bob = {};
	struct timespec t0;

	cr_assert_eq(pthread_create(&bob.t, NULL, get_bob, &bob), 0);
	usleep(300 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	stop();
	/* the check alone takes about a minute (cost 20): well beyond this */
	cr_assert_lt(elapsed_s(&t0), 3.0, "http__stop() waited %.1f s for a password check",
		     elapsed_s(&t0));
	pthread_join(bob.t, NULL);
	cr_assert_neq(status_of(bob.resp), 200, "%s", bob.resp);
	free(bob.resp);
	webcfg_clear(&web);
}
