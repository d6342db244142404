// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --pid-file; see lib/pidfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/pidfile.h"

#define PIDFILE_MODE 0644	/* readable by whoever sends the signal */

int pidfile__holds(const char *text, size_t len, pid_t pid)
{
	char want[32];
	int n = snprintf(want, sizeof(want), "%d", (int)pid);

	if (len && text[len - 1] == '\n')
		len--;
	return n > 0 && len == (size_t)n && !memcmp(text, want, len);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

static const char *remedy(int err)
{
	switch (err) {
	case -EACCES:
	case -EPERM:
	case -EROFS:
		return " (choose a folder the agent may write, such as /run)";
	case -ENOENT:
	case -ENOTDIR:
		return " (its folder must exist)";
	case -EISDIR:
		return " (it is a folder: name a file)";
	default:
		return "";
	}
}

int pidfile__write(struct pidfile *pf, const char *path, char *err, size_t errlen)
{
	size_t n = path ? strlen(path) : 0;
	char *tmp, line[32];
	int fd, ret, len;

	pf->path = NULL;
	pf->pid = getpid();
	if (!path)
		return 0;
	tmp = malloc(n + 8);
	if (!tmp) {
		snprintf(err, errlen, "failed to write --pid-file %s: %s", path, strerror(ENOMEM));
		return -ENOMEM;
	}
	/* FILE.XXXXXX beside it: O_CREAT | O_EXCL, so a symlink planted there fails it */
	memcpy(tmp, path, n);
	memcpy(tmp + n, ".XXXXXX", 8);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto fail;
	}
	len = snprintf(line, sizeof(line), "%d\n", (int)pf->pid);
	ret = fchmod(fd, PIDFILE_MODE) ? -errno : write_all(fd, line, len);
	if (close(fd) && !ret)
		ret = -errno;
	/* rename replaces whatever FILE is, a symlink too, and never writes through it */
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret) {
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	pf->path = path;
	return 0;
fail:
	snprintf(err, errlen, "failed to write --pid-file %s: %s%s", path, strerror(-ret),
		 remedy(ret));
	free(tmp);
	return ret;
}

void pidfile__remove(struct pidfile *pf)
{
	char buf[64];
	ssize_t n;
	int fd;

	if (!pf->path)
		return;
	fd = open(pf->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		pf->path = NULL;
		return;		/* gone, or no longer a file of ours */
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0 && pidfile__holds(buf, n, pf->pid) && unlink(pf->path))
		fprintf(stderr, "wattprobe: warning: failed to remove --pid-file %s: %s%s\n",
			pf->path, strerror(errno),
			errno == EACCES ? " (after --user, that user must be able to write its "
					  "folder)" : "");
	pf->path = NULL;
}
