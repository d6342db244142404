/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The outputs: each formats a sample and its view, taken const; none measures. */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "json.h"
#include "promtext.h"
#include "sampler.h"
#include "view.h"

struct output_opts {
	enum group_by by;
	bool have_carbon;	/* json, prometheus: --carbon-intensity given */
	double carbon_g_per_kwh;
};

/* The table of `wattprobe top` as plain lines (not a terminal: see top.h), flushed.
 * 0 or -errno of the write (-EPIPE: the reader is gone). */
int top__print(FILE *f, const struct sample *s, const struct view *v,
	       const struct output_opts *o);
/* One JSON Lines record of `wattprobe json` into w (reset first), no newline. */
void json__sample(struct jw *w, const struct sample *s, const struct view *v,
		  const struct output_opts *o);
/* The /metrics page of `wattprobe prometheus` into b (reset first). */
void prom__sample(struct pbuf *b, const struct sample *s, const struct view *v,
		  const struct output_opts *o);

#endif /* __OUTPUT_H */
