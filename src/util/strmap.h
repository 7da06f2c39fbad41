/* strmap.h: a small map from byte strings to nullable strings, both copied
 * in: lookups of names that would otherwise be joined to every row of a
 * query (an environment's name by account and id, for a FOCUS export). Open
 * addressing, linear probing, grown at half full; no removal. */
#ifndef DTC_STRMAP_H
#define DTC_STRMAP_H
#include <stdbool.h>
#include <stddef.h>

#include "dtcost/errors.h"

typedef struct dtc_strmap_slot dtc_strmap_slot;

typedef struct dtc_strmap {
    dtc_strmap_slot *slots; /* NULL until the first put */
    size_t cap, n;          /* slots (a power of two), entries */
} dtc_strmap;

/* An empty map; needs no allocation. */
void dtc_strmap_init(dtc_strmap *m);
/* Free every key and value; the map is empty (and usable) after. */
void dtc_strmap_dispose(dtc_strmap *m);
/* Map key (klen bytes, any bytes including NUL) to a copy of value (NULL
 * allowed, meaning "known, without a value"), replacing what the key had.
 * 0, or DTC_ENOMEM with the map as it was. */
int dtc_strmap_put(dtc_strmap *m, const void *key, size_t klen, const char *value) DTC_MUST_CHECK;
/* Whether key is in the map; *value (when found) is its value, valid until
 * the next put or dispose. */
bool dtc_strmap_get(const dtc_strmap *m, const void *key, size_t klen, const char **value);

#endif
