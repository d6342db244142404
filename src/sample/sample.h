/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * One interval, everything an output may show: the contract between the
 * sampler, which fills it (sample/sampler.h), and the outputs, which read it
 * and the view made of it (sample/view.h) and nothing else. Data only: no
 * function here measures anything.
 */
#ifndef __SAMPLE_H
#define __SAMPLE_H

#include <linux/types.h>
#include <stdbool.h>
#include <time.h>
#include "energy/domain.h"
#include "energy/gpusplit.h"	/* WP_MAX_GPUS */
#include "kernel/topology.h"	/* WP_MAX_SOCKETS */
#include "lib/selfstat.h"
#include "meta/container.h"
#include "procs/hypervisor.h"
#include "procs/proc.h"

#define SAMPLE_CURVE_POINTS	5	/* a learnt curve is shown at 0, 25, 50, 75, 100% */

/* A domain's idle baseline this interval, and how sure it is. */
struct sample_baseline {
	bool have;			/* the domain has a baseline (it is measured) */
	double idle_w;			/* the baseline */
	enum idle_source src;
	double prior_w;			/* the prior's idle watts; 0 if none */
	const char *prior_from;		/* what the prior comes from (a file, a flag, ...) */
	double prior_share;		/* 0 (the fit alone) .. 1 (the prior alone) */
	int intervals;			/* intervals the fit holds */
	int outliers;			/* of which left out as outliers */
	double util_spread;		/* standard deviation of utilisation over them */
	double residual_w;		/* the fit's residual scale */
	bool have_curve;		/* learnt: the curve and the range below are known */
	double idle_lo_w, idle_hi_w;	/* the range the idle baseline is in (95%) */
	double curve_w[SAMPLE_CURVE_POINTS];	/* power at 0, 25, 50, 75, 100% utilisation */
};

struct sample_socket {
	int id;				/* physical_package_id */
	int online_cpus;
	__u64 busy_ns;			/* processes' on-CPU time on this socket's CPUs */
	__u64 idle_ns;			/* the rest of its online CPUs' time */
	double util;			/* busy / (busy + idle) */
	/* energy of each domain this interval (ENERGY_PSYS is the host's, not here) */
	bool have[ENERGY_NR_DOMAINS];
	__u64 uj[ENERGY_NR_DOMAINS];
	__u64 total_uj[ENERGY_NR_DOMAINS];	/* since start, intervals with energy only */
	__u64 idle_uj;			/* energy reported as idle */
	__u64 idle_dom_uj[ENERGY_NR_DOMAINS];	/* of which the package's and DRAM's */
	__u64 procs_uj;			/* energy attributed to processes */
	double limit_w[ENERGY_NR_DOMAINS];	/* long-term power limits (RAPL's); 0 unknown */
	double idle_base_w;		/* = baseline[ENERGY_PACKAGE].idle_w */
	enum idle_source idle_src;	/* = baseline[ENERGY_PACKAGE].src */
	struct sample_baseline baseline[ENERGY_NR_DOMAINS];	/* package and dram */
	const char *gap;		/* why the package energy is missing, or NULL */
};

/*
 * A guest of this host (a KVM virtual machine, sample/guests.h) this interval: its processes'
 * time and attributed energy, and its share of the host's energy as --vm-export hands it to
 * the guest: dyn_uj + idle_uj of each domain (package and dram per guest, not per socket;
 * psys, the platform, where the host has it).
 */
struct sample_guest {
	struct vm_id id;		/* name, how it was found, vCPUs (0: unknown) */
	unsigned vcpus;			/* counted: id.vcpus, or 1 when unknown */
	__u32 members;			/* its processes that ran this interval */
	struct figures iv;		/* their time and energy, as the view's rows have them */
	__u64 sock[2 * WP_MAX_SOCKETS];	/* iv's per-socket figures (a few guests: every socket) */
	bool have;			/* the host's energy is known this interval */
	__u64 dyn_uj[ENERGY_NR_DOMAINS];	/* iv.uj split by domain; psys: its time's share */
	__u64 idle_uj[ENERGY_NR_DOMAINS];	/* its share of the idle baselines, by vCPUs */
	double limit_w[ENERGY_NR_DOMAINS];	/* its share of the host's limits, by vCPUs */
};

/* What --vm-export adds to a guest's counter of domain d this interval. */
static inline __u64 sample_guest__uj(const struct sample_guest *g, int d)
{
	return g->dyn_uj[d] + g->idle_uj[d];
}

/*
 * A GPU's interval (a sensor of the GPU role): its energy and how it was split,
 * idle + others + procs = uj to the microjoule when have.
 */
