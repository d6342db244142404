// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * RAPL as an energy sensor: the zones of src/energy/rapl.c summed per socket and
 * domain, each zone's gaps warned about once, and each domain's long-term
 * limit handed on for the idle baseline's prior.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "energy/rapl.h"
#include "energy/sensor.h"

static int rapl_open(struct sensor *s, const struct sensor_config *c, char *err, size_t errlen)
{
	const char *root = c->powercap_root ? c->powercap_root : "/sys/class/powercap";
	struct rapl *r = calloc(1, sizeof(*r));
	int ret;

	if (!r) {
		snprintf(err, errlen, "failed to allocate the RAPL state: %s", strerror(ENOMEM));
		return -ENOMEM;
	}
	ret = rapl__open(r, root, err, errlen);
	if (ret) {
		free(r);
		return ret;
	}
	s->priv = r;
	if (r->vm_export) {
		/* the host's export for this guest: the whole guest's energy in package-0 */
		s->source = "vm-export";
		s->estimated = r->marker.estimated;
		s->one_socket = true;
	}
	return 0;
}

static int socket_index_of_package(const struct sensor_input *in, int package)
{
	for (int i = 0; i < in->nr_sockets; i++)
		if (in->socket_ids[i] == package)
			return i;
	return -1;
}

/* Add a zone's step to a domain; one bad zone (multi-die parts have several
 * package zones per socket) makes the whole domain missing. */
static void add_zone(bool *have, bool *bad, __u64 *uj, const struct rapl_reading *r)
{
	if (r->status == RAPL_OK || r->status == RAPL_WRAPPED) {
		*uj += r->delta_uj;
		*have = !*bad;
		return;
	}
	*bad = true;
	*have = false;
	*uj = 0;
}

/*
 * Say once on stderr when a zone's counter goes bad (and which way), and
 * once when it reads again: a counter stuck for an hour is one warning, not
 * 3,600.
 */
static void report(struct rapl_zone *z, int status, const char *what)
{
	if (status < 0 && status != z->reported) {
		fprintf(stderr, "wattprobe: warning: %s/energy_uj: %s; %s energy missing until "
			"it reads again\n", z->path, rapl_status_name(status), what);
		z->reported = status;
	} else if ((status == RAPL_OK || status == RAPL_WRAPPED) && z->reported) {
		fprintf(stderr, "wattprobe: %s/energy_uj reads again\n", z->path);
		z->reported = 0;
	}
}

static int rapl_read(struct sensor *s, const struct sensor_input *in, struct sensor_reading *out)
{
	struct rapl *r = s->priv;
	struct rapl_reading rd[RAPL_MAX_ZONES];
	bool bad[WP_MAX_SOCKETS][ENERGY_NR_DOMAINS] = {}, psys_bad = false;
	char what[32];
	int n = rapl__sample(r, in->elapsed_ns, rd);

	for (int i = 0; i < in->nr_sockets && i < WP_MAX_SOCKETS; i++)
		out->sockets[i].gap = "no package zone";
	if (r->vm_export) {
		out->updated_ns = r->marker.updated_ns;
		out->update_period_ns = r->marker.interval_ns;
	}
	for (int i = 0; i < n; i++) {
		struct rapl_zone *z = &r->zones[i];
		struct sensor_socket *ss;
		int sock;

		if (z->domain == ENERGY_PSYS) {
			add_zone(&out->have_psys, &psys_bad, &out->psys_uj, &rd[i]);
			out->psys_limit_w = z->limit_w;
			out->psys_limit_from = z->limit_w ? z->limit_from : NULL;
			report(z, rd[i].status, "platform (psys)");
			continue;
		}
		sock = socket_index_of_package(in, z->socket);
		if (sock < 0 || sock >= WP_MAX_SOCKETS || z->domain >= ENERGY_NR_DOMAINS)
			continue;
		ss = &out->sockets[sock];
		add_zone(&ss->have[z->domain], &bad[sock][z->domain], &ss->uj[z->domain], &rd[i]);
		/* dies of one package: their limits add up */
		ss->limit_w[z->domain] += z->limit_w;
		if (z->limit_w)
			ss->limit_from[z->domain] = z->limit_from;
		snprintf(what, sizeof(what), "socket %d %s", z->socket, energy_domain_name(z->domain));
		report(z, rd[i].status, what);
		if (z->domain != ENERGY_PACKAGE)
			continue;
		if (ss->have[ENERGY_PACKAGE])
			ss->gap = NULL;
		else if (rd[i].status != RAPL_OK && rd[i].status != RAPL_WRAPPED)
			ss->gap = rapl_status_name(rd[i].status);
	}
	/* a limit known for only some dies of a package is no limit of the package */
	for (int i = 0; i < n; i++) {
		const struct rapl_zone *z = &r->zones[i];
		int sock = z->domain == ENERGY_PSYS ? -1 : socket_index_of_package(in, z->socket);

		if (sock >= 0 && sock < WP_MAX_SOCKETS && !z->limit_w) {
			out->sockets[sock].limit_w[z->domain] = 0;
			out->sockets[sock].limit_from[z->domain] = NULL;
		}
	}
	return 0;
}

static void rapl_close(struct sensor *s)
{
	struct rapl *r = s->priv;

	if (!r)
		return;
	rapl__close(r);
	free(r);
	s->priv = NULL;
}

const struct sensor_ops rapl_sensor = {
	.name = "rapl",
	.title = "RAPL",
	.help = "RAPL energy counters of the CPU packages\nand DRAM (--powercap-root), or a host's\n"
		"--vm-export for its guest",
	.source = "powercap",
	.role = SENSOR_ROLE_CPU,
	.estimated = false,
	.open = rapl_open,
	.read = rapl_read,
	.close = rapl_close,
};
