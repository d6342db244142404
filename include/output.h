/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The outputs: each formats a struct sample, none measures. */
#ifndef __OUTPUT_H
#define __OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "sampler.h"

struct output_opts {
	unsigned top;		/* show this many processes, 0: all; the rest go to "others" */
	bool redraw;		/* top: clear the terminal and redraw in place */
	int width;		/* top: terminal width, 0: unlimited */
};

/* The table of `wattprobe top`. */
void top__print(FILE *f, const struct sample *s, const struct output_opts *o);

#endif /* __OUTPUT_H */
