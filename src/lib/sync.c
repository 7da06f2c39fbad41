/* sync.c: the sync engine. Per account: environments, then per subscription
 * its detail, daily cost and usage (one transaction each). Then the walks,
 * every account's side by side: per-environment cost and usage in chunks of
 * days, and cost allocation per environment and field once a subscription's
 * costs are in; up to `concurrency` requests in flight per account
 * (walkpool.c, limiter.c), each finished walk stored whole with the days it
 * covered, in one transaction. Then forecast, rate cards, events and the
 * cost-allocation values. A rerun reads every day no run has covered yet,
 * plus the trailing window, since Dynatrace books late; upserts make every
 * rerun idempotent. */
#include "dtcost/sync.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "dtcost/auth.h"
#include "dtcost/dps.h"
#include "dtcost/http.h"
#include "dtcost/retry.h"
#include "limiter.h"
#include "walkpool.h"
#include "timeutil.h"

/* One account during a run: its connection, token, request budget and the
 * main thread's API handle (fetch threads have their own, sharing the rest). */
typedef struct acct {
    const dtc_account_cfg *cfg;
    dtc_http *http;
    dtc_auth *auth;
    dtc_limiter *lim;
    dtc_dps *dps;
    int64_t events_from; /* first day a walk of this account reads */
    bool failed;         /* its set-up failed: no walks */
} acct;

/* A subscription whose walks are planned. */
typedef struct subst {
    int account;
    char uuid[40];
    int64_t start, to;   /* days the walks may cover */
    int cost_walks_left; /* cost walks not stored yet; allocation is planned at 0 */
    int alloc_off;       /* its cost allocation was refused (4xx): skip the rest (atomic) */
} subst;

typedef struct run {
    const dtc_sync_opts *o;
    dtc_sync_result *r;
    dtc_store *db;
    acct *accts;
    size_t naccts;
    subst *subs;
    size_t nsubs, subcap;
    dtc_walkpool *pool;
    pthread_mutex_t mu; /* counters fetch threads add to */
    long walk_requests, walk_retries;
    dtc_dps *dps; /* the current account's main handle */
    const dtc_account_cfg *acct;
    const char *sub;
    const char *step;
    int64_t t0;
    bool warned_deprecation;
    struct writer *writer; /* a second connection storing allocation walks, or NULL */
    struct outage *down;   /* the database's outages, shared with the writer */
    bool no_retry;         /* the run has failed: its bookkeeping tries the database once */
    int64_t last_ok;       /* when db last did what was asked (an outage began after?) */
} run;

