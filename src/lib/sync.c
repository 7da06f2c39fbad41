/* sync.c: the sync engine. Per account: environments, then per subscription
 * its detail, daily cost and usage (one transaction each), per-environment
 * cost and usage in chunks of days (one transaction per page, a checkpoint
 * per chunk), cost allocation; then forecast, rate cards and events. A rerun
 * re-reads everything after the checkpoint minus a trailing window, since
 * Dynatrace books late; upserts make every rerun idempotent. */
#include "dtcost/sync.h"

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
#include "pagepipe.h"
#include "timeutil.h"

typedef struct run {
    const dtc_sync_opts *o;
    dtc_sync_result *r;
    dtc_store *db;
    dtc_dps *dps;
    const dtc_account_cfg *acct;
    const char *sub;
    const char *step;
    int64_t t0;
    /* environments seen in this subscription's records (for cost allocation) */
    char (*envs)[64];
    size_t nenvs, envcap;
    bool warned_deprecation;
    bool walking;   /* a page pipe's worker is using dps: do not touch it */
    long requests;  /* requests seen when dps was last idle (for progress) */
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
    if (x->o->warn)
        x->o->warn(x->o->ctx, msg);
}

static void progress(run *x)
{
    if (!x->o->progress)
        return;
    if (!x->walking)
        x->requests = x->r->stats.requests + dtc_dps_requests(x->dps);
    dtc_sync_progress p = {x->acct->uuid, x->sub, x->step, x->r->pages,
                           x->r->stats.inserted + x->r->stats.updated, x->requests,
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
    int rc = dtc_store_put(x->db, f, k, v, booking, &p);
    if (rc == 0)
        count(x, p);
    return rc;
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

/* Commit a one-page transaction (a single document's rows). */
static int end(run *x, int rc)
{
    if ((rc = commit(x, rc)) != 0)
        return rc;
    x->r->pages++;
    progress(x);
    return 0;
}

static void note_env(run *x, const char *env)
{
    for (size_t i = 0; i < x->nenvs; i++)
        if (strcmp(x->envs[i], env) == 0)
            return;
    if (x->nenvs == x->envcap) {
        size_t cap = x->envcap ? x->envcap * 2 : 16;
        char(*grown)[64] = dtc_realloc(x->envs, cap * sizeof(*grown));
        if (!grown)
            return; /* allocation then just covers fewer environments */
        x->envs = grown;
        x->envcap = cap;
    }
    snprintf(x->envs[x->nenvs++], 64, "%s", env);
}

static int sync_environments(run *x)
{
    dtc_environment *envs = NULL;
    size_t n = 0;
    x->step = "environments";
    int rc = dtc_dps_environments(x->dps, &envs, &n);
    if (rc == DTC_EAUTH || rc == DTC_ENOTFOUND) {
        /* Names are a convenience: without account-env-read, ids stay ids. */
        warn(x, "environment names not synced: %s", dtc_dps_errmsg(x->dps));
        return 0;
    }
    if (rc)
        return fail_dps(x, rc);
    if ((rc = begin(x)) != 0)
        goto done;
    for (size_t i = 0; i < n && rc == 0; i++) {
        dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(envs[i].id)};
        dtc_val v[] = {envs[i].has_name ? DTC_TEXT(envs[i].name) : DTC_NULL, DTC_INT(envs[i].active),
                       DTC_TEXT(envs[i].url)};
        rc = put(x, DTC_FACT_ENVIRONMENT, k, v, NULL);
    }
    rc = end(x, rc);
done:
    dtc_free(envs);
    return rc;
}

static int sync_detail(run *x, const dtc_subscription_detail *d)
{
    char sd[16], ed[16], ps[16], pe[16];
    dtc_fmt_date(sd, d->sub.start_day);
    dtc_fmt_date(ed, d->sub.end_day);
    dtc_fmt_date(ps, d->sub.period_start);
    dtc_fmt_date(pe, d->sub.period_end);
    int rc = begin(x);
    if (rc)
        return rc;
    dtc_val k[] = {DTC_TEXT(d->sub.uuid)};
    dtc_val v[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(d->sub.name), DTC_TEXT(d->type),
                   DTC_TEXT(d->sub_type), DTC_TEXT(d->sub.status), DTC_TEXT(d->sub.currency),
                   DTC_TEXT(sd), DTC_TEXT(ed), DTC_TEXT(ps), DTC_TEXT(pe),
                   DTC_INT(d->sub.days_remaining), DTC_INT(d->sub.budget_total),
                   DTC_INT(d->sub.budget_used)};
    rc = put(x, DTC_FACT_SUBSCRIPTION, k, v, NULL);
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
    return end(x, rc);
}

static int sync_cost_and_usage(run *x, const char *sub)
{
    dtc_cost_day *days = NULL;
    char(*booking)[32] = NULL;
    dtc_record *usage = NULL;
    size_t n = 0, nu = 0;
    x->step = "daily cost";
    int rc = dtc_dps_cost_booked(x->dps, sub, &days, &booking, &n);
    if (rc)
        return fail_dps(x, rc);
    if ((rc = begin(x)) != 0)
        goto done;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (days[i].day > x->o->today)
            continue;
        char d[16];
        dtc_fmt_date(d, days[i].day);
        dtc_val k[] = {DTC_TEXT(sub), DTC_TEXT(d)};
        dtc_val v[] = {DTC_INT(days[i].cost), DTC_TEXT(days[i].currency),
                       booking[i][0] ? DTC_TEXT(booking[i]) : DTC_NULL};
        rc = put(x, DTC_FACT_COST_DAY, k, v, booking[i][0] ? booking[i] : NULL);
    }
    if ((rc = end(x, rc)) != 0)
        goto done;
    x->step = "usage";
    if ((rc = dtc_dps_usage(x->dps, sub, &usage, &nu)) != 0) {
        rc = fail_dps(x, rc);
        goto done;
    }
    if ((rc = begin(x)) != 0)
        goto done;
    for (size_t i = 0; i < nu && rc == 0; i++) {
        if (usage[i].day > x->o->today)
            continue;
        char d[16];
        dtc_fmt_date(d, usage[i].day);
        dtc_val k[] = {DTC_TEXT(sub), DTC_TEXT(usage[i].cap), DTC_TEXT(d)};
        dtc_val v[] = {DTC_REAL(usage[i].value), DTC_TEXT(usage[i].unit), DTC_TEXT(usage[i].cap_name)};
        rc = put(x, DTC_FACT_USAGE_DAY, k, v, NULL);
    }
    rc = end(x, rc);
done:
    dtc_free(days);
    dtc_free(booking);
    dtc_free(usage);
    return rc;
}

