// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer: Docker's config.v2.json, kubelet's log names, /proc/PID/cgroup lines. */
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "meta/cgroupv1.h"
#include "meta/ctrname.h"
#include "kernel/pidns.h"

/* A name that passed is made of the bytes its owner allows, and is in the input. */
static const uint8_t *in;
static size_t in_size;

static void name_ok(const char *name, const char *allowed)
{
	assert(*name && strspn(name, allowed) == strlen(name) &&
	       memmem(in, in_size, name, strlen(name)));
}

#define K8S "abcdefghijklmnopqrstuvwxyz0123456789-."
#define DOCKER "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[CTR_NAME_MAX], uid[CG_POD_UID_LEN + 1];
	struct pod_ref pr;
	struct ctr_ref cr;
	unsigned long long ino;

	memcpy(s, data, size);
	s[size] = '\0';
	in = data;
	in_size = size;
	/* the raw bytes, NULs included: no read past size */
	if (!ctrname_docker_config((const char *)data, size, out, sizeof(out)))
		name_ok(out, DOCKER);
	if (!ctrname_parse_pod_dir(s, &pr)) {
		name_ok(pr.ns, K8S);
		name_ok(pr.pod, K8S);
		assert(strlen(pr.uid) == 32 || strlen(pr.uid) == 36);
	}
	if (!ctrname_parse_container_log(s, &cr)) {
		name_ok(cr.pod, K8S);
		name_ok(cr.name, K8S);
		assert(strlen(cr.id) == 64);
	}
	if (!ctrname_uid_of_target(s, "shop", "web-0", uid))
		assert(strstr(s, uid));
	if (!proc_cgroup_path(s, "cpu", out, sizeof(out)))
		assert(strlen(out) < sizeof(out) && strstr(s, out));
	pidns_parse_link(s, &ino);
	free(s);
	return 0;
}