static void warn(run *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(run *x, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    x->r->stats.warnings++;
    if (x->o->warn) x->o->warn(x->o->ctx, msg);
}

static void progress(run *x)
{
    if (!x->o->progress) return;
    long requests = 0;
    for (size_t i = 0; i < x->naccts; i++) {
        dtc_limiter_stats st;
        if (x->accts[i].lim) {
            dtc_limiter_stats_get(x->accts[i].lim, &st);
            requests += st.requests;
        }
    }
    dtc_sync_progress p = {x->acct ? x->acct->uuid : "",
                           x->sub ? x->sub : "",
                           x->step,
                           x->r->pages,
                           x->r->stats.inserted + x->r->stats.updated,
                           requests,
                           dtc_mono_ms() - x->t0};
    x->o->progress(x->o->ctx, &p);
}

static int fail_dps(run *x, int rc)
{
    snprintf(x->r->err, sizeof(x->r->err), "%s", dtc_dps_errmsg(x->dps));
    return rc;
}

static int fail_db(run *x, int rc)
{
    snprintf(x->r->err, sizeof(x->r->err), "%s (database %s)", dtc_store_errmsg(x->db),
             x->o->cfg->database);
    return rc;
}

static void count(run *x, dtc_put p)
{
    if (p == DTC_PUT_INSERTED)
        x->r->stats.inserted++;
    else if (p == DTC_PUT_UPDATED)
        x->r->stats.updated++;
}

static int put(run *x, dtc_fact f, const dtc_val *k, const dtc_val *v, const char *booking)
{
    dtc_put p;
    int rc = dtc_store_put(x->db, &p, f, k, v, booking);
    if (rc == 0) count(x, p);
    return rc;
}

/* Rows of one fact gathered for dtc_store_put_many, which writes a batch in
 * a few round trips on a server; sent PUT_SLICE rows at a time, which bounds
 * the arrays a walk of millions of records needs. */
#define PUT_SLICE 4096
typedef struct slice {
    run *x;
    dtc_fact f;
    size_t nk, nv, n, cap;
    dtc_val *k, *v;
    const char **booking;
    char (*day)[16]; /* the rows' days as text */
} slice;

/* For up to `rows` rows of nk keys and nv values. */
static int slice_open(slice *sl, run *x, dtc_fact f, size_t nk, size_t nv, size_t rows)
{
    *sl = (slice){.x = x, .f = f, .nk = nk, .nv = nv, .cap = rows < PUT_SLICE ? rows : PUT_SLICE};
    if (sl->cap == 0) return 0;
    sl->k = dtc_calloc(sl->cap * nk, sizeof(dtc_val));
    sl->v = dtc_calloc(sl->cap * nv, sizeof(dtc_val));
    sl->booking = dtc_calloc(sl->cap, sizeof(*sl->booking));
    sl->day = dtc_calloc(sl->cap, sizeof(*sl->day));
    if (sl->k && sl->v && sl->booking && sl->day) return 0;
    snprintf(x->r->err, sizeof(x->r->err), "out of memory");
    return DTC_ENOMEM;
}

/* day as text, kept until the next row is added. */
static const char *slice_day(slice *sl, int64_t day)
{
    dtc_fmt_date(sl->day[sl->n], day);
    return sl->day[sl->n];
}

static int slice_flush(slice *sl)
{
    dtc_put_counts c;
    int rc = sl->n ? dtc_store_put_many(sl->x->db, &c, sl->f, sl->k, sl->v, sl->booking, sl->n) : 0;
    if (rc == 0 && sl->n) {
        sl->x->r->stats.inserted += c.inserted;
        sl->x->r->stats.updated += c.updated;
    }
    sl->n = 0;
    return rc;
}

/* Copy a row in (its strings must live until the slice is sent). */
static int slice_add(slice *sl, const dtc_val *k, const dtc_val *v, const char *booking)
{
    memcpy(sl->k + sl->n * sl->nk, k, sl->nk * sizeof(*k));
    memcpy(sl->v + sl->n * sl->nv, v, sl->nv * sizeof(*v));
    sl->booking[sl->n++] = booking;
    return sl->n == sl->cap ? slice_flush(sl) : 0;
}

static void slice_close(slice *sl)
{
    dtc_free(sl->k);
    dtc_free(sl->v);
    dtc_free(sl->booking);
    dtc_free(sl->day);
}

static int begin(run *x)
{
    int rc = dtc_store_begin(x->db);
    return rc ? fail_db(x, rc) : 0;
}

/* Commit a transaction; on a failed write roll it back whole. */
static int commit(run *x, int rc)
{
    if (rc) {
        dtc_store_rollback(x->db);
        return x->r->err[0] ? rc : fail_db(x, rc);
    }
    rc = dtc_store_commit(x->db);
    if (rc) {
        dtc_store_rollback(x->db);
        return fail_db(x, rc);
    }
    return 0;
}

/* ---- a lost database connection ---- */

/* A server restarted or failed over takes both of a run's connections (its
 * own and the allocation writer's) at once, though an idle one finds out
 * only when it next writes: one warning when the first loses it, one when
 * the last has it back, and none for a connection that finds it lost later
 * without having written since the outage began. */
typedef struct outage {
    pthread_mutex_t mu;
    int lost;      /* connections waiting to reconnect */
    bool any;      /* there was an outage in this run */
    bool over;     /* its "reconnected" was said */
    int64_t since; /* when the last outage began */
} outage;

static long lock_wait_ms(const run *x)
{
    return 1000L * (x->o->lock_seconds > 0 ? x->o->lock_seconds : 300);
}

/* The store's message m without DTC_STORE_LOST_ADVICE at its end. */
static void without_advice(const char *m, char *out, size_t outlen)
{
    size_t len = strlen(m), adv = strlen(DTC_STORE_LOST_ADVICE);
    if (len >= adv && strcmp(m + len - adv, DTC_STORE_LOST_ADVICE) == 0) len -= adv;
    snprintf(out, outlen, "%.*s", (int)len, m);
}

/* x->db's connection was lost (the store's message says how) at lost_at:
 * connect again until db_retry seconds after the outage began (lost_at, or
 * earlier when another connection lost it first), backing off between
 * attempts (retry.c), and take the run's locks again (store.h:
 * dtc_store_reconnect; *committed as it says). Past the bound, or when
 * cancelled: DTC_EDBLOST, with the run's one line saying so. */
static int reconnect(run *x, int64_t lost_at, int *committed)
{
    const int64_t window = 1000LL * x->o->cfg->db_retry;
    char lost[512], last[512];
    without_advice(dtc_store_errmsg(x->db), lost, sizeof(lost));
    pthread_mutex_lock(&x->down->mu);
    bool known = x->down->lost > 0 || (x->down->any && x->last_ok <= x->down->since);
    if (!known) {
        x->down->any = true;
        x->down->over = false;
        x->down->since = dtc_mono_ms();
        warn(x, "%s; retrying for up to %d s", lost, x->o->cfg->db_retry);
    }
    if (x->down->since < lost_at) lost_at = x->down->since; /* one window per outage */
    x->down->lost++;
    pthread_mutex_unlock(&x->down->mu);
    dtc_backoff b;
    dtc_backoff_init(&b, 250, 2000, 0, DTC_JITTER_EQUAL, (uint64_t)lost_at ^ (uintptr_t)x);
    int rc = DTC_EDBLOST;
    bool cancelled = false;
    for (int k = 0; rc == DTC_EDBLOST; k++) {
        int64_t left = lost_at + window - dtc_mono_ms();
        if (left <= 0 || (cancelled = x->o->cancel && *x->o->cancel)) break;
        rc = dtc_store_reconnect(x->db, committed, left, lock_wait_ms(x), x->o->cancel);
        if (rc != DTC_EDBLOST) break;
        int64_t d = dtc_backoff_next(&b, k, -1);
        left = lost_at + window - dtc_mono_ms();
        if (left > 0 && dtc_sleep_ms(d < left ? d : left, x->o->cancel)) cancelled = true;
    }
    pthread_mutex_lock(&x->down->mu);
    if (--x->down->lost == 0 && rc == 0 && !x->down->over) {
        x->down->over = true;
        warn(x, "database: reconnected after %lld s; %s",
             (long long)((dtc_mono_ms() - x->down->since) / 1000),
             *committed ? "the transaction in flight had committed"
                        : "redoing the transaction in flight");
    }
    pthread_mutex_unlock(&x->down->mu);
    if (rc == DTC_EDBLOST) {
        /* the last attempt's failure, when there was one (it names the
         * database when it was a connection attempt); the advice once */
        without_advice(dtc_store_errmsg(x->db), last, sizeof(last));
        bool again = strcmp(last, lost) != 0;
        bool named = again && strstr(last, x->o->cfg->database);
        snprintf(x->r->err, sizeof(x->r->err),
                 "%s; %s after %lld s of retrying%s%.300s%s" DTC_STORE_LOST_ADVICE "%s%.200s%s",
                 lost, cancelled ? "interrupted by a signal" : "not back",
                 (long long)((dtc_mono_ms() - lost_at) / 1000), again ? " (" : "",
                 again ? last : "", again ? ")" : "", named ? "" : " (database ",
                 named ? "" : x->o->cfg->database, named ? "" : ")");
    } else if (rc)
        fail_db(x, rc);
    return rc;
}

/* Do body(x, arg) against the database, inside one transaction when tx (a
 * page, a walk, the run's bookkeeping), and do it again whole when the
 * connection was lost and is back (reconnect): every body works from
 * what the run holds in memory, and every write is an idempotent upsert.
 * A redone transaction's counts replace the lost attempt's; one that had
 * committed after all is not redone. */
static int with_db(run *x, bool tx, int (*body)(run *x, void *arg), void *arg)
{
    int64_t lost_at = 0;
    for (;;) {
        long inserted = x->r->stats.inserted, updated = x->r->stats.updated;
        int rc = tx ? begin(x) : 0;
        if (rc == 0) {
            rc = body(x, arg);
            if (tx) rc = commit(x, rc);
        }
        if (rc == 0) x->last_ok = dtc_mono_ms();
        if (rc != DTC_EDBLOST || x->no_retry || x->o->cfg->db_retry <= 0) return rc;
        if (!lost_at) lost_at = dtc_mono_ms(); /* the bound holds across redos */
        int committed = 0;
        if ((rc = reconnect(x, lost_at, &committed)) != 0) return rc;
        x->r->err[0] = '\0'; /* the loss's message is over, whether redone or not */
        if (committed) return 0;
        x->r->stats.inserted = inserted;
        x->r->stats.updated = updated;
    }
}

/* A one-page transaction (a single document's rows), redone after a lost
 * connection. */
static int one_page(run *x, int (*body)(run *x, void *arg), void *arg)
{
    int rc = with_db(x, true, body, arg);
    if (rc) return rc;
    x->r->pages++;
    progress(x);
    return 0;
}

/* A refusal of cost allocation that means "not for this contract" rather
 * than a broken run: the contract documents 400, 401 and 403 and no 404
 * (live accounts' answer is unknown), 410 would mean it was removed. A 400
 * for a page size over the server's cap was already retried at 50 (dps.c). */
static bool alloc_unavailable(long status)
{
    return status == 400 || status == 401 || status == 403 || status == 404 || status == 410;
}

/* The same for the account-wide reads (environment names; at the end of a
 * run forecast, rate cards, events, cost centres and products): none is documented for every
 * account kind, so a refusal, a missing or removed endpoint or a transport
 * failure costs that read, with a warning, not the run. An answer that does
 * not parse still fails it (DTC_EPARSE: a value out of range is named). */
static bool extra_unavailable(int rc)
{
    return rc == DTC_EAUTH || rc == DTC_ENOTFOUND || rc == DTC_EREQUEST || rc == DTC_EGONE ||
           rc == DTC_EHTTP;
}

/* Why an optional read was not synced: the refusal as Dynatrace gave it
 * (the advice dtc_dps_errmsg adds to a 400, 401, 404 or 410 is for reads
 * that must succeed), or the whole message for a missing scope (403: which
 * scope) and a transport failure. */
static const char *why_not(const dtc_dps *d)
{
    bool plain = dtc_dps_refusal(d)[0] && dtc_dps_last_status(d) != 403;
    return plain ? dtc_dps_refusal(d) : dtc_dps_errmsg(d);
}

struct env_list {
    const dtc_environment *envs;
    size_t n;
};

static int put_environments(run *x, void *arg)
{
    const struct env_list *l = arg;
    int rc = 0;
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(l->envs[i].id)};
        dtc_val v[] = {l->envs[i].has_name ? DTC_TEXT(l->envs[i].name) : DTC_NULL,
                       DTC_INT(l->envs[i].active), DTC_TEXT(l->envs[i].url)};
        rc = put(x, DTC_FACT_ENVIRONMENT, k, v, NULL);
    }
    return rc;
}

