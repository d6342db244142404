/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The sampling core every output reads: each interval it reads the BPF state,
 * the energy sensor and the topology, and fills one struct sample.
 * Outputs format a sample; they never measure.
 */
#ifndef __SAMPLER_H
#define __SAMPLER_H

#include <linux/types.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include "kernel/accounting.h"
#include "meta/cgroup.h"
#include "meta/cgroupv1.h"
#include "meta/ctrnames.h"
#include "procs/procinfo.h"
#include "energy/attribution.h"
#include "energy/baseline.h"
#include "energy/baseline_state.h"
#include "kernel/probe.h"
#include "procs/proctable.h"
#include "sample/guests.h"
#include "sample/sample.h"
#include "sample/wholebox.h"
#include "energy/sensor.h"
#include "lib/strpool.h"
#include "kernel/topology.h"

struct sampler_opts {
	double interval_s;
	const char *powercap_root;	/* default /sys/class/powercap */
	const char *cpu_root;		/* default /sys/devices/system/cpu */
	const char *sensors;		/* --sensor: NULL or "auto", or a list of names */
	const char *hwmon_root;		/* default /sys/class/hwmon */
	const char *nvml_library;	/* NULL: libnvidia-ml.so.1 */
	double tdp_w;			/* model: watts per socket at full load; <= 0: default */
	double idle_w;			/* package idle baseline per socket; < 0: learn (rapl)
					 * or default (model) */
	bool spread_idle;		/* give the idle baseline to processes too */
	const char *state_file;		/* keep the baselines' fits here across restarts */
	__u32 max_procs;
	enum probe_attach attach;
	bool need_exe;			/* resolve proc.exe for every process (--group-by exe);
					 * may change while sampling if may_need_exe */
	bool may_need_exe;		/* need_exe may be set later: BPF follows executables
					 * from the start (only the loader can give it that) */
	const char *log_root;		/* kubelet's pods/ and containers/ (names); NULL: none */
	const char *docker_root;	/* Docker's containers/<id>/config.v2.json; NULL: none */
	bool need_self;			/* read the agent's own resource use into sample.self */
	bool load_apart;		/* load BPF in a child: see probe_opts (the agent does) */
	bool verbose;
};

#define SAMPLER_MAX_EXES	16384	/* distinct executables kept; beyond, /proc's */

struct carry;

struct pid_key {
	__u32 tgid;
	__u64 start_ns;
};

/* After a sample of more processes than this, one with under a quarter as many gives
 * back what the allocator holds free (sampler__done). */
#define SAMPLER_TRIM_PROCS 1024
/* Processes looked for in /proc per interval after records were lost (a few ms). */
#define SAMPLER_LOST_CHECKS 1024

struct sampler {
	struct sampler_opts opts;
	struct topology topo;
	struct probe probe;
	struct acct acct;
	struct proctable pt;
	struct sensor_set sensors;
	struct baseline pkg_fit[WP_MAX_SOCKETS], dram_fit[WP_MAX_SOCKETS], psys_fit;
	struct baseline_kept kept;	/* --state-file's blocks of owners this run has not */
	__u64 state_saved_ns;		/* CLOCK_MONOTONIC of the last write of --state-file */
	__u64 updated_ns, update_period_ns;	/* the sensor's last move (sensor_reading) */
	bool state_warned;
	__u64 last_mono;
	struct timespec started;	/* CLOCK_REALTIME of the first read (sample.started) */
	__u64 *iv_cpu_busy;		/* this interval's process time, per CPU */
	__u64 last_dropped;
	struct proc **order;		/* backing store of sample.procs */
	struct sample cur;
	struct cgroup_cache *cgroups;	/* cgroup id -> path */
	struct procinfo *procinfo;	/* cmdline and exe, read once per process */
	struct cgroup_v1 *cgroups_v1;	/* v1 paths where the v2 tree holds nothing */
	struct ctrnames *names;		/* container and pod names */
	struct guests guests;		/* the host's virtual machines */
	bool foreign_pidns;		/* not the host's PID namespace: no /proc/PID reads */
	bool cgroup_warned;		/* said that no cgroup path can be resolved */
	bool cgroupns_warned;		/* said that v1 paths are outside our cgroup namespace */
	struct strpool *exes;		/* executables from BPF, one copy each */
	__u64 socket_total_uj[WP_MAX_SOCKETS][ENERGY_NR_DOMAINS];
	__u64 energy_total_uj, idle_total_uj, psys_total_uj, busy_total_ns;
	struct sensor_reading rd;	/* this interval's, of every sensor */
	struct wholebox box;		/* GPUs and the platform's remainder */
	/* the drain thread (sampler__start) and what it shares with sampling: the BPF
	 * state, acct and the table, under lock; a sample's processes are the table's
	 * entries, which the drain thread leaves alone while it is published */
	pthread_mutex_t lock;
	pthread_t drain;
	bool draining;
	bool boosted;			/* sampler__boost_drain() gave the caller the drain's
					 * niceness; caller_nice is its own */
	int caller_nice;
	int stop_fd;
	bool published;			/* from sampler__sample() to sampler__done() */
	bool trimmed;			/* the table gave pages back this interval */
	bool told_new_socket;		/* warned of a socket the table keeps no figures of */
	__u32 big_procs;		/* most processes of a sample since the last trim */
	__u32 lost_window;		/* intervals left to look for exits lost with records */
	__u32 short_left;		/* intervals left whose CPU time may be late (learn.h) */
	__u64 short_seen;		/* acct.dropped at the last interval */
	struct carry *carries;		/* time held back for the next interval */
	__u32 nr_carries, cap_carries;
	struct pid_key *gone;		/* processes that left the table this interval */
	__u32 nr_gone, cap_gone;
};

