/* emu_dps.c: the Dynatrace Platform Subscription API: subscriptions, budget,
 * forecast, events, usage and cost (whole subscription, per environment v2
 * and paginated v3), rate cards and cost allocation. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "emu.h"
#include "emu_pagekey.h"
#include "hash.h"
#include "jw.h"
#include "timeutil.h"

static const char *DEPRECATION = "Mon, 15 Jun 2026 00:00:00 GMT";

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Last day whose first booking run has happened at `now`. */
static int64_t last_booked_day(int64_t now)
{
    return floordiv(now - 2 * 3600, 86400) - 1;
}

static void jw_date(dtc_jw *w, int64_t day)
{
    char b[11];
    dtc_fmt_date(b, day);
    dtc_jw_str(w, b);
}

static void jw_datetime(dtc_jw *w, int64_t t)
{
    char b[21];
    dtc_fmt_datetime(b, t);
    dtc_jw_str(w, b);
}

static const emu_sub *find_sub(emu_req *r, const emu_account *a, const char *uuid)
{
    for (int i = 0; i < a->nsubs; i++)
        if (strcmp(a->subs[i].uuid, uuid) == 0) return &a->subs[i];
    emu_error(r, 404, "Subscription %.64s not found", uuid);
    return NULL;
}

/* Authenticate an /sub/vN/accounts/{a}/subscriptions/{s}/... request. */
static const emu_sub *sub_request(emu_req *r)
{
    if (!emu_auth_bearer(r, r->seg[0], "account-uac-read")) return NULL;
    return find_sub(r, r->account, r->seg[1]);
}

static int env_index(const emu_account *a, const emu_env *e)
{
    return (int)(e - a->envs);
}

/* ---- filters: environmentIds, capabilityKeys, clusterIds (csv) ---- */

typedef struct filt {
    bool env_set, cap_set, cluster_set;
    bool *env_ok;
    bool cap_ok[EMU_MAX_CAPS];
    bool cluster_saas; /* "" listed, or no cluster filter */
} filt;

static bool in_csv(const char *csv, const char *item)
{
    size_t n = strlen(item);
    for (const char *p = csv; p && *p;) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l == n && strncmp(p, item, n) == 0) return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

static int filt_init(filt *f, const emu_account *a, const char *envs, const char *caps,
                     const char *clusters)
{
    memset(f, 0, sizeof(*f));
    f->env_ok = dtc_calloc((size_t)a->nenvs, sizeof(bool));
    if (!f->env_ok) return DTC_ENOMEM;
    f->env_set = envs && *envs;
    f->cap_set = caps && *caps;
    f->cluster_set = clusters && *clusters;
    for (int i = 0; i < a->nenvs; i++)
        f->env_ok[i] = !f->env_set || in_csv(envs, a->envs[i].id);
    for (int c = 0; c < emu_ncaps; c++)
        f->cap_ok[c] = !f->cap_set || in_csv(caps, emu_caps[c].key);
    /* All emulated DPS environments are SaaS: their clusterId is "". */
    f->cluster_saas = !f->cluster_set;
    return 0;
}

static void filt_dispose(filt *f)
{
    dtc_free(f->env_ok);
}

static bool env_selected(const filt *f, const emu_sub *s, const emu_account *a, int ei)
{
    return emu_sub_has_env(s, &a->envs[ei]) && f->env_ok[ei] && f->cluster_saas;
}

static bool cap_selected(const filt *f, const emu_env *e, int c)
{
    return ((e->capmask >> c) & 1) && f->cap_ok[c];
}

/* ---- subscriptions ---- */

static void write_summary(dtc_jw *w, const emu_sub *s)
{
    dtc_jw_key(w, "uuid");
    dtc_jw_str(w, s->uuid);
    dtc_jw_key(w, "type");
    dtc_jw_str(w, "DPS");
    dtc_jw_key(w, "subType");
    dtc_jw_str(w, "COMMIT");
    dtc_jw_key(w, "name");
    dtc_jw_str(w, s->name);
    dtc_jw_key(w, "status");
    dtc_jw_str(w, s->status);
    dtc_jw_key(w, "startTime");
    jw_date(w, s->start_day);
    dtc_jw_key(w, "endTime");
    jw_date(w, s->end_day);
}

void emu_h_subscriptions(emu_req *r)
{
    if (!emu_auth_bearer(r, r->seg[0], "account-uac-read")) return;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "data");
    dtc_jw_arr(&w);
    for (int i = 0; i < r->account->nsubs; i++) {
        dtc_jw_obj(&w);
        write_summary(&w, &r->account->subs[i]);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}

