/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The version of wattprobe, for --version and wattprobe_build_info. */
#ifndef __VERSION_H
#define __VERSION_H

#define WATTPROBE_VERSION "0.2.0"

#endif /* __VERSION_H */