static int sync_environments(run *x)
{
    dtc_environment *envs = NULL;
    size_t n = 0;
    x->step = "environments";
    int rc = dtc_dps_environments(x->dps, &envs, &n);
    if (extra_unavailable(rc)) {
        /* Names are a convenience: without account-env-read, ids stay ids. */
        warn(x, "environment names not synced: %s", why_not(x->dps));
        return 0;
    }
    if (rc) return fail_dps(x, rc);
    rc = one_page(x, put_environments, &(struct env_list){envs, n});
    dtc_free(envs);
    return rc;
}

static int put_detail(run *x, void *arg)
{
    const dtc_subscription_detail *d = arg;
    char sd[16], ed[16], ps[16], pe[16];
    dtc_fmt_date(sd, d->sub.start_day);
    dtc_fmt_date(ed, d->sub.end_day);
    dtc_fmt_date(ps, d->sub.period_start);
    dtc_fmt_date(pe, d->sub.period_end);
    dtc_val k[] = {DTC_TEXT(d->sub.uuid)};
    dtc_val v[] = {DTC_TEXT(x->acct->uuid),
                   DTC_TEXT(d->sub.name),
                   DTC_TEXT(d->type),
                   DTC_TEXT(d->sub_type),
                   DTC_TEXT(d->sub.status),
                   DTC_TEXT(d->sub.currency),
                   DTC_TEXT(sd),
                   DTC_TEXT(ed),
                   DTC_TEXT(ps),
                   DTC_TEXT(pe),
                   DTC_INT(d->sub.days_remaining),
                   DTC_INT(d->sub.budget_total),
                   DTC_INT(d->sub.budget_used)};
    int rc = put(x, DTC_FACT_SUBSCRIPTION, k, v, NULL);
    for (size_t i = 0; i < d->nperiods && rc == 0; i++) {
        dtc_val pk[] = {DTC_TEXT(d->sub.uuid), DTC_TEXT(d->periods[i].start)};
        dtc_val pv[] = {DTC_TEXT(d->periods[i].end)};
        rc = put(x, DTC_FACT_PERIOD, pk, pv, NULL);
    }
    for (size_t i = 0; i < d->ncaps && rc == 0; i++) {
        dtc_val ck[] = {DTC_TEXT(d->sub.uuid), DTC_TEXT(d->caps[i].key)};
        dtc_val cv[] = {DTC_TEXT(d->caps[i].name)};
        rc = put(x, DTC_FACT_CAPABILITY, ck, cv, NULL);
    }
    return rc;
}

static int sync_detail(run *x, const dtc_subscription_detail *d)
{
    return one_page(x, put_detail, (void *)d);
}

/* A subscription's daily cost (n days) or usage (n records), kept until
 * stored so a transaction lost with the connection can be redone. */
typedef struct daily {
    const char *sub;
    const dtc_cost_day *days;
    const char (*booking)[32];
    const dtc_record *usage;
    size_t n;
} daily;

static int put_cost_days(run *x, void *arg)
{
    const daily *c = arg;
    slice sl;
    int rc = slice_open(&sl, x, DTC_FACT_COST_DAY, 2, 3, c->n);
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        if (c->days[i].day > x->o->today) continue;
        const char *booking = c->booking[i][0] ? c->booking[i] : NULL;
        dtc_val k[] = {DTC_TEXT(c->sub), DTC_TEXT(slice_day(&sl, c->days[i].day))};
        dtc_val v[] = {DTC_INT(c->days[i].cost), DTC_TEXT(c->days[i].currency), DTC_TEXT(booking)};
        rc = slice_add(&sl, k, v, booking);
    }
    if (rc == 0) rc = slice_flush(&sl);
    slice_close(&sl);
    return rc;
}

static int put_usage_days(run *x, void *arg)
{
    const daily *c = arg;
    slice sl;
    int rc = slice_open(&sl, x, DTC_FACT_USAGE_DAY, 3, 3, c->n);
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        const dtc_record *u = &c->usage[i];
        if (u->day > x->o->today) continue;
        dtc_val k[] = {DTC_TEXT(c->sub), DTC_TEXT(u->cap), DTC_TEXT(slice_day(&sl, u->day))};
        dtc_val v[] = {DTC_REAL(u->value), DTC_TEXT(u->unit), DTC_TEXT(u->cap_name)};
        rc = slice_add(&sl, k, v, NULL);
    }
    if (rc == 0) rc = slice_flush(&sl);
    slice_close(&sl);
    return rc;
}

static int sync_cost_and_usage(run *x, const char *sub)
{
    dtc_cost_day *days = NULL;
    char(*booking)[32] = NULL;
    dtc_record *usage = NULL;
    size_t n = 0, nu = 0;
    x->step = "daily cost";
    int rc = dtc_dps_cost_booked(x->dps, &days, &booking, &n, sub);
    if (rc) return fail_dps(x, rc);
    if ((rc = one_page(x, put_cost_days,
                       &(daily){.sub = sub, .days = days, .booking = booking, .n = n})) != 0)
        goto done;
    x->step = "usage";
    if ((rc = dtc_dps_usage(x->dps, &usage, &nu, sub)) != 0) {
        rc = fail_dps(x, rc);
        goto done;
    }
    rc = one_page(x, put_usage_days, &(daily){.sub = sub, .usage = usage, .n = nu});
done:
    dtc_free(days);
    dtc_free(booking);
    dtc_free(usage);
    return rc;
}

/* ---- walks: per-environment cost and usage, cost allocation ---- */

enum { WALK_COST, WALK_USAGE, WALK_ALLOC };
static const char *walk_step[] = {"environment cost", "environment usage", "cost allocation"};

/* A walk cannot hold more than this many records (a hostile or broken
 * server that never stops paging); chunk_days x environments x capabilities
 * of a real account stays far below. */
#define WALK_MAX_RECORDS 4000000

typedef struct job {
    dtc_walk head; /* first: the pool's part */
    int kind;
    subst *sub;
    char env[64]; /* WALK_ALLOC: environment and field */
    const char *field;
    int64_t from, to;
    /* what the fetch got */
    dtc_record *recs;
    dtc_cost_allocation *allocs;
    size_t n, cap;
    long pages, status;
    int used_v2, skipped;
    char deprecation[64], sunset[64];
    char err[1024];
    char why_not[512]; /* failed: why, as an optional read's warning says it (why_not) */
} job;

/* A fetch thread: its own connection and one API handle per account. */
typedef struct worker {
    run *x;
    dtc_http *http;
    dtc_dps **dps;
} worker;

/* A page's items appended to the walk's array (*arr of *elem-sized items). */
static int job_append(job *j, void **arr, size_t elem, const void *items, size_t n)
{
    j->pages++;
    if (n == 0) return 0; /* an empty page: nothing to copy (and maybe no array) */
    if (j->n + n > WALK_MAX_RECORDS) return DTC_ETOOBIG;
    if (j->n + n > j->cap) {
        size_t cap = j->cap ? j->cap : 1024;
        while (cap < j->n + n)
            cap *= 2;
        void *g = dtc_realloc(*arr, cap * elem);
        if (!g) return DTC_ENOMEM;
        *arr = g;
        j->cap = cap;
    }
    memcpy((char *)*arr + j->n * elem, items, n * elem);
    j->n += n;
    return 0;
}

static int job_records(void *ud, const dtc_record *recs, size_t n)
{
    job *j = ud;
    return job_append(j, (void **)&j->recs, sizeof(*recs), recs, n);
}

static int job_allocs(void *ud, const dtc_cost_allocation *a, size_t n)
{
    job *j = ud;
    return job_append(j, (void **)&j->allocs, sizeof(*a), a, n);
}

static void *worker_new(void *ctx)
{
    run *x = ctx;
    worker *w = dtc_calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->x = x;
    w->dps = dtc_calloc(x->naccts ? x->naccts : 1, sizeof(*w->dps));
    if (!w->dps || dtc_http_new(&w->http, DTC_CAP_JSON_DOC) != 0) {
        dtc_free(w->dps);
        dtc_free(w);
        return NULL;
    }
    return w;
}