void emu_h_subscription(emu_req *r)
{
    const emu_sub *s = sub_request(r);
    if (!s) return;
    const emu_account *a = r->account;
    int64_t today = r->now / 86400;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    write_summary(&w, s);
    dtc_jw_key(&w, "account");
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "uuid");
    dtc_jw_str(&w, a->uuid);
    dtc_jw_obj_end(&w);
    dtc_jw_key(&w, "budget");
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "total");
    dtc_jw_fixed(&w, s->budget_micro, 6);
    dtc_jw_key(&w, "used");
    dtc_jw_fixed(&w, emu_sub_used_micro(r->model, a, s, r->now), 6);
    dtc_jw_key(&w, "currencyCode");
    dtc_jw_str(&w, s->currency);
    dtc_jw_obj_end(&w);
    int cp = s->cur_period;
    int64_t remaining = s->period_end[cp] - today + 1;
    if (remaining < 0) remaining = 0;
    dtc_jw_key(&w, "currentPeriod");
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "startTime");
    jw_date(&w, s->period_start[cp]);
    dtc_jw_key(&w, "endTime");
    jw_date(&w, s->period_end[cp]);
    dtc_jw_key(&w, "daysRemaining");
    dtc_jw_int(&w, remaining);
    dtc_jw_obj_end(&w);
    dtc_jw_key(&w, "periods");
    dtc_jw_arr(&w);
    for (int i = 0; i < s->nperiods; i++) {
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "startTime");
        jw_datetime(&w, s->period_start[i] * 86400);
        dtc_jw_key(&w, "endTime");
        jw_datetime(&w, (s->period_end[i] + 1) * 86400);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "capabilities");
    dtc_jw_arr(&w);
    for (int c = 0; c < emu_ncaps; c++) {
        bool used = false;
        for (int ei = 0; ei < a->nenvs && !used; ei++)
            used = emu_sub_has_env(s, &a->envs[ei]) && ((a->envs[ei].capmask >> c) & 1);
        if (!used) continue;
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "key");
        dtc_jw_str(&w, emu_caps[c].key);
        dtc_jw_key(&w, "name");
        dtc_jw_str(&w, emu_caps[c].name);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}

/* Booked cost of one subscription day over all its environments. */
static int64_t day_cost(const emu_model *m, const emu_account *a, const emu_sub *s, int64_t day,
                        int64_t now, int64_t *last_booking)
{
    int64_t sum = 0;
    emu_rec rec;
    for (int ei = 0; ei < a->nenvs; ei++) {
        if (!emu_sub_has_env(s, &a->envs[ei])) continue;
        for (int c = 0; c < emu_ncaps; c++) {
            emu_model_record(m, a, s, ei, c, day, now, &rec);
            if (!rec.present) continue;
            sum += rec.cost_micro;
            if (last_booking && rec.booking_time > *last_booking) *last_booking = rec.booking_time;
        }
    }
    return sum;
}

void emu_h_forecast(emu_req *r)
{
    if (!emu_auth_bearer(r, r->seg[0], "account-uac-read")) return;
    const emu_account *a = r->account;
    const emu_sub *s = &a->subs[0];
    int64_t today = r->now / 86400;
    int64_t used = emu_sub_used_micro(r->model, a, s, r->now);
    /* Average of the last 28 fully booked days. */
    int64_t last = last_booked_day(r->now) - 2, sum = 0;
    int n = 0;
    for (int64_t d = last - 27; d <= last; d++, n++)
        sum += day_cost(r->model, a, s, d, r->now, NULL);
    int64_t avg = n ? sum / n : 0;
    int cp = s->cur_period;
    int64_t remaining = s->period_end[cp] - last_booked_day(r->now);
    if (remaining < 0) remaining = 0;
    int64_t proj = avg * remaining;
    int64_t median = used + proj, lower = used + proj * 9 / 10, upper = used + proj * 11 / 10;
    int64_t budget = s->budget_micro;
    int64_t days_to = avg > 0 ? (budget - used + avg - 1) / avg : 36500;
    if (days_to < 0) days_to = 0;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "forecastMedian");
    dtc_jw_fixed(&w, median / 10000, 2);
    dtc_jw_key(&w, "forecastLower");
    dtc_jw_fixed(&w, lower / 10000, 2);
    dtc_jw_key(&w, "forecastUpper");
    dtc_jw_fixed(&w, upper / 10000, 2);
    dtc_jw_key(&w, "budget");
    dtc_jw_fixed(&w, budget / 10000, 2);
    dtc_jw_key(&w, "forecastBudgetPct");
    dtc_jw_fixed(&w, budget ? (int64_t)((double)median / (double)budget * 10000.0 + 0.5) : 0, 2);
    dtc_jw_key(&w, "forecastBudgetDate");
    jw_datetime(&w, (today + days_to) * 86400);
    dtc_jw_key(&w, "forecastCreatedAt");
    jw_datetime(&w, emu_last_booking_run(r->now));
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}

/* Whole-subscription usage (per capability and day) and cost (per day). */
static void sub_series(emu_req *r, bool cost)
{
    const emu_sub *s = sub_request(r);
    if (!s) return;
    const emu_account *a = r->account;
    filt f;
    if (filt_init(&f, a, emu_arg(r, "environmentIds"), emu_arg(r, "capabilityKeys"),
                  emu_arg(r, "clusterIds"))) {
        emu_error(r, 500, "out of memory");
        return;
    }
    int64_t first, last;
    emu_sub_data_days(r->model, s, r->now, &first, &last);
    if (last > last_booked_day(r->now)) last = last_booked_day(r->now);
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "data");
    dtc_jw_arr(&w);
    emu_rec rec;
    for (int64_t d = first; d <= last; d++) {
        int64_t day_sum = 0, booked = 0;
        bool any = false;
        for (int c = 0; c < emu_ncaps; c++) {
            int64_t usage = 0;
            bool cap_any = false;
            for (int ei = 0; ei < a->nenvs; ei++) {
                if (!env_selected(&f, s, a, ei) || !cap_selected(&f, &a->envs[ei], c)) continue;
                emu_model_record(r->model, a, s, ei, c, d, r->now, &rec);
                if (!rec.present) continue;
                cap_any = any = true;
                usage += rec.usage_centi;
                day_sum += rec.cost_micro;
                if (rec.booking_time > booked) booked = rec.booking_time;
            }
            if (!cost && cap_any) {
                dtc_jw_obj(&w);
                dtc_jw_key(&w, "capabilityKey");
                dtc_jw_str(&w, emu_caps[c].key);
                dtc_jw_key(&w, "capabilityName");
                dtc_jw_str(&w, emu_caps[c].name);
                dtc_jw_key(&w, "startTime");
                jw_datetime(&w, d * 86400);
                dtc_jw_key(&w, "endTime");
                jw_datetime(&w, (d + 1) * 86400);
                dtc_jw_key(&w, "value");
                dtc_jw_fixed(&w, usage, 2);
                dtc_jw_key(&w, "unitMeasure");
                dtc_jw_str(&w, emu_caps[c].unit);
                dtc_jw_obj_end(&w);
            }
        }
        if (cost && any) {
            dtc_jw_obj(&w);
            dtc_jw_key(&w, "startTime");
            jw_datetime(&w, d * 86400);
            dtc_jw_key(&w, "endTime");
            jw_datetime(&w, (d + 1) * 86400);
            dtc_jw_key(&w, "value");
            dtc_jw_fixed(&w, day_sum, 6);
            dtc_jw_key(&w, "currencyCode");
            dtc_jw_str(&w, s->currency);
            dtc_jw_key(&w, "lastBookingDate");
            jw_datetime(&w, booked);
            dtc_jw_obj_end(&w);
        }
    }
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "lastModifiedTime");
    jw_datetime(&w, emu_last_booking_run(r->now));
    dtc_jw_obj_end(&w);
    filt_dispose(&f);
    if (w.err)
        emu_error(r, 500, "answer too large");
    else
        emu_json_ok(r);
}

