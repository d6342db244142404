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
	bool redraw;		/* top: clear the terminal and redraw in place */
	int width;		/* top: terminal width, 0: unlimited */
	enum group_by by;
};

/* The table of `wattprobe top`. */
void top__print(FILE *f, const struct sample *s, const struct view *v,
		const struct output_opts *o);
/* One JSON Lines record of `wattprobe json` into w (reset first), no newline. */
void json__sample(struct jw *w, const struct sample *s, const struct view *v,
		  const struct output_opts *o);
/* The /metrics page of `wattprobe prometheus` into b (reset first), from a
 * steady view (view_opts.steady). */
void prom__sample(struct pbuf *b, const struct sample *s, const struct view *v,
		  const struct output_opts *o);

#endif /* __OUTPUT_H */