static void worker_free(void *ctx, void *ud)
{
    run *x = ctx;
    worker *w = ud;
    long requests = 0, retries = 0;
    for (size_t i = 0; i < x->naccts; i++) {
        if (!w->dps[i]) continue;
        requests += dtc_dps_requests(w->dps[i]);
        retries += dtc_dps_retries(w->dps[i]);
        dtc_dps_free(w->dps[i]);
    }
    pthread_mutex_lock(&x->mu);
    x->walk_requests += requests;
    x->walk_retries += retries;
    pthread_mutex_unlock(&x->mu);
    dtc_free(w->dps);
    dtc_http_free(w->http);
    dtc_free(w);
}

static int api_of(run *x, worker *w, int account, dtc_dps **out)
{
    if (!w->dps[account]) {
        const acct *a = &x->accts[account];
        dtc_dps_opts po = {.api_url = a->cfg->api_url,
                           .account_uuid = a->cfg->uuid,
                           .auth = a->auth,
                           .http = w->http,
                           .limiter = a->lim,
                           .retry_attempts = x->o->retry_attempts,
                           .retry_seconds = x->o->retry_seconds,
                           .retry_base_ms = x->o->retry_base_ms};
        int rc = dtc_dps_new(&w->dps[account], &po);
        if (rc) return rc;
    }
    *out = w->dps[account];
    return 0;
}

/* On a fetch thread: every page of the walk into the job. */
static int fetch_walk(void *ctx, void *ud, dtc_walk *head)
{
    run *x = ctx;
    job *j = (job *)head;
    dtc_dps *api;
    int rc = api_of(x, ud, j->sub->account, &api);
    if (rc) return rc;
    if (j->kind == WALK_ALLOC) {
        if (__atomic_load_n(&j->sub->alloc_off, __ATOMIC_ACQUIRE)) {
            j->skipped = 1;
            return 0;
        }
        rc = dtc_dps_cost_allocation(api, j->sub->uuid, j->env, j->field, j->from, j->to,
                                     x->o->cfg->alloc_page_size, job_allocs, j);
    } else {
        rc = dtc_dps_env_records(api, j->sub->uuid, j->kind == WALK_COST, j->from, j->to,
                                 x->o->cfg->page_size, job_records, j, &j->used_v2);
    }
    if (rc == DTC_ETOOBIG)
        snprintf(j->err, sizeof(j->err),
                 "%s of subscription %s: more than %d records in one walk of %d days; "
                 "a broken server? (lower chunk_days to split it)",
                 walk_step[j->kind], j->sub->uuid, WALK_MAX_RECORDS, (int)(j->to - j->from + 1));
    else if (rc)
        snprintf(j->err, sizeof(j->err), "%s", dtc_dps_errmsg(api));
    if (rc) snprintf(j->why_not, sizeof(j->why_not), "%s", why_not(api));
    j->status = dtc_dps_last_status(api);
    snprintf(j->deprecation, sizeof(j->deprecation), "%s", dtc_dps_deprecation(api));
    snprintf(j->sunset, sizeof(j->sunset), "%s", dtc_dps_sunset(api));
    return rc;
}

static void dispose_walk(void *ctx, dtc_walk *head)
{
    job *j = (job *)head;
    dtc_free(j->recs);
    dtc_free(j->allocs);
    dtc_free(j);
}

static int group_limit(void *ctx, int group)
{
    run *x = ctx;
    dtc_limiter_stats st;
    dtc_limiter_stats_get(x->accts[group].lim, &st);
    return st.limit;
}

static void scope_of(char *dst, size_t n, const job *j)
{
    if (j->kind == WALK_ALLOC)
        snprintf(dst, n, "alloc:%s:%s:%s", j->sub->uuid, j->env, j->field);
    else
        snprintf(dst, n, "%s:%s", j->kind == WALK_COST ? "env_cost" : "env_usage", j->sub->uuid);
}

static int put_records(run *x, const job *j)
{
    bool cost = j->kind == WALK_COST;
    slice sl;
    int rc = slice_open(&sl, x, cost ? DTC_FACT_ENV_COST_DAY : DTC_FACT_ENV_USAGE_DAY, 4,
                        cost ? 5 : 3, j->n);
    for (size_t i = 0; i < j->n && rc == 0; i++) {
        const dtc_record *r = &j->recs[i];
        dtc_val k[] = {DTC_TEXT(j->sub->uuid), DTC_TEXT(r->env), DTC_TEXT(r->cap),
                       DTC_TEXT(slice_day(&sl, r->day))};
        if (cost) {
            dtc_val v[] = {DTC_INT(r->cost), DTC_TEXT(r->unit),
                           r->booking[0] ? DTC_TEXT(r->booking) : DTC_NULL,
                           r->cluster[0] ? DTC_TEXT(r->cluster) : DTC_NULL, DTC_TEXT(r->cap_name)};
            rc = slice_add(&sl, k, v, r->booking[0] ? r->booking : NULL);
        } else {
            dtc_val v[] = {DTC_REAL(r->value), DTC_TEXT(r->unit),
                           r->cluster[0] ? DTC_TEXT(r->cluster) : DTC_NULL};
            rc = slice_add(&sl, k, v, NULL);
        }
    }
    if (rc == 0) rc = slice_flush(&sl);
    slice_close(&sl);
    return rc;
}

static int put_allocations(run *x, const job *j)
{
    slice sl;
    int rc = slice_open(&sl, x, DTC_FACT_ALLOCATION, 6, 1, j->n);
    for (size_t i = 0; i < j->n && rc == 0; i++) {
        const dtc_cost_allocation *a = &j->allocs[i];
        dtc_val k[] = {DTC_TEXT(j->sub->uuid),  DTC_TEXT(j->env),
                       DTC_TEXT(j->field),      DTC_TEXT(a->key),
                       DTC_TEXT(a->capability), DTC_TEXT(slice_day(&sl, a->day))};
        dtc_val v[] = {DTC_INT(a->cost)};
        rc = slice_add(&sl, k, v, NULL);
    }
    if (rc == 0) rc = slice_flush(&sl);
    slice_close(&sl);
    return rc;
}

static int plan_allocation(run *x, subst *s);

static int put_walk(run *x, void *arg)
{
    const job *j = arg;
    char scope[256];
    scope_of(scope, sizeof(scope), j);
    int rc = j->kind == WALK_ALLOC ? put_allocations(x, j) : put_records(x, j);
    return rc ? rc : dtc_store_coverage_add(x->db, scope, j->from, j->to);
}

/* A walk's rows and the days it covered, in one transaction (redone whole
 * after a lost connection: the rows stay in memory until stored). */
static int write_walk(run *x, const job *j)
{
    return with_db(x, true, put_walk, (void *)j);
}

/* ---- the second writer ---- */

/* On a server, cost-allocation walks (three quarters of a sync's rows) are
 * stored by a second connection on a thread of its own while this thread
 * stores the rest, so the server works on two transactions at once, one per
 * core. Each walk is still one transaction with the days it covered; the
 * walks of one scope are stored in order, each by whichever writer holds
 * that scope's earlier walk, so each scope's coverage is merged by one
 * transaction at a time. The writer holds one walk waiting at most, and
 * its first failure stops the run (store_walk returns it). Cost and usage
 * walks stay on this connection: a subscription's allocation is planned
 * from the environments its committed cost rows name. */
typedef struct writer {
    run wx; /* the run as the writer's connection sees it: its own db and result */
    dtc_sync_result res;
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *next, *busy; /* waiting; being stored */
    bool stop, abandon;
    int rc; /* its first failure, message in res.err */
} writer;