void emu_h_usage(emu_req *r)
{
    sub_series(r, false);
}
void emu_h_cost(emu_req *r)
{
    sub_series(r, true);
}

/* ---- per-environment records (v2 and v3) ---- */

static void write_record(dtc_jw *w, const emu_sub *s, int c, int64_t d, const emu_rec *rec,
                         bool cost, bool v3)
{
    dtc_jw_obj(w);
    if (!cost) {
        dtc_jw_key(w, "capabilityKey");
        dtc_jw_str(w, emu_caps[c].key);
        dtc_jw_key(w, "capabilityName");
        dtc_jw_str(w, emu_caps[c].name);
    }
    dtc_jw_key(w, "startTime");
    jw_datetime(w, d * 86400);
    dtc_jw_key(w, "endTime");
    jw_datetime(w, (d + 1) * 86400);
    dtc_jw_key(w, "value");
    if (cost)
        dtc_jw_fixed(w, rec->cost_micro, 6);
    else
        dtc_jw_fixed(w, rec->usage_centi, 2);
    if (cost) {
        dtc_jw_key(w, "currencyCode");
        dtc_jw_str(w, s->currency);
        dtc_jw_key(w, "capabilityKey");
        dtc_jw_str(w, emu_caps[c].key);
        dtc_jw_key(w, "capabilityName");
        dtc_jw_str(w, emu_caps[c].name);
        if (v3) {
            dtc_jw_key(w, "bookingDate");
            jw_datetime(w, rec->booking_time);
        }
    } else {
        dtc_jw_key(w, "unitMeasure");
        dtc_jw_str(w, emu_caps[c].unit);
    }
    dtc_jw_obj_end(w);
}

/* The query of a v2/v3 per-environment request. */
typedef struct envq {
    bool cost;
    int64_t start, end, now; /* epoch s; now is the snapshot the pages share */
    int ps;
    int64_t offset;
    char *envs, *caps, *clusters; /* raw csv, "" when absent */
} envq;

static void envq_dispose(envq *q)
{
    dtc_free(q->envs);
    dtc_free(q->caps);
    dtc_free(q->clusters);
}

/* Day range of the query for a subscription: [*d0, *d1]. */
static void query_days(const emu_model *m, const emu_sub *s, const envq *q, int64_t *d0,
                       int64_t *d1)
{
    int64_t first, last;
    emu_sub_data_days(m, s, q->now, &first, &last);
    if (last > last_booked_day(q->now)) last = last_booked_day(q->now);
    int64_t lo = floordiv(q->start, 86400), hi = floordiv(q->end + 86399, 86400) - 1;
    *d0 = lo > first ? lo : first;
    *d1 = hi < last ? hi : last;
}

/* Write records [offset, offset+limit) of the query; returns how many records
 * the whole query holds. limit < 0: no limit (v2). */
static int64_t write_env_records(emu_req *r, dtc_jw *w, const emu_sub *s, const envq *q,
                                 const filt *f, int64_t limit, bool v3)
{
    const emu_account *a = r->account;
    int64_t d0, d1;
    query_days(r->model, s, q, &d0, &d1);
    int64_t ndays = d1 >= d0 ? d1 - d0 + 1 : 0;
    int64_t pos = 0, written = 0;
    emu_rec rec;
    for (int ei = 0; ei < a->nenvs; ei++) {
        if (!env_selected(f, s, a, ei)) continue;
        const emu_env *e = &a->envs[ei];
        int caps[EMU_MAX_CAPS], nc = 0;
        for (int c = 0; c < emu_ncaps; c++)
            if (cap_selected(f, e, c)) caps[nc++] = c;
        int64_t count = ndays * nc;
        if (count == 0) continue;
        if (pos + count <= q->offset || (limit >= 0 && written >= limit)) {
            pos += count;
            continue;
        }
        int64_t skip = q->offset > pos ? q->offset - pos : 0;
        bool opened = false;
        for (int64_t i = skip; i < count && (limit < 0 || written < limit); i++) {
            int64_t d = d0 + i / nc;
            int c = caps[i % nc];
            emu_model_record(r->model, a, s, ei, c, d, q->now, &rec);
            if (!opened) {
                dtc_jw_obj(w);
                if (v3) {
                    dtc_jw_key(w, "clusterId");
                    dtc_jw_str(w, "");
                }
                dtc_jw_key(w, "environmentId");
                dtc_jw_str(w, e->id);
                dtc_jw_key(w, q->cost ? "cost" : "usage");
                dtc_jw_arr(w);
                opened = true;
            }
            write_record(w, s, c, d, &rec, q->cost, v3);
            written++;
        }
        if (opened) {
            dtc_jw_arr_end(w);
            dtc_jw_obj_end(w);
        }
        pos += count;
    }
    (void)env_index;
    return pos;
}

