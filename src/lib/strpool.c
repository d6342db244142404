// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Interned strings: open addressing on an FNV-1a hash, grown as it fills. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/strpool.h"
#include "lib/util.h"

struct strpool {
	char **slots;
	size_t nslots, nr, max;
};


struct strpool *strpool__new(size_t max)
{
	struct strpool *p;

	if (!max) {
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->max = max;
	return p;
}

static char **find(char **slots, size_t nslots, const char *s, size_t len)
{
	size_t i = fnv1a64(FNV1A64_INIT, s, len) & (nslots - 1);

	while (slots[i] && (strncmp(slots[i], s, len) || slots[i][len]))
		i = (i + 1) & (nslots - 1);
	return &slots[i];
}

static int grow(struct strpool *p)
{
	size_t n = p->nslots ? 2 * p->nslots : 64;
	char **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < p->nslots; i++)
		if (p->slots[i])
			*find(slots, n, p->slots[i], strlen(p->slots[i])) = p->slots[i];
	free(p->slots);
	p->slots = slots;
	p->nslots = n;
	return 0;
}

const char *strpool__intern(struct strpool *p, const char *s, size_t len)
{
	char **slot;

	if (!p || !s)
		return NULL;
	len = strnlen(s, len);
	if (p->nslots) {
		slot = find(p->slots, p->nslots, s, len);
		if (*slot)
			return *slot;
	}
	if (p->nr >= p->max)
		return NULL;
	if (2 * (p->nr + 1) > p->nslots && grow(p))
		return NULL;
	slot = find(p->slots, p->nslots, s, len);
	*slot = strndup(s, len);
	if (!*slot)
		return NULL;
	p->nr++;
	return *slot;
}

size_t strpool__size(const struct strpool *p)
{
	return p ? p->nr : 0;
}

void strpool__free(struct strpool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nslots; i++)
		free(p->slots[i]);
	free(p->slots);
	free(p);
}