static void job_free(job *j)
{
    if (!j) return;
    dtc_free(j->recs);
    dtc_free(j->allocs);
    dtc_free(j);
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->next && !w->stop)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->next || (w->stop && w->abandon)) break;
        w->busy = w->next;
        w->next = NULL;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->mu);
        int rc = write_walk(&w->wx, w->busy);
        pthread_mutex_lock(&w->mu);
        job_free(w->busy);
        w->busy = NULL;
        if (rc) w->rc = rc;
        pthread_cond_broadcast(&w->cv);
        if (rc) break;
    }
    job_free(w->next); /* stopped: a walk still waiting is not stored */
    w->next = NULL;
    w->stop = true;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* A second connection and its thread, when the store gains from one; a
 * server refusing the connection (a role's connection limit) leaves the
 * run's own connection to store everything, as before, with a warning. */
static int writer_start(run *x)
{
    dtc_store *db = NULL;
    if (dtc_store_open_writer(x->db, &db) != 0) {
        warn(x, "%s: storing on one connection (slower)", dtc_store_errmsg(x->db));
        return 0;
    }
    if (!db) return 0;
    writer *w = dtc_calloc(1, sizeof(*w));
    if (!w) {
        dtc_store_close(db);
        return DTC_ENOMEM;
    }
    w->wx = *x;
    w->wx.db = db;
    w->wx.r = &w->res;
    w->wx.writer = NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->th, NULL, writer_main, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        dtc_store_close(db);
        dtc_free(w);
        snprintf(x->r->err, sizeof(x->r->err), "cannot start the database writer thread");
        return DTC_ENOMEM;
    }
    x->writer = w;
    return 0;
}

/* Let the writer store what it holds (or, when the run failed with rc,
 * drop what waits), then end it: its counts join the run's; its failure is
 * the run's when the run had none. */
static int writer_end(run *x, int rc)
{
    writer *w = x->writer;
    if (!w) return rc;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    w->abandon = rc != 0;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL);
    x->r->stats.inserted += w->res.stats.inserted;
    x->r->stats.updated += w->res.stats.updated;
    x->r->stats.warnings += w->res.stats.warnings;
    if (rc == 0 && w->rc) {
        snprintf(x->r->err, sizeof(x->r->err), "%s",
                 w->res.err[0] ? w->res.err : dtc_strerror(w->rc));
        rc = w->rc;
    }
    dtc_store_close(w->wx.db);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    dtc_free(w);
    x->writer = NULL;
    return rc;
}

static bool same_scope(const job *a, const job *b)
{
    char sa[256], sb[256];
    if (!a || !b) return false;
    scope_of(sa, sizeof(sa), a);
    scope_of(sb, sizeof(sb), b);
    return strcmp(sa, sb) == 0;
}

/* Hand j's rows to the writer (*taken true), or leave them to this thread
 * when the writer is busy with other scopes (*taken false); wait while the
 * writer holds an earlier walk of j's scope and has no room. */
static int writer_take(run *x, job *j, bool *taken)
{
    writer *w = x->writer;
    int rc = 0;
    *taken = false;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        if (w->rc || w->stop) {
            /* The writer stops on its own only after a failure, whose
             * message it set before w->rc (under w->mu). */
            snprintf(x->r->err, sizeof(x->r->err), "%s",
                     w->res.err[0] ? w->res.err : "the database writer thread stopped");
            rc = w->rc ? w->rc : DTC_EDB;
            break;
        }
        bool mine = same_scope(w->busy, j) || same_scope(w->next, j);
        if (!w->next) {
            job *c = dtc_malloc(sizeof(*c));
            if (!c) {
                rc = DTC_ENOMEM;
                break;
            }
            *c = *j; /* the rows move to the copy; the pool frees j's shell */
            j->recs = NULL;
            j->allocs = NULL;
            w->next = c;
            *taken = true;
            pthread_cond_broadcast(&w->cv);
            break;
        }
        if (!mine) break;
        pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* On this thread: a finished walk, stored whole with the days it covered. */
static int store_walk(void *ctx, dtc_walk *head)
{
    run *x = ctx;
    job *j = (job *)head;
    subst *s = j->sub;
    x->acct = x->accts[s->account].cfg;
    x->sub = s->uuid;
    x->step = walk_step[j->kind];
    if (j->head.rc && j->kind == WALK_ALLOC && alloc_unavailable(j->status)) {
        /* Cost allocation exists only for some contracts: not a failure. */
        if (!__atomic_exchange_n(&s->alloc_off, 1, __ATOMIC_ACQ_REL))
            warn(x,
                 "cost allocation of subscription %s not synced: %s (it exists only for SaaS DPS "
                 "contracts signed after April 2023)",
                 s->uuid, j->why_not);
        return 0;
    }
    if (j->head.rc) {
        snprintf(x->r->err, sizeof(x->r->err), "%s", j->err[0] ? j->err : dtc_strerror(j->head.rc));
        return j->head.rc;
    }
    if (j->skipped) return 0;
    bool taken = false;
    int rc = x->writer && j->kind == WALK_ALLOC ? writer_take(x, j, &taken) : 0;
    if (rc == 0 && !taken) rc = write_walk(x, j);
    if (rc) return rc;
    x->r->pages += j->pages;
    if (j->used_v2 && !x->warned_deprecation && j->deprecation[0]) {
        x->warned_deprecation = true;
        warn(x,
             "v3 per-environment endpoints answered 404, using deprecated v2 (Deprecation: %s, "
             "Sunset: %s)",
             j->deprecation, j->sunset);
    }
    progress(x);
    if (j->kind == WALK_COST && --s->cost_walks_left == 0) return plan_allocation(x, s);
    return 0;
}

struct coverage {
    const char *scope;
    dtc_day_range *ranges;
    size_t n;
};

static int get_coverage(run *x, void *arg)
{
    struct coverage *c = arg;
    int rc = dtc_store_coverage_get(x->db, &c->ranges, &c->n, c->scope);
    return rc ? fail_db(x, rc) : 0;
}

/* The days of scope to read: with --since, all of [since, to]; otherwise
 * every day of [start, to] no run has covered, plus the trailing window,
 * since Dynatrace books late. Merged, oldest first; freed with dtc_free. */
static int days_to_read(run *x, const char *scope, int64_t start, int64_t to, dtc_day_range **out,
                        size_t *n)
{
    *out = NULL;
    *n = 0;
    if (x->o->since >= 0 && x->o->since > start) start = x->o->since;
    if (start > to) return 0;
    struct coverage cv = {.scope = scope};
    if (x->o->since < 0) {
        int rc = with_db(x, false, get_coverage, &cv);
        if (rc) return rc;
    }
    dtc_day_range *cov = cv.ranges;
    size_t nc = cv.n;
    dtc_day_range *need = dtc_calloc(nc + 2, sizeof(*need));
    if (!need) {
        dtc_free(cov);
        return DTC_ENOMEM;
    }
    int64_t window = to - x->o->cfg->trailing_days + 1, day = start;
    size_t m = 0;
    /* Gaps between the covered ranges, up to the trailing window. */
    for (size_t i = 0; i <= nc && day <= to && day < window; i++) {
        int64_t gap_end = i < nc ? cov[i].first - 1 : to;
        if (gap_end >= window) gap_end = window - 1;
        if (gap_end >= day) need[m++] = (dtc_day_range){day, gap_end};
        if (i < nc && cov[i].last + 1 > day) day = cov[i].last + 1;
    }
    int64_t w0 = window > start ? window : start;
    if (m && need[m - 1].last + 1 >= w0)
        need[m - 1].last = to; /* the gap runs into the window */
    else if (w0 <= to)
        need[m++] = (dtc_day_range){w0, to};
    dtc_free(cov);
    *out = need;
    *n = m;
    return 0;
}

/* Queue the walks of scope's days to read, chunk days at a time. */
static int plan_walks(run *x, subst *s, int kind, const char *env, const char *field, int chunk,
                      int *count)
{
    char scope[256];
    job probe = {.kind = kind, .sub = s, .field = field};
    if (env && strlen(env) >=
                   sizeof(probe.env)) { /* callers check; a cut id would be another environment */
        snprintf(x->r->err, sizeof(x->r->err), "environment id of %zu bytes (at most %zu)",
                 strlen(env), sizeof(probe.env) - 1);
        return DTC_ETOOBIG;
    }
    snprintf(probe.env, sizeof(probe.env), "%s", env ? env : "");
    scope_of(scope, sizeof(scope), &probe);
    dtc_day_range *need;
    size_t n;
    int rc = days_to_read(x, scope, s->start, s->to, &need, &n);
    if (rc) return rc;
    *count = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (need[i].first < x->accts[s->account].events_from)
            x->accts[s->account].events_from = need[i].first;
        for (int64_t a = need[i].first; a <= need[i].last; a += chunk) {
            job *j = dtc_calloc(1, sizeof(*j));
            if (!j) {
                rc = DTC_ENOMEM;
                break;
            }
            *j = probe;
            j->head.group = s->account;
            j->from = a;
            j->to = a + chunk - 1 < need[i].last ? a + chunk - 1 : need[i].last;
            dtc_walkpool_add(x->pool, &j->head);
            (*count)++;
        }
    }
    dtc_free(need);
    return rc;
}

