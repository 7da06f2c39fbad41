/* report_json.c: `dtcost report --format json`: the whole report as one
 * JSON document, amounts as exact decimals, days as YYYY-MM-DD. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "jw.h"
#include "report_out.h"
#include "timeutil.h"

static void jw_money(dtc_jw *w, const char *key, int64_t micro)
{
    dtc_jw_key(w, key);
    dtc_jw_fixed(w, micro, 6);
}

static void jw_day(dtc_jw *w, const char *key, int64_t day)
{
    char d[16];
    dtc_jw_key(w, key);
    if (day < 0) {
        dtc_jw_null(w);
    } else {
        dtc_fmt_date(d, day);
        dtc_jw_str(w, d);
    }
}

static void jw_text(dtc_jw *w, const char *key, const char *s)
{
    dtc_jw_key(w, key);
    dtc_jw_str(w, s);
}

static void jw_lic_units(dtc_jw *w, const dtc_lic_day *d, bool priced)
{
    dtc_jw_key(w, "fullstack_hu_hours");
    dtc_jw_fixed(w, d->fullstack_mhu, 3);
    dtc_jw_key(w, "infrastructure_hu_hours");
    dtc_jw_fixed(w, d->infra_mhu, 3);
    dtc_jw_key(w, "application_only_hu_hours");
    dtc_jw_fixed(w, d->paas_mhu, 3);
    dtc_jw_key(w, "dem_units");
    dtc_jw_fixed(w, d->dem_centi, 2);
    dtc_jw_key(w, "ddu");
    dtc_jw_fixed(w, d->ddu_micro, 6);
    dtc_jw_key(w, "money");
    if (priced)
        dtc_jw_fixed(w, d->money, 6);
    else
        dtc_jw_null(w);
}

/* null without license data; else the window, per environment, per
 * environment and day, and the total. */
static void jw_license(dtc_jw *w, const report_view *v)
{
    const dtc_lic_summary *x = v->lic;
    if (x->from < 0) {
        dtc_jw_null(w);
        return;
    }
    dtc_jw_obj(w);
    jw_day(w, "from", x->from);
    jw_day(w, "to", x->to);
    dtc_jw_key(w, "currency");
    if (x->priced && v->lic_currency[0])
        dtc_jw_str(w, v->lic_currency);
    else
        dtc_jw_null(w);
    dtc_jw_key(w, "unpriced");
    dtc_jw_arr(w);
    char keys[sizeof(x->unpriced)];
    snprintf(keys, sizeof(keys), "%s", x->unpriced);
    for (char *save = NULL, *k = strtok_r(keys, " ", &save); k; k = strtok_r(NULL, " ", &save))
        dtc_jw_str(w, k);
    dtc_jw_arr_end(w);
    const struct {
        const char *key;
        const dtc_lic_day *rows;
        size_t n;
    } lists[] = {{"by_environment", x->envs, x->nenvs},
                 {"by_environment_and_day", x->days, x->ndays}};
    for (size_t l = 0; l < 2; l++) {
        dtc_jw_key(w, lists[l].key);
        dtc_jw_arr(w);
        for (size_t i = 0; i < lists[l].n; i++) {
            const dtc_lic_day *d = &lists[l].rows[i];
            dtc_jw_obj(w);
            jw_text(w, "cluster", d->cluster);
            jw_text(w, "environment", d->environment);
            if (d->day >= 0) jw_day(w, "day", d->day);
            jw_lic_units(w, d, x->priced);
            dtc_jw_obj_end(w);
        }
        dtc_jw_arr_end(w);
    }
    dtc_jw_key(w, "total");
    dtc_jw_obj(w);
    jw_lic_units(w, &x->total, x->priced);
    dtc_jw_obj_end(w);
    dtc_jw_obj_end(w);
}