typedef struct page_ctx {
    run *x;
    int cost;
} page_ctx;

/* One page of per-environment records: one transaction. */
/* One page of per-environment records, inside the chunk's transaction. */
static int on_env_page(void *ud, const dtc_record *recs, size_t n)
{
    page_ctx *p = ud;
    run *x = p->x;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const dtc_record *r = &recs[i];
        char d[16];
        dtc_fmt_date(d, r->day);
        note_env(x, r->env);
        dtc_val k[] = {DTC_TEXT(x->sub), DTC_TEXT(r->env), DTC_TEXT(r->cap), DTC_TEXT(d)};
        if (p->cost) {
            dtc_val v[] = {DTC_INT(r->cost), DTC_TEXT(r->unit), r->booking[0] ? DTC_TEXT(r->booking) : DTC_NULL,
                           r->cluster[0] ? DTC_TEXT(r->cluster) : DTC_NULL, DTC_TEXT(r->cap_name)};
            rc = put(x, DTC_FACT_ENV_COST_DAY, k, v, r->booking[0] ? r->booking : NULL);
        } else {
            dtc_val v[] = {DTC_REAL(r->value), DTC_TEXT(r->unit),
                           r->cluster[0] ? DTC_TEXT(r->cluster) : DTC_NULL};
            rc = put(x, DTC_FACT_ENV_USAGE_DAY, k, v, NULL);
        }
    }
    if (rc == 0) {
        x->r->pages++;
        progress(x);
    }
    return rc;
}

