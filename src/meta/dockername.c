// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Docker container names through a small helper process; see meta/dockername.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include "meta/container.h"
#include "meta/ctrname.h"
#include "meta/dockername.h"

#define CONFIG_MAX (4 << 20)	/* config.v2.json holds the environment: allow a few MiB */
#define READ_DEADLINE_MS 500	/* a reader of one file that takes longer is killed */
#define ASK_DEADLINE_MS	1000	/* the helper's answer, which comes within READ_DEADLINE_MS */

/* The one helper of this process: what dockername__restart() needs. */
static struct {
	int fd;
	pid_t pid;
	char root[PATH_MAX];
} helper = { .fd = -1 };

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
	/* never a FIFO or a device: opened without blocking, then only a regular file is read */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	{
		struct stat st;

		if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			close(fd);
			return -EINVAL;
		}
	}
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

/*
 * The name of id, read by a child of the helper within READ_DEADLINE_MS: a
 * read that hangs (a file system that does not answer) costs that child,
 * killed at the deadline, never the helper. 0 or -errno.
 */
static int read_in_child(const char *root, const char *id, char *out, size_t outlen)
{
	struct pollfd pfd = { .events = POLLIN };
	int p[2], r, ret = -ENOENT;
	ssize_t n = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(p[0]);
		close(p[1]);
		return ret;
	}
	if (!pid) {
		char name[CTR_NAME_MAX];

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		alarm(1 + READ_DEADLINE_MS / 1000);	/* and the helper's SIGKILL before that */
		if (dockername__read(root, id, name, sizeof(name)))
			_exit(1);
		_exit(write(p[1], name, strlen(name)) < 0);
	}
	close(p[1]);
	pfd.fd = p[0];
	do
		r = poll(&pfd, 1, READ_DEADLINE_MS);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		n = read(p[0], out, outlen - 1);
	if (n > 0) {
		out[n] = '\0';
		ret = 0;
	}
	close(p[0]);
	kill(pid, SIGKILL);	/* not reaped yet: pid is still this child */
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return ret;
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
		if (valid_id(req, n) && !read_in_child(root, req, ans + 1, sizeof(ans) - 1))
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
	if (strlen(root) >= sizeof(helper.root))
		return -ENAMETOOLONG;
	if (snprintf(dir, sizeof(dir), "%s/containers", root) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
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
		signal(SIGCHLD, SIG_DFL);	/* its readers are waited for */
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
	helper.fd = sv[0];
	helper.pid = pid;
	snprintf(helper.root, sizeof(helper.root), "%s", root);
	return sv[0];
}

int dockername__restart(int fd)
{
	if (fd < 0 || fd != helper.fd || !helper.root[0])
		return -EINVAL;
	close(fd);
	helper.fd = -1;
	if (helper.pid > 0) {
		kill(helper.pid, SIGKILL);
		while (waitpid(helper.pid, NULL, 0) < 0 && errno == EINTR)
			;
		helper.pid = 0;
	}
	return dockername__spawn(helper.root);
}

void dockername__close(int fd)
{
	if (fd < 0)
		return;
	close(fd);
	if (fd != helper.fd)
		return;
	helper.fd = -1;
	if (helper.pid > 0) {	/* it exits at the end of its socket: reap it */
		kill(helper.pid, SIGKILL);
		while (waitpid(helper.pid, NULL, 0) < 0 && errno == EINTR)
			;
		helper.pid = 0;
	}
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
		r = poll(&pfd, 1, ASK_DEADLINE_MS);
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