/* The environments of a subscription, each id whole (a walk's env field). */
typedef struct env_ids {
    char (*ids)[sizeof(((job *)0)->env)];
    size_t n, cap;
    size_t too_long; /* length of the first id that does not fit */
} env_ids;

static int on_env_id(void *ctx, const dtc_row *row)
{
    env_ids *l = ctx;
    const char *id;
    int rc = dtc_row_text(row, &id, 0);
    if (rc) return rc;
    if (strlen(id) >= sizeof(*l->ids)) {
        l->too_long = strlen(id);
        return DTC_ETOOBIG;
    }
    char(*g)[sizeof(*l->ids)] = dtc_grow(l->ids, &l->cap, l->n, sizeof(*l->ids));
    if (!g) return DTC_ENOMEM;
    l->ids = g;
    memcpy(l->ids[l->n++], id, strlen(id) + 1);
    return 0;
}

/* Cost allocation of every environment with cost records in the database
 * (this run's and earlier ones'), per field, for the days its own coverage
 * lacks: a killed run's allocation is completed by the next. */
struct sub_envs {
    const subst *s;
    env_ids ids;
};

/* The environments with cost rows of a subscription (listed afresh when
 * redone after a lost connection). */
static int list_envs(run *x, void *arg)
{
    struct sub_envs *l = arg;
    dtc_val p[] = {DTC_TEXT(l->s->uuid)};
    l->ids.n = 0;
    int rc = dtc_store_query(
        x->db,
        "SELECT DISTINCT environment_id FROM env_cost_day WHERE subscription_uuid = ?"
        " ORDER BY environment_id",
        p, 1, on_env_id, &l->ids);
    if (rc == DTC_ETOOBIG) /* never cut short: a shorter id is another environment */
        snprintf(x->r->err, sizeof(x->r->err),
                 "subscription %s: environment id of %zu bytes in the database "
                 "(at most %zu): not planning its cost allocation; check database %s",
                 l->s->uuid, l->ids.too_long, sizeof(*l->ids.ids) - 1, x->o->cfg->database);
    else if (rc == DTC_ENOMEM)
        snprintf(x->r->err, sizeof(x->r->err),
                 "subscription %s: out of memory listing its environments for "
                 "cost allocation",
                 l->s->uuid);
    return rc == 0 || rc == DTC_ENOMEM || rc == DTC_ETOOBIG ? rc : fail_db(x, rc);
}

static int plan_allocation(run *x, subst *s)
{
    static const char *fields[] = {"COSTCENTER", "PRODUCT"};
    struct sub_envs l = {.s = s};
    int rc = with_db(x, false, list_envs, &l);
    env_ids envs = l.ids;
    if (rc) {
        dtc_free(envs.ids);
        return rc;
    }
    for (size_t e = 0; e < envs.n && rc == 0; e++)
        for (int f = 0; f < 2 && rc == 0; f++) {
            int count;
            rc = plan_walks(x, s, WALK_ALLOC, envs.ids[e], fields[f], x->o->cfg->alloc_chunk_days,
                            &count);
        }
    dtc_free(envs.ids);
    return rc;
}

/* Plan a subscription's walks: cost and usage now, allocation once its
 * cost walks are stored (at once when it has none to do). */
static int plan_subscription(run *x, int account, const dtc_subscription_detail *d)
{
    subst *g = dtc_grow(x->subs, &x->subcap, x->nsubs, sizeof(*x->subs));
    if (!g) return DTC_ENOMEM;
    x->subs = g;
    /* Walks keep pointers to their subscription: the array must not move
     * while they exist, so all subscriptions are planned before the pool
     * runs and the array is grown only then. */
    subst *s = &x->subs[x->nsubs++];
    memset(s, 0, sizeof(*s));
    s->account = account;
    snprintf(s->uuid, sizeof(s->uuid), "%s", d->sub.uuid);
    s->start = d->sub.start_day;
    s->to = d->sub.end_day < x->o->today ? d->sub.end_day : x->o->today;
    if (x->o->until >= 0 && x->o->until < s->to) s->to = x->o->until;
    return 0;
}

static bool wanted(const dtc_account_cfg *a, const char *uuid)
{
    if (!a->subscriptions) return true;
    size_t n = strlen(uuid);
    for (const char *p = a->subscriptions; *p;) {
        size_t m = strcspn(p, ", ");
        if (m == n && strncmp(p, uuid, n) == 0) return true;
        p += m;
        p += strspn(p, ", ");
    }
    return false;
}

/* Every subscription named in the filter must exist in the account. */
static int check_filter(run *x, const dtc_subscription *subs, size_t n)
{
    const char *p = x->acct->subscriptions;
    while (p && *p) {
        size_t m = strcspn(p, ", ");
        bool found = false;
        for (size_t i = 0; i < n && !found; i++)
            found = strlen(subs[i].uuid) == m && strncmp(subs[i].uuid, p, m) == 0;
        if (!found && m) {
            snprintf(x->r->err, sizeof(x->r->err),
                     "subscription %.*s is not in account %s (the account has %zu subscription%s; "
                     "run without --subscription to sync them all)",
                     (int)m, p, x->acct->uuid, n, n == 1 ? "" : "s");
            return DTC_ENOTFOUND;
        }
        p += m;
        p += strspn(p, ", ");
    }
    return 0;
}

/* A subscription's detail, daily cost and usage; its walks come later. */
static int sync_subscription(run *x, int account, const dtc_subscription *s)
{
    dtc_subscription_detail d;
    x->sub = s->uuid;
    x->step = "subscription";
    int rc = dtc_dps_get_detail(x->dps, &d, s->uuid);
    if (rc) return fail_dps(x, rc);
    if ((rc = sync_detail(x, &d)) == 0 && (rc = sync_cost_and_usage(x, s->uuid)) == 0 &&
        (rc = plan_subscription(x, account, &d)) == 0)
        x->r->subscriptions++;
    dtc_dps_detail_dispose(&d);
    return rc;
}

/* The defined cost centres and products: kept even while no cost is
 * allocated to them, so reports can show them all. */
struct alloc_values {
    const char *field, *now;
    const dtc_alloc_value *vals;
    size_t n;
};

static int put_alloc_values(run *x, void *arg)
{
    const struct alloc_values *a = arg;
    int rc = 0;
    for (size_t i = 0; i < a->n && rc == 0; i++) {
        dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(a->field), DTC_TEXT(a->vals[i].key)};
        dtc_val v[] = {DTC_TEXT(a->now)};
        rc = put(x, DTC_FACT_ALLOC_VALUE, k, v, NULL);
    }
    return rc;
}

