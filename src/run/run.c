// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * `wattprobe run -- COMMAND`: like time(1), for joules.
 *
 * The command runs in a cgroup v2 of its own, made below wattprobe's own cgroup
 * (so whatever limits apply to wattprobe apply to it too), and everything it
 * starts stays there: the BPF program records each process's cgroup, so the
 * command's share is the sum over the processes of that cgroup (or below it),
 * short-lived ones included, whoever reaps them.
 *
 * Order of things, and why:
 *   1. load BPF, open the energy files, make the cgroup (privileged);
 *   2. fork the command while wattprobe still has the credentials it was
 *      started with: the child joins the cgroup, then waits on a pipe;
 *   3. the parent drops its own privileges (capabilities, bounding set,
 *      no_new_privs) and only then starts anything else (no threads before);
 *      removing the cgroup at the end may need CAP_DAC_OVERRIDE (the root of
 *      the cgroup2 mount is mode 0555): a keeper process forked before the
 *      drop holds that one capability and nothing else, reads nothing but
 *      the end of a pipe, and removes the cgroup when wattprobe is done or
 *      dies;
 *   4. the parent says go: the child restores the signal mask and resource
 *      limits wattprobe found, takes the identity asked for (--user, or the
 *      real IDs if wattprobe was setuid) and execs the command, which so has
 *      exactly what it would have had without wattprobe.
 * The command inherits stdin, stdout, stderr and every descriptor wattprobe
 * inherited; none of wattprobe's own (BPF maps, energy files, cgroup files).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "http/client.h"
#include "lib/deadline.h"
#include "lib/privs.h"
#include "run/pushgw.h"
#include "run/run.h"
#include "run/runstat.h"
#include "lib/util.h"

const char run__manual[] =
"    wattprobe run starts COMMAND with ARGS, waits for it like time(1), and\n"
"    then writes on stderr (or -o FILE, or as JSON with --json) its wall time,\n"
"    the CPU time of the command and of every process it started (short-lived\n"
"    ones too, to the nanosecond), the energy attributed to them by their CPU\n"
"    time and their average power, apart from that their share of the idle\n"
"    baseline (the baseline times the share of the CPUs' time they used),\n"
"    the highest power over one interval (-i, default 1 s), the biggest\n"
"    consumers by name (-n, default 5), and the sensor (\"estimated\" for the\n"
"    power model). With -i it also writes a progress line per interval on\n"
"    stderr.\n"
"\n"
"    The command runs in a cgroup v2 of its own, below wattprobe's (\"0::\" in\n"
"    /proc/self/cgroup, under the cgroup2 mount: /sys/fs/cgroup or\n"
"    /sys/fs/cgroup/unified), and every process it starts is counted while it\n"
"    is there. Processes still there when the command ends are moved back to\n"
"    wattprobe's cgroup and counted up to then; one that moves itself to\n"
"    another cgroup is no longer counted. The command inherits stdin, stdout,\n"
"    stderr and the descriptors wattprobe inherited. SIGINT, SIGTERM, SIGHUP,\n"
"    SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR,\n"
"    SIGWINCH and SIGURG sent to wattprobe are passed on to the command (not\n"
"    those a terminal sends to its whole process group: the command got them\n"
"    already); wattprobe itself ends when the command does, with its summary.\n"
"\n"
"    --push URL puts the summary in a Prometheus Pushgateway (PUT of the group\n"
"    job=--job, default the command's name, and the --label pairs), so batch\n"
"    jobs are in the same Prometheus as the agents. A failed push is a warning.\n"
"    --carbon-intensity G (or WATTPROBE_CARBON_INTENSITY) adds grams of CO2e:\n"
"    energy in kWh times G. The figure is only as good as the G given.\n"
"\n"
"    Privileges: as the agent (CAP_BPF, CAP_PERFMON; root or CAP_DAC_READ_SEARCH\n"
"    for RAPL), and write access to its own cgroup (root, or a cgroup\n"
"    delegated to the user). The command is started before wattprobe drops\n"
"    its privileges and runs with exactly the identity and privileges it would\n"
"    have without wattprobe: same user, groups, capabilities (bounding and\n"
"    ambient sets included), no_new_privs, signal mask and resource limits;\n"
"    with --user NAME, as NAME with NAME's groups, HOME, USER and LOGNAME, like\n"
"    runuser -u NAME. The measuring side then drops every capability like the\n"
"    agent and starts threads only after that; a keeper process, forked\n"
"    before, holds CAP_DAC_OVERRIDE alone to remove the cgroup at the end.\n"
"\n"
"    Exit status: the command's own, or 128 + N if signal N ended it; 127 if\n"
"    COMMAND was not found, 126 if it could not be executed; 1 if wattprobe\n"
"    failed before the command started (no BPF, no cgroup2, ...), 2 for a usage\n"
"    error. A failed push or summary write is a warning and changes nothing.\n"
"\n"
"    Example: wattprobe run -i 5 --push http://127.0.0.1:9091 -- make -j8\n";

