// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * /metrics over HTTP with libmicrohttpd, in its own thread (epoll, else poll:
 * the agent holds many descriptors, select would not do). The sampling loop
 * publishes each page as a reference-counted copy; a scrape takes a reference
 * under a mutex held for a pointer swap, so it neither waits for nor triggers
 * a sample, and nothing is copied per scrape. Nothing a request says can make
 * the agent read a file or run anything: there are two fixed pages.
 *
 * We bind the listening socket ourselves (so that a failure reports the
 * errno of bind or listen) and hand it to libmicrohttpd, which closes it in
 * MHD_stop_daemon(). Binding and serving are two steps: capabilities are per
 * thread, and libmicrohttpd's thread, which parses everything the network
 * sends, must be created after the agent dropped its own (http__listen(),
 * privs__drop(), http__serve()).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>
#include "http.h"

#define CONNECTION_LIMIT	64
#define PER_IP_LIMIT		16
#define CONNECTION_TIMEOUT_S	10
#define LISTEN_BACKLOG		128

struct page {
	atomic_uint refs;
	size_t len;
	char body[];
};

struct http_server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	struct page *page;	/* NULL until the first publish */
	unsigned short port;
	int fd;			/* the listening socket until http__serve() hands it over */
	int family, any6;
	char listen[128];	/* as given, for messages */
};

static const char index_page[] =
	"<html><head><title>wattprobe</title></head><body><h1>wattprobe</h1>"
	"<p><a href=\"/metrics\">Metrics</a></p></body></html>\n";
static const char metrics_type[] = "text/plain; version=0.0.4; charset=utf-8";
static const char text_type[] = "text/plain; charset=utf-8";

/* --- --listen parsing (pure) ------------------------------------------------------------ */

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

int http_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *end, *port_s;
	size_t hlen;
	long port;
	int v6;

	if (!listen)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	v6 = listen[0] == '[';
	if (v6) {
		end = strchr(listen, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		listen++;
		port_s = end + 2;
	} else {
		end = strrchr(listen, ':');
		if (!end)
			return -EINVAL;
		port_s = end + 1;
	}
	hlen = end - listen;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	port = parse_port(port_s);
	if (port < 0)
		return -EINVAL;

	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (!hlen)
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
	}
	return 0;
}

/* --- published pages ---------------------------------------------------------------------- */

static void page_put(void *p)
{
	struct page *pg = p;

	if (pg && atomic_fetch_sub(&pg->refs, 1) == 1)
		free(pg);
}

/* The current page with a reference taken, or NULL before the first publish. */
static struct page *page_get(struct http_server *s)
{
	struct page *pg;

	pthread_mutex_lock(&s->lock);
	pg = s->page;
	if (pg)
		atomic_fetch_add(&pg->refs, 1);
	pthread_mutex_unlock(&s->lock);
	return pg;
}

int http__publish(struct http_server *s, const char *body, size_t len)
{
	struct page *pg, *old;

	pg = malloc(sizeof(*pg) + len);
	if (!pg)
		return -ENOMEM;
	atomic_init(&pg->refs, 1);
	pg->len = len;
	if (len)
		memcpy(pg->body, body, len);

	pthread_mutex_lock(&s->lock);
	old = s->page;
	s->page = pg;
	pthread_mutex_unlock(&s->lock);
	page_put(old);
	return 0;
}

/* --- requests ------------------------------------------------------------------------------ */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define REPLY_TEXT(conn, status, text) reply(conn, status, text_type, text, sizeof(text) - 1)

static enum MHD_Result reply_metrics(struct http_server *s, struct MHD_Connection *conn)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct page *pg;

	pg = page_get(s);
	if (!pg)
		return REPLY_TEXT(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no sample yet\n");
	/* the response holds our reference and drops it when libmicrohttpd is done with it */
	r = MHD_create_response_from_buffer_with_free_callback_cls(pg->len, pg->body, page_put, pg);
	if (!r) {
		page_put(pg);
		return MHD_NO;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, metrics_type) != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Does the request announce a body? */
static int has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);

	return (cl && strcmp(cl, "0")) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/*
 * Called once the headers are in (*req_cls NULL), then again for any body
 * and at its end. An answer queued on the first call makes libmicrohttpd
 * skip the body and close the connection afterwards: we do that for errors
 * and for requests that carry a body, and otherwise answer at the end so
 * that the scraper can keep its connection.
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	static int headers_seen;
	struct http_server *s = cls;
	int metrics;

	if (!strcmp(url, "/metrics"))
		metrics = 1;
	else if (!strcmp(url, "/"))
		metrics = 0;
	else
		return REPLY_TEXT(conn, MHD_HTTP_NOT_FOUND, "not found\n");
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return REPLY_TEXT(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");

	if (!*req_cls) {
		*req_cls = &headers_seen;
		if (!has_body(conn))
			return MHD_YES;
	} else if (*upload_size) {
		*upload_size = 0;	/* not announced, yet there: drop it */
		return MHD_YES;
	}
	if (!metrics)
		return reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8", index_page,
			     sizeof(index_page) - 1);
	return reply_metrics(s, conn);
}

