// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * /metrics over HTTP with libmicrohttpd, in its own thread (epoll, else
 * poll: the agent holds many descriptors, select would not do). The page is
 * a copy published after each sample; a scrape copies it under a mutex and
 * never waits for, or triggers, a sample. Nothing a request says can make
 * the agent read a file or run anything: there are two fixed pages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "http.h"

#define CONNECTION_LIMIT	64
#define PER_IP_LIMIT		16
#define CONNECTION_TIMEOUT_S	10

struct http_server {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	char *page;		/* NULL until the first sample */
	size_t len;
};

static const char index_page[] =
	"<html><head><title>wattprobe</title></head><body><h1>wattprobe</h1>"
	"<p><a href=\"/metrics\">/metrics</a></p></body></html>\n";
static const char content_type[] = "text/plain; version=0.0.4; charset=utf-8";

int http_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon, *port_s;
	char *end;
	long port;
	size_t hlen;

	memset(ss, 0, sizeof(*ss));
	if (listen[0] == '[') {
		const char *rb = strchr(listen, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hlen = rb - listen - 1;
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, listen + 1, hlen);
		host[hlen] = '\0';
		port_s = rb + 2;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			return -EINVAL;
		hlen = colon - listen;
		if (hlen >= sizeof(host))
			return -EINVAL;
		memcpy(host, listen, hlen);
		host[hlen] = '\0';
		port_s = colon + 1;
	}
	errno = 0;
	port = strtol(port_s, &end, 10);
	if (!*port_s || *end || errno || port < 0 || port > 65535)
		return -EINVAL;
	if (listen[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (!*host)
			a->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		*len = sizeof(*a);
	}
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	static int first_call;
	struct http_server *s = cls;
	enum MHD_Result ret;
	char *copy;
	size_t len;

	/* the first call only announces the request; bodies are ignored */
	if (!*req_cls) {
		*req_cls = &first_call;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics") && strcmp(url, "/"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", "not found\n", 10,
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     "method not allowed\n", 19, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "text/html", index_page, sizeof(index_page) - 1,
			     MHD_RESPMEM_PERSISTENT);

	pthread_mutex_lock(&s->lock);
	copy = s->page ? malloc(s->len ? s->len : 1) : NULL;
	len = s->len;
	if (copy)
		memcpy(copy, s->page, len);
	pthread_mutex_unlock(&s->lock);
	if (!copy)
		return reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "no sample yet\n",
			     14, MHD_RESPMEM_PERSISTENT);
	ret = reply(conn, MHD_HTTP_OK, content_type, copy, len, MHD_RESPMEM_MUST_FREE);
	return ret;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	/* libmicrohttpd reports bad requests from clients: not ours to print */
}

struct http_server *http__start(const char *listen, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct http_server *s;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	socklen_t len;

	if (http_parse_listen(listen, &ss, &len)) {
		snprintf(err, errlen, "invalid --listen value '%s': expected ADDR:PORT, such as "
			 "127.0.0.1:9725 or [::1]:9725", listen);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "failed to start the HTTP server: %s", strerror(ENOMEM));
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL :
									   MHD_USE_POLL;
	errno = 0;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
				     MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_LIMIT,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				     MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, errlen, "failed to listen on %s: %s", listen,
			 errno ? strerror(errno) : "address in use or not available");
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

int http__publish(struct http_server *s, const char *body, size_t len)
{
	char *page = malloc(len ? len : 1), *old;

	if (!page)
		return -ENOMEM;
	memcpy(page, body, len);
	pthread_mutex_lock(&s->lock);
	old = s->page;
	s->page = page;
	s->len = len;
	pthread_mutex_unlock(&s->lock);
	free(old);
	return 0;
}

unsigned short http__port(struct http_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);

	return i ? i->port : 0;
}

void http__stop(struct http_server *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->daemon);
	pthread_mutex_destroy(&s->lock);
	free(s->page);
	free(s);
}