enum stage { STAGE_CGROUP = 1, STAGE_IDENTITY, STAGE_EXEC };

/* What the child says through the status pipe when it cannot go on. */
struct child_err {
	int stage;
	int err;
};

struct run {
	const struct run_opts *o;
	struct sampler s;
	bool sampler_open;
	struct runstat rs;

	/* what the command gets */
	bool have_user;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *user_name, *user_home;
	struct rlimit limits[RLIM_NLIMITS];
	bool have_limit[RLIM_NLIMITS];
	int *inherited;			/* descriptors wattprobe was started with */
	int nr_inherited;

	/* its cgroup */
	char own[PATH_MAX];		/* wattprobe's cgroup, below the mount */
	char rel[PATH_MAX + 64];	/* the command's */
	char name[64];
	int parent_fd;			/* wattprobe's cgroup directory */
	int procs_fd, events_fd, home_procs_fd;
	int cpustat_fd;			/* its cpu.stat, -1 if the kernel has none */
	__u64 cgroup_id;
	bool made;
	pid_t keeper;			/* removes the cgroup once keeper_fd is closed */
	int keeper_fd;

	int out_fd;
	sigset_t orig_mask;
	int sfd;
	pid_t pid;
	bool curl;		/* httpc__init() done */
	__u64 t0, t1;		/* CLOCK_MONOTONIC: the command let go, and its end (0: not yet) */
};

/* --- what wattprobe was started with ------------------------------------------------------- */

static bool is_inherited(const struct run *r, int fd)
{
	for (int i = 0; i < r->nr_inherited; i++)
		if (r->inherited[i] == fd)
			return true;
	return false;
}

/* The descriptors open now, before wattprobe opens any of its own. */
static int snapshot_fds(struct run *r)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int cap = 0, *v;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (r->nr_inherited == cap) {
			cap = cap ? cap * 2 : 16;
			v = realloc(r->inherited, cap * sizeof(*v));
			if (!v) {
				closedir(d);
				return -ENOMEM;
			}
			r->inherited = v;
		}
		r->inherited[r->nr_inherited++] = fd;
	}
	closedir(d);
	return 0;
}

/* Every descriptor wattprobe opened itself closes at exec, whoever opened it. */
static void cloexec_own_fds(const struct run *r)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name), fl;

		if (e->d_name[0] == '.' || fd == dirfd(d) || is_inherited(r, fd))
			continue;
		fl = fcntl(fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
	}
	closedir(d);
}

static void snapshot_limits(struct run *r)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		r->have_limit[i] = !getrlimit(i, &r->limits[i]);
}

static int resolve_user(struct run *r, char *err, size_t errlen)
{
	struct passwd *pw;
	int n = 0;

	if (!r->o->user)
		return 0;
	errno = 0;
	pw = getpwnam(r->o->user);
	if (!pw) {
		snprintf(err, errlen, "failed to find user '%s': %s", r->o->user,
			 errno ? strerror(errno) : "no such user in the passwd database");
		return -ENOENT;
	}
	r->uid = pw->pw_uid;
	r->gid = pw->pw_gid;
	r->user_name = strdup(pw->pw_name);
	r->user_home = strdup(pw->pw_dir);
	getgrouplist(pw->pw_name, pw->pw_gid, NULL, &n);
	r->groups = calloc(n + 1, sizeof(*r->groups));
	if (!r->user_name || !r->user_home || !r->groups) {
		snprintf(err, errlen, "failed to resolve user '%s': %s", r->o->user,
			 strerror(ENOMEM));
		return -ENOMEM;
	}
	r->ngroups = n + 1;
	if (getgrouplist(pw->pw_name, pw->pw_gid, r->groups, &r->ngroups) < 0) {
		snprintf(err, errlen, "failed to read the groups of user '%s'", r->o->user);
		return -EINVAL;
	}
	r->have_user = true;
	return 0;
}