static int sync_alloc_values(run *x)
{
    static const struct {
        const char *path, *field;
    } lists[] = {{"costcenters", "COSTCENTER"}, {"products", "PRODUCT"}};
    char now[32];
    dtc_fmt_datetime(now, (int64_t)time(NULL));
    x->step = "cost centres and products";
    for (size_t l = 0; l < 2; l++) {
        dtc_alloc_value *vals = NULL;
        size_t n = 0;
        int rc = dtc_dps_alloc_values(x->dps, &vals, &n, lists[l].path);
        if (extra_unavailable(rc)) {
            warn(x, "%s not synced: %s", lists[l].path, why_not(x->dps));
            continue;
        }
        if (rc) return fail_dps(x, rc);
        rc = one_page(x, put_alloc_values, &(struct alloc_values){lists[l].field, now, vals, n});
        dtc_free(vals);
        if (rc) return rc;
    }
    return 0;
}

/* Events by type, environment, capability and date (the stored key but
 * seq), then by the rest of their content (event_cmp). */
static int event_key_cmp(const dtc_event *a, const dtc_event *b)
{
    int c;
    if ((c = strcmp(a->type, b->type)) || (c = strcmp(a->env, b->env)) ||
        (c = strcmp(a->capability, b->capability)))
        return c;
    return strcmp(a->date, b->date);
}

static int event_cmp(const void *pa, const void *pb)
{
    const dtc_event *a = pa, *b = pb;
    int c;
    if ((c = event_key_cmp(a, b)) || (c = strcmp(a->created_at, b->created_at)) ||
        (c = strcmp(a->severity, b->severity)) || (c = strcmp(a->message, b->message)))
        return c;
    return strcmp(a->level, b->level);
}

static int put_forecast(run *x, void *arg)
{
    const dtc_forecast *f = arg;
    dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(f->created_at)};
    dtc_val v[] = {DTC_INT(f->median), DTC_INT(f->lower),       DTC_INT(f->upper),
                   DTC_INT(f->budget), DTC_REAL(f->budget_pct), DTC_TEXT(f->budget_date)};
    return put(x, DTC_FACT_FORECAST, k, v, NULL);
}

struct rate_list {
    const dtc_rate *rates;
    size_t n;
};

static int put_rates(run *x, void *arg)
{
    const struct rate_list *l = arg;
    slice sl;
    int rc = slice_open(&sl, x, DTC_FACT_RATE, 4, 7, l->n);
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        const dtc_rate *r = &l->rates[i];
        /* Rate cards are per account; the quote ties a card to its
         * subscription's term (the API names no subscription). */
        dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(r->quote), DTC_TEXT(r->cap),
                       DTC_TEXT(r->start)};
        dtc_val v[] = {DTC_TEXT(r->end),
                       DTC_TEXT(r->cap_name),
                       DTC_TEXT(r->price),
                       DTC_TEXT(r->quoted_price),
                       DTC_TEXT(r->unit),
                       DTC_TEXT(r->currency),
                       r->deployment[0] ? DTC_TEXT(r->deployment) : DTC_NULL};
        rc = slice_add(&sl, k, v, NULL);
    }
    if (rc == 0) rc = slice_flush(&sl);
    slice_close(&sl);
    return rc;
}

struct event_list {
    const dtc_event *evs; /* sorted (event_cmp) */
    size_t n;
};

static int put_events(run *x, void *arg)
{
    const struct event_list *l = arg;
    const dtc_event *evs = l->evs;
    int64_t seq = 0;
    slice sl;
    int rc = slice_open(&sl, x, DTC_FACT_EVENT, 6, 4, l->n);
    for (size_t i = 0; i < l->n && rc == 0; i++) {
        seq = i > 0 && event_key_cmp(&evs[i - 1], &evs[i]) == 0 ? seq + 1 : 0;
        dtc_val k[] = {DTC_TEXT(x->acct->uuid),     DTC_TEXT(evs[i].type), DTC_TEXT(evs[i].env),
                       DTC_TEXT(evs[i].capability), DTC_TEXT(evs[i].date), DTC_INT(seq)};
        dtc_val v[] = {DTC_TEXT(evs[i].created_at), DTC_TEXT(evs[i].severity),
                       DTC_TEXT(evs[i].message), DTC_TEXT(evs[i].level)};
        rc = slice_add(&sl, k, v, NULL);
    }
    if (rc == 0) rc = slice_flush(&sl);
    slice_close(&sl);
    return rc;
}

static int sync_account_extras(run *x, int64_t events_from)
{
    dtc_forecast f;
    dtc_rate *rates = NULL;
    dtc_event *evs = NULL;
    size_t nr = 0, ne = 0;
    x->sub = "";
    x->step = "forecast";
    int rc = dtc_dps_forecast(x->dps, &f);
    if (rc == 0) {
        if ((rc = one_page(x, put_forecast, &f)) != 0) return rc;
    } else if (extra_unavailable(rc)) {
        warn(x, "forecast not synced: %s", why_not(x->dps));
    } else {
        return fail_dps(x, rc);
    }
    x->step = "rate cards";
    rc = dtc_dps_rate_cards(x->dps, &rates, &nr);
    if (rc == 0) {
        if ((rc = one_page(x, put_rates, &(struct rate_list){rates, nr})) != 0) goto done;
    } else if (extra_unavailable(rc)) {
        warn(x, "rate cards not synced: %s", why_not(x->dps));
        rc = 0;
    } else {
        rc = fail_dps(x, rc);
        goto done;
    }
    x->step = "events";
    rc = dtc_dps_events(x->dps, &evs, &ne, events_from, x->o->today);
    if (rc == 0) {
        /* Events have no id: those of one type, environment, capability
         * and date are numbered in the order of their content, so the same
         * answer, in any order, gives the same rows. */
        if (ne > 1) qsort(evs, ne, sizeof(*evs), event_cmp);
        rc = one_page(x, put_events, &(struct event_list){evs, ne});
    } else if (extra_unavailable(rc)) {
        warn(x, "cost events not synced: %s", why_not(x->dps));
        rc = 0;
    } else {
        rc = fail_dps(x, rc);
    }
    if (rc == 0) rc = sync_alloc_values(x);
done:
    dtc_free(rates);
    dtc_free(evs);
    return rc;
}

/* An account's connection, token and request budget, its subscription
 * list, environments, and each wanted subscription's detail, daily cost and
 * usage; its walks are planned for later. */
static int open_account(run *x, int i)
{
    acct *a = &x->accts[i];
    const dtc_account_cfg *c = a->cfg;
    dtc_subscription *subs = NULL;
    size_t n = 0;
    x->acct = c;
    x->sub = "";
    x->step = "subscriptions";
    /* Answers are JSON documents parsed whole: cap them well below memory. */
    int rc = dtc_http_new(&a->http, DTC_CAP_JSON_DOC);
    if (rc) goto done;
    dtc_auth_opts ao = {.token_url = c->sso_url,
                        .client_id = c->client_id,
                        .client_secret = c->client_secret,
                        .account_uuid = c->uuid,
                        .scope = c->scopes};
    if ((rc = dtc_auth_new(&a->auth, &ao)) != 0 ||
        (rc = dtc_limiter_new(&a->lim, x->o->cfg->concurrency)) != 0)
        goto done;
    dtc_dps_opts po = {.api_url = c->api_url,
                       .account_uuid = c->uuid,
                       .auth = a->auth,
                       .http = a->http,
                       .limiter = a->lim,
                       .retry_attempts = x->o->retry_attempts,
                       .retry_seconds = x->o->retry_seconds,
                       .retry_base_ms = x->o->retry_base_ms};
    if ((rc = dtc_dps_new(&a->dps, &po)) != 0) goto done;
    x->dps = a->dps;
    a->events_from = x->o->today - x->o->cfg->trailing_days + 1;
    if ((rc = dtc_dps_list_subscriptions(a->dps, &subs, &n)) != 0) {
        rc = fail_dps(x, rc);
        goto done;
    }
    if ((rc = check_filter(x, subs, n)) != 0 || (rc = sync_environments(x)) != 0) goto done;
    for (size_t k = 0; k < n && rc == 0; k++)
        if (wanted(c, subs[k].uuid)) rc = sync_subscription(x, i, &subs[k]);
done:
    if (rc == DTC_ENOMEM && !x->r->err[0]) snprintf(x->r->err, sizeof(x->r->err), "out of memory");
    dtc_free(subs);
    return rc;
}

