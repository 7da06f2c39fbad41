/* pagepipe.h: fetch and parse pages on a worker thread while the calling
 * thread stores them, with a bounded queue between the two (at most
 * DTC_PAGEPIPE_DEPTH pages in flight), so the network, the JSON parser and
 * the database work at the same time. */
#ifndef DTC_PAGEPIPE_H
#define DTC_PAGEPIPE_H
#include <stddef.h>

#include "dtcost/errors.h"

#define DTC_PAGEPIPE_DEPTH 4

typedef struct dtc_pagepipe dtc_pagepipe;

/* Called on the worker thread by the walk for each page: copies n items of
 * the pipe's item size into the queue, waiting while it is full. Returns
 * DTC_EINVAL once the sink has failed, so the walk stops. */
int dtc_pagepipe_push(dtc_pagepipe *p, const void *items, size_t n) DTC_MUST_CHECK;

/* Run walk(arg, pipe) on a worker thread and sink(ctx, items, n) on this one
 * for each page, in order. Returns the sink's first failure (0 if none);
 * *walk_rc gets the walk's result. Nothing else may use what the walk uses
 * until this returns. */
int dtc_pagepipe_run(int (*walk)(void *arg, dtc_pagepipe *p), void *arg, size_t item_size,
                     int (*sink)(void *ctx, const void *items, size_t n), void *ctx,
                     int *walk_rc) DTC_MUST_CHECK;

#endif
