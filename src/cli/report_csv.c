/* report_csv.c: `dtcost report --format csv`: one long table, a row per
 * figure, so every section fits one header:
 * section,subscription,key,name,day,currency,metric,value. Money and
 * quantities are exact decimals in `value`; a figure that is a day (runs out,
 * period end, forecast budget date) has it in `day` and an empty `value`.
 * Text from the API is neutralised against spreadsheet formulas. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "jw.h"
#include "report_out.h"
#include "timeutil.h"

typedef struct out {
    FILE *f;
    dtc_buf line;
    int err; /* first error; sticky */
} out;

/* One row; value is a decimal string, or "" for a figure that is a day. */
static void row(out *o, const char *section, const char *sub, const char *key, const char *name,
                int64_t day, const char *currency, const char *metric, const char *value)
{
    if (o->err) return;
    char d[16] = "";
    if (day >= 0) dtc_fmt_date(d, day);
    const char *f[] = {section, sub, key, name, d, currency, metric};
    dtc_buf_reset(&o->line);
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]) && !o->err; i++)
        if ((o->err = dtc_csv_text(&o->line, f[i])) == 0) o->err = dtc_buf_addc(&o->line, ',');
    if (!o->err && (o->err = dtc_buf_adds(&o->line, value)) == 0)
        o->err = dtc_buf_adds(&o->line, "\r\n");
    if (!o->err && fwrite(o->line.data, 1, o->line.len, o->f) != o->line.len) o->err = DTC_EIO;
}

/* A fixed-point figure: scaled / 10^places. */
static void fixed(out *o, const char *section, const char *sub, const char *key, const char *name,
                  int64_t day, const char *currency, const char *metric, int64_t scaled, int places)
{
    char v[40];
    dtc_fixed_format(v, scaled, places, false);
    row(o, section, sub, key, name, day, currency, metric, v);
}

static void money(out *o, const char *section, const char *sub, const char *key, const char *name,
                  int64_t day, const char *currency, const char *metric, int64_t micro)
{
    fixed(o, section, sub, key, name, day, currency, metric, micro, 6);
}

static void budget(out *o, const report_view *v, const dtc_budget *x)
{
    const dtc_report *r = v->r;
    const char *s = x->subscription, *n = x->name, *c = x->currency;
    const struct {
        const char *m;
        int64_t v;
    } f[] = {{"commitment", x->total},
             {"used", x->used},
             {"remaining", x->remaining},
             {"burn7", x->burn7},
             {"burn30", x->burn30},
             {"burn30_standard_error", x->burn_se},
             {"expected_overage", x->expected_overage},
             {"this_week", x->week_cur},
             {"last_week_same_days", x->week_prev},
             {"this_month", x->month_cur},
             {"last_month_same_days", x->month_prev}};
    for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
        money(o, "budget", s, "", n, r->today, c, f[k].m, f[k].v);
    fixed(o, "budget", s, "", n, r->today, "", "percent_used", x->used_pct_centi, 2);
    fixed(o, "budget", s, "", n, r->today, "", "percent_of_period_elapsed", x->elapsed_pct_centi,
          2);
    fixed(o, "budget", s, "", n, r->today, "", "days_remaining", x->days_remaining, 0);
    row(o, "budget", s, x->status, n, -1, c, "status", "");
    row(o, "budget", s, x->account, n, -1, c, "account", "");
    /* As of a past day: 1 when rebuilt from the stored history, and a row per
     * figure the database could not know then. */
    fixed(o, "budget", s, "", n, r->today, "", "rebuilt_as_of", x->as_of, 0);
    if (x->asof_gaps & DTC_ASOF_OLD_PERIOD)
        fixed(o, "budget", s, "commitment_of_that_period", n, r->today, "", "unknown_as_of", 1, 0);
    if (x->asof_gaps & DTC_ASOF_NO_FORECAST)
        fixed(o, "budget", s, "forecast", n, r->today, "", "unknown_as_of", 1, 0);
    const struct {
        const char *m;
        int64_t day;
    } d[] = {{"period_start", x->period_start},
             {"period_end", x->period_end},
             {"last_day", x->last_day},
             {"runs_out", x->runs_out},
             {"runs_out_earliest", x->runs_out_early},
             {"runs_out_latest", x->runs_out_late}};
    for (size_t k = 0; k < sizeof(d) / sizeof(d[0]); k++)
        if (d[k].day >= 0) row(o, "budget", s, "", n, d[k].day, c, d[k].m, "");
    if (x->forecast_median >= 0) {
        money(o, "forecast", s, "", n, r->today, c, "median", x->forecast_median);
        money(o, "forecast", s, "", n, r->today, c, "lower", x->forecast_lower);
        money(o, "forecast", s, "", n, r->today, c, "upper", x->forecast_upper);
        int64_t bd;
        if (dtc_parse_date(x->forecast_budget_date, &bd) == 0 ||
            (dtc_parse_datetime(x->forecast_budget_date, &bd) == 0 && (bd /= 86400) >= 0))
            row(o, "forecast", s, "", n, bd, c, "budget_date", "");
    }
    int64_t starts[64], costs[64];
    size_t nb = dtc_report_buckets(starts, costs, x, r->today, v->grain,
                                   (size_t)(v->top < 64 ? v->top : 64));
    for (size_t k = 0; k < nb; k++)
        money(o, report_grain_name(v->grain), s, "", n, starts[k], c, "cost", costs[k]);
}