static bool parse_time_bounds(emu_req *r, envq *q)
{
    const char *st = emu_arg(r, "startTime"), *et = emu_arg(r, "endTime");
    if (!st || !et) {
        emu_error(r, 400, "startTime and endTime are required");
        return false;
    }
    if (dtc_parse_datetime(st, &q->start) || dtc_parse_datetime(et, &q->end)) {
        emu_error(
            r, 400,
            "startTime and endTime must be ISO-8601 UTC date-times like 2026-01-01T00:00:00Z");
        return false;
    }
    if (q->start >= q->end) {
        emu_error(r, 400, "startTime must be before endTime");
        return false;
    }
    return true;
}

static char *dup_arg(emu_req *r, const char *name)
{
    const char *v = emu_arg(r, name);
    return dtc_strdup(v ? v : "");
}

static void env_v2(emu_req *r, bool cost)
{
    const emu_sub *s = sub_request(r);
    if (!s) return;
    char link[256];
    snprintf(link, sizeof(link),
             "</sub/v3/accounts/%s/subscriptions/%s/%s>; rel=\"successor-version\"",
             r->account->uuid, s->uuid, cost ? "environment-cost" : "environment-usage");
    char sunset[30];
    dtc_fmt_http_date(sunset, r->model->cfg->v2_sunset);
    if (r->now >= r->model->cfg->v2_sunset) {
        emu_error(r, 410, "This endpoint was removed on %s", sunset);
        emu_set_header(r, "Sunset", sunset);
        emu_set_header(r, "Link", link);
        return;
    }
    envq q = {.cost = cost, .now = r->now};
    if (!parse_time_bounds(r, &q)) return;
    filt f;
    if (filt_init(&f, r->account, emu_arg(r, "environmentIds"), emu_arg(r, "capabilityKeys"),
                  NULL)) {
        emu_error(r, 500, "out of memory");
        return;
    }
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "data");
    dtc_jw_arr(&w);
    write_env_records(r, &w, s, &q, &f, -1, false);
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "lastModifiedTime");
    jw_datetime(&w, emu_last_booking_run(r->now));
    dtc_jw_obj_end(&w);
    filt_dispose(&f);
    if (w.err) {
        emu_error(r, 400, "The requested range is too large for one answer; use v3 with pages");
        return;
    }
    emu_json_ok(r);
    emu_set_header(r, "Deprecation", DEPRECATION);
    emu_set_header(r, "Sunset", sunset);
    emu_set_header(r, "Link", link);
}

void emu_h_env_usage_v2(emu_req *r)
{
    env_v2(r, false);
}
void emu_h_env_cost_v2(emu_req *r)
{
    env_v2(r, true);
}

/* Split a state string on '|' keeping empty fields. */
static int split_state(char *s, char **f, int max)
{
    int n = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == '|') {
            *p = '\0';
            f[n++] = p + 1;
        }
    return n;
}

/* The request's page-size into *ps (left alone when absent). Above `limit`
 * it is a 400, as live v3 answers; with limit 0 it is clamped to
 * --page-size-max, as documented. */
static bool parse_page_size(emu_req *r, int *ps, int limit)
{
    const char *v = emu_arg(r, "page-size");
    if (!v) return true;
    char *end;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || n < 1) {
        emu_error(r, 400, "page-size must be a positive integer");
        return false;
    }
    if (limit > 0 && n > limit) {
        emu_error(r, 400, "page-size must not be greater than %d", limit);
        return false;
    }
    int max = r->model->cfg->page_size_max;
    *ps = n > max ? max : (int)n;
    return true;
}

/* Live v3 wants both time bounds on every request, page-key or not, and
 * names the first one missing the way live accounts do. */
static bool live_bounds_present(emu_req *r)
{
    static const char *names[] = {"endTime", "startTime"};
    for (int i = 0; i < 2; i++)
        if (!emu_arg(r, names[i])) {
            emu_error(r, 400, "'%s' must be provided", names[i]);
            return false;
        }
    return true;
}

/* Is the query a page-key request repeats the one the key was made for (k)?
 * ps is the request's page size (its default when absent). Live paging
 * compares every parameter, an absent filter being the empty one; documented
 * paging only those the request carries. On a mismatch the 400 is set. */
static bool same_query(emu_req *r, const envq *k, int ps, bool live)
{
    const char *names[] = {"startTime", "endTime", "environmentIds", "capabilityKeys",
                           "clusterIds"};
    const char *why = NULL;
    for (int i = 0; i < 2 && !why; i++) {
        const char *v = emu_arg(r, names[i]);
        int64_t t = 0;
        if (v && dtc_parse_datetime(v, &t)) {
            emu_error(
                r, 400,
                "startTime and endTime must be ISO-8601 UTC date-times like 2026-01-01T00:00:00Z");
            return false;
        }
        if (v && t != (i == 0 ? k->start : k->end)) why = names[i];
    }
    const char *have[] = {k->envs, k->caps, k->clusters};
    for (int i = 0; i < 3 && !why; i++) {
        const char *v = emu_arg(r, names[2 + i]);
        if ((v || live) && strcmp(v ? v : "", have[i]) != 0) why = names[2 + i];
    }
    if (!why && (live || emu_arg(r, "page-size")) && ps != k->ps) why = "page-size";
    if (why) emu_error(r, 400, "page-key does not belong to this query (%s differs)", why);
    return why == NULL;
}