static void close_account(run *x, acct *a)
{
    if (a->dps) {
        x->r->stats.requests += dtc_dps_requests(a->dps);
        x->r->stats.retries += dtc_dps_retries(a->dps);
    }
    dtc_dps_free(a->dps);
    dtc_limiter_free(a->lim);
    dtc_auth_free(a->auth);
    dtc_http_free(a->http);
    memset(a, 0, sizeof(*a));
}

/* Every planned subscription's walks, every account's side by side. */
static int run_walks(run *x)
{
    int threads = 0;
    for (size_t i = 0; i < x->naccts; i++)
        threads += x->o->cfg->concurrency;
    if (threads > 64) threads = 64;
    dtc_walkpool_opts wo = {.threads = threads,
                            .max_done = threads,
                            .group_limit = group_limit,
                            .worker_new = worker_new,
                            .worker_free = worker_free,
                            .fetch = fetch_walk,
                            .store = store_walk,
                            .dispose = dispose_walk,
                            .ctx = x};
    int rc = dtc_walkpool_new(&x->pool, &wo);
    if (rc) return rc;
    for (size_t i = 0; i < x->nsubs && rc == 0; i++) {
        subst *s = &x->subs[i];
        int usage;
        if ((rc = plan_walks(x, s, WALK_COST, NULL, NULL, x->o->cfg->chunk_days,
                             &s->cost_walks_left)) == 0 &&
            (rc = plan_walks(x, s, WALK_USAGE, NULL, NULL, x->o->cfg->chunk_days, &usage)) == 0 &&
            s->cost_walks_left == 0)
            rc = plan_allocation(x, s);
    }
    if (rc == 0) rc = writer_start(x);
    if (rc == 0) rc = dtc_walkpool_run(x->pool);
    rc = writer_end(x, rc);
    if (rc == DTC_ENOMEM && !x->r->err[0])
        snprintf(x->r->err, sizeof(x->r->err), "out of memory (or no fetch thread could start)");
    dtc_walkpool_free(x->pool);
    x->pool = NULL;
    x->r->stats.requests += x->walk_requests;
    x->r->stats.retries += x->walk_retries;
    return rc;
}

/* The run's bookkeeping, each redone after a lost connection like a page. */

/* Two syncs of one account into one shared database take turns (a server's
 * advisory lock, a lock file beside a SQLite database). Held until the
 * handle closes (and taken again with a lost connection: store.h); a lock
 * name per account, so accounts run side by side. */
static int lock_accounts(run *x, void *arg)
{
    (void)arg;
    int rc = 0;
    for (size_t i = 0; i < x->o->cfg->naccounts && rc == 0; i++) {
        char name[160];
        snprintf(name, sizeof(name), "sync of account %s", x->o->cfg->accounts[i].uuid);
        rc = dtc_store_lock(x->db, name, lock_wait_ms(x), x->o->cancel);
    }
    return rc ? fail_db(x, rc) : 0;
}

static int begin_run(run *x, void *arg)
{
    char started[32];
    dtc_fmt_datetime(started, (int64_t)time(NULL));
    return dtc_store_run_begin(x->db, &x->r->run_id, started, arg);
}

/* arg: whether the run failed already (its one line stands). */
static int count_restated(run *x, void *arg)
{
    const int *failed = arg;
    int rc = dtc_store_restated_days(x->db, &x->r->stats.restated_days, x->r->run_id);
    return rc && !*failed ? fail_db(x, rc) : rc;
}

/* The outcome: the run's status and counters, its one line when it failed. */
static int end_run(run *x, void *arg)
{
    const int *failed = arg;
    char finished[32];
    dtc_fmt_datetime(finished, (int64_t)time(NULL));
    int rc = dtc_store_run_end(x->db, x->r->run_id, finished, *failed ? "failed" : "ok",
                               &x->r->stats, *failed ? x->r->err : NULL);
    return rc && !*failed ? fail_db(x, rc) : rc;
}

int dtc_sync_run(dtc_sync_result *r, const dtc_sync_opts *o)
{
    outage down = {.lost = 0};
    run x = {.o = o, .r = r, .db = o->store, .t0 = dtc_mono_ms(), .down = &down};
    memset(r, 0, sizeof(*r));
    pthread_mutex_init(&x.mu, NULL);
    pthread_mutex_init(&down.mu, NULL);
    /* The accounts this run covers: each account's last successful sync
     * (metrics) is the last ok run naming it. */
    dtc_buf accounts;
    dtc_buf_init(&accounts, DTC_CAP_SMALL);
    int rc = with_db(&x, false, lock_accounts, NULL);
    for (size_t i = 0; i < o->cfg->naccounts && rc == 0; i++)
        if (dtc_buf_printf(&accounts, "%s%s", i ? " " : "", o->cfg->accounts[i].uuid))
            rc = DTC_ENOMEM;
    if (rc == DTC_ENOMEM) snprintf(r->err, sizeof(r->err), "out of memory");
    if (rc == 0) rc = with_db(&x, true, begin_run, accounts.data);
    dtc_buf_dispose(&accounts);
    if (rc) {
        pthread_mutex_destroy(&down.mu);
        pthread_mutex_destroy(&x.mu);
        return rc;
    }
    long interrupted = 0;
    if (dtc_store_runs_interrupted(o->store, &interrupted) == 0 && interrupted > 0)
        warn(
            &x,
            "%ld earlier run%s ended without finishing (killed?); marked interrupted, and this run "
            "reads what %s left",
            interrupted, interrupted == 1 ? "" : "s", interrupted == 1 ? "it" : "they");
    x.accts = dtc_calloc(o->cfg->naccounts ? o->cfg->naccounts : 1, sizeof(*x.accts));
    x.naccts = x.accts ? o->cfg->naccounts : 0; /* none to close when it failed */
    if (!x.accts) rc = DTC_ENOMEM;
    for (size_t i = 0; i < x.naccts && rc == 0; i++) {
        x.accts[i].cfg = &o->cfg->accounts[i];
        rc = open_account(&x, (int)i);
    }
    if (rc == 0) rc = run_walks(&x);
    for (size_t i = 0; i < x.naccts && rc == 0; i++) {
        x.acct = x.accts[i].cfg;
        x.dps = x.accts[i].dps;
        rc = sync_account_extras(&x, x.accts[i].events_from);
        r->accounts++;
    }
    for (size_t i = 0; i < x.naccts; i++)
        close_account(&x, &x.accts[i]);
    if (rc == DTC_ENOMEM && !r->err[0]) snprintf(r->err, sizeof(r->err), "out of memory");
    dtc_free(x.accts);
    dtc_free(x.subs);
    /* A failed run records its outcome with one try: a database that stayed
     * away past the bound is not waited for again. */
    int failed = rc != 0;
    x.no_retry = failed;
    int rc2 = with_db(&x, false, count_restated, &failed);
    if (rc2 && rc == 0) rc = rc2;
    failed = rc != 0;
    x.no_retry = failed;
    rc2 = with_db(&x, false, end_run, &failed);
    if (rc2 && rc == 0) rc = rc2;
    /* Fresh planner statistics for what was written (reports and exports
     * right after a sync); stale ones cost speed, not data: a warning. */
    if (rc == 0 && r->stats.inserted + r->stats.updated > 0 && dtc_store_analyze(o->store) != 0)
        warn(&x, "%s", dtc_store_errmsg(o->store));
    pthread_mutex_destroy(&down.mu);
    pthread_mutex_destroy(&x.mu);
    return rc;
}
