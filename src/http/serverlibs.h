/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The HTTP server's libraries, loaded at run time (lib/dynlib.h) by what needs them:
 * libmicrohttpd by the server (http.c), GnuTLS by its TLS check (webconfig.c) and basic
 * auth's digest (basicauth.c), libyaml by the web config's parser (webconfig.c) and
 * libcrypt by basic auth's bcrypt (basicauth.c). Linked, libmicrohttpd, GnuTLS and what
 * they link (nettle, gmp, p11-kit, libunistring, libtasn1, ...) were 2.3 MiB of every
 * agent's resident memory, libyaml and libcrypt 160 KiB more, json and top's too, which
 * serve nothing.
 *
 * Each library is a table of its calls, filled once: call mhd.start_daemon(...) after
 * serverlibs__mhd() returned 0, gnutls.strerror(...) after serverlibs__gnutls() did,
 * yaml.parser_load(...) after serverlibs__yaml(), xcrypt.rn(...) after
 * serverlibs__crypt(). The headers stay those of the libraries (types, constants, each
 * call's prototype).
 */
#ifndef __HTTP_SERVERLIBS_H
#define __HTTP_SERVERLIBS_H

#include <stddef.h>
#include <crypt.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <yaml.h>
#include "lib/dynlib.h"

/* libmicrohttpd's calls that wattprobe makes, without their MHD_ prefix */
#define MHD_CALLS(X)								\
	X(start_daemon) X(stop_daemon) X(is_feature_supported)			\
	X(get_connection_info) X(get_connection_values_n)			\
	X(lookup_connection_value) X(suspend_connection)			\
	X(resume_connection) X(queue_response) X(queue_basic_auth_fail_response)	\
	X(create_response_from_buffer)						\
	X(create_response_from_buffer_with_free_callback_cls)			\
	X(add_response_header) X(destroy_response)

/* GnuTLS's, without their gnutls_ prefix (free is its deallocator: a variable) */
#define GNUTLS_CALLS(X)								\
	X(hash_fast) X(strerror) X(x509_crt_list_import2)			\
	X(x509_crt_get_expiration_time) X(x509_crt_deinit) X(x509_privkey_init)	\
	X(x509_privkey_import2) X(x509_privkey_deinit)				\
	X(certificate_allocate_credentials) X(certificate_set_x509_key_mem2)	\
	X(certificate_free_credentials) X(priority_init) X(priority_deinit)

/* libyaml's, without their yaml_ prefix */
#define YAML_CALLS(X)								\
	X(parser_initialize) X(parser_set_input_string) X(parser_parse)		\
	X(parser_load) X(parser_delete) X(event_delete) X(document_get_root_node)	\
	X(document_get_node) X(document_delete)

/* libcrypt's (libxcrypt), without their crypt_ prefix */
#define CRYPT_CALLS(X) X(rn) X(gensalt_rn) X(checksalt)

#define MHD_FIELD(f) DYNLIB_FIELD(MHD_, f)
#define GNUTLS_FIELD(f) DYNLIB_FIELD(gnutls_, f)
#define YAML_FIELD(f) DYNLIB_FIELD(yaml_, f)
#define CRYPT_FIELD(f) DYNLIB_FIELD(crypt_, f)

extern struct mhd_calls {
	MHD_CALLS(MHD_FIELD)
} mhd;

extern struct gnutls_calls {
	GNUTLS_CALLS(GNUTLS_FIELD)
	gnutls_free_function *free;	/* the library's variable gnutls_free */
} gnutls;

extern struct yaml_calls {
	YAML_CALLS(YAML_FIELD)
} yaml;

extern struct crypt_calls {
	CRYPT_CALLS(CRYPT_FIELD)
} xcrypt;

/*
 * Load libmicrohttpd (and with it GnuTLS, which it links), once; any thread may call
 * it, again and again. 0, or -ENOENT with err naming what is missing and the Debian
 * package that has it.
 */
int serverlibs__mhd(char *err, size_t errlen);

/* The same for GnuTLS alone (the TLS check, basic auth's digest). */
int serverlibs__gnutls(char *err, size_t errlen);

/* The same for libyaml (the web config) and libcrypt (basic auth's bcrypt). */
int serverlibs__yaml(char *err, size_t errlen);
int serverlibs__crypt(char *err, size_t errlen);

#endif /* __HTTP_SERVERLIBS_H */