/* --- the command's cgroup ------------------------------------------------------------------ */

/* wattprobe's own cgroup v2 path ("0::PATH" in /proc/self/cgroup). */
static int own_cgroup(char *out, size_t len)
{
	char buf[8192], *line, *save = NULL;
	int n = read_small_file("/proc/self/cgroup", buf, sizeof(buf));

	if (n < 0)
		return n;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::", 3))
			continue;
		if (line[3] != '/' || strlen(line + 3) >= len)
			return -EINVAL;
		snprintf(out, len, "%s", line + 3);
		return 0;
	}
	return -ENOENT;
}

static const char *cgroup_remedy(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return " (run as root, or from a cgroup delegated to your user)";
	case EROFS:
		return " (the cgroup2 file system is mounted read-only here: mount it read-write)";
	default:
		return "";
	}
}

static int make_cgroup(struct run *r, char *err, size_t errlen)
{
	const char *mount = cgroup_cache__root(r->s.cgroups);
	char path[PATH_MAX], file[128];
	struct stat st;
	int ret;

	if (!mount) {
		snprintf(err, errlen, "failed to find a cgroup2 mount: wattprobe run puts the "
			 "command in a cgroup v2 of its own (mount one: mount -t cgroup2 none "
			 "/sys/fs/cgroup/unified)");
		return -ENOENT;
	}
	ret = own_cgroup(r->own, sizeof(r->own));
	if (ret) {
		snprintf(err, errlen, "failed to find wattprobe's cgroup v2 in /proc/self/cgroup: "
			 "%s", strerror(-ret));
		return ret;
	}
	if (snprintf(path, sizeof(path), "%s%s", mount, strcmp(r->own, "/") ? r->own : "") >=
	    (int)sizeof(path)) {
		snprintf(err, errlen, "failed to make a cgroup: the path of wattprobe's is too long");
		return -ENAMETOOLONG;
	}
	r->parent_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->parent_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to open the cgroup %.512s: %s", path, strerror(errno));
		return ret;
	}
	/* a name no other run has; one left by a run that was killed is tried past */
	for (int i = 0; i < 100; i++) {
		if (i)
			snprintf(r->name, sizeof(r->name), "wattprobe-run-%d.%d", (int)getpid(), i);
		else
			snprintf(r->name, sizeof(r->name), "wattprobe-run-%d", (int)getpid());
		if (!mkdirat(r->parent_fd, r->name, 0755)) {
			r->made = true;
			break;
		}
		if (errno != EEXIST)
			break;
	}
	if (!r->made) {
		ret = -errno;
		snprintf(err, errlen, "failed to make the cgroup %.512s/%s: %s%s", path, r->name,
			 strerror(errno), cgroup_remedy(errno));
		return ret;
	}
	snprintf(r->rel, sizeof(r->rel), "%s/%s", strcmp(r->own, "/") ? r->own : "", r->name);
	if (fstatat(r->parent_fd, r->name, &st, 0)) {
		ret = -errno;
		snprintf(err, errlen, "failed to read the cgroup %.512s/%s: %s", path, r->name,
			 strerror(errno));
		return ret;
	}
	r->cgroup_id = st.st_ino;	/* a cgroup's id is its directory's inode (kernfs) */
	/* opened now: the kernel checks moves against the credentials files were opened with */
	snprintf(file, sizeof(file), "%s/cgroup.procs", r->name);
	r->procs_fd = openat(r->parent_fd, file, O_WRONLY | O_CLOEXEC);
	snprintf(file, sizeof(file), "%s/cgroup.events", r->name);
	r->events_fd = openat(r->parent_fd, file, O_RDONLY | O_CLOEXEC);
	r->home_procs_fd = openat(r->parent_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	snprintf(file, sizeof(file), "%s/cpu.stat", r->name);
	r->cpustat_fd = openat(r->parent_fd, file, O_RDONLY | O_CLOEXEC);
	if (r->procs_fd < 0 || r->events_fd < 0 || r->home_procs_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "failed to open the files of the cgroup %.512s/%s: %s%s", path,
			 r->name, strerror(errno), cgroup_remedy(errno));
		return ret;
	}
	return 0;
}