int report_csv_write(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    out o = {.f = f};
    dtc_buf_init(&o.line, DTC_CAP_SMALL);
    if (fputs("section,subscription,key,name,day,currency,metric,value\r\n", f) == EOF)
        o.err = DTC_EIO;
    for (size_t i = 0; i < r->nbudgets; i++)
        budget(&o, v, &r->budgets[i]);
    const struct {
        const char *section;
        const dtc_spend *rows;
        size_t n;
    } spend[] = {{"capability", r->by_capability, r->ncap},
                 {"environment", r->by_environment, r->nenv}};
    for (size_t t = 0; t < 2; t++)
        for (size_t i = 0; i < spend[t].n; i++) {
            const dtc_spend *s = &spend[t].rows[i];
            money(&o, spend[t].section, "", s->key, s->name, r->today, s->currency, "current",
                  s->current);
            money(&o, spend[t].section, "", s->key, s->name, r->today, s->currency, "previous",
                  s->previous);
            money(&o, spend[t].section, "", s->key, s->name, r->today, s->currency, "change",
                  s->change);
        }
    for (size_t i = 0; i < r->nalloc; i++) {
        const dtc_alloc_spend *a = &r->allocations[i];
        const char *sec = strcmp(a->field, "PRODUCT") == 0 ? "product" : "cost_centre";
        money(&o, sec, "", a->key, a->key, r->today, a->currency, "current", a->current);
        money(&o, sec, "", a->key, a->key, r->today, a->currency, "previous", a->previous);
        money(&o, sec, "", a->key, a->key, r->today, a->currency, "change", a->change);
    }
    for (size_t i = 0; i < r->nusage; i++) {
        /* The quantity in the capability's billing unit, named in `name`. */
        const dtc_usage *u = &r->usage[i];
        char name[200];
        snprintf(name, sizeof(name), "%s (%s)", u->name, u->unit);
        fixed(&o, "usage", u->subscription, u->capability, name, r->today, "", "current",
              report_scaled(u->current, 6), 6);
        fixed(&o, "usage", u->subscription, u->capability, name, r->today, "", "previous",
              report_scaled(u->previous, 6), 6);
    }
    if (r->last_sync[0])
        row(&o, "provenance", "", "last_sync", r->last_sync, -1, "", "last_sync", "");
    for (size_t i = 0; v->charges && i < v->ncharges; i++) {
        const dtc_charge *c = &v->charges[i];
        money(&o, "chargeback", "", c->team, c->team, v->cb_to, c->currency, "direct", c->direct);
        money(&o, "chargeback", "", c->team, c->team, v->cb_to, c->currency, "shared", c->shared);
        money(&o, "chargeback", "", c->team, c->team, v->cb_to, c->currency, "total", c->total);
    }
    const dtc_lic_summary *x = v->lic;
    for (size_t i = 0; i < x->ndays; i++) {
        /* Quantities as fixed decimals in the value column: host-unit hours,
         * DEM units, DDUs; money in the price list's currency. */
        const dtc_lic_day *d = &x->days[i];
        const struct {
            const char *m;
            int64_t micro;
        } u[] = {{"fullstack_hu_hours", d->fullstack_mhu * 1000},
                 {"infrastructure_hu_hours", d->infra_mhu * 1000},
                 {"application_only_hu_hours", d->paas_mhu * 1000},
                 {"dem_units", d->dem_centi * 10000},
                 {"ddu", d->ddu_micro},
                 {"money", d->money}};
        for (size_t k = 0; k < sizeof(u) / sizeof(u[0]) - (x->priced ? 0 : 1); k++)
            money(&o, "license", d->cluster, d->environment, d->environment, d->day,
                  k == 5 ? v->lic_currency : "", u[k].m, u[k].micro);
    }
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *a = &r->anomalies[i];
        int64_t d = -1;
        if (dtc_parse_date(a->day, &d) != 0) d = -1;
        char key[160], name[520];
        snprintf(key, sizeof(key), "%s/%s", a->environment, a->capability);
        snprintf(name, sizeof(name), "%s / %s", a->environment_name, a->capability_name);
        money(&o, "anomaly", a->subscription, key, name, d, a->currency, "cost", a->cost);
        money(&o, "anomaly", a->subscription, key, name, d, a->currency, "expected", a->expected);
        money(&o, "anomaly", a->subscription, key, name, d, a->currency, "jump", a->jump);
        fixed(&o, "anomaly", a->subscription, key, name, d, "", "score", report_scaled(a->score, 1),
              1);
    }
    if (!o.err && fflush(f) != 0) o.err = DTC_EIO;
    if (!o.err && ferror(f)) o.err = DTC_EIO;
    dtc_buf_dispose(&o.line);
    return o.err;
}
