/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The HTTP(S) client: one PUT of a body to a URL, on libcurl loaded at run time
 * (only by what needs it, so that no agent carries libcurl and its libraries).
 */
#ifndef __HTTP_CLIENT_H
#define __HTTP_CLIENT_H

#include <stddef.h>

/*
 * Load libcurl (dlopen) and initialise it, once, before any thread starts.
 * 0, or -ENOENT with err naming what is missing ("libcurl, which is not installed
 * (...)"), for a message that says who needs it.
 * httpc__exit() undoes it.
 */
int httpc__init(char *err, size_t errlen);
void httpc__exit(void);

/*
 * PUT body to url with that Content-Type, within timeout_s. Needs httpc__init() done.
 * 0, or -EIO with err saying what failed (connection, HTTP status and the first line
 * of the answer, made printable).
 */
int httpc__put(const char *url, const char *content_type, const char *body, size_t len,
	       long timeout_s, char *err, size_t errlen);

#endif /* __HTTP_CLIENT_H */
