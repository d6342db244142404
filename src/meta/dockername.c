// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Docker container names through a small helper process; see meta/dockername.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include "meta/container.h"
#include "meta/ctrname.h"
#include "meta/dockername.h"

#define CONFIG_MAX (4 << 20)	/* config.v2.json holds the environment: allow a few MiB */

static bool valid_id(const char *id, size_t n)
{
	if (n != CG_CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

int dockername__read(const char *root, const char *id, char *out, size_t outlen)
{
	char path[PATH_MAX], *buf = NULL, *nb;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, err;

	if (!root || !id || !valid_id(id, strlen(id)))
		return -EINVAL;
	if (snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", root, id) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (cap - len < 4096) {
			if (cap >= CONFIG_MAX) {
				err = -EFBIG;
				goto cleanup;
			}
			cap = cap ? cap * 2 : 16384;
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				goto cleanup;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto cleanup;
		}
		if (!n)
			break;
		len += n;
	}
	err = ctrname_docker_config(buf, len, out, outlen);
cleanup:
	free(buf);
	close(fd);
	return err;
}

/* --- the helper ------------------------------------------------------------------- */

/* Keep CAP_DAC_READ_SEARCH where it is the only way to read the file; else nothing. */
static int helper_drop(void)
{
	const cap_value_t dac = CAP_DAC_READ_SEARCH;
	cap_flag_value_t have = CAP_CLEAR;
	bool keep;
	cap_t caps;
	int ret;

	caps = cap_get_proc();
	if (caps) {
		cap_get_flag(caps, dac, CAP_PERMITTED, &have);
		cap_free(caps);
	}
	keep = have == CAP_SET && getuid() != 0;	/* root reads it as its owner */
	for (cap_value_t c = 0; CAP_IS_SUPPORTED(c); c++)
		if (!(keep && c == dac))
			cap_drop_bound(c);	/* EPERM without CAP_SETPCAP: NNP below */
	caps = cap_init();
	if (!caps)
		return -errno;
	if (keep) {
		cap_set_flag(caps, CAP_PERMITTED, 1, &dac, CAP_SET);
		cap_set_flag(caps, CAP_EFFECTIVE, 1, &dac, CAP_SET);
	}
	ret = cap_set_proc(caps);
	cap_free(caps);
	if (ret)
		return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ? -errno : 0;
}

/* Requests: the 64 hex digits of an id. Answers: "+name", or "-". */
static void helper_serve(int fd, const char *root)
{
	char req[128], ans[CTR_NAME_MAX + 1];
	ssize_t n;

	for (;;) {
		n = recv(fd, req, sizeof(req) - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		req[n] = '\0';
		ans[0] = '-';
		if (valid_id(req, n) && !dockername__read(root, req, ans + 1, sizeof(ans) - 1))
			ans[0] = '+';
		else
			ans[1] = '\0';
		if (send(fd, ans, strlen(ans), MSG_NOSIGNAL) < 0)
			return;
	}
}

int dockername__spawn(const char *root)
{
	char dir[PATH_MAX];
	int sv[2], dfd;
	pid_t pid;

	if (!root || !*root)
		return -ENOENT;
	snprintf(dir, sizeof(dir), "%s/containers", root);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -ENOENT;
	close(dfd);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return -errno;
	}
	if (!pid) {
		pid_t parent = getppid();

		/* the agent's end, and everything else it holds, stays with the agent */
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGINT, SIG_IGN);	/* ^C in a terminal: the agent decides */
		signal(SIGTERM, SIG_IGN);
		prctl(PR_SET_NAME, "wattprobe-names", 0, 0, 0);
		if (helper_drop()) {
			fprintf(stderr, "wattprobe: failed to drop the privileges of the Docker name "
				"helper: %s\n", strerror(errno));
			_exit(1);
		}
		helper_serve(3, root);
		_exit(0);
	}
	close(sv[1]);
	return sv[0];
}

int dockername__ask(int fd, const char *id, char *out, size_t outlen)
{
	char ans[CTR_NAME_MAX + 2];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int r;

	if (fd < 0 || !id || !out || !outlen)
		return -EINVAL;
	if (send(fd, id, strlen(id), MSG_NOSIGNAL) < 0)
		return -EPIPE;
	do
		r = poll(&pfd, 1, 1000);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -EPIPE;
	n = recv(fd, ans, sizeof(ans) - 1, 0);
	if (n <= 0)
		return -EPIPE;
	ans[n] = '\0';
	if (ans[0] != '+' || !ctrname_valid_docker(ans + 1, n - 1) || (size_t)n - 1 >= outlen)
		return -ENOENT;
	memcpy(out, ans + 1, n);
	return 0;
}
