/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Docker's name of a container, from <docker-root>/containers/<id>/config.v2.json.
 *
 * Docker keeps that file root-only (0600, in 0710 folders), and the agent drops to
 * another user after start-up. So before it drops, the agent forks a helper that
 * keeps the right to read it and nothing else: it holds no capability (as root, it
 * reads the file as its owner) or CAP_DAC_READ_SEARCH alone (started as another user
 * with it, as the systemd unit does), no_new_privs, an empty bounding set where
 * CAP_SETPCAP allows, no other descriptor. It answers one question: the name of a
 * container id (64 hex digits, checked). It exits when the agent closes its end.
 *
 * It opens nothing itself: each file is read by a child of its own, killed after
 * 500 ms, which opens it without blocking and reads it only if it is a regular
 * file (a FIFO as a config.v2.json held the helper in open() for ever, and every
 * container lost its name for the rest of the run). Should the helper die all the
 * same, dockername__restart() starts another (with the privileges the agent has
 * then: after a drop to --user, it reads what that user may read).
 */
#ifndef __DOCKERNAME_H
#define __DOCKERNAME_H

#include <stddef.h>

/*
 * Read it directly. 0, -ENOENT (no such container, or no name), -EINVAL (a bad id,
 * not a regular file), -EACCES...
 */
int dockername__read(const char *root, const char *id, char *out, size_t outlen);

/*
 * Fork the helper for root. Its socket, or -ENOENT when <root>/containers cannot be
 * read now (no Docker here: not an error), or another -errno.
 */
int dockername__spawn(const char *root);

/* Ask the helper (1 s at most). 0, -ENOENT when it has no name, -EPIPE when it is gone. */
int dockername__ask(int fd, const char *id, char *out, size_t outlen);
/* End the helper of fd (as dockername__spawn() returned it) and start another: its socket. */
int dockername__restart(int fd);
/* Close fd and end its helper. */
void dockername__close(int fd);

#endif /* __DOCKERNAME_H */
