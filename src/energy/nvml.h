/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * NVIDIA's management library (NVML), loaded at run time with dlopen: no
 * build dependency on NVIDIA's headers or library, and a host without them
 * simply has no GPU.
 *
 * The few types, constants and signatures below are declared from NVIDIA's
 * published nvml.h (NVML API version 12, as vendored by NVIDIA/go-nvml in
 * gen/nvml/nvml.h); each says which declaration it follows. Only the calls
 * listed in struct nvml are used. The first five are required; every other
 * one is optional: a library without it, or a device that answers
 * NVML_ERROR_NOT_SUPPORTED, lacks that feature and nothing else.
 */
#ifndef __NVML_H
#define __NVML_H

#include <stdbool.h>
#include <stddef.h>

/* nvml.h: "typedef enum nvmlReturn_enum {...} nvmlReturn_t" (an int in the C ABI) */
typedef int nvmlReturn_t;
#define NVML_SUCCESS			0
#define NVML_ERROR_UNINITIALIZED	1
#define NVML_ERROR_INVALID_ARGUMENT	2
#define NVML_ERROR_NOT_SUPPORTED	3	/* "not available on target device" */
#define NVML_ERROR_NO_PERMISSION	4
#define NVML_ERROR_NOT_FOUND		6	/* process utilisation: no sample entries */
#define NVML_ERROR_INSUFFICIENT_SIZE	7
#define NVML_ERROR_DRIVER_NOT_LOADED	9
#define NVML_ERROR_LIBRARY_NOT_FOUND	12
#define NVML_ERROR_FUNCTION_NOT_FOUND	13
#define NVML_ERROR_GPU_IS_LOST		15	/* "fallen off the bus or ... inaccessible" */
#define NVML_ERROR_UNKNOWN		999

/* nvml.h: "typedef struct nvmlDevice_st* nvmlDevice_t" */
typedef struct nvmlDevice_st *nvmlDevice_t;

/* nvml.h: nvmlUtilization_t, percentages over the driver's last sample period */
typedef struct nvmlUtilization_st {
	unsigned int gpu;		/* one or more kernels executing */
	unsigned int memory;		/* device memory read or written */
} nvmlUtilization_t;

/* nvml.h: nvmlProcessInfo_v2_t (= nvmlProcessInfo_t), what ..._v3 fills */
typedef struct nvmlProcessInfo_st {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId;	/* MIG only, else 0xFFFFFFFF */
	unsigned int computeInstanceId;
} nvmlProcessInfo_t;

/* nvml.h: nvmlProcessUtilizationSample_t */
typedef struct nvmlProcessUtilizationSample_st {
	unsigned int pid;
	unsigned long long timeStamp;	/* "CPU Timestamp in microseconds" */
	unsigned int smUtil;		/* "SM (3D/Compute) Util Value", percent */
	unsigned int memUtil;
	unsigned int encUtil;
	unsigned int decUtil;
} nvmlProcessUtilizationSample_t;

/* nvml.h: nvmlComputeMode_t */
#define NVML_COMPUTEMODE_DEFAULT		0
#define NVML_COMPUTEMODE_EXCLUSIVE_THREAD	1	/* "Support Removed" */
#define NVML_COMPUTEMODE_PROHIBITED		2
#define NVML_COMPUTEMODE_EXCLUSIVE_PROCESS	3	/* one context per device */

/* nvml.h: nvmlDeviceGetMigMode's modes */
#define NVML_DEVICE_MIG_DISABLE		0
#define NVML_DEVICE_MIG_ENABLE		1

/* nvml.h: buffers "guaranteed to be large enough" for nvmlDeviceGetName / GetUUID */
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE	96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE	96

/* The library and its entry points; an optional one is NULL when the library lacks it. */
struct nvml {
	void *lib;			/* dlopen handle; NULL when closed */
	bool inited;			/* nvmlInit_v2 succeeded: nvmlShutdown at close */
	char path[256];			/* what was loaded */
	/* required */
	nvmlReturn_t (*init)(void);				/* nvmlInit_v2 */
	nvmlReturn_t (*shutdown)(void);				/* nvmlShutdown */
	const char *(*error_string)(nvmlReturn_t result);	/* nvmlErrorString */
	nvmlReturn_t (*count)(unsigned int *deviceCount);	/* nvmlDeviceGetCount_v2 */
	nvmlReturn_t (*handle)(unsigned int index, nvmlDevice_t *device);
								/* ..GetHandleByIndex_v2 */
	/* optional */
	nvmlReturn_t (*name)(nvmlDevice_t device, char *name, unsigned int length);
	nvmlReturn_t (*uuid)(nvmlDevice_t device, char *uuid, unsigned int length);
	/* mJ since the driver was last reloaded (Volta and newer) */
	nvmlReturn_t (*energy)(nvmlDevice_t device, unsigned long long *energy);
	/* mW; averaged over 1 s on Ampere (except GA100) and newer, else instantaneous */
	nvmlReturn_t (*power)(nvmlDevice_t device, unsigned int *power);
	nvmlReturn_t (*proc_util)(nvmlDevice_t device, nvmlProcessUtilizationSample_t *utilization,
				  unsigned int *processSamplesCount,
				  unsigned long long lastSeenTimeStamp);
	nvmlReturn_t (*compute_procs)(nvmlDevice_t device, unsigned int *infoCount,
				      nvmlProcessInfo_t *infos);	/* ..._v3 */
	nvmlReturn_t (*compute_mode)(nvmlDevice_t device, int *mode);
	nvmlReturn_t (*mig_mode)(nvmlDevice_t device, unsigned int *currentMode,
				 unsigned int *pendingMode);
	nvmlReturn_t (*power_limit)(nvmlDevice_t device, unsigned int *limit);	/* mW */
	nvmlReturn_t (*utilization)(nvmlDevice_t device, nvmlUtilization_t *utilization);
};

#define NVML_DEFAULT_LIBRARY	"libnvidia-ml.so.1"

/*
 * Load the library (path, or NVML_DEFAULT_LIBRARY from the loader's search
 * path) and initialise NVML. 0; -ENOENT when there is no NVML here (no
 * library, or a library without a driver: NVML_ERROR_DRIVER_NOT_LOADED); other
 * -errno when it is there but unusable (a required symbol missing, init failing).
 * err gets a one-line reason on failure.
 */
int nvml__open(struct nvml *n, const char *path, char *err, size_t errlen);
/* nvmlShutdown and dlclose. Safe on a closed or zeroed struct. */
void nvml__close(struct nvml *n);
/* The library's own words for ret ("Unknown Error" when it has none). */
const char *nvml__strerror(const struct nvml *n, nvmlReturn_t ret);

/* A call that tells "this device has no such feature": missing, or NOT_SUPPORTED. */
static inline bool nvml_absent(nvmlReturn_t ret)
{
	return ret == NVML_ERROR_NOT_SUPPORTED || ret == NVML_ERROR_FUNCTION_NOT_FOUND;
}

#endif /* __NVML_H */