/* How the last page ends its nextPageKey: null, absent, "" or a mix. */
static void write_last_key(dtc_jw *w, const emu_model *m, uint64_t qhash)
{
    const char *mode = m->cfg->last_page_key;
    if (strcmp(mode, "mixed") == 0) {
        static const char *modes[] = {"null", "absent", "empty"};
        mode = modes[dtc_hash4(m->cfg->seed, 0x1a57, qhash, 0, 0) % 3];
    }
    if (strcmp(mode, "absent") == 0) return;
    dtc_jw_key(w, "nextPageKey");
    if (strcmp(mode, "empty") == 0)
        dtc_jw_str(w, "");
    else
        dtc_jw_null(w);
}

static void env_v3(emu_req *r, bool cost)
{
    const emu_sub *s = sub_request(r);
    if (!s) return;
    if (r->model->cfg->no_v3) {
        emu_error(r, 404, "No such endpoint: %s", r->path);
        return;
    }
    const emu_model *m = r->model;
    int ai = (int)(r->account - m->accounts), si = (int)(s - r->account->subs);
    /* Live: page-size above the limit is a 400 and the default stays within it. */
    bool live = emu_paging_live(m->cfg);
    int limit = live ? m->cfg->v3_page_size_limit : 0;
    int ps = m->cfg->page_size_default;
    if (live && ps > limit) ps = limit;
    envq q = {.cost = cost, .now = r->now};
    const char *pk = emu_arg(r, "page-key");
    char *state = NULL;
    if (!parse_page_size(r, &ps, limit)) goto done;
    if (live && !live_bounds_present(r)) goto done;
    if (pk) {
        char *fld[16];
        if (emu_pagekey_decode(m->cfg->seed, pk, &state) != 0 ||
            split_state(state, fld, 16) != 12 || strcmp(fld[0], "v3") != 0 ||
            strcmp(fld[1], cost ? "c" : "u") != 0 || atoi(fld[2]) != ai || atoi(fld[3]) != si) {
            emu_error(r, 400, "Invalid page-key");
            goto done;
        }
        q.start = strtoll(fld[4], NULL, 10);
        q.end = strtoll(fld[5], NULL, 10);
        q.now = strtoll(fld[6], NULL, 10);
        q.ps = atoi(fld[7]);
        q.offset = strtoll(fld[8], NULL, 10);
        q.envs = dtc_strdup(fld[9]);
        q.caps = dtc_strdup(fld[10]);
        q.clusters = dtc_strdup(fld[11]);
        if (!q.envs || !q.caps || !q.clusters) {
            emu_error(r, 500, "out of memory");
            goto done;
        }
        if (!same_query(r, &q, ps, live)) goto done;
    } else {
        if (!parse_time_bounds(r, &q)) goto done;
        q.ps = ps;
        q.envs = dup_arg(r, "environmentIds");
        q.caps = dup_arg(r, "capabilityKeys");
        q.clusters = dup_arg(r, "clusterIds");
    }
    if (!q.envs || !q.caps || !q.clusters) {
        emu_error(r, 500, "out of memory");
        goto done;
    }
    if (strchr(q.envs, '|') || strchr(q.caps, '|') || strchr(q.clusters, '|')) {
        emu_error(r, 400, "Invalid character '|' in a filter");
        goto done;
    }
    filt f;
    if (filt_init(&f, r->account, q.envs, q.caps, q.clusters)) {
        emu_error(r, 500, "out of memory");
        goto done;
    }
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "data");
    dtc_jw_arr(&w);
    int64_t total = write_env_records(r, &w, s, &q, &f, q.ps, true);
    dtc_jw_arr_end(&w);
    filt_dispose(&f);
    dtc_jw_key(&w, "lastModifiedTime");
    jw_datetime(&w, emu_last_booking_run(q.now));
    int64_t next = q.offset + q.ps;
    /* --page-key-cycle: the second page's key leads back to the first page,
     * whose key leads to the second: the keys repeat forever (a broken
     * server). Any walk of more than one page cycles. */
    if (m->cfg->page_key_cycle && next < total && q.offset >= q.ps) next = 0;
    if (next < total) {
        char st[4096], *key = NULL;
        snprintf(st, sizeof(st),
                 "v3|%s|%d|%d|%" PRId64 "|%" PRId64 "|%" PRId64 "|%d|%" PRId64 "|%s|%s|%s",
                 cost ? "c" : "u", ai, si, q.start, q.end, q.now, q.ps, next, q.envs, q.caps,
                 q.clusters);
        if (emu_pagekey_encode(m->cfg->seed, st, &key) != 0) {
            emu_error(r, 500, "out of memory");
            goto done;
        }
        dtc_jw_key(&w, "nextPageKey");
        dtc_jw_str(&w, key);
        dtc_free(key);
    } else {
        uint64_t qh = dtc_hash4((uint64_t)q.start, (uint64_t)q.end, (uint64_t)si, cost,
                                dtc_hash_bytes(0, q.envs, strlen(q.envs)) ^
                                    dtc_hash_bytes(0, q.caps, strlen(q.caps)));
        write_last_key(&w, m, qh);
    }
    dtc_jw_obj_end(&w);
    if (w.err)
        emu_error(r, 500, "answer too large");
    else
        emu_json_ok(r);
