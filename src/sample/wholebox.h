/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The machine beyond the CPUs in a sample: each GPU's energy (its idle
 * baseline, learnt from how its power follows its utilisation, and the
 * dynamic part split over processes by energy/gpusplit.c), and a platform
 * meter's remainder (its own baseline, the rest by CPU time, energy/platform.c).
 * Called by the sampler once the CPUs' energy is attributed; what it adds is
 * in struct sample (gpus, platform_*, rest_*) and in each process's figures
 * (gpu_uj, rest_uj). Without a GPU or platform sensor, it adds nothing.
 */
#ifndef __WHOLEBOX_H
#define __WHOLEBOX_H

#include "sample/sampler.h"

/* This interval's GPUs and platform into out, from s->rd. */
void wholebox__attribute(struct sampler *s, struct sample *out);
/* Forget the fits and build their priors (at open): 0, or a negative errno. */
int wholebox__init(struct sampler *s);

#endif /* __WHOLEBOX_H */