/* A walk over one chunk's pages, run on the page pipe's worker thread. */
typedef struct env_walk {
    run *x;
    int cost, v2;
    int64_t from, to;
} env_walk;

static int push_records(void *pipe, const dtc_record *recs, size_t n)
{
    return dtc_pagepipe_push(pipe, recs, n);
}

static int walk_env(void *arg, dtc_pagepipe *pipe)
{
    env_walk *w = arg;
    return dtc_dps_env_records(w->x->dps, w->x->sub, w->cost, w->from, w->to, w->x->o->cfg->page_size,
                               push_records, pipe, &w->v2);
}

static int sink_env(void *ctx, const void *items, size_t n)
{
    return on_env_page(ctx, items, n);
}

/* Per-environment cost or usage of [from, to] in chunks: one transaction per
 * chunk holding its pages and its checkpoint, so a kill loses at most the
 * chunk in progress. Pages are fetched and parsed on a worker thread while
 * this one stores them. */
static int sync_env_records(run *x, int cost, int64_t from, int64_t to)
{
    char scope[128];
    snprintf(scope, sizeof(scope), "%s:%s", cost ? "env_cost" : "env_usage", x->sub);
    x->step = cost ? "environment cost" : "environment usage";
    page_ctx p = {x, cost};
    for (int64_t a = from; a <= to; a += x->o->cfg->chunk_days) {
        int64_t b = a + x->o->cfg->chunk_days - 1;
        if (b > to)
            b = to;
        env_walk w = {x, cost, 0, a, b};
        int wrc = 0;
        int rc = begin(x);
        if (rc)
            return rc;
        x->walking = true;
        rc = dtc_pagepipe_run(walk_env, &w, sizeof(dtc_record), sink_env, &p, &wrc);
        x->walking = false;
        if (rc == 0 && wrc)
            rc = x->r->err[0] ? wrc : fail_dps(x, wrc);
        if (rc == 0)
            rc = dtc_store_checkpoint_set(x->db, scope, b);
        if ((rc = commit(x, rc)) != 0)
            return rc;
        if (w.v2 && !x->warned_deprecation && dtc_dps_deprecation(x->dps)[0]) {
            x->warned_deprecation = true;
            warn(x, "v3 per-environment endpoints answered 404, using deprecated v2 (Deprecation: %s, "
                    "Sunset: %s)", dtc_dps_deprecation(x->dps), dtc_dps_sunset(x->dps));
        }
    }
    return 0;
}

/* The first day to (re)read for a scope: the day after its checkpoint, but
 * never later than the trailing window's start; the subscription's start
 * when there is no checkpoint. */
static int first_day(run *x, const char *kind, int64_t start, int64_t to, int64_t *out)
{
    char scope[128];
    snprintf(scope, sizeof(scope), "%s:%s", kind, x->sub);
    int64_t day = 0;
    int found = 0;
    int rc = dtc_store_checkpoint_get(x->db, scope, &day, &found);
    if (rc)
        return fail_db(x, rc);
    int64_t window = to - x->o->cfg->trailing_days + 1;
    *out = found ? (day + 1 < window ? day + 1 : window) : start;
    if (*out < start)
        *out = start;
    return 0;
}

typedef struct alloc_ctx {
    run *x;
    const char *env, *field;
} alloc_ctx;

