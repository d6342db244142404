// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Container and pod names from kubelet's log paths and Docker's config; see meta/ctrname.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "meta/ctrname.h"

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * DNS-1123: lower case letters, digits and '-', starting and ending with a letter or
 * digit; with dots (a subdomain), each dot-separated label so. 1 if valid.
 */
int ctrname_valid_k8s(const char *s, size_t n, size_t max, int dots)
{
	if (!n || n > max)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool edge = !i || i == n - 1 || (dots && (s[i - 1] == '.' || s[i + 1] == '.'));

		if (is_lower_alnum(c))
			continue;
		if (edge || (c != '-' && !(dots && c == '.')))
			return 0;
	}
	return 1;
}

/* Docker: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (daemon/names), kept to CTR_NAME_MAX - 1. */
int ctrname_valid_docker(const char *s, size_t n)
{
	if (!n || n >= CTR_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = is_lower_alnum(c) || (c >= 'A' && c <= 'Z');

		if (!alnum && (!i || (c != '_' && c != '.' && c != '-')))
			return 0;
	}
	return 1;
}

static bool valid_uid(const char *s, size_t n, char *out)
{
	if (n == 32) {
		for (size_t i = 0; i < n; i++)
			if (!is_hex(s[i]))
				return false;
	} else if (n == CG_POD_UID_LEN) {
		for (size_t i = 0; i < n; i++) {
			bool sep = i == 8 || i == 13 || i == 18 || i == 23;

			if (sep ? s[i] != '-' : !is_hex(s[i]))
				return false;
		}
	} else {
		return false;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

static void copy(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Split s[0..n) at its two '_' into three non-empty parts; false unless exactly two. */
static bool split3(const char *s, size_t n, const char **p, size_t *len)
{
	const char *a = memchr(s, '_', n), *b, *end = s + n;

	if (!a)
		return false;
	b = memchr(a + 1, '_', end - (a + 1));
	if (!b || memchr(b + 1, '_', end - (b + 1)))
		return false;
	p[0] = s, len[0] = a - s;
	p[1] = a + 1, len[1] = b - (a + 1);
	p[2] = b + 1, len[2] = end - (b + 1);
	return len[0] && len[1] && len[2];
}

static int parse_pod_dir(const char *s, size_t n, struct pod_ref *out)
{
	const char *p[3];
	size_t len[3];

	if (!split3(s, n, p, len) || !ctrname_valid_k8s(p[0], len[0], 63, 0) ||
	    !ctrname_valid_k8s(p[1], len[1], 253, 1) || !valid_uid(p[2], len[2], out->uid))
		return -EINVAL;
	copy(out->ns, p[0], len[0]);
	copy(out->pod, p[1], len[1]);
	return 0;
}

int ctrname_parse_pod_dir(const char *s, struct pod_ref *out)
{
	int err;

	if (!s || !out)
		return -EINVAL;
	err = parse_pod_dir(s, strlen(s), out);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

int ctrname_parse_container_log(const char *s, struct ctr_ref *out)
{
	const size_t idn = CG_CONTAINER_ID_LEN, sfx = strlen(".log");
	const char *p[3], *id;
	size_t len[3], n;

	if (!s || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	n = strlen(s);
	if (n <= sfx || strcmp(s + n - sfx, ".log"))
		return -EINVAL;
	n -= sfx;
	if (!split3(s, n, p, len) || len[2] < idn + 2 || p[2][len[2] - idn - 1] != '-')
		return -EINVAL;
	id = p[2] + len[2] - idn;
	for (size_t i = 0; i < idn; i++)
		if (!is_hex(id[i]))
			return -EINVAL;
	len[2] -= idn + 1;
	if (!ctrname_valid_k8s(p[0], len[0], 253, 1) || !ctrname_valid_k8s(p[1], len[1], 63, 0) ||
	    !ctrname_valid_k8s(p[2], len[2], 63, 0))
		return -EINVAL;
	copy(out->pod, p[0], len[0]);
	copy(out->ns, p[1], len[1]);
	copy(out->name, p[2], len[2]);
	copy(out->id, id, idn);
	return 0;
}

int ctrname_uid_of_target(const char *target, const char *ns, const char *pod, char *uid)
{
	const char *comp[3] = { NULL, NULL, NULL }, *s, *e;
	size_t clen[3] = { 0, 0, 0 };
	struct pod_ref ref;

	if (!target || !ns || !pod || !uid)
		return -EINVAL;
	/* the last three components: <ns>_<pod>_<uid>/<container>/<file> */
	for (s = target; *s; s = e) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		e = strchrnul(s, '/');
		comp[0] = comp[1], clen[0] = clen[1];
		comp[1] = comp[2], clen[1] = clen[2];
		comp[2] = s, clen[2] = e - s;
	}
	if (!comp[0] || parse_pod_dir(comp[0], clen[0], &ref) || strcmp(ref.ns, ns) ||
	    strcmp(ref.pod, pod))
		return -EINVAL;
	strcpy(uid, ref.uid);
	return 0;
}

/* --- a JSON object's top-level string member, the rest skipped --------------------- */

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': past the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\') {
			p++;
			continue;
		}
		if (*p == '"')
			return p + 1;
	}
	return NULL;
}

/* Past one value (object, array, string, number, literal), or NULL. */
static const char *skip_value(const char *p, const char *end)
{
	int depth = 0;

	do {
		p = skip_ws(p, end);
		if (p >= end)
			return NULL;
		switch (*p) {
		case '"':
			p = skip_string(p, end);
			if (!p)
				return NULL;
			break;
		case '{':
		case '[':
			depth++;
			p++;
			break;
		case '}':
		case ']':
			if (!depth--)
				return NULL;
			p++;
			break;
		case ',':
		case ':':
			if (!depth)
				return NULL;
			p++;
			break;
		default:	/* numbers, true, false, null */
			if (!((*p >= '0' && *p <= '9') || *p == '-' || (*p >= 'a' && *p <= 'z')))
				return NULL;
			while (p < end && ((*p >= '0' && *p <= '9') || *p == '-' || *p == '+' ||
					   *p == '.' || (*p >= 'a' && *p <= 'z') || *p == 'E'))
				p++;
			break;
		}
	} while (depth);
	return p;
}

int ctrname_docker_config(const char *json, size_t n, char *out, size_t outlen)
{
	const char *p, *end, *k, *v, *ve;
	size_t klen;

	if (!json || !out || !outlen)
		return -EINVAL;
	out[0] = '\0';
	end = json + n;
	p = skip_ws(json, end);
	if (p >= end || *p++ != '{')
		return -EINVAL;
	for (;;) {
		p = skip_ws(p, end);
		if (p < end && *p == '}')
			return -ENOENT;
		if (p >= end || *p != '"')
			return -EINVAL;
		k = p + 1;
		p = skip_string(p, end);
		if (!p)
			return -EINVAL;
		klen = p - 1 - k;
		p = skip_ws(p, end);
		if (p >= end || *p++ != ':')
			return -EINVAL;
		p = skip_ws(p, end);
		if (klen == 4 && !memcmp(k, "Name", 4)) {
			if (p >= end || *p != '"')
				return -EINVAL;
			v = p + 1;
			ve = skip_string(p, end);
			if (!ve)
				return -EINVAL;
			ve--;	/* the closing quote */
			if (v < ve && *v == '/')
				v++;
			if (!ctrname_valid_docker(v, ve - v))
				return -EINVAL;
			if ((size_t)(ve - v) >= outlen)
				return -ENAMETOOLONG;
			copy(out, v, ve - v);
			return 0;
		}
		p = skip_value(p, end);
		if (!p)
			return -EINVAL;
		p = skip_ws(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end && *p == '}')
			return -ENOENT;
		return -EINVAL;
	}
}