int report_json_write(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_JSON_DOC);
    dtc_jw w;
    dtc_jw_init(&w, &b);
    dtc_jw_obj(&w);
    jw_day(&w, "as_of", r->today);
    dtc_jw_key(&w, "last_sync");
    dtc_jw_str(&w, r->last_sync[0] ? r->last_sync : NULL);
    dtc_jw_key(&w, "budgets");
    dtc_jw_arr(&w);
    for (size_t i = 0; i < r->nbudgets; i++) {
        const dtc_budget *x = &r->budgets[i];
        dtc_jw_obj(&w);
        jw_text(&w, "subscription", x->subscription);
        jw_text(&w, "name", x->name);
        jw_text(&w, "status", x->status);
        jw_text(&w, "currency", x->currency);
        jw_text(&w, "account", x->account);
        jw_money(&w, "commitment", x->total);
        jw_money(&w, "used", x->used);
        jw_money(&w, "remaining", x->remaining);
        dtc_jw_key(&w, "percent_used");
        dtc_jw_fixed(&w, x->used_pct_centi, 2);
        jw_money(&w, "burn7", x->burn7);
        jw_money(&w, "burn30", x->burn30);
        jw_money(&w, "burn30_standard_error", x->burn_se);
        jw_money(&w, "expected_overage", x->expected_overage);
        jw_day(&w, "period_start", x->period_start);
        jw_day(&w, "period_end", x->period_end);
        jw_day(&w, "last_day", x->last_day);
        jw_day(&w, "runs_out", x->runs_out);
        jw_day(&w, "runs_out_earliest", x->runs_out_early);
        jw_day(&w, "runs_out_latest", x->runs_out_late);
        dtc_jw_key(&w, "days_remaining");
        dtc_jw_int(&w, x->days_remaining);
        dtc_jw_key(&w, "percent_of_period_elapsed");
        dtc_jw_fixed(&w, x->elapsed_pct_centi, 2);
        /* As of a past day: rebuilt from the stored history; what it could not know. */
        dtc_jw_key(&w, "rebuilt_as_of");
        dtc_jw_bool(&w, x->as_of);
        dtc_jw_key(&w, "unknown_as_of");
        dtc_jw_arr(&w);
        if (x->asof_gaps & DTC_ASOF_OLD_PERIOD) dtc_jw_str(&w, "commitment_of_that_period");
        if (x->asof_gaps & DTC_ASOF_NO_FORECAST) dtc_jw_str(&w, "forecast");
        dtc_jw_arr_end(&w);
        dtc_jw_key(&w, "forecast");
        if (x->forecast_median >= 0) {
            dtc_jw_obj(&w);
            jw_money(&w, "median", x->forecast_median);
            jw_money(&w, "lower", x->forecast_lower);
            jw_money(&w, "upper", x->forecast_upper);
            jw_text(&w, "budget_date", x->forecast_budget_date);
            dtc_jw_obj_end(&w);
        } else
            dtc_jw_null(&w);
        jw_money(&w, "this_week", x->week_cur);
        jw_money(&w, "last_week_same_days", x->week_prev);
        jw_money(&w, "this_month", x->month_cur);
        jw_money(&w, "last_month_same_days", x->month_prev);
        int64_t starts[64], costs[64];
        size_t n = dtc_report_buckets(starts, costs, x, r->today, v->grain,
                                      (size_t)(v->top < 64 ? v->top : 64));
        dtc_jw_key(&w, v->grain == 'm' ? "by_month" : v->grain == 'w' ? "by_week" : "by_day");
        dtc_jw_arr(&w);
        for (size_t k = 0; k < n; k++) {
            dtc_jw_obj(&w);
            jw_day(&w, "start", starts[k]);
            jw_money(&w, "cost", costs[k]);
            dtc_jw_obj_end(&w);
        }
        dtc_jw_arr_end(&w);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    const struct {
        const char *k;
        const dtc_spend *rows;
        size_t n;
    } tables[] = {{"by_capability", r->by_capability, r->ncap},
                  {"by_environment", r->by_environment, r->nenv}};
    for (size_t t = 0; t < 2; t++) {
        dtc_jw_key(&w, tables[t].k);
        dtc_jw_arr(&w);
        for (size_t i = 0; i < tables[t].n; i++) {
            const dtc_spend *s = &tables[t].rows[i];
            dtc_jw_obj(&w);
            jw_text(&w, "key", s->key);
            jw_text(&w, "name", s->name);
            jw_text(&w, "currency", s->currency);
            jw_money(&w, "current", s->current);
            jw_money(&w, "previous", s->previous);
            jw_money(&w, "change", s->change);
            dtc_jw_obj_end(&w);
        }
        dtc_jw_arr_end(&w);
    }
    dtc_jw_key(&w, "chargeback");
    if (v->charges) {
        dtc_jw_obj(&w);
        jw_day(&w, "from", v->cb_from);
        jw_day(&w, "to", v->cb_to);
        dtc_jw_key(&w, "teams");
        dtc_jw_arr(&w);
        for (size_t i = 0; i < v->ncharges; i++) {
            const dtc_charge *ch = &v->charges[i];
            dtc_jw_obj(&w);
            jw_text(&w, "team", ch->team);
            jw_text(&w, "currency", ch->currency);
            jw_money(&w, "direct", ch->direct);
            jw_money(&w, "shared", ch->shared);
            jw_money(&w, "total", ch->total);
            dtc_jw_obj_end(&w);
        }
        dtc_jw_arr_end(&w);
        dtc_jw_obj_end(&w);
    } else
        dtc_jw_null(&w);
    dtc_jw_key(&w, "license");
    jw_license(&w, v);
    /* Cost centres and products (Dynatrace's cost allocation), usage quantities. */
    dtc_jw_key(&w, "cost_allocation");
    dtc_jw_arr(&w);
    for (size_t i = 0; i < r->nalloc; i++) {
        const dtc_alloc_spend *a = &r->allocations[i];
        dtc_jw_obj(&w);
        jw_text(&w, "field", a->field);
        jw_text(&w, "key", a->key);
        jw_text(&w, "currency", a->currency);
        jw_money(&w, "current", a->current);
        jw_money(&w, "previous", a->previous);
        jw_money(&w, "change", a->change);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "usage");
    dtc_jw_arr(&w);
    for (size_t i = 0; i < r->nusage; i++) {
        const dtc_usage *u = &r->usage[i];
        dtc_jw_obj(&w);
        jw_text(&w, "subscription", u->subscription);
        jw_text(&w, "capability", u->capability);
        jw_text(&w, "name", u->name);
        jw_text(&w, "unit", u->unit);
        dtc_jw_key(&w, "current");
        dtc_jw_fixed(&w, report_scaled(u->current, 6), 6);
        dtc_jw_key(&w, "previous");
        dtc_jw_fixed(&w, report_scaled(u->previous, 6), 6);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "anomalies");
    dtc_jw_arr(&w);
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *x = &r->anomalies[i];
        dtc_jw_obj(&w);
        jw_text(&w, "subscription", x->subscription);
        jw_text(&w, "environment", x->environment);
        jw_text(&w, "capability", x->capability);
        jw_text(&w, "environment_name", x->environment_name);
        jw_text(&w, "capability_name", x->capability_name);
        jw_text(&w, "day", x->day);
        jw_text(&w, "currency", x->currency);
        jw_money(&w, "cost", x->cost);
        jw_money(&w, "expected", x->expected);
        jw_money(&w, "jump", x->jump);
        dtc_jw_key(&w, "score");
        dtc_jw_fixed(&w, report_scaled(x->score, 1), 1);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    int rc = w.err;
    if (rc == 0 &&
        (fwrite(b.data, 1, b.len, f) != b.len || fputc('\n', f) == EOF || fflush(f) != 0))
        rc = DTC_EIO;
    dtc_buf_dispose(&b);
    return rc;
}
