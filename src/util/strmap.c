/* strmap.c: open addressing over FNV-1a hashes (hash.c); each slot keeps its
 * key's full hash, so a probe compares bytes only when the hashes agree. */
#include "strmap.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"

struct dtc_strmap_slot {
    uint64_t hash;
    char *key; /* NULL: an empty slot */
    size_t klen;
    char *value;
};

void dtc_strmap_init(dtc_strmap *m)
{
    memset(m, 0, sizeof(*m));
}

void dtc_strmap_dispose(dtc_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        dtc_free(m->slots[i].key);
        dtc_free(m->slots[i].value);
    }
    dtc_free(m->slots);
    dtc_strmap_init(m);
}

/* The slot of key, or the empty slot where it would go. */
static dtc_strmap_slot *probe(const dtc_strmap_slot *slots, size_t cap, uint64_t h, const void *key,
                              size_t klen)
{
    for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) { /* ends: never full */
        const dtc_strmap_slot *s = &slots[i];
        if (!s->key || (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0))
            return (dtc_strmap_slot *)s;
    }
}

/* Room for one more entry, the map at most half full. */
static int room(dtc_strmap *m)
{
    if (m->slots && (m->n + 1) * 2 <= m->cap) return 0;
    size_t cap = m->cap ? m->cap * 2 : 16;
    if (cap < m->cap || cap > SIZE_MAX / sizeof(dtc_strmap_slot)) return DTC_ENOMEM;
    dtc_strmap_slot *g = dtc_calloc(cap, sizeof(dtc_strmap_slot));
    if (!g) return DTC_ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            *probe(g, cap, m->slots[i].hash, m->slots[i].key, m->slots[i].klen) = m->slots[i];
    dtc_free(m->slots);
    m->slots = g;
    m->cap = cap;
    return 0;
}

int dtc_strmap_put(dtc_strmap *m, const void *key, size_t klen, const char *value)
{
    char *v = NULL;
    if (value && !(v = dtc_strdup(value))) return DTC_ENOMEM;
    uint64_t h = dtc_hash_bytes(0, key, klen);
    dtc_strmap_slot *s = m->slots ? probe(m->slots, m->cap, h, key, klen) : NULL;
    if (s && s->key) { /* replace */
        dtc_free(s->value);
        s->value = v;
        return 0;
    }
    char *k = dtc_malloc(klen + 1);
    if (!k || room(m)) {
        dtc_free(k);
        dtc_free(v);
        return DTC_ENOMEM;
    }
    memcpy(k, key, klen);
    k[klen] = '\0';
    s = probe(m->slots, m->cap, h, key, klen);
    *s = (dtc_strmap_slot){h, k, klen, v};
    m->n++;
    return 0;
}

bool dtc_strmap_get(const dtc_strmap *m, const void *key, size_t klen, const char **value)
{
    if (!m->n) return false;
    const dtc_strmap_slot *s = probe(m->slots, m->cap, dtc_hash_bytes(0, key, klen), key, klen);
    if (!s->key) return false;
    *value = s->value;
    return true;
}
