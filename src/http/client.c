// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The HTTP(S) client, on libcurl: TLS, proxies from the environment (http_proxy,
 * https_proxy, no_proxy), basic auth from the URL. See http/client.h.
 *
 * libcurl is loaded with dlopen() by its one user (`run --push`) only: linked, it and
 * what it links (Kerberos, LDAP, SSH, OpenSSL's libcrypto, ...) were 2.9 MiB of every
 * agent's resident memory, for a feature the agents never use.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <curl/curl.h>
#include "http/client.h"

/* Debian's libcurl3-gnutls first (what the build links against), then any libcurl. */
static const char *const libcurl_names[] = { "libcurl-gnutls.so.4", "libcurl.so.4" };

static struct {
	void *lib;
	CURLcode (*global_init)(long flags);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*setopt)(CURL *c, CURLoption opt, ...);
	CURLcode (*perform)(CURL *c);
	CURLcode (*getinfo)(CURL *c, CURLINFO info, ...);
	const char *(*strerror)(CURLcode rc);
	void (*cleanup)(CURL *c);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} curl;

#define SYM(field, name)							\
	do {									\
		*(void **)&curl.field = dlsym(curl.lib, name);			\
		if (!curl.field) {						\
			snprintf(err, errlen, "%s has no %s", loaded, name);	\
			goto fail;						\
		}								\
	} while (0)

int httpc__init(char *err, size_t errlen)
{
	const char *loaded = NULL;

	for (size_t i = 0; i < sizeof(libcurl_names) / sizeof(*libcurl_names) && !curl.lib; i++) {
		curl.lib = dlopen(libcurl_names[i], RTLD_NOW | RTLD_LOCAL);
		loaded = libcurl_names[i];
	}
	if (!curl.lib) {
		snprintf(err, errlen, "libcurl, which is not installed (%s; on "
			 "Debian: apt-get install libcurl3-gnutls)", dlerror());
		return -ENOENT;
	}
	SYM(global_init, "curl_global_init");
	SYM(global_cleanup, "curl_global_cleanup");
	SYM(easy_init, "curl_easy_init");
	SYM(setopt, "curl_easy_setopt");
	SYM(perform, "curl_easy_perform");
	SYM(getinfo, "curl_easy_getinfo");
	SYM(strerror, "curl_easy_strerror");
	SYM(cleanup, "curl_easy_cleanup");
	SYM(slist_append, "curl_slist_append");
	SYM(slist_free_all, "curl_slist_free_all");
	if (curl.global_init(CURL_GLOBAL_DEFAULT)) {
		snprintf(err, errlen, "failed to initialise %s", loaded);
		goto fail;
	}
	return 0;
fail:
	dlclose(curl.lib);
	memset(&curl, 0, sizeof(curl));
	return -ENOENT;
}

void httpc__exit(void)
{
	if (!curl.lib)
		return;
	curl.global_cleanup();
	dlclose(curl.lib);
	memset(&curl, 0, sizeof(curl));
}

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

int httpc__put(const char *url, const char *content_type, const char *body, size_t len,
	       long timeout_s, char *err, size_t errlen)
{
	char curl_err[CURL_ERROR_SIZE] = "", ctype[128];
	struct curl_slist *headers = NULL;
	struct answer a = { .len = 0 };
	long status = 0;
	CURLcode rc;
	CURL *c;
	int ret = -EIO;

	if (!curl.lib) {
		snprintf(err, errlen, "libcurl is not loaded (httpc__init())");
		return -EINVAL;
	}
	c = curl.easy_init();
	if (!c) {
		snprintf(err, errlen, "failed to set up libcurl");
		return -ENOMEM;
	}
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", content_type);
	headers = curl.slist_append(headers, ctype);
	curl.setopt(c, CURLOPT_URL, url);
	curl.setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl.setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl.setopt(c, CURLOPT_POSTFIELDS, body);
	curl.setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl.setopt(c, CURLOPT_HTTPHEADER, headers);
	curl.setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl.setopt(c, CURLOPT_CONNECTTIMEOUT, timeout_s < 5 ? timeout_s : 5L);
	curl.setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl.setopt(c, CURLOPT_USERAGENT, "wattprobe");
	curl.setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl.setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl.setopt(c, CURLOPT_WRITEDATA, &a);
	rc = curl.perform(c);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", curl_err[0] ? curl_err : curl.strerror(rc));
		goto cleanup;
	}
	curl.getinfo(c, CURLINFO_RESPONSE_CODE, &status);
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
	curl.slist_free_all(headers);
	curl.cleanup(c);
	return ret;
}