done:
    dtc_free(state);
    envq_dispose(&q);
}

void emu_h_env_usage_v3(emu_req *r)
{
    env_v3(r, false);
}
void emu_h_env_cost_v3(emu_req *r)
{
    env_v3(r, true);
}

/* ---- rate cards ---- */

void emu_h_rate_cards(emu_req *r)
{
    if (!emu_auth_bearer(r, r->seg[0], "account-uac-read")) return;
    const emu_account *a = r->account;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_arr(&w);
    for (int si = 0; si < a->nsubs; si++) {
        const emu_sub *s = &a->subs[si];
        char quote[32];
        int y, mo, d;
        dtc_civil_from_days(s->start_day, &y, &mo, &d);
        snprintf(
            quote, sizeof(quote), "Q-%04d-%05u", y,
            (unsigned)(dtc_hash_bytes(r->model->cfg->seed, s->uuid, strlen(s->uuid)) % 100000));
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "quoteNumber");
        dtc_jw_str(&w, quote);
        dtc_jw_key(&w, "startTime");
        jw_datetime(&w, s->start_day * 86400);
        dtc_jw_key(&w, "endTime");
        jw_datetime(&w, (s->end_day + 1) * 86400);
        dtc_jw_key(&w, "currencyCode");
        dtc_jw_str(&w, s->currency);
        dtc_jw_key(&w, "capabilities");
        dtc_jw_arr(&w);
        for (int c = 0; c < emu_ncaps; c++) {
            bool used = false;
            for (int ei = 0; ei < a->nenvs && !used; ei++)
                used = emu_sub_has_env(s, &a->envs[ei]) && ((a->envs[ei].capmask >> c) & 1);
            if (!used) continue;
            char price[32];
            dtc_fixed_format(price, s->price4[c], 4, false);
            dtc_jw_obj(&w);
            dtc_jw_key(&w, "key");
            dtc_jw_str(&w, emu_caps[c].key);
            dtc_jw_key(&w, "name");
            dtc_jw_str(&w, emu_caps[c].name);
            dtc_jw_key(&w, "quotedPrice");
            dtc_jw_str(&w, price);
            dtc_jw_key(&w, "quotedUnitOfMeasure");
            dtc_jw_str(&w, emu_caps[c].unit);
            dtc_jw_key(&w, "price");
            dtc_jw_str(&w, price);
            dtc_jw_key(&w, "startTime");
            jw_datetime(&w, s->start_day * 86400);
            dtc_jw_key(&w, "endTime");
            jw_datetime(&w, (s->end_day + 1) * 86400);
            dtc_jw_key(&w, "deploymentType");
            dtc_jw_str(&w, "SAAS");
            dtc_jw_obj_end(&w);
        }
        dtc_jw_arr_end(&w);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    emu_json_ok(r);
}

/* ---- cost and budget events ---- */

static void write_event(dtc_jw *w, const char *env, const char *cap, int64_t date, int64_t created,
                        const char *severity, const char *message, const char *type,
                        const char *level)
{
    dtc_jw_obj(w);
    dtc_jw_key(w, "environmentUuid");
    dtc_jw_str(w, env);
    dtc_jw_key(w, "capability");
    dtc_jw_str(w, cap);
    dtc_jw_key(w, "date");
    jw_datetime(w, date);
    dtc_jw_key(w, "createdAt");
    jw_datetime(w, created);
    dtc_jw_key(w, "severity");
    dtc_jw_str(w, severity);
    dtc_jw_key(w, "message");
    dtc_jw_str(w, message);
    dtc_jw_key(w, "eventType");
    dtc_jw_str(w, type);
    dtc_jw_key(w, "notificationLevel");
    dtc_jw_str(w, level);
    dtc_jw_obj_end(w);
}

