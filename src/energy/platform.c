// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The platform's remainder; see platform.h. */
#include "energy/attribution.h"
#include "energy/platform.h"

void platform__split(struct platform_split *p)
{
	p->short_uj = p->parts_uj > p->platform_uj ? p->parts_uj - p->platform_uj : 0;
	p->rest_uj = p->platform_uj > p->parts_uj ? p->platform_uj - p->parts_uj : 0;
	p->idle_uj = p->idle_base_uj < p->rest_uj ? p->idle_base_uj : p->rest_uj;
	if (!p->busy_ns)
		p->idle_uj = p->rest_uj;
	else if (p->spread_idle)
		p->idle_uj = 0;
	p->procs_uj = p->rest_uj - p->idle_uj;
}

__u64 platform__share(const struct platform_split *p, __u64 before_ns, __u64 ns)
{
	return share_uj(p->procs_uj, before_ns, ns, p->busy_ns);
}