/* 1 while a process is in the cgroup, 0 once none is, -errno. */
static int populated(const struct run *r)
{
	char buf[256], *p;
	ssize_t n = pread(r->events_fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	p = strstr(buf, "populated ");
	return p ? p[10] == '1' : -EINVAL;
}

/* The kernel's account of the CPU time spent in the cgroup (cpu.stat, microseconds). */
static bool cgroup_cpu(const struct run *r, struct run_info *ri)
{
	char buf[1024], *p;
	ssize_t n;

	if (r->cpustat_fd < 0)
		return false;
	n = pread(r->cpustat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	p = strstr(buf, "usage_usec ");
	if (!p || sscanf(p, "usage_usec %llu", &ri->cgroup_usage_us) != 1)
		return false;
	p = strstr(buf, "user_usec ");
	if (p)
		sscanf(p, "user_usec %llu", &ri->cgroup_user_us);
	p = strstr(buf, "system_usec ");
	if (p)
		sscanf(p, "system_usec %llu", &ri->cgroup_system_us);
	return true;
}

/* Move what is left in the cgroup back to wattprobe's; the number moved. */
static __u32 move_back(struct run *r)
{
	char file[128], buf[65536], *line, *save = NULL;
	__u32 moved = 0;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "%s/cgroup.procs", r->name);
	fd = openat(r->parent_fd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (write(r->home_procs_fd, line, strlen(line)) < 0) {
			if (errno != ESRCH)
				fprintf(stderr, "wattprobe: warning: failed to move process %s out of "
					"the cgroup %s: %s\n", line, r->rel, strerror(errno));
			continue;
		}
		moved++;
	}
	return moved;
}

/* Processes in the cgroup now. */
static __u32 count_procs(const struct run *r)
{
	char file[128], buf[65536];
	__u32 n = 0;
	ssize_t len;
	int fd;

	snprintf(file, sizeof(file), "%s/cgroup.procs", r->name);
	fd = openat(r->parent_fd, file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	for (ssize_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* 0, or -errno once the bound is reached. */
static int remove_cgroup(struct run *r)
{
	/* an exited task may keep the cgroup busy a moment: wait, with a bound */
	for (int i = 0; i < 100; i++) {
		if (!unlinkat(r->parent_fd, r->name, AT_REMOVEDIR)) {
			r->made = false;
			return 0;
		}
		if (errno != EBUSY)
			break;
		if (i % 20 == 19)
			move_back(r);
		usleep(10000);
	}
	fprintf(stderr, "wattprobe: warning: failed to remove the cgroup %s: %s; remove it with "
		"rmdir once it is empty\n", r->rel, strerror(errno));
	return -errno;
}

/* Keep CAP_DAC_OVERRIDE alone (if we have it), and nothing that can give more. */
static void keeper_privs(void)
{
	const cap_value_t keep = CAP_DAC_OVERRIDE;
	cap_t caps = cap_init();

	for (cap_value_t c = 0; CAP_IS_SUPPORTED(c); c++)
		if (c != keep)
			cap_drop_bound(c);
	if (caps) {
		cap_set_flag(caps, CAP_PERMITTED, 1, &keep, CAP_SET);
		cap_set_flag(caps, CAP_EFFECTIVE, 1, &keep, CAP_SET);
		if (cap_set_proc(caps)) {
			cap_clear(caps);
			cap_set_proc(caps);
		}
		cap_free(caps);
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The keeper: waits for the end of the pipe, moves out what is left, removes the cgroup. */
static __attribute__((noreturn)) void keeper(struct run *r, int fd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char c;
	int n;

	prctl(PR_SET_NAME, "wattprobe-cg", 0, 0, 0);
	/* nothing of wattprobe's but the cgroup: BPF, energy files and the rest go, and
	 * stdin and stdout, so that a reader of wattprobe's output is not kept waiting */
	n = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (n >= 0) {
		dup2(n, STDIN_FILENO);
		dup2(n, STDOUT_FILENO);
	}
	while (d && (e = readdir(d))) {
		n = atoi(e->d_name);
		if (e->d_name[0] != '.' && n > STDERR_FILENO && n != dirfd(d) && n != fd &&
		    n != r->parent_fd && n != r->home_procs_fd)
			close(n);
	}
	if (d)
		closedir(d);
	keeper_privs();
	while (read(fd, &c, 1) < 0 && errno == EINTR)
		;
	move_back(r);
	_exit(remove_cgroup(r) ? 1 : 0);
}

static int start_keeper(struct run *r, char *err, size_t errlen)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC)) {
		snprintf(err, errlen, "failed to make a pipe: %s", strerror(errno));
		return -errno;
	}
	fflush(NULL);
	r->keeper = fork();
	if (r->keeper < 0) {
		snprintf(err, errlen, "failed to start the process that removes the cgroup: %s",
			 strerror(errno));
		close(p[0]);
		close(p[1]);
		return -EAGAIN;
	}
	if (!r->keeper) {
		close(p[1]);
		keeper(r, p[0]);
	}
	close(p[0]);
	r->keeper_fd = p[1];
	return 0;
}

/* The cgroup goes: by the keeper, or by us if there is none (before the drop). */
static void end_cgroup(struct run *r)
{
	if (r->keeper > 0) {
		close(r->keeper_fd);
		waitpid(r->keeper, NULL, 0);
		r->keeper = 0;
		r->made = false;
	} else if (r->made) {
		move_back(r);
		remove_cgroup(r);
	}
}

/* --- the child ----------------------------------------------------------------------------- */

static __attribute__((noreturn)) void child_fail(int fd, int stage, int err)
{
	struct child_err e = { stage, err };

	if (write(fd, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(err == ENOENT ? 127 : 126);
}

static __attribute__((noreturn)) void child(struct run *r, int go, int status)
{
	char c;

	if (write(r->procs_fd, "0", 1) != 1)
		child_fail(status, STAGE_CGROUP, errno);
	/* nothing happens until the parent has dropped its privileges and is measuring */
	if (read(go, &c, 1) != 1)
		_exit(1);
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit now;

		/* libbpf may have raised RLIMIT_MEMLOCK (kernels before 5.11) */
		if (r->have_limit[i] && !getrlimit(i, &now) &&
		    (now.rlim_cur != r->limits[i].rlim_cur || now.rlim_max != r->limits[i].rlim_max))
			setrlimit(i, &r->limits[i]);
	}
	sigprocmask(SIG_SETMASK, &r->orig_mask, NULL);
	if (r->have_user) {
		if (setgroups(r->ngroups, r->groups) || setresgid(r->gid, r->gid, r->gid) ||
		    setresuid(r->uid, r->uid, r->uid))
			child_fail(status, STAGE_IDENTITY, errno);
		setenv("HOME", r->user_home, 1);
		setenv("USER", r->user_name, 1);
		setenv("LOGNAME", r->user_name, 1);
	} else if (getuid() != geteuid() || getgid() != getegid()) {
		/* a setuid or setgid wattprobe: the command gets the caller's real IDs */
		gid_t g = getgid();
		uid_t u = getuid();

		if (setresgid(g, g, g) || setresuid(u, u, u))
			child_fail(status, STAGE_IDENTITY, errno);
	}
	execvp(r->o->argv[0], r->o->argv);
	child_fail(status, STAGE_EXEC, errno);
}

/* --- the parent ---------------------------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

static void progress(struct run *r, __u64 elapsed_ns)
{
	struct pbuf b;
	struct jw w;

	if (r->o->json) {
		jw_init(&w);
		runstat__progress_json(&w, &r->rs, elapsed_ns);
		if (!w.err) {
			write_all(STDERR_FILENO, w.buf, w.len);
			write_all(STDERR_FILENO, "\n", 1);
		}
		jw_free(&w);
		return;
	}
	pbuf_init(&b);
	runstat__progress_text(&b, &r->rs, elapsed_ns);
	if (!b.err)
		write_all(STDERR_FILENO, b.buf, b.len);
	pbuf_free(&b);
}

/*
 * One sample into the totals; a failure is said once and the run goes on. The part
 * of its interval the command ran is the interval cut to [t0, t1]: the intervals so
 * cover the wall time the average is taken over, and the peak is taken over them.
 */
static void sample(struct run *r)
{
	static bool said;
	__u64 from = r->s.last_mono, to;
	int err = sampler__sample(&r->s);

	if (err) {
		if (!said)
			fprintf(stderr, "wattprobe: warning: failed to sample: %s; the summary "
				"will miss that time\n", strerror(-err));
		said = true;
		return;
	}
	to = r->s.last_mono;
	if (r->t1 && r->t1 < to)
		to = r->t1;
	if (from < r->t0)
		from = r->t0;
	runstat__add(&r->rs, &r->s.cur, r->t0 && to > from ? to - from : 0);
	sampler__done(&r->s);
}

/*
 * The signals passed on to the command: those a user sends to end, reload or
 * poke a program (the default action of all but SIGWINCH and SIGURG ends a
 * process: SIGUSR1 ended wattprobe without a summary and left the command
 * running). Not the job-control ones: a stop must stop wattprobe too.
 */
static const int forwarded[] = {
	SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGIO,
	SIGPWR, SIGWINCH, SIGURG,
};

/* Pass a signal on, unless the terminal sent it to the whole process group. */
static void forward(struct run *r, const struct signalfd_siginfo *si)
{
	if (si->ssi_code == SI_KERNEL || si->ssi_pid == (__u32)r->pid)
		return;
	kill(r->pid, si->ssi_signo);
}

/* Measure until the command ends; its wait status and rusage. */
static void wait_for(struct run *r, __u64 t0, int *status, struct rusage *ru)
{
	__u64 period = (__u64)(r->s.opts.interval_s * NSEC_PER_SEC), deadline = t0 + period;

	for (;;) {
		__u64 now = now_ns(CLOCK_MONOTONIC);
		struct timespec ts = { 0, 0 };
		struct pollfd pfd = { .fd = r->sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		int n;

		if (deadline > now)
			ts = (struct timespec){ (deadline - now) / NSEC_PER_SEC,
						(deadline - now) % NSEC_PER_SEC };
		n = ppoll(&pfd, 1, &ts, NULL);
		if (n > 0 && read(r->sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGCHLD) {
				forward(r, &si);
				continue;
			}
			/* SIGCHLD: several exits may share one */
			if (wait4(r->pid, status, WNOHANG, ru) == r->pid)
				return;
			continue;
		}
		if (n < 0 && errno != EINTR) {
			/* cannot wait on signals: wait for the command alone */
			wait4(r->pid, status, 0, ru);
			return;
		}
		if (now_ns(CLOCK_MONOTONIC) < deadline)
			continue;
		sample(r);
		if (r->o->progress)
			progress(r, now_ns(CLOCK_MONOTONIC) - t0);
		deadline = deadline_next(deadline, period, now_ns(CLOCK_MONOTONIC));
	}
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

static void push(struct run *r, const struct run_info *ri)
{
	const char *job = r->o->job ? r->o->job : base_name(r->o->argv[0]);
	char err[512], shown[1024];
	struct pbuf b;
	size_t n;
	char *url;

	pbuf_init(&b);
	runstat__prom(&b, &r->rs, ri);
	n = pushgw__url(NULL, 0, r->o->push_url, job, r->o->labels, r->o->nr_labels);
	url = malloc(n + 1);
	pushgw__redact(shown, sizeof(shown), r->o->push_url);
	if (!url || b.err) {
		fprintf(stderr, "wattprobe: warning: failed to push to %s: %s\n", shown,
			strerror(ENOMEM));
		goto cleanup;
	}
	pushgw__url(url, n + 1, r->o->push_url, job, r->o->labels, r->o->nr_labels);
	if (httpc__put(url, PUSHGW_CONTENT_TYPE, b.buf, b.len, 10, err, sizeof(err)))
		fprintf(stderr, "wattprobe: warning: failed to push the summary to the Pushgateway "
			"at %s: %s\n", shown, err);
cleanup:
	free(url);
	pbuf_free(&b);
}

static void summary(struct run *r, const struct run_info *ri)
{
	const char *where = r->o->output ? r->o->output : "stderr";
	struct pbuf b;
	struct jw w;
	int err;

	if (r->o->json) {
		jw_init(&w);
		runstat__json(&w, &r->rs, ri);
		err = w.err;
		if (!err)
			err = write_all(r->out_fd, w.buf, w.len);
		if (!err)
			err = write_all(r->out_fd, "\n", 1);
		jw_free(&w);
	} else {
		pbuf_init(&b);
		runstat__text(&b, &r->rs, ri);
		err = b.err ? b.err : write_all(r->out_fd, b.buf, b.len);
		pbuf_free(&b);
	}
	if (!err && r->o->output && fsync(r->out_fd) && errno != EINVAL)
		err = -errno;
	if (err && err != -EPIPE)
		fprintf(stderr, "wattprobe: warning: failed to write the summary to %s: %s\n", where,
			strerror(-err));
}

static int fail(const char *err)
{
	fprintf(stderr, "wattprobe: %s\n", err);
	return 1;
}

/* What wattprobe needs before the command starts: its identity, the summary's file, libcurl
 * for --push, the sampler. 0, or 1 with the reason said. */
static int prepare(struct run *r, const struct sampler_opts *so)
{
	const struct run_opts *o = r->o;
	char err[1024] = "";

	/* what the command is to get, before wattprobe changes anything */
	snapshot_limits(r);
	if (snapshot_fds(r)) {
		fprintf(stderr, "wattprobe: failed to list /proc/self/fd: %s\n", strerror(errno));
		return 1;
	}
	if (resolve_user(r, err, sizeof(err)))
		return fail(err);
	if (o->output) {
		r->out_fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (r->out_fd < 0) {
			fprintf(stderr, "wattprobe: failed to open %s for the summary: %s\n",
				o->output, strerror(errno));
			return 1;
		}
	}
	if (o->push_url) {
		char why[sizeof(err) - 16];

		if (httpc__init(why, sizeof(why))) {
			snprintf(err, sizeof(err), "--push needs %s", why);
			return fail(err);
		}
		r->curl = true;
	}
	if (sampler__open(&r->s, so, err, sizeof(err)))
		return fail(err);
	r->sampler_open = true;
	return 0;
}

/*
 * The command's cgroup, its keeper and its signals (they wait in a signalfd; the child
 * puts the mask back before exec), and the pipes to start it. 0, or 1 with the reason said.
 */
static int setup(struct run *r, const struct sampler_opts *so, int go[2], int st[2])
{
	char err[1024] = "";
	sigset_t mask;

	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(forwarded); i++)
		sigaddset(&mask, forwarded[i]);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGPIPE);	/* a closed stderr must not kill us before the status */
	sigprocmask(SIG_BLOCK, &mask, &r->orig_mask);
	sigdelset(&mask, SIGPIPE);
	if (make_cgroup(r, err, sizeof(err)) || start_keeper(r, err, sizeof(err)))
		return fail(err);
	if (runstat__init(&r->rs, r->cgroup_id, r->rel,
			  (__u64)(so->interval_s * NSEC_PER_SEC) / 2))
		return fail("failed to allocate the run's totals: Cannot allocate memory");
	r->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (r->sfd < 0 || pipe2(go, O_CLOEXEC) || pipe2(st, O_CLOEXEC)) {
		fprintf(stderr, "wattprobe: failed to set up the signals and pipes: %s\n",
			strerror(errno));
		return 1;
	}
	cloexec_own_fds(r);
	fflush(NULL);
	return 0;
}

/* The child could not start the command: say why; the exit status. */
static int not_started(struct run *r, const struct child_err *ce)
{
	waitpid(r->pid, NULL, 0);
	if (ce->stage == STAGE_EXEC) {
		fprintf(stderr, "wattprobe: failed to run '%s': %s\n", r->o->argv[0],
			strerror(ce->err));
		return ce->err == ENOENT ? 127 : 126;
	}
	if (ce->stage == STAGE_CGROUP)
		fprintf(stderr, "wattprobe: failed to move the command into the cgroup %s: %s%s\n",
			r->rel, strerror(ce->err), cgroup_remedy(ce->err));
	else
		fprintf(stderr, "wattprobe: failed to switch to user '%s': %s\n",
			r->o->user ? r->o->user : "(real IDs)", strerror(ce->err));
	return 1;
}

/*
 * Fork the command (it waits on go), give up the measuring side's privileges, start
 * the sampler's thread, take the first sample and let the command go. 0 once it runs
 * (*t0: when), else its exit status with the reason said.
 */
static int start(struct run *r, int go[2], int st[2], __u64 *t0)
{
	char err[1024] = "";
	struct child_err ce;
	ssize_t n;

	r->pid = fork();
	if (r->pid < 0) {
		fprintf(stderr, "wattprobe: failed to start the command: %s\n", strerror(errno));
		return 1;
	}
	if (!r->pid) {
		close(go[1]);
		close(st[0]);
		child(r, go[0], st[1]);
	}
	close(go[0]);
	close(st[1]);
	go[0] = st[1] = -1;

	/* the command has its credentials; the measuring side gives up its own, and starts
	 * threads only then: each keeps the capabilities it was made with (and the drain
	 * thread the priority this one has now) */
	sampler__boost_drain(&r->s);
	if (privs__drop(NULL, privs__kernel_needs_bpf_cap(), err, sizeof(err)) ||
	    sampler__start(&r->s, err, sizeof(err))) {
		fail(err);
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		return 1;
	}
	sample(r);		/* from here on, intervals are the command's */
	*t0 = r->t0 = now_ns(CLOCK_MONOTONIC);
	if (write(go[1], "g", 1) != 1 && errno != EPIPE) {
		fprintf(stderr, "wattprobe: failed to start the command: %s\n", strerror(errno));
		kill(r->pid, SIGKILL);
	}
	close(go[1]);
	go[1] = -1;
	do
		n = read(st[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	return n == sizeof(ce) ? not_started(r, &ce) : 0;
}

/* Measure until the command ends, then the summary (and the push). Its exit status. */
static int finish(struct run *r, __u64 t0)
{
	struct run_info ri = { .argv = r->o->argv, .carbon = r->o->carbon, .top = r->o->top };
	struct rusage ru = {};
	int status = 0;
	__u64 t1;

	wait_for(r, t0, &status, &ru);
	t1 = r->t1 = now_ns(CLOCK_MONOTONIC);
	clock_gettime(CLOCK_REALTIME, &ri.end);
	/* the last processes leave the cgroup, then switch out for the last time */
	for (int i = 0; i < 20 && populated(r) == 1; i++)
		usleep(5000);
	usleep(10000);
	sample(r);
	ri.have_cgroup_cpu = cgroup_cpu(r, &ri);
	ri.left_running = count_procs(r);
	end_cgroup(r);

	ri.wall_ns = t1 - t0;
	ri.have_rusage = true;
	ri.utime = ru.ru_utime;
	ri.stime = ru.ru_stime;
	ri.maxrss_kb = ru.ru_maxrss;
	ri.cgroup = r->rel;
	if (WIFSIGNALED(status)) {
		ri.signal = WTERMSIG(status);
		ri.exit_code = 128 + ri.signal;
	} else {
		ri.exit_code = WEXITSTATUS(status);
	}
	summary(r, &ri);
	if (r->o->push_url)
		push(r, &ri);
	return ri.exit_code;
}

static void release(struct run *r, int go[2], int st[2])
{
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (st[i] >= 0)
			close(st[i]);
	}
	if (r->sfd >= 0)
		close(r->sfd);
	end_cgroup(r);
	if (r->procs_fd >= 0)
		close(r->procs_fd);
	if (r->events_fd >= 0)
		close(r->events_fd);
	if (r->home_procs_fd >= 0)
		close(r->home_procs_fd);
	if (r->cpustat_fd >= 0)
		close(r->cpustat_fd);
	if (r->parent_fd >= 0)
		close(r->parent_fd);
	if (r->out_fd != STDERR_FILENO && r->out_fd >= 0)
		close(r->out_fd);
	if (r->sampler_open)
		sampler__close(&r->s);
	runstat__free(&r->rs);
	if (r->curl)
		httpc__exit();
	free(r->groups);
	free(r->user_name);
	free(r->user_home);
	free(r->inherited);
}

int run__main(const struct run_opts *o, const struct sampler_opts *so)
{
	struct run r = { .o = o, .parent_fd = -1, .procs_fd = -1, .events_fd = -1,
			 .home_procs_fd = -1, .out_fd = STDERR_FILENO, .sfd = -1, .pid = -1,
			 .keeper_fd = -1, .cpustat_fd = -1 };
	int go[2] = { -1, -1 }, st[2] = { -1, -1 }, ret;
	__u64 t0;

	ret = prepare(&r, so);
	if (!ret)
		ret = setup(&r, so, go, st);
	if (!ret)
		ret = start(&r, go, st, &t0);
	if (!ret)
		ret = finish(&r, t0);
	/* the signal mask stays: a pending SIGPIPE must not end us before our status */
	release(&r, go, st);
	return ret;
}
