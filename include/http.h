/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The /metrics endpoint, on libmicrohttpd. */
#ifndef __HTTP_H
#define __HTTP_H

#include <stddef.h>
#include <sys/socket.h>

struct http_server;

/*
 * listen: "ADDR:PORT" ("127.0.0.1:9725", "[::1]:9725"; ":9725" for every IPv4
 * address). NULL with a one-line reason in err on failure.
 */
struct http_server *http__start(const char *listen, char *err, size_t errlen);
/* Replace the page served at /metrics; scrapes serve the latest copy and
 * never wait for a sample. Before the first publish, /metrics answers 503. */
int http__publish(struct http_server *s, const char *body, size_t len);
unsigned short http__port(struct http_server *s);
void http__stop(struct http_server *s);
/* Parse a --listen value. 0 or -EINVAL. */
int http_parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len);

#endif /* __HTTP_H */