/* --- start and stop ------------------------------------------------------------------------ */

/* A bound, listening, non-blocking socket, or -errno. */
static int open_listener(const struct sockaddr_storage *ss, socklen_t len)
{
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;
	int fd, one = 1, v6only, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		goto fail;
	if (ss->ss_family == AF_INET6) {
		/* [::] takes IPv4 too; a specific IPv6 address only itself */
		v6only = !IN6_IS_ADDR_UNSPECIFIED(&a6->sin6_addr);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)))
			goto fail;
	}
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, LISTEN_BACKLOG))
		goto fail;
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

static const char *listen_remedy(int err, const struct sockaddr_storage *ss)
{
	unsigned short port = ss->ss_family == AF_INET6 ?
		ntohs(((const struct sockaddr_in6 *)ss)->sin6_port) :
		ntohs(((const struct sockaddr_in *)ss)->sin_port);

	if (err == -EADDRINUSE)
		return " (another process uses this port: choose another with --listen)";
	if (err == -EACCES && port && port < 1024)
		return " (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
	if (err == -EADDRNOTAVAIL)
		return " (no interface of this host has that address)";
	return "";
}

static struct MHD_Daemon *start_daemon(struct http_server *s, int fd, int family, int any6,
				       unsigned int poll_flag)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | poll_flag;

	if (family == AF_INET6)
		flags |= any6 ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONNECTION_LIMIT,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)PER_IP_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONNECTION_TIMEOUT_S,
				MHD_OPTION_END);
}

struct http_server *http__listen(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss, bound;
	socklen_t len, blen = sizeof(bound);
	struct http_server *s;
	int fd, ret;

	if (http_parse_listen(listen, &ss, &len)) {
		snprintf(err, errlen, "invalid --listen value '%s': expected ADDR:PORT with a numeric "
			 "address, such as 127.0.0.1:9725, :9725 (all IPv4), [::1]:9725 or [::]:9725",
			 listen ? listen : "");
		return NULL;
	}
	fd = open_listener(&ss, len);
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
	s->family = ss.ss_family;
	if (ss.ss_family == AF_INET6)
		s->any6 = IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&ss)->sin6_addr);
	if (getsockname(fd, (struct sockaddr *)&bound, &blen)) {
		ret = -errno;
		goto fail_s;
	}
	s->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port :
						      ((struct sockaddr_in *)&bound)->sin_port);
	ret = -pthread_mutex_init(&s->lock, NULL);
	if (ret)
		goto fail_s;
	snprintf(s->listen, sizeof(s->listen), "%s", listen);
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
	/* libmicrohttpd leaves a socket it was given open when it fails to start */
	errno = 0;
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		s->daemon = start_daemon(s, s->fd, s->family, s->any6, MHD_USE_EPOLL);
	if (!s->daemon)
		s->daemon = start_daemon(s, s->fd, s->family, s->any6, MHD_USE_POLL);
	if (!s->daemon) {
		int ret = errno ? -errno : -EIO;

		snprintf(err, errlen, "failed to start the HTTP server on %s: %s", s->listen,
			 strerror(-ret));
		return ret;
	}
	s->fd = -1;	/* libmicrohttpd's now: MHD_stop_daemon() closes it */
	return 0;
}

struct http_server *http__start(const char *listen, char *err, size_t errlen)
{
	struct http_server *s = http__listen(listen, err, errlen);

	if (s && http__serve(s, err, errlen)) {
		http__stop(s);
		return NULL;
	}
	return s;
}

unsigned short http__port(struct http_server *s)
{
	return s->port;
}

void http__stop(struct http_server *s)
{
	if (!s)
		return;
	/* joins the thread and ends every connection: no response holds a page after this */
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->lock);
	page_put(s->page);
	free(s);
}
