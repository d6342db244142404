// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* NVML loaded at run time; see nvml.h. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "energy/nvml.h"

/* Where each entry point of struct nvml comes from, and whether it may be missing. */
static const struct {
	const char *symbol;
	size_t offset;
	bool required;
} symbols[] = {
	{ "nvmlInit_v2", offsetof(struct nvml, init), true },
	{ "nvmlShutdown", offsetof(struct nvml, shutdown), true },
	{ "nvmlErrorString", offsetof(struct nvml, error_string), true },
	{ "nvmlDeviceGetCount_v2", offsetof(struct nvml, count), true },
	{ "nvmlDeviceGetHandleByIndex_v2", offsetof(struct nvml, handle), true },
	{ "nvmlDeviceGetName", offsetof(struct nvml, name), false },
	{ "nvmlDeviceGetUUID", offsetof(struct nvml, uuid), false },
	{ "nvmlDeviceGetTotalEnergyConsumption", offsetof(struct nvml, energy), false },
	{ "nvmlDeviceGetPowerUsage", offsetof(struct nvml, power), false },
	{ "nvmlDeviceGetProcessUtilization", offsetof(struct nvml, proc_util), false },
	{ "nvmlDeviceGetComputeRunningProcesses_v3", offsetof(struct nvml, compute_procs), false },
	{ "nvmlDeviceGetComputeMode", offsetof(struct nvml, compute_mode), false },
	{ "nvmlDeviceGetMigMode", offsetof(struct nvml, mig_mode), false },
	{ "nvmlDeviceGetEnforcedPowerLimit", offsetof(struct nvml, power_limit), false },
	{ "nvmlDeviceGetUtilizationRates", offsetof(struct nvml, utilization), false },
};

int nvml__open(struct nvml *n, const char *path, char *err, size_t errlen)
{
	const char *file = path ? path : NVML_DEFAULT_LIBRARY;
	nvmlReturn_t r;

	memset(n, 0, sizeof(*n));
	snprintf(n->path, sizeof(n->path), "%s", file);
	n->lib = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!n->lib) {
		const char *why = dlerror();

		snprintf(err, errlen, "failed to load %s: %s%s", file, why ? why : "not found",
			 path ? "" : " (no NVIDIA driver here; --nvml-library PATH names another)");
		/* asked for by path: a wrong path is an error, not "no GPU here" */
		return path ? -EINVAL : -ENOENT;
	}
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		void *f = dlsym(n->lib, symbols[i].symbol);

		if (!f && symbols[i].required) {
			snprintf(err, errlen, "%s has no %s: not an NVML library, or one older "
				 "than API version 10", file, symbols[i].symbol);
			nvml__close(n);
			return -ENOEXEC;
		}
		memcpy((char *)n + symbols[i].offset, &f, sizeof(f));
	}
	r = n->init();
	if (r != NVML_SUCCESS) {
		snprintf(err, errlen, "failed to initialise NVML (%s): %s", file,
			 nvml__strerror(n, r));
		nvml__close(n);
		return r == NVML_ERROR_DRIVER_NOT_LOADED || r == NVML_ERROR_LIBRARY_NOT_FOUND ?
			       -ENOENT : r == NVML_ERROR_NO_PERMISSION ? -EACCES : -EIO;
	}
	n->inited = true;
	return 0;
}

void nvml__close(struct nvml *n)
{
	if (n->inited && n->shutdown)
		n->shutdown();
	n->inited = false;
	if (n->lib)
		dlclose(n->lib);
	n->lib = NULL;
}

const char *nvml__strerror(const struct nvml *n, nvmlReturn_t ret)
{
	const char *s = n->error_string ? n->error_string(ret) : NULL;

	return s && *s ? s : "Unknown Error";
}
