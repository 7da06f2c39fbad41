/* walkpool.h: walks run on fetch threads, several at once, while the calling
 * thread stores each finished walk whole. A walk is a range of pages fetched
 * one after another (each page's key comes from the one before), so the only
 * way to overlap the network is to run several walks side by side. Walks of
 * one group (an account) run at most group_limit(group) at a time, so the
 * account's request budget is shared fairly; finished walks wait for the
 * store in a queue of at most max_done, which bounds memory. */
#ifndef DTC_WALKPOOL_H
#define DTC_WALKPOOL_H
#include <stdbool.h>

#include "dtcost/errors.h"

/* The head of the caller's walk: embed it first in the walk's struct. */
typedef struct dtc_walk {
    struct dtc_walk *next; /* the pool's */
    int group;             /* set by the caller: the account */
    int rc;                /* set by the pool: what fetch returned */
} dtc_walk;

typedef struct dtc_walkpool_opts {
    int threads;  /* fetch threads (1..64) */
    int max_done; /* finished walks waiting for store, at most (>= 1) */
    /* How many walks of group may run now (read before each start). */
    int (*group_limit)(void *ctx, int group);
    /* Per fetch thread state (its own HTTP connection...), NULL on failure. */
    void *(*worker_new)(void *ctx);
    void (*worker_free)(void *ctx, void *worker);
    /* On a fetch thread: run the walk, keep what it got in the walk, return
     * 0 or an error code (the pool puts it in w->rc). */
    int (*fetch)(void *ctx, void *worker, dtc_walk *w);
    /* On the calling thread, each finished walk in the order they finish
     * (failed ones too: w->rc). It may add walks. Non-zero stops the run. */
    int (*store)(void *ctx, dtc_walk *w);
    /* Free a walk: after store, or never run when the run stopped. */
    void (*dispose)(void *ctx, dtc_walk *w);
    void *ctx;
} dtc_walkpool_opts;

typedef struct dtc_walkpool dtc_walkpool;

int dtc_walkpool_new(dtc_walkpool **out, const dtc_walkpool_opts *o) DTC_MUST_CHECK;
/* Queue a walk (first in, first out within the group limits). The pool owns
 * it from now on. Callable before run and from store. */
void dtc_walkpool_add(dtc_walkpool *p, dtc_walk *w);
/* Run until every queued walk is stored, or store fails: then the walks in
 * flight finish (each within its own request budget), and they and the
 * queued ones are disposed unstored. Returns store's failure, 0, or
 * DTC_ENOMEM when no fetch thread could start. */
int dtc_walkpool_run(dtc_walkpool *p) DTC_MUST_CHECK;
void dtc_walkpool_free(dtc_walkpool *p);

#endif