void emu_h_events(emu_req *r)
{
    if (!emu_auth_bearer(r, r->seg[0], "account-uac-read")) return;
    const emu_account *a = r->account;
    const emu_model *m = r->model;
    int64_t from = INT64_MIN, to = INT64_MAX;
    const char *st = emu_arg(r, "startTime"), *et = emu_arg(r, "endTime");
    const char *type = emu_arg(r, "eventType");
    if ((st && dtc_parse_datetime(st, &from)) || (et && dtc_parse_datetime(et, &to))) {
        emu_error(r, 400, "startTime and endTime must be ISO-8601 UTC date-times");
        return;
    }
    if (type && strcmp(type, "cost") && strcmp(type, "forecast") && strcmp(type, "budget")) {
        emu_error(r, 400, "eventType must be one of cost, forecast, budget");
        return;
    }
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_arr(&w);
    char msg[256], amount[32];
    int64_t last = last_booked_day(r->now);
    for (int si = 0; si < a->nsubs; si++) {
        const emu_sub *s = &a->subs[si];
        int64_t first, dlast;
        emu_sub_data_days(m, s, r->now, &first, &dlast);
        if (dlast > last) dlast = last;
        /* Cost events: the injected spikes. */
        if (!type || strcmp(type, "cost") == 0) {
            for (int ei = 0; ei < a->nenvs; ei++) {
                const emu_env *e = &a->envs[ei];
                if (!emu_sub_has_env(s, e)) continue;
                for (int c = 0; c < emu_ncaps; c++) {
                    if (!((e->capmask >> c) & 1)) continue;
                    for (int64_t d = first; d <= dlast; d++) {
                        double fac;
                        if (!emu_model_spike(m, a, ei, c, d, &fac) || d * 86400 < from ||
                            d * 86400 > to)
                            continue;
                        snprintf(msg, sizeof(msg),
                                 "Cost of %s in environment %s was %.1fx its usual daily cost",
                                 emu_caps[c].name, e->id, fac);
                        write_event(&w, e->id, emu_caps[c].key, d * 86400,
                                    (d + 1) * 86400 + 3 * 3600, fac >= 5 ? "SEVERE" : "WARN", msg,
                                    "cost", "ENVIRONMENT");
                    }
                }
            }
        }
        /* Budget events: cumulative use of the current period crossing 50/75/90/100%. */
        if ((!type || strcmp(type, "budget") == 0) && s->budget_micro > 0) {
            int cp = s->cur_period;
            int64_t cum = 0;
            static const int marks[] = {50, 75, 90, 100};
            int next = 0;
            int64_t pe = s->period_end[cp] < dlast ? s->period_end[cp] : dlast;
            for (int64_t d = s->period_start[cp] > first ? s->period_start[cp] : first;
                 d <= pe && next < 4; d++) {
                cum += day_cost(m, a, s, d, r->now, NULL);
                while (next < 4 && cum * 100 >= s->budget_micro * marks[next]) {
                    /* one event per cost monitor: the first as if it were the only one */
                    for (int k = 1; k <= m->cfg->budget_monitors; k++) {
                        if (d * 86400 < from || d * 86400 > to) break;
                        dtc_fixed_format(amount, cum / 10000, 2, false);
                        int n = k == 1 ? 0 : snprintf(msg, sizeof(msg), "Budget monitor %d: ", k);
                        snprintf(msg + n, sizeof(msg) - (size_t)n,
                                 "Subscription %s has used %d%% of its budget (%s %s)", s->name,
                                 marks[next], amount, s->currency);
                        write_event(&w, "", "", d * 86400, (d + 1) * 86400 + 3 * 3600,
                                    marks[next] >= 90   ? "SEVERE"
                                    : marks[next] >= 75 ? "WARN"
                                                        : "INFO",
                                    msg, "budget", "ACCOUNT");
                    }
                    next++;
                }
            }
        }
    }
    /* Forecast event for the main subscription when it is projected over budget. */
    if (!type || strcmp(type, "forecast") == 0) {
        const emu_sub *s = &a->subs[0];
        int64_t t = emu_last_booking_run(r->now);
        if (t >= from && t <= to && strcmp(s->status, "ACTIVE") == 0) {
            snprintf(msg, sizeof(msg),
                     "Forecast for subscription %s exceeds its budget before the period ends",
                     s->name);
            write_event(&w, "", "", t, t, "WARN", msg, "forecast", "ACCOUNT");
        }
    }
    dtc_jw_arr_end(&w);
    emu_json_ok(r);
}

/* ---- cost allocation ---- */

/* The defined values of the two cost-allocation fields. Cost is split over
 * the first ALLOC_KEYS of each; the rest are defined but never receive cost,
 * as a freshly created cost centre or a retired product. */
#define ALLOC_KEYS 4
static const char *cc_keys[] = {"CC-1001-platform", "CC-2040-payments", "CC-3100-search",
                                "CC-4200-data", "CC-5300-research"};
static const char *product_keys[] = {"checkout", "catalog", "mobile-app", "search", "loyalty"};
#define SETTINGS_PAGE_SIZE 2 /* small, so a client sees page-number paging work */