static int on_alloc_page(void *ud, const void *items, size_t n)
{
    alloc_ctx *c = ud;
    const dtc_allocation *a = items;
    run *x = c->x;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char d[16];
        dtc_fmt_date(d, a[i].day);
        dtc_val k[] = {DTC_TEXT(x->sub), DTC_TEXT(c->env), DTC_TEXT(c->field), DTC_TEXT(a[i].key),
                       DTC_TEXT(a[i].capability), DTC_TEXT(d)};
        dtc_val v[] = {DTC_INT(a[i].cost)};
        rc = put(x, DTC_FACT_ALLOCATION, k, v, NULL);
    }
    if (rc == 0) {
        x->r->pages++;
        progress(x);
    }
    return rc;
}

typedef struct alloc_walk {
    run *x;
    const char *env, *field;
    int64_t from, to;
} alloc_walk;

static int push_allocations(void *pipe, const dtc_allocation *a, size_t n)
{
    return dtc_pagepipe_push(pipe, a, n);
}

static int walk_alloc(void *arg, dtc_pagepipe *pipe)
{
    alloc_walk *w = arg;
    return dtc_dps_cost_allocation(w->x->dps, w->x->sub, w->env, w->field, w->from, w->to, push_allocations, pipe);
}

/* Cost allocation of the environments seen in this run's records, from its
 * own checkpoint (a killed run may have stopped before reaching it). */
static int sync_allocation(run *x, int64_t start, int64_t to)
{
    static const char *fields[] = {"COSTCENTER", "PRODUCT"};
    int64_t from;
    int rc;
    if (x->o->since >= 0)
        from = x->o->since > start ? x->o->since : start;
    else if ((rc = first_day(x, "alloc", start, to, &from)) != 0)
        return rc;
    if (from > to)
        return 0;
    x->step = "cost allocation";
    for (size_t e = 0; e < x->nenvs; e++) {
        for (int f = 0; f < 2; f++) {
            alloc_ctx c = {x, x->envs[e], fields[f]};
            alloc_walk w = {x, x->envs[e], fields[f], from, to};
            int wrc = 0;
            if ((rc = begin(x)) != 0)
                return rc;
            x->walking = true;
            rc = dtc_pagepipe_run(walk_alloc, &w, sizeof(dtc_allocation), on_alloc_page, &c, &wrc);
            x->walking = false;
            /* One transaction per environment and field: all its pages or none. */
            if (rc == 0 && wrc == 0) {
                if ((rc = commit(x, 0)) != 0)
                    return rc;
                continue;
            }
            dtc_store_rollback(x->db);
            if (rc) /* storing failed */
                return x->r->err[0] ? rc : fail_db(x, rc);
            long st = dtc_dps_last_status(x->dps);
            if (!x->r->err[0] && st >= 400 && st < 500) {
                /* Cost allocation exists only for some contracts: not a failure. */
                warn(x, "cost allocation of subscription %s not synced: HTTP %ld (it exists only for SaaS "
                        "DPS contracts signed after April 2023)", x->sub, st);
                return 0;
            }
            return x->r->err[0] ? wrc : fail_dps(x, wrc);
        }
    }
    char scope[128];
    snprintf(scope, sizeof(scope), "alloc:%s", x->sub);
    if ((rc = begin(x)) != 0)
        return rc;
    return commit(x, dtc_store_checkpoint_set(x->db, scope, to));
}

