/* store_outbox.c: the storage interface's delivery half (change scan, durable
 * outbox), dispatched to the back-end. */
#include <stdio.h>

#include "store_impl.h"

static int unsupported(dtc_store *s)
{
    snprintf(s->err, sizeof(s->err), "database back-end %s has no delivery outbox", s->ops->name);
    return DTC_EINVAL;
}

int dtc_store_push_changes(dtc_store *s, long *count, const char *dest, const char *since_day,
                           long limit, int (*fn)(void *ctx, const dtc_push_rec *r), void *ctx)
{
    *count = 0;
    if (!s->ops->push) return unsupported(s);
    int rc = s->ops->push->scan(s, count, false, dest, since_day, limit, fn, ctx);
    if (rc == 0 && *count < limit)
        rc = s->ops->push->scan(s, count, true, dest, since_day, limit - *count, fn, ctx);
    return rc;
}

int dtc_store_outbox_add(dtc_store *s, int64_t *batch_id, const char *dest, const char *batch_key,
                         const char *created_at, const dtc_outbox_item *items, size_t n)
{
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_add(s, batch_id, dest, batch_key, created_at, items, n);
}

int dtc_store_outbox_next(dtc_store *s, dtc_outbox_batch *out, int *found, const char *dest,
                          int64_t after_id)
{
    *found = 0;
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_next(s, out, found, dest, after_id);
}

int dtc_store_outbox_items(dtc_store *s, int64_t batch_id,
                           int (*fn)(void *ctx, const dtc_outbox_item *it), void *ctx)
{
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_items(s, batch_id, fn, ctx);
}

int dtc_store_outbox_mark(dtc_store *s, int64_t batch_id, const char *state, int attempts,
                          long status, const char *error, const char *at)
{
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_mark(s, batch_id, state, attempts, status, error, at);
}

int dtc_store_outbox_split(dtc_store *s, int64_t *a, int64_t *b, int64_t batch_id,
                           const char *key_a, const char *key_b, const char *created_at)
{
    *a = *b = 0;
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_split(s, a, b, batch_id, key_a, key_b, created_at);
}

int dtc_store_outbox_retry_dead(dtc_store *s, long *n, const char *dest)
{
    *n = 0;
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_retry_dead(s, n, dest);
}

int dtc_store_outbox_backlog(dtc_store *s,
                             int (*fn)(void *ctx, const char *dest, const char *state, long batches,
                                       long records),
                             void *ctx)
{
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_backlog(s, fn, ctx);
}

int dtc_store_outbox_rename(dtc_store *s, long *n, const char *from, const char *to)
{
    *n = 0;
    if (!s->ops->push) return unsupported(s);
    return s->ops->push->outbox_rename(s, n, from, to);
}