void emu_h_cost_allocation(emu_req *r)
{
    if (!emu_auth_bearer(r, NULL, "account-uac-read")) return;
    const emu_account *a = r->account;
    const emu_model *m = r->model;
    const emu_sub *s = find_sub(r, a, r->seg[0]);
    if (!s) return;
    if (!s->cost_allocation) {
        emu_error(r, 404,
                  "Cost allocation is not available for subscription %s (DPS contracts signed "
                  "after April 2023 only)",
                  s->uuid);
        return;
    }
    const char *pk = emu_arg(r, "page-key");
    char *state = NULL;
    const char *field = NULL, *envid = NULL;
    int64_t d_from = INT64_MIN, d_to = INT64_MAX, now = r->now, offset = 0;
    int ps = m->cfg->page_size_default;
    char *fld[8];
    if (pk) {
        static const char *others[] = {"field", "environment-id", "from", "to", "page-size"};
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
            if (emu_arg(r, others[i])) {
                emu_error(r, 400,
                          "When page-key is set no other query parameter may be set (found %s)",
                          others[i]);
                return;
            }
        if (emu_pagekey_decode(m->cfg->seed, pk, &state) != 0 || split_state(state, fld, 8) != 8 ||
            strcmp(fld[0], "ca") != 0 || strcmp(fld[1], s->uuid) != 0) {
            emu_error(r, 400, "Invalid page-key");
            dtc_free(state);
            return;
        }
        field = fld[2];
        envid = fld[3];
        d_from = strtoll(fld[4], NULL, 10);
        d_to = strtoll(fld[5], NULL, 10);
        now = strtoll(fld[6], NULL, 10);
        char *slash = strchr(fld[7], '/');
        ps = atoi(fld[7]);
        offset = slash ? strtoll(slash + 1, NULL, 10) : 0;
    } else {
        field = emu_arg(r, "field");
        envid = emu_arg(r, "environment-id");
        if (!field || !envid) {
            emu_error(r, 400, "field and environment-id are required unless page-key is given");
            return;
        }
        if (strcmp(field, "COSTCENTER") && strcmp(field, "PRODUCT")) {
            emu_error(r, 400, "field must be COSTCENTER or PRODUCT");
            return;
        }
        const char *f = emu_arg(r, "from"), *t = emu_arg(r, "to");
        if ((f && dtc_parse_date(f, &d_from)) || (t && dtc_parse_date(t, &d_to))) {
            emu_error(r, 400, "from and to must be dates like 2026-01-31");
            return;
        }
        if (!parse_page_size(r, &ps, m->cfg->alloc_page_size_limit)) return;
        if (t && m->cfg->alloc_to_exclusive) d_to--;
    }
    int ei = -1;
    for (int i = 0; i < a->nenvs; i++)
        if (strcmp(a->envs[i].id, envid) == 0 && emu_sub_has_env(s, &a->envs[i])) ei = i;
    if (ei < 0) {
        emu_error(r, 400, "Environment %.32s is not part of subscription %s", envid, s->uuid);
        dtc_free(state);
        return;
    }
    const char **keys = strcmp(field, "PRODUCT") == 0 ? product_keys : cc_keys;
    const emu_env *e = &a->envs[ei];
    int64_t first, last;
    emu_sub_data_days(m, s, now, &first, &last);
    if (last > last_booked_day(now)) last = last_booked_day(now);
    if (d_from > first) first = d_from;
    if (d_to < last) last = d_to;
    int caps[EMU_MAX_CAPS], nc = 0;
    for (int c = 0; c < emu_ncaps; c++)
        if ((e->capmask >> c) & 1) caps[nc++] = c;
    int64_t total = last >= first ? (last - first + 1) * nc * ALLOC_KEYS : 0;

    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "environmentId");
    dtc_jw_str(&w, e->id);
    dtc_jw_key(&w, "field");
    dtc_jw_str(&w, field);
    dtc_jw_key(&w, "records");
    dtc_jw_arr(&w);
    emu_rec rec;
    for (int64_t i = offset; i < total && i < offset + ps; i++) {
        int64_t d = first + i / (nc * ALLOC_KEYS);
        int c = caps[(i / ALLOC_KEYS) % nc], k = (int)(i % ALLOC_KEYS);
        emu_model_record(m, a, s, ei, c, d, now, &rec);
        /* Split the record's cost over four keys by fixed weights; the last
         * key takes the remainder so the parts sum exactly to the whole. */
        uint64_t h = dtc_hash4(m->cfg->seed, 0xa11c, (uint64_t)ei, (uint64_t)c,
                               strcmp(field, "PRODUCT") == 0);
        int wt[ALLOC_KEYS], wsum = 0;
        for (int j = 0; j < ALLOC_KEYS; j++)
            wsum += wt[j] = 1 + (int)((h >> (j * 8)) % 9);
        int64_t part = 0, given = 0;
        for (int j = 0; j <= k; j++) {
            part = j == ALLOC_KEYS - 1 ? rec.cost_micro - given : rec.cost_micro * wt[j] / wsum;
            given += part;
        }
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "date");
        jw_date(&w, d);
        dtc_jw_key(&w, "capability");
        dtc_jw_str(&w, emu_caps[c].key);
        dtc_jw_key(&w, "key");
        dtc_jw_str(&w, keys[k]);
        dtc_jw_key(&w, "costs");
        dtc_jw_fixed(&w, part, 6);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    if (offset + ps < total) {
        char st[512], *key = NULL;
        snprintf(st, sizeof(st), "ca|%s|%s|%s|%" PRId64 "|%" PRId64 "|%" PRId64 "|%d/%" PRId64,
                 s->uuid, field, e->id, first, last, now, ps, offset + ps);
        if (emu_pagekey_encode(m->cfg->seed, st, &key) != 0) {
            emu_error(r, 500, "out of memory");
            dtc_free(state);
            return;
        }
        dtc_jw_key(&w, "nextPageKey");
        dtc_jw_str(&w, key);
        dtc_free(key);
    } else {
        write_last_key(&w, m, dtc_hash4((uint64_t)first, (uint64_t)last, (uint64_t)ei, 0, 0));
    }
    dtc_jw_obj_end(&w);
    dtc_free(state);
    emu_json_ok(r);
}

/* ---- cost-allocation settings: the defined cost centres and products ---- */

/* GET /v1/accounts/{a}/settings/costcenters|products?page=N&page-size=M:
 * {"records":[{"key":...}],"hasNextPage":bool}, pages numbered from 1. */
static void settings_list(emu_req *r, const char **keys, int nkeys)
{
    if (!emu_auth_bearer(r, r->seg[0], "account-uac-read")) return;
    long page = 1;
    int ps = SETTINGS_PAGE_SIZE;
    const char *v = emu_arg(r, "page");
    if (v) {
        char *end;
        page = strtol(v, &end, 10);
        if (*v == '\0' || *end || page < 1 || page > 1000000) {
            emu_error(r, 400, "page must be a positive integer (pages are numbered from 1)");
            return;
        }
    }
    if (!parse_page_size(r, &ps, 0)) return;
    int64_t from = (int64_t)(page - 1) * ps;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "records");
    dtc_jw_arr(&w);
    for (int64_t i = from; i < nkeys && i < from + ps; i++) {
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "key");
        dtc_jw_str(&w, keys[i]);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "hasNextPage");
    dtc_jw_bool(&w, from + ps < nkeys);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}

void emu_h_costcenters(emu_req *r)
{
    settings_list(r, cc_keys, (int)(sizeof(cc_keys) / sizeof(cc_keys[0])));
}

void emu_h_products(emu_req *r)
{
    settings_list(r, product_keys, (int)(sizeof(product_keys) / sizeof(product_keys[0])));
}