struct sample_gpu {
	int index;			/* NVML's */
	const char *name, *uuid;	/* "" when NVML does not say */
	bool have;			/* its energy is known this interval */
	__u64 uj;
	__u64 total_uj;			/* since start, intervals with energy only */
	__u64 idle_uj;			/* its baseline's part */
	__u64 others_uj;		/* dynamic energy no process explains */
	__u64 procs_uj;			/* attributed to processes */
	double util;			/* the GPU's own utilisation 0..1; < 0: unknown */
	double limit_w;			/* its enforced power limit; 0: unknown */
	const char *mode;		/* "shared", "exclusive" (one process), "mig" */
	bool per_process;		/* its processes' shares are known this interval */
	const char *no_per_process;	/* why not, when not */
	const char *source;		/* "energy counter" or "power usage" */
	const char *gap;		/* why its energy is missing, or NULL */
	struct sample_baseline baseline;
};

/*
 * One interval: outputs take it const (with the view built from it) and read
 * nothing else. Strings and pointers stay valid until the next sample is taken.
 */
struct sample {
	__u64 seq;			/* interval number, from 1 */
	struct timespec wall;		/* end of the interval, CLOCK_REALTIME */
	struct timespec started;	/* CLOCK_REALTIME when the counters since start were 0 */
	__u64 interval_ns;
	const char *sensor;		/* the sensor's name: "rapl", "model" */
	const char *sensor_source;	/* where it reads: "powercap", "model", "vm-export" */
	bool estimated;			/* energy from a model, not measured */
	int nr_sockets;
	struct sample_socket sockets[WP_MAX_SOCKETS];
	bool have_energy;		/* every socket's package energy is known */
	__u64 energy_uj;		/* host: packages + dram */
	__u64 idle_uj;
	bool have_psys;
	__u64 psys_uj;
	__u64 psys_idle_uj;		/* its baseline's energy, capped at psys_uj */
	double psys_limit_w;		/* 0 unknown */
	struct sample_baseline psys_baseline;	/* reported, not attributed */
	__u64 busy_ns, idle_ns;
	double util;
	/* since start, for counters (intervals with energy only) */
	__u64 energy_total_uj, idle_total_uj, psys_total_uj, busy_total_ns;
	/* GPUs: none (nr_gpus 0) without a sensor of the GPU role */
	const char *gpu_sensor;		/* "nvml"; NULL: no GPU */
	int nr_gpus;
	struct sample_gpu gpus[WP_MAX_GPUS];
	bool have_gpu;			/* every GPU's energy is known */
	__u64 gpu_uj, gpu_idle_uj, gpu_others_uj;	/* the GPUs' with energy */
	__u64 gpu_total_uj, gpu_idle_total_uj, gpu_others_total_uj;
	/*
	 * A platform meter (a sensor of the platform role); platform_sensor NULL:
	 * none. Its remainder (platform - packages - DRAM - GPUs) is split like a
	 * socket's energy: rest_idle_uj to idle, the rest to processes by CPU time,
	 * so that processes + others + idle = the platform when have_rest.
	 */
	const char *platform_sensor;	/* "hwmon"; NULL: no platform meter */
	const char *platform_from;	/* what measures it */
	const char *platform_gap;	/* why its energy is missing, or NULL */
	bool have_platform;
	__u64 platform_uj, platform_total_uj;
	bool have_rest;			/* the platform and every part are known */
	__u64 rest_uj, rest_idle_uj;
	__u64 rest_short_uj;		/* the parts above the platform: its rest counted 0 */
	__u64 rest_total_uj, rest_idle_total_uj;
	struct sample_baseline rest_baseline;
	struct proc **procs;		/* processes of this interval, biggest first */
	__u32 nr_procs;
	struct sample_guest *const *guests;	/* guests of the host (sample/guests.h) */
	__u32 nr_guests;
	const struct cpu_charge *charges;	/* per process and CPU, see proc.cpu_first */
	__u32 nr_charges;
	__u32 nr_tracked;		/* processes the agent tracks now */
	__u64 dropped;			/* cumulative since start: ring buffer full + process table full */
	__u64 dropped_delta;		/* of which in this interval */
	bool time_short;		/* CPU time incomplete or late (dropped records, their
					 * window): the fits learn nothing from it */
	__u64 unseen;			/* cumulative: switches the tracepoint did not show */
	double sample_seconds;		/* time spent taking this sample */
	struct self_stats self;		/* the agent's own use (sampler_opts.need_self) */
};

static inline double uj_to_j(__u64 uj)
{
	return uj / 1e6;
}

static inline double watts(__u64 uj, __u64 interval_ns)
{
	return interval_ns ? uj * 1e3 / interval_ns : 0;
}

#endif /* __SAMPLE_H */
