/* pagepipe.c: one producer thread, one consumer, a bounded FIFO of pages. */
#include "pagepipe.h"

#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "alloc.h"

typedef struct page {
    struct page *next;
    size_t n;
    unsigned char items[];
} page;

struct dtc_pagepipe {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    page *head, *tail;
    int queued;
    bool done, stop;
    size_t item_size;
    int (*walk)(void *, dtc_pagepipe *);
    void *arg;
    int walk_rc;
};

int dtc_pagepipe_push(dtc_pagepipe *p, const void *items, size_t n)
{
    page *pg = dtc_malloc(sizeof(page) + (n ? n : 1) * p->item_size);
    if (!pg)
        return DTC_ENOMEM;
    pg->next = NULL;
    pg->n = n;
    if (n)
        memcpy(pg->items, items, n * p->item_size);
    pthread_mutex_lock(&p->mu);
    while (p->queued >= DTC_PAGEPIPE_DEPTH && !p->stop)
        pthread_cond_wait(&p->changed, &p->mu);
    if (p->stop) {
        pthread_mutex_unlock(&p->mu);
        dtc_free(pg);
        return DTC_EINVAL;
    }
    if (p->tail)
        p->tail->next = pg;
    else
        p->head = pg;
    p->tail = pg;
    p->queued++;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

static void *worker(void *ud)
{
    dtc_pagepipe *p = ud;
    int rc = p->walk(p->arg, p);
    pthread_mutex_lock(&p->mu);
    p->walk_rc = rc;
    p->done = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int dtc_pagepipe_run(int (*walk)(void *arg, dtc_pagepipe *p), void *arg, size_t item_size,
                     int (*sink)(void *ctx, const void *items, size_t n), void *ctx, int *walk_rc)
{
    dtc_pagepipe p = {.item_size = item_size, .walk = walk, .arg = arg};
    pthread_t th;
    int rc = 0;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.changed, NULL);
    if (pthread_create(&th, NULL, worker, &p) != 0) {
        pthread_mutex_destroy(&p.mu);
        pthread_cond_destroy(&p.changed);
        *walk_rc = DTC_ENOMEM;
        return 0;
    }
    for (;;) {
        pthread_mutex_lock(&p.mu);
        while (!p.head && !p.done)
            pthread_cond_wait(&p.changed, &p.mu);
        page *pg = p.head;
        if (pg) {
            p.head = pg->next;
            if (!p.head)
                p.tail = NULL;
            p.queued--;
            pthread_cond_broadcast(&p.changed);
        }
        pthread_mutex_unlock(&p.mu);
        if (!pg)
            break; /* done and drained */
        if (rc == 0)
            rc = sink(ctx, pg->items, pg->n);
        dtc_free(pg);
        if (rc) {
            pthread_mutex_lock(&p.mu);
            p.stop = true; /* the walk's next push fails and it returns */
            pthread_cond_broadcast(&p.changed);
            pthread_mutex_unlock(&p.mu);
        }
    }
    pthread_join(th, NULL);
    *walk_rc = p.walk_rc;
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.changed);
    return rc;
}
