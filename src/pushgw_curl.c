// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Pushing a page to a Pushgateway over HTTP(S), with libcurl: TLS, proxies from
 * the environment (http_proxy, https_proxy, no_proxy), basic auth from the URL.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include "pushgw.h"

struct answer {
	char buf[256];
	size_t len;
};

/* Keep the start of the answer, for the message when the status is not 2xx. */
static size_t on_data(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct answer *a = ctx;
	size_t n = size * nmemb, room = sizeof(a->buf) - 1 - a->len;

	memcpy(a->buf + a->len, data, n < room ? n : room);
	a->len += n < room ? n : room;
	a->buf[a->len] = '\0';
	return n;
}

int pushgw__put(const char *url, const char *body, size_t len, long timeout_s, char *err,
		size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct answer a = { .len = 0 };
	long status = 0;
	CURLcode rc;
	CURL *c;
	int ret = -EIO;

	c = curl_easy_init();
	if (!c) {
		snprintf(err, errlen, "failed to set up libcurl");
		return -ENOMEM;
	}
	headers = curl_slist_append(headers, "Content-Type: text/plain; version=0.0.4");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s < 5 ? timeout_s : 5L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "wattprobe");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl_easy_strerror(rc));
		goto cleanup;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		a.buf[strcspn(a.buf, "\r\n")] = '\0';
		for (char *p = a.buf; *p; p++)	/* the server's words go to a terminal */
			if ((unsigned char)*p < ' ' || *p == 0x7f)
				*p = '?';
		snprintf(err, errlen, "HTTP status %ld%s%.200s", status, a.buf[0] ? ": " : "",
			 a.buf);
		goto cleanup;
	}
	ret = 0;
cleanup:
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return ret;
}
