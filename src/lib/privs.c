// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Privilege drop after start-up; see lib/privs.h. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include "lib/privs.h"
#include "lib/util.h"

int privs__check_user(const char *name)
{
	return getpwnam(name) ? 0 : -ENOENT;
}

static int switch_user(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);

	if (!pw) {
		snprintf(err, errlen, "failed to find user '%s'", user);
		return -ENOENT;
	}
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
		snprintf(err, errlen, "failed to switch to user '%s': %s (it takes CAP_SETUID "
			 "and CAP_SETGID)", user, strerror(errno));
		return -errno;
	}
	return 0;
}

bool privs__kernel_needs_bpf_cap(void)
{
	struct utsname u;
	int major = 0, minor = 0;
	char buf[8];

	/* "bpf: Move unprivileged checks into map_create() and bpf_prog_load()", v6.5 */
	if (read_small_file("/proc/sys/kernel/unprivileged_bpf_disabled", buf, sizeof(buf)) > 0 &&
	    buf[0] == '0')
		return false;
	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return true;
	return major < 6 || (major == 6 && minor < 5);
}

/* The capability bpf() accepts that we hold: CAP_BPF, else CAP_SYS_ADMIN; -1 if none. */
static cap_value_t bpf_cap_held(void)
{
	cap_flag_value_t bpf = CAP_CLEAR, admin = CAP_CLEAR;
	cap_t caps = cap_get_proc();

	if (!caps)
		return -1;
	cap_get_flag(caps, CAP_BPF, CAP_PERMITTED, &bpf);
	cap_get_flag(caps, CAP_SYS_ADMIN, CAP_PERMITTED, &admin);
	cap_free(caps);
	return bpf == CAP_SET ? CAP_BPF : admin == CAP_SET ? CAP_SYS_ADMIN : -1;
}

int privs__drop(const char *user, bool keep_bpf, char *err, size_t errlen)
{
	cap_value_t bpf = keep_bpf ? bpf_cap_held() : -1;
	cap_t caps;
	int ret;

	keep_bpf = bpf >= 0;
	/* the bounding set can only shrink while we hold CAP_SETPCAP */
	for (cap_value_t c = 0; CAP_IS_SUPPORTED(c); c++)
		if (!(keep_bpf && c == bpf) && cap_drop_bound(c) && errno != EPERM &&
		    errno != EINVAL)
			break;
	if (keep_bpf)
		prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
	if (user) {
		ret = switch_user(user, err, errlen);
		if (ret)
			return ret;
	}
	caps = cap_init();	/* all clear */
	if (!caps) {
		snprintf(err, errlen, "failed to drop capabilities: %s", strerror(errno));
		return -errno;
	}
	if (keep_bpf) {
		cap_set_flag(caps, CAP_PERMITTED, 1, &bpf, CAP_SET);
		cap_set_flag(caps, CAP_EFFECTIVE, 1, &bpf, CAP_SET);
	}
	ret = cap_set_proc(caps);
	cap_free(caps);
	if (ret) {
		snprintf(err, errlen, "failed to drop capabilities: %s", strerror(errno));
		return -errno;
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "failed to set no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}