/*
 * A sampler's memory, zeroed and not yet touched (NULL: out of memory). It is 220 KB, most
 * of it fits, readings and GPU shares for WP_MAX_SOCKETS sockets and every GPU there could
 * be; a machine touches what it has. On the stack, or cleared by the open, it was all
 * resident. sampler__release(): after sampler__close() (NULL: nothing).
 */
struct sampler *sampler__alloc(void);
void sampler__release(struct sampler *s);
/* Load BPF, open the sensor, take a first reading. err gets a one-line reason. s: any
 * memory (cleared here), or sampler__alloc()'s (left untouched). */
int sampler__open(struct sampler *s, const struct sampler_opts *o, char *err, size_t errlen);
/*
 * The drain thread runs at nice SAMPLER_DRAIN_NICE where the agent may (CAP_SYS_NICE: as
 * root, before the privilege drop). 10,000 processes that end at once are 10,000 runnable
 * tasks beside it: at nice 0 it ran too late, the ring buffer filled and 1,000-9,000 of
 * their records were dropped (4 of 5 runs of bench/arrivals.sh's flood here), at -20 none
 * (5 of 5); -10 was not enough. A thread takes the niceness of the thread that makes it, so
 * this gives the calling thread the drain's (before the drop, and before forking nothing
 * else), and sampler__start() gives it its own back once the thread is made. Without the
 * privilege, nothing changes.
 */
#define SAMPLER_DRAIN_NICE (-20)
void sampler__boost_drain(struct sampler *s);
/*
 * Start draining the BPF ring buffer continuously in a thread of its own, whatever the
 * interval. Call after the privilege drop: a thread keeps the capabilities it was created
 * with. Without it, records are drained at each sample only (tests, benchmarks).
 */
int sampler__start(struct sampler *s, char *err, size_t errlen);
/* Take one sample into s->cur (the previous one is gone, its interval ended if
 * sampler__done() was not called). Its processes are the table's entries, not copies
 * (10,000 processes in a flood: 5 MB): the drain thread queues what it takes from the
 * ring buffer and charges none of them until sampler__done(). 0 or -errno. */
int sampler__sample(struct sampler *s);
/*
 * A sensor whose counters move once per period (a host's export for this guest): the
 * CLOCK_MONOTONIC time half a period after the last move, best to read at (or at that plus
 * whole periods), and the period. 0, or -ENOENT for a sensor that moves all the time.
 */
int sampler__phase(const struct sampler *s, __u64 *mono_ns, __u64 *period_ns);
/*
 * Of process tgid's time, what the sample held back for the next interval (a CPU is
 * never charged more than the interval: within_capacity() in sampler.c); from
 * sampler__sample() to sampler__done(), which charges it to the next interval.
 */
__u64 sampler__held_back(const struct sampler *s, __u32 tgid);
/* Outputs are done with s->cur: the interval ends, the next one starts. */
void sampler__done(struct sampler *s);
void sampler__close(struct sampler *s);

/* Read the command line of p, a process of the current sample (the view shows
 * it: call after view__build(), before the outputs), once per process, from the
 * cache: p->cmdline. Anything else is left alone. */
void sampler__resolve_cmdline(struct sampler *s, const struct proc *p);

#endif /* __SAMPLER_H */