static bool wanted(const dtc_account_cfg *a, const char *uuid)
{
    if (!a->subscriptions)
        return true;
    size_t n = strlen(uuid);
    for (const char *p = a->subscriptions; *p;) {
        size_t m = strcspn(p, ", ");
        if (m == n && strncmp(p, uuid, n) == 0)
            return true;
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

static int sync_subscription(run *x, const dtc_subscription *s, int64_t *events_from)
{
    dtc_subscription_detail d;
    x->sub = s->uuid;
    x->step = "subscription";
    x->nenvs = 0;
    int rc = dtc_dps_get_detail(x->dps, s->uuid, &d);
    if (rc)
        return fail_dps(x, rc);
    if ((rc = sync_detail(x, &d)) != 0)
        goto done;
    if ((rc = sync_cost_and_usage(x, s->uuid)) != 0)
        goto done;
    int64_t start = d.sub.start_day, to = d.sub.end_day < x->o->today ? d.sub.end_day : x->o->today;
    if (x->o->until >= 0 && x->o->until < to)
        to = x->o->until;
    for (int cost = 1; cost >= 0; cost--) {
        int64_t from;
        if (x->o->since >= 0)
            from = x->o->since > start ? x->o->since : start;
        else if ((rc = first_day(x, cost ? "env_cost" : "env_usage", start, to, &from)) != 0)
            goto done;
        if (from < *events_from)
            *events_from = from;
        if (from <= to && (rc = sync_env_records(x, cost, from, to)) != 0)
            goto done;
        if (cost && (rc = sync_allocation(x, start, to)) != 0)
            goto done;
    }
    x->r->subscriptions++;
done:
    dtc_dps_detail_dispose(&d);
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
        if ((rc = begin(x)) != 0)
            return rc;
        dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(f.created_at)};
        dtc_val v[] = {DTC_INT(f.median), DTC_INT(f.lower), DTC_INT(f.upper), DTC_INT(f.budget),
                       DTC_REAL(f.budget_pct), DTC_TEXT(f.budget_date)};
        if ((rc = end(x, put(x, DTC_FACT_FORECAST, k, v, NULL))) != 0)
            return rc;
    } else if (rc == DTC_EAUTH || rc == DTC_ENOTFOUND || rc == DTC_EHTTP) {
        warn(x, "forecast not synced: %s", dtc_dps_errmsg(x->dps));
    } else {
        return fail_dps(x, rc);
    }
    x->step = "rate cards";
    rc = dtc_dps_rate_cards(x->dps, &rates, &nr);
    if (rc == 0) {
        if ((rc = begin(x)) != 0)
            goto done;
        for (size_t i = 0; i < nr && rc == 0; i++) {
            /* Rate cards are per account; the quote ties a card to its
             * subscription's term (the API names no subscription). */
            dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(rates[i].quote), DTC_TEXT(rates[i].cap),
                           DTC_TEXT(rates[i].start)};
            dtc_val v[] = {DTC_TEXT(rates[i].end), DTC_TEXT(rates[i].cap_name), DTC_TEXT(rates[i].price),
                           DTC_TEXT(rates[i].quoted_price), DTC_TEXT(rates[i].unit), DTC_TEXT(rates[i].currency),
                           rates[i].deployment[0] ? DTC_TEXT(rates[i].deployment) : DTC_NULL};
            rc = put(x, DTC_FACT_RATE, k, v, NULL);
        }
        if ((rc = end(x, rc)) != 0)
            goto done;
    } else if (rc == DTC_EAUTH || rc == DTC_ENOTFOUND || rc == DTC_EHTTP) {
        warn(x, "rate cards not synced: %s", dtc_dps_errmsg(x->dps));
        rc = 0;
    } else {
        rc = fail_dps(x, rc);
        goto done;
    }
    x->step = "events";
    rc = dtc_dps_events(x->dps, events_from, x->o->today, &evs, &ne);
    if (rc == 0) {
        if ((rc = begin(x)) != 0)
            goto done;
        for (size_t i = 0; i < ne && rc == 0; i++) {
            dtc_val k[] = {DTC_TEXT(x->acct->uuid), DTC_TEXT(evs[i].type), DTC_TEXT(evs[i].env),
                           DTC_TEXT(evs[i].capability), DTC_TEXT(evs[i].date)};
            dtc_val v[] = {DTC_TEXT(evs[i].created_at), DTC_TEXT(evs[i].severity), DTC_TEXT(evs[i].message),
                           DTC_TEXT(evs[i].level)};
            rc = put(x, DTC_FACT_EVENT, k, v, NULL);
        }
        rc = end(x, rc);
    } else if (rc == DTC_EAUTH || rc == DTC_ENOTFOUND || rc == DTC_EHTTP) {
        warn(x, "cost events not synced: %s", dtc_dps_errmsg(x->dps));
        rc = 0;
    } else {
        rc = fail_dps(x, rc);
    }
