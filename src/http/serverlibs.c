// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The HTTP server's libraries, loaded at run time; see http/serverlibs.h. */
#include "http/serverlibs.h"

struct mhd_calls mhd;
struct gnutls_calls gnutls;
struct yaml_calls yaml;
struct crypt_calls xcrypt;

#define NAME(f) "MHD_" #f,
static const char *const mhd_names[] = { MHD_CALLS(NAME) };
#undef NAME
#define NAME(f) "gnutls_" #f,
static const char *const gnutls_names[] = { GNUTLS_CALLS(NAME) "gnutls_free" };
#undef NAME
#define NAME(f) "yaml_" #f,
static const char *const yaml_names[] = { YAML_CALLS(NAME) };
#undef NAME
#define NAME(f) "crypt_" #f,
static const char *const crypt_names[] = { CRYPT_CALLS(NAME) };
#undef NAME

static struct dynlib libmhd = DYNLIB("libmicrohttpd.so.12", "libmicrohttpd12", mhd, mhd_names);
static struct dynlib libgnutls = DYNLIB("libgnutls.so.30", "libgnutls30", gnutls, gnutls_names);
static struct dynlib libyaml = DYNLIB("libyaml-0.so.2", "libyaml-0-2", yaml, yaml_names);
static struct dynlib libcrypt = DYNLIB("libcrypt.so.1", "libcrypt1", xcrypt, crypt_names);
DYNLIB_CHECK(mhd, mhd_names);
DYNLIB_CHECK(gnutls, gnutls_names);
DYNLIB_CHECK(yaml, yaml_names);
DYNLIB_CHECK(xcrypt, crypt_names);

int serverlibs__mhd(char *err, size_t errlen)
{
	return dynlib__load(&libmhd, err, errlen);
}

int serverlibs__gnutls(char *err, size_t errlen)
{
	return dynlib__load(&libgnutls, err, errlen);
}

int serverlibs__yaml(char *err, size_t errlen)
{
	return dynlib__load(&libyaml, err, errlen);
}

int serverlibs__crypt(char *err, size_t errlen)
{
	return dynlib__load(&libcrypt, err, errlen);
}
