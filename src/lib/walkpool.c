/* walkpool.c: fetch threads taking walks from a queue, one store thread. */
#include "walkpool.h"

#include <pthread.h>

#include "alloc.h"

#define MAX_GROUPS 64

struct dtc_walkpool {
    dtc_walkpool_opts o;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    dtc_walk *queue, *queue_tail; /* not started */
    dtc_walk *done, *done_tail;   /* fetched, waiting for store */
    int ndone, running, threads_alive;
    bool storing; /* store may add walks: fetchers keep waiting */
    int running_of[MAX_GROUPS];
    bool stop;
};

int dtc_walkpool_new(dtc_walkpool **out, const dtc_walkpool_opts *o)
{
    if (o->threads < 1 || o->threads > 64 || o->max_done < 1) return DTC_EINVAL;
    dtc_walkpool *p = dtc_calloc(1, sizeof(*p));
    if (!p) return DTC_ENOMEM;
    p->o = *o;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->changed, NULL);
    *out = p;
    return 0;
}

static void push(dtc_walk **head, dtc_walk **tail, dtc_walk *w)
{
    w->next = NULL;
    if (*tail)
        (*tail)->next = w;
    else
        *head = w;
    *tail = w;
}

void dtc_walkpool_add(dtc_walkpool *p, dtc_walk *w)
{
    pthread_mutex_lock(&p->mu);
    push(&p->queue, &p->queue_tail, w);
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
}

/* The first queued walk whose group has room, unlinked; NULL when none. */
static dtc_walk *take(dtc_walkpool *p)
{
    if (p->ndone + p->running >= p->o.max_done + p->o.threads)
        return NULL; /* the store is behind: do not fetch more into memory */
    for (dtc_walk **pw = &p->queue, *prev = NULL; *pw; prev = *pw, pw = &(*pw)->next) {
        dtc_walk *w = *pw;
        int g = w->group >= 0 && w->group < MAX_GROUPS ? w->group : 0;
        if (p->running_of[g] >= p->o.group_limit(p->o.ctx, w->group)) continue;
        *pw = w->next;
        if (p->queue_tail == w) p->queue_tail = prev;
        p->running_of[g]++;
        p->running++;
        return w;
    }
    return NULL;
}

static void *fetcher(void *ud)
{
    dtc_walkpool *p = ud;
    void *worker = p->o.worker_new(p->o.ctx);
    pthread_mutex_lock(&p->mu);
    if (!worker) {
        p->threads_alive--;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    for (;;) {
        dtc_walk *w = NULL;
        while (!p->stop && !(w = take(p)) && (p->queue || p->running || p->ndone || p->storing))
            pthread_cond_wait(&p->changed, &p->mu);
        if (!w) break; /* stopped, or nothing left to do */
        pthread_mutex_unlock(&p->mu);
        int rc = p->o.fetch(p->o.ctx, worker, w);
        pthread_mutex_lock(&p->mu);
        w->rc = rc;
        p->running--;
        p->running_of[w->group >= 0 && w->group < MAX_GROUPS ? w->group : 0]--;
        push(&p->done, &p->done_tail, w);
        p->ndone++;
        pthread_cond_broadcast(&p->changed);
    }
    p->threads_alive--;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    p->o.worker_free(p->o.ctx, worker);
    return NULL;
}

static void dispose_list(dtc_walkpool *p, dtc_walk *w)
{
    while (w) {
        dtc_walk *next = w->next;
        p->o.dispose(p->o.ctx, w);
        w = next;
    }
}

int dtc_walkpool_run(dtc_walkpool *p)
{
    pthread_t th[64];
    int started = 0, rc = 0;
    pthread_mutex_lock(&p->mu);
    p->stop = false;
    p->threads_alive = 0;
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->o.threads; i++) {
        pthread_mutex_lock(&p->mu);
        p->threads_alive++;
        pthread_mutex_unlock(&p->mu);
        if (pthread_create(&th[started], NULL, fetcher, p) != 0) {
            pthread_mutex_lock(&p->mu);
            p->threads_alive--;
            pthread_mutex_unlock(&p->mu);
            break;
        }
        started++;
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->done && p->threads_alive > 0 && (p->queue || p->running))
            pthread_cond_wait(&p->changed, &p->mu);
        dtc_walk *w = p->done;
        if (!w) {
            if (p->queue && p->threads_alive == 0 && rc == 0)
                rc = DTC_ENOMEM; /* no thread could start, or all died */
            break;
        }
        p->done = w->next;
        if (!p->done) p->done_tail = NULL;
        p->ndone--;
        p->storing = true;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->mu);
        if (rc == 0) rc = p->o.store(p->o.ctx, w);
        p->o.dispose(p->o.ctx, w);
        pthread_mutex_lock(&p->mu);
        p->storing = false;
        pthread_cond_broadcast(&p->changed);
        if (rc && !p->stop) {
            p->stop = true; /* walks in flight finish; nothing new starts */
            pthread_cond_broadcast(&p->changed);
        }
        if (p->stop && !p->running && !p->done) break;
    }
    p->stop = true;
    pthread_cond_broadcast(&p->changed);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    dispose_list(p, p->done);
    dispose_list(p, p->queue);
    p->done = p->done_tail = p->queue = p->queue_tail = NULL;
    p->ndone = 0;
    return rc;
}

void dtc_walkpool_free(dtc_walkpool *p)
{
    if (!p) return;
    dispose_list(p, p->queue);
    dispose_list(p, p->done);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->changed);
    dtc_free(p);
}
