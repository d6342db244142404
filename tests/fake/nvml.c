// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A fake libnvidia-ml.so.1 for the tests: GPUs whose energy follows the SM
 * utilisation of processes that a test sets, behind exactly the NVML calls
 * wattprobe uses, with the signatures, constants and semantics of NVIDIA's
 * nvml.h (API version 12). It declares its own types from nvml.h rather
 * than sharing src/energy/nvml.h, so that a wrong declaration there is not
 * mirrored here. Built as $(OUT)/fake/libnvidia-ml.so.1; only the NVML
 * symbols are exported.
 *
 * The test's control file (path in $FAKE_NVML_CONFIG; without it, nvmlInit_v2
 * says NVML_ERROR_DRIVER_NOT_LOADED, as on a host without the driver) holds
 * one line per GPU and one per process, re-read whenever it changes:
 *
 *   gpu INDEX [idle=W] [k=W] [limit=W] [mode=default|exclusive|prohibited]
 *             [mig=0|1|none] [energy=0|1] [procutil=0|1] [lost=0|1]
 *             [name=TEXT] [uuid=TEXT]
 *   proc INDEX PID SM
 *
 * GPU INDEX draws idle + k x u watts, u = min(1, sum of its processes' SM / 100),
 * integrated on the monotonic clock at every call that touches the GPU (a
 * change of the file counts from the first call that sees it):
 *  - nvmlDeviceGetTotalEnergyConsumption: that energy in mJ since nvmlInit_v2
 *    (energy=0: NVML_ERROR_NOT_SUPPORTED, as before Volta);
 *  - nvmlDeviceGetPowerUsage: the power now, in mW;
 *  - nvmlDeviceGetUtilizationRates: gpu = u in percent, over the driver's last
 *    sample period (1/6 s): just after a change, mostly the utilisation before it;
 *  - nvmlDeviceGetProcessUtilization: one sample per process with SM above 0,
 *    stamped with the end of the driver's last sample period (1/6 s, on the
 *    real-time clock in microseconds), when that is newer than
 *    lastSeenTimeStamp; NVML_ERROR_NOT_FOUND when there is none; the buffer
 *    size protocol of nvml.h (NULL or too small: NVML_ERROR_INSUFFICIENT_SIZE
 *    with the count needed); NVML_ERROR_NOT_SUPPORTED with mig=1 (nvml.h: "On
 *    MIG-enabled GPUs, querying process utilization is not currently
 *    supported") or procutil=0;
 *  - nvmlDeviceGetComputeRunningProcesses_v3: its processes;
 *  - lost=1: every call on the GPU answers NVML_ERROR_GPU_IS_LOST, and its
 *    energy stands still until it is back.
 * Defaults: idle 50 W, k 250 W, limit 300 W, default mode, MIG not supported,
 * energy and process utilisation supported.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define API __attribute__((visibility("default")))

/* nvml.h: nvmlReturn_t */
typedef int nvmlReturn_t;
#define NVML_SUCCESS			0
#define NVML_ERROR_UNINITIALIZED	1
#define NVML_ERROR_INVALID_ARGUMENT	2
#define NVML_ERROR_NOT_SUPPORTED	3
#define NVML_ERROR_NOT_FOUND		6
#define NVML_ERROR_INSUFFICIENT_SIZE	7
#define NVML_ERROR_DRIVER_NOT_LOADED	9
#define NVML_ERROR_GPU_IS_LOST		15
#define NVML_ERROR_UNKNOWN		999

/* nvml.h: nvmlDevice_t, nvmlUtilization_t, nvmlProcessInfo_t, nvmlProcessUtilizationSample_t */
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct {
	unsigned int gpu, memory;
} nvmlUtilization_t;
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_t;
typedef struct {
	unsigned int pid;
	unsigned long long timeStamp;
	unsigned int smUtil, memUtil, encUtil, decUtil;
} nvmlProcessUtilizationSample_t;

/* nvml.h: nvmlComputeMode_t, MIG modes */
#define NVML_COMPUTEMODE_DEFAULT		0
#define NVML_COMPUTEMODE_PROHIBITED		2
#define NVML_COMPUTEMODE_EXCLUSIVE_PROCESS	3
#define NVML_DEVICE_MIG_DISABLE			0
#define NVML_DEVICE_MIG_ENABLE			1

#define MAX_GPUS	8
#define MAX_PROCS	32
#define SAMPLE_PERIOD_US	166667ULL	/* nvml.h: "between 1 second and 1/6 second" */

struct fproc {
	unsigned int pid, sm;
};

struct nvmlDevice_st {
	int index;
	char name[96], uuid[96];
	double idle_w, k_w, limit_w;
	int mode, mig;			/* mig: -1 not supported */
	bool energy, procutil, lost;
	struct fproc procs[MAX_PROCS];
	int nr_procs;
	double energy_mj;		/* since nvmlInit_v2 */
	unsigned long long last_ns;	/* monotonic time of the last integration */
	double was_util;		/* the utilisation before the last change ... */
	unsigned long long changed_ns;	/* ... and when it changed (monotonic) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct nvmlDevice_st gpus[MAX_GPUS];
static int nr_gpus, inits;
static struct stat config_st;

static unsigned long long clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static double util(const struct nvmlDevice_st *g)
{
	double u = 0;

	for (int i = 0; i < g->nr_procs; i++)
		u += g->procs[i].sm / 100.0;
	return u > 1 ? 1 : u;
}

static double power_w(const struct nvmlDevice_st *g)
{
	return g->idle_w + g->k_w * util(g);
}

/* Energy up to now at the power the GPU had since the last call; a lost GPU stands still. */
static void integrate(struct nvmlDevice_st *g)
{
	unsigned long long now = clock_ns(CLOCK_MONOTONIC);

	if (g->last_ns && !g->lost)
		g->energy_mj += power_w(g) * (double)(now - g->last_ns) / 1e6;
	g->last_ns = now;
}

static void set_key(struct nvmlDevice_st *g, const char *kv)
{
	const char *v = strchr(kv, '=');
	size_t klen = v ? (size_t)(v - kv) : strlen(kv);

	if (!v)
		return;
	v++;
#define KEY(k) (klen == strlen(k) && !strncmp(kv, k, klen))
	if (KEY("idle"))
		g->idle_w = atof(v);
	else if (KEY("k"))
		g->k_w = atof(v);
	else if (KEY("limit"))
		g->limit_w = atof(v);
	else if (KEY("mode"))
		g->mode = !strcmp(v, "exclusive") ? NVML_COMPUTEMODE_EXCLUSIVE_PROCESS :
			  !strcmp(v, "prohibited") ? NVML_COMPUTEMODE_PROHIBITED :
						     NVML_COMPUTEMODE_DEFAULT;
	else if (KEY("mig"))
		g->mig = !strcmp(v, "none") ? -1 : atoi(v);
	else if (KEY("energy"))
		g->energy = atoi(v);
	else if (KEY("procutil"))
		g->procutil = atoi(v);
	else if (KEY("lost"))
		g->lost = atoi(v);
	else if (KEY("name"))
		snprintf(g->name, sizeof(g->name), "%s", v);
	else if (KEY("uuid"))
		snprintf(g->uuid, sizeof(g->uuid), "%s", v);
#undef KEY
}

/*
 * nvmlDeviceGetUtilizationRates' figure: the utilisation over the driver's last
 * sample period (nvml.h: "over the past sample period"), from the utilisation
 * before and after the last change of the control file.
 */
static double util_rate(const struct nvmlDevice_st *g)
{
	unsigned long long now = clock_ns(CLOCK_MONOTONIC), since = now - g->changed_ns;
	double period = SAMPLE_PERIOD_US * 1000.0;

	if (!g->changed_ns || since >= period)
		return util(g);
	return (g->was_util * (period - since) + util(g) * since) / period;
}

/* A GPU's figures before its line sets some: everything but its energy and history. */
static void defaults(struct nvmlDevice_st *g, int i)
{
	double e = g->energy_mj, was = g->was_util;
	unsigned long long t = g->last_ns, ch = g->changed_ns;

	*g = (struct nvmlDevice_st){
		.index = i, .idle_w = 50, .k_w = 250, .limit_w = 300, .mig = -1,
		.energy = true, .procutil = true, .energy_mj = e, .last_ns = t,
		.was_util = was, .changed_ns = ch,
	};
	snprintf(g->name, sizeof(g->name), "Fake GPU %d", i);
	snprintf(g->uuid, sizeof(g->uuid), "GPU-fa4e0000-0000-4000-8000-%012d", i);
}

/*
 * Read the control file again if it changed: the energy so far is integrated
 * at the old figures first, then every GPU takes what the file says now.
 * Returns the number of GPUs the file has, or -1 when there is none.
 */
static int reload(void)
{
	const char *path = getenv("FAKE_NVML_CONFIG");
	char line[512], *tok, *save;
	static int n;
	struct stat st;
	bool first;
	FILE *f;

	if (!path || stat(path, &st))
		return -1;
	if (st.st_mtim.tv_sec == config_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == config_st.st_mtim.tv_nsec && st.st_size == config_st.st_size &&
	    st.st_ino == config_st.st_ino)
		return n;
	f = fopen(path, "re");
	if (!f)
		return -1;
	first = !config_st.st_ino;
	config_st = st;
	n = 0;
	for (int i = 0; i < MAX_GPUS; i++) {
		integrate(&gpus[i]);
		if (!first) {
			gpus[i].was_util = util_rate(&gpus[i]);
			gpus[i].changed_ns = clock_ns(CLOCK_MONOTONIC);
		}
		defaults(&gpus[i], i);
	}
	while (fgets(line, sizeof(line), f)) {
		tok = strtok_r(line, " \t\n", &save);
		if (!tok || *tok == '#')
			continue;
		if (!strcmp(tok, "gpu")) {
			const char *a = strtok_r(NULL, " \t\n", &save);
			int i = a ? atoi(a) : -1;

			if (i < 0 || i >= MAX_GPUS)
				continue;
			while ((tok = strtok_r(NULL, " \t\n", &save)))
				set_key(&gpus[i], tok);
			if (i + 1 > n)
				n = i + 1;
		} else if (!strcmp(tok, "proc")) {
			const char *a = strtok_r(NULL, " \t\n", &save);
			const char *b = strtok_r(NULL, " \t\n", &save);
			const char *c = strtok_r(NULL, " \t\n", &save);
			int i = a ? atoi(a) : -1;

			if (i < 0 || i >= MAX_GPUS || !b || !c || gpus[i].nr_procs == MAX_PROCS)
				continue;
			gpus[i].procs[gpus[i].nr_procs++] =
				(struct fproc){ (unsigned)atoi(b), (unsigned)atoi(c) };
		}
	}
	fclose(f);
	return n;
}

/* The device, locked and integrated up to now, or an error for the call to return. */
static nvmlReturn_t enter(nvmlDevice_t d)
{
	pthread_mutex_lock(&lock);
	if (!inits) {
		pthread_mutex_unlock(&lock);
		return NVML_ERROR_UNINITIALIZED;
	}
	if (!d || d < gpus || d >= gpus + nr_gpus) {
		pthread_mutex_unlock(&lock);
		return NVML_ERROR_INVALID_ARGUMENT;
	}
	reload();
	integrate(d);
	if (d->lost) {
		pthread_mutex_unlock(&lock);
		return NVML_ERROR_GPU_IS_LOST;
	}
	return NVML_SUCCESS;
}

static nvmlReturn_t leave(nvmlReturn_t r)
{
	pthread_mutex_unlock(&lock);
	return r;
}

/* enter(), then the pointer the call writes through must be given (else INVALID_ARGUMENT). */
static nvmlReturn_t enter_for(nvmlDevice_t d, const void *out)
{
	nvmlReturn_t r = enter(d);

	return r || out ? r : leave(NVML_ERROR_INVALID_ARGUMENT);
}

API nvmlReturn_t nvmlInit_v2(void)
{
	int n;

	pthread_mutex_lock(&lock);
	n = reload();
	if (n < 0)
		return leave(NVML_ERROR_DRIVER_NOT_LOADED);
	/* GPUs are found at initialisation, as the driver's are */
	if (!inits)
		nr_gpus = n;
	for (int i = 0; i < nr_gpus; i++)
		gpus[i].last_ns = clock_ns(CLOCK_MONOTONIC);
	inits++;
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlShutdown(void)
{
	pthread_mutex_lock(&lock);
	if (!inits)
		return leave(NVML_ERROR_UNINITIALIZED);
	inits--;
	return leave(NVML_SUCCESS);
}

API const char *nvmlErrorString(nvmlReturn_t r)
{
	switch (r) {
	case NVML_SUCCESS:
		return "Success";
	case NVML_ERROR_UNINITIALIZED:
		return "Uninitialized";
	case NVML_ERROR_INVALID_ARGUMENT:
		return "Invalid Argument";
	case NVML_ERROR_NOT_SUPPORTED:
		return "Not Supported";
	case NVML_ERROR_NOT_FOUND:
		return "Not Found";
	case NVML_ERROR_INSUFFICIENT_SIZE:
		return "Insufficient Size";
	case NVML_ERROR_DRIVER_NOT_LOADED:
		return "Driver Not Loaded";
	case NVML_ERROR_GPU_IS_LOST:
		return "GPU is lost";
	default:
		return "Unknown Error";
	}
}

API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count)
{
	pthread_mutex_lock(&lock);
	if (!inits)
		return leave(NVML_ERROR_UNINITIALIZED);
	if (!count)
		return leave(NVML_ERROR_INVALID_ARGUMENT);
	*count = (unsigned int)nr_gpus;
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
	pthread_mutex_lock(&lock);
	if (!inits)
		return leave(NVML_ERROR_UNINITIALIZED);
	if (!device || index >= (unsigned int)nr_gpus)
		return leave(NVML_ERROR_INVALID_ARGUMENT);
	*device = &gpus[index];
	return leave(gpus[index].lost ? NVML_ERROR_GPU_IS_LOST : NVML_SUCCESS);
}

static nvmlReturn_t copy_string(char *out, unsigned int length, const char *s)
{
	if (!out)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (strlen(s) + 1 > length)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(out, s, strlen(s) + 1);
	return NVML_SUCCESS;
}

API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t d, char *name, unsigned int length)
{
	nvmlReturn_t r = enter(d);

	return r ? r : leave(copy_string(name, length, d->name));
}

API nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int length)
{
	nvmlReturn_t r = enter(d);

	return r ? r : leave(copy_string(uuid, length, d->uuid));
}

API nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *energy)
{
	nvmlReturn_t r = enter_for(d, energy);

	if (r)
		return r;
	if (!d->energy)
		return leave(NVML_ERROR_NOT_SUPPORTED);
	*energy = (unsigned long long)d->energy_mj;
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *power)
{
	nvmlReturn_t r = enter_for(d, power);

	if (r)
		return r;
	*power = (unsigned int)(power_w(d) * 1000 + 0.5);
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetEnforcedPowerLimit(nvmlDevice_t d, unsigned int *limit)
{
	nvmlReturn_t r = enter_for(d, limit);

	if (r)
		return r;
	*limit = (unsigned int)(d->limit_w * 1000 + 0.5);
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetComputeMode(nvmlDevice_t d, int *mode)
{
	nvmlReturn_t r = enter_for(d, mode);

	if (r)
		return r;
	/* nvml.h: "On MIG-enabled GPUs, compute mode would be set to DEFAULT" */
	*mode = d->mig == NVML_DEVICE_MIG_ENABLE ? NVML_COMPUTEMODE_DEFAULT : d->mode;
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t d, unsigned int *current, unsigned int *pending)
{
	nvmlReturn_t r = enter(d);

	if (r)
		return r;
	if (!current || !pending)
		return leave(NVML_ERROR_INVALID_ARGUMENT);
	if (d->mig < 0)
		return leave(NVML_ERROR_NOT_SUPPORTED);
	*current = *pending = d->mig ? NVML_DEVICE_MIG_ENABLE : NVML_DEVICE_MIG_DISABLE;
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
	nvmlReturn_t r = enter_for(d, u);

	if (r)
		return r;
	/* nvml.h: "On MIG-enabled GPUs, querying device utilization rates is not ... supported" */
	if (d->mig == NVML_DEVICE_MIG_ENABLE)
		return leave(NVML_ERROR_NOT_SUPPORTED);
	u->gpu = (unsigned int)(util_rate(d) * 100 + 0.5);
	u->memory = 0;
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
							nvmlProcessInfo_t *infos)
{
	nvmlReturn_t r = enter_for(d, count);
	unsigned int n;

	if (r)
		return r;
	n = (unsigned int)d->nr_procs;
	if (*count < n) {
		*count = n;
		return leave(n ? NVML_ERROR_INSUFFICIENT_SIZE : NVML_SUCCESS);
	}
	if (n && !infos)
		return leave(NVML_ERROR_INVALID_ARGUMENT);
	for (unsigned int i = 0; i < n; i++)
		infos[i] = (nvmlProcessInfo_t){ .pid = d->procs[i].pid, .usedGpuMemory = 1 << 30,
						.gpuInstanceId = 0xFFFFFFFF,
						.computeInstanceId = 0xFFFFFFFF };
	*count = n;
	return leave(NVML_SUCCESS);
}

API nvmlReturn_t nvmlDeviceGetProcessUtilization(nvmlDevice_t d,
						 nvmlProcessUtilizationSample_t *utilization,
						 unsigned int *count, unsigned long long lastSeen)
{
	nvmlReturn_t r = enter_for(d, count);
	unsigned long long ts;
	unsigned int n = 0;

	if (r)
		return r;
	if (d->mig == NVML_DEVICE_MIG_ENABLE || !d->procutil)
		return leave(NVML_ERROR_NOT_SUPPORTED);
	/* the end of the driver's last sample period, in CPU microseconds */
	ts = clock_ns(CLOCK_REALTIME) / 1000 / SAMPLE_PERIOD_US * SAMPLE_PERIOD_US;
	for (int i = 0; i < d->nr_procs; i++)
		n += d->procs[i].sm > 0 && ts > lastSeen;
	if (!n) {
		*count = 0;
		return leave(NVML_ERROR_NOT_FOUND);
	}
	if (!utilization || *count < n) {
		*count = n;
		return leave(NVML_ERROR_INSUFFICIENT_SIZE);
	}
	n = 0;
	for (int i = 0; i < d->nr_procs; i++)
		if (d->procs[i].sm > 0)
			utilization[n++] = (nvmlProcessUtilizationSample_t){
				.pid = d->procs[i].pid, .timeStamp = ts, .smUtil = d->procs[i].sm,
			};
	*count = n;
	return leave(NVML_SUCCESS);
}