done:
    dtc_free(rates);
    dtc_free(evs);
    return rc;
}

static int sync_account(run *x, const dtc_account_cfg *a)
{
    dtc_http *http = NULL;
    dtc_auth *auth = NULL;
    dtc_subscription *subs = NULL;
    size_t n = 0;
    x->acct = a;
    x->sub = "";
    /* Answers are JSON documents parsed whole: cap them well below memory. */
    int rc = dtc_http_new(&http, DTC_CAP_JSON_DOC);
    if (rc)
        goto done;
    dtc_auth_opts ao = {.token_url = a->sso_url, .client_id = a->client_id,
                        .client_secret = a->client_secret, .account_uuid = a->uuid};
    if ((rc = dtc_auth_new(&auth, &ao)) != 0)
        goto done;
    dtc_dps_opts po = {.api_url = a->api_url, .account_uuid = a->uuid, .auth = auth, .http = http,
                       .retry_attempts = x->o->retry_attempts, .retry_seconds = x->o->retry_seconds,
                       .retry_base_ms = x->o->retry_base_ms};
    if ((rc = dtc_dps_new(&x->dps, &po)) != 0)
        goto done;
    x->step = "subscriptions";
    if ((rc = dtc_dps_list_subscriptions(x->dps, &subs, &n)) != 0) {
        rc = fail_dps(x, rc);
        goto done;
    }
    if ((rc = check_filter(x, subs, n)) != 0)
        goto done;
    if ((rc = sync_environments(x)) != 0)
        goto done;
    int64_t events_from = x->o->today;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (wanted(a, subs[i].uuid))
            rc = sync_subscription(x, &subs[i], &events_from);
    if (rc == 0)
        rc = sync_account_extras(x, events_from);
    x->r->accounts++;
done:
    if (x->dps) {
        x->r->stats.requests += dtc_dps_requests(x->dps);
        x->r->stats.retries += dtc_dps_retries(x->dps);
    }
    if (rc == DTC_ENOMEM && !x->r->err[0])
        snprintf(x->r->err, sizeof(x->r->err), "out of memory");
    dtc_free(subs);
    dtc_dps_free(x->dps);
    x->dps = NULL;
    dtc_auth_free(auth);
    dtc_http_free(http);
    return rc;
}

int dtc_sync_run(const dtc_sync_opts *o, dtc_sync_result *r)
{
    run x = {.o = o, .r = r, .db = o->store, .t0 = dtc_mono_ms()};
    memset(r, 0, sizeof(*r));
    char started[32], finished[32];
    dtc_fmt_datetime(started, (int64_t)time(NULL));
    int rc = dtc_store_run_begin(o->store, started, &r->run_id);
    if (rc)
        return fail_db(&x, rc);
    for (size_t i = 0; i < o->cfg->naccounts && rc == 0; i++)
        rc = sync_account(&x, &o->cfg->accounts[i]);
    dtc_free(x.envs);
    if (dtc_store_restated_days(o->store, r->run_id, &r->stats.restated_days) != 0 && rc == 0)
        rc = fail_db(&x, DTC_EDB);
    dtc_fmt_datetime(finished, (int64_t)time(NULL));
    int rc2 = dtc_store_run_end(o->store, r->run_id, finished, rc ? "failed" : "ok", &r->stats,
                                rc ? r->err : NULL);
    if (rc2 && rc == 0)
        rc = fail_db(&x, rc2);
    return rc;
}
