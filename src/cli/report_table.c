/* report_table.c: `dtcost report` as aligned tables for people: per
 * subscription the budget, burn and projection, then spend and movers,
 * chargeback, anomalies and classic license units. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "money.h"
#include "report_out.h"
#include "timeutil.h"

static void date_or(char dst[24], int64_t day, const char *none)
{
    if (day < 0)
        snprintf(dst, 24, "%s", none);
    else
        dtc_fmt_date(dst, day);
}

/* Columns on a terminal count characters, not bytes; East Asian wide
 * characters take two. Writes s cut or padded to `width` columns. */
static void print_cell(FILE *f, const char *s, int width)
{
    int used = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 1;
        unsigned cp = len == 1 ? *p : len == 2 ? (unsigned)(p[0] & 0x1f) << 6 | (p[1] & 0x3f)
                    : len == 3 ? (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 | (p[2] & 0x3f)
                               : 0x10000;
        for (int k = 1; k < len; k++)
            if ((p[k] & 0xc0) != 0x80)
                len = 1, cp = '?';
        int w = (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) ||
                        (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
                        (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6)
                    ? 2
                    : 1;
        if (used + w > width)
            break;
        fwrite(p, 1, (size_t)len, f);
        used += w;
        p += len;
    }
    fprintf(f, "%*s", width - used, "");
}

static bool color;
static const char *bold(void) { return color ? "\033[1m" : ""; }
static const char *red(void) { return color ? "\033[31m" : ""; }
static const char *plain(void) { return color ? "\033[0m" : ""; }

const char *report_grain_name(char grain)
{
    return grain == 'm' ? "month" : grain == 'w' ? "week" : "day";
}

void report_bucket_label(char dst[24], char grain, int64_t start)
{
    if (grain == 'm') {
        int y, m, d;
        dtc_civil_from_days(start, &y, &m, &d);
        snprintf(dst, 24, "%04d-%02d", y, m);
    } else if (grain == 'w') {
        char day[16];
        dtc_fmt_date(day, start);
        snprintf(dst, 24, "week of %s", day);
    } else
        dtc_fmt_date(dst, start);
}

static void change(char dst[48], int64_t cur, int64_t prev)
{
    char m[32];
    fmt_money(m, cur - prev);
    if (prev > 0)
        snprintf(dst, 48, "%s%s (%+.1f%%)", cur >= prev ? "+" : "", m, 100.0 * (double)(cur - prev) / (double)prev);
    else
        snprintf(dst, 48, "%s%s", cur >= prev ? "+" : "", m);
}

static void print_budget(FILE *f, const report_view *v, const dtc_budget *x)
{
    char a[32], b[32], c[32], d1[24], d2[24], d3[24];
    dtc_fmt_date(d1, x->period_start);
    dtc_fmt_date(d2, x->period_end);
    fprintf(f, "\n%s%s%s (%s, %s)\n", bold(), x->name, plain(), x->status, x->currency);
    fprintf(f, "  %-12s %s .. %s, %" PRId64 " days remaining\n", "period", d1, d2, x->days_remaining);
    fmt_money(a, x->total);
    fmt_money(b, x->used);
    fmt_money(c, x->total - x->used);
    fprintf(f, "  %-12s %16s %s\n", "commitment", a, x->currency);
    fprintf(f, "  %-12s %16s %s  (%.1f%%)\n", "used", b, x->currency,
           x->total > 0 ? 100.0 * (double)x->used / (double)x->total : 0.0);
    fprintf(f, "  %-12s %16s %s\n", "remaining", c, x->currency);
    fmt_money(a, x->burn7);
    fmt_money(b, x->burn30);
    fprintf(f, "  %-12s %16s %s/day over 7 days, %s over 30\n", "burn", a, x->currency, b);
    if (strcmp(x->status, "ACTIVE") != 0 || x->last_day < 0)
        return;
    if (x->runs_out < 0 && x->runs_out_early < 0)
        fprintf(f, "  %-12s the budget lasts the period at the 30-day burn\n", "projection");
    else {
        date_or(d1, x->runs_out, "after the period");
        date_or(d2, x->runs_out_early, "?");
        date_or(d3, x->runs_out_late, "after the period");
        fprintf(f, "  %-12s %sruns out %s%s (between %s and %s)\n", "projection", red(), d1, plain(), d2, d3);
    }
    if (x->expected_overage > 0) {
        fmt_money(a, x->expected_overage);
        dtc_fmt_date(d3, x->period_end);
        fprintf(f, "  %-12s %16s %s on demand beyond the commitment by %s\n", "overage", a, x->currency, d3);
    }
    if (x->forecast_median >= 0) {
        fmt_money(a, x->forecast_median);
        fmt_money(b, x->forecast_lower);
        fmt_money(c, x->forecast_upper);
        fprintf(f, "  %-12s Dynatrace forecast %s (%s .. %s), budget date %.10s\n", "forecast", a, b, c,
               x->forecast_budget_date[0] ? x->forecast_budget_date : "none");
    }
    char ch[48];
    fmt_money(a, x->week_cur);
    fmt_money(b, x->week_prev);
    change(ch, x->week_cur, x->week_prev);
    fprintf(f, "  %-12s %16s %s against %s the same days last week: %s\n", "this week", a, x->currency, b, ch);
    fmt_money(a, x->month_cur);
    fmt_money(b, x->month_prev);
    change(ch, x->month_cur, x->month_prev);
    fprintf(f, "  %-12s %16s %s against %s the same days last month: %s\n", "this month", a, x->currency, b, ch);
    int64_t starts[64], costs[64];
    size_t n = dtc_report_buckets(starts, costs, x, v->r->today, v->grain, (size_t)(v->top < 64 ? v->top : 64));
    fprintf(f, "  spend by %s:\n", report_grain_name(v->grain));
    for (size_t i = 0; i < n; i++) {
        report_bucket_label(d1, v->grain, starts[i]);
        fmt_money(a, costs[i]);
        fprintf(f, "    %-18s %16s %s\n", d1, a, x->currency);
    }
}

void report_lic_cells(const dtc_lic_day *d, char cells[REPORT_LIC_CELLS][40])
{
    fmt_units(cells[0], d->fullstack_mhu, 3, 1);
    fmt_units(cells[1], d->infra_mhu, 3, 1);
    fmt_units(cells[2], d->paas_mhu, 3, 1);
    fmt_units(cells[3], d->dem_centi, 2, 2);
    fmt_units(cells[4], d->ddu_micro, 6, 2);
    fmt_money(cells[5], d->money);
}

static void lic_line(FILE *f, const char *label, const dtc_lic_day *d, const char *currency, bool priced)
{
    char c[REPORT_LIC_CELLS][40];
    report_lic_cells(d, c);
    fprintf(f, "  ");
    print_cell(f, label, 38);
    fprintf(f, " %15s %11s %13s %13s %14s", c[0], c[1], c[2], c[3], c[4]);
    if (priced)
        fprintf(f, " %14s %s", c[5], currency);
    fprintf(f, "\n");
}

static int print_license(FILE *f, const report_view *v)
{
    const dtc_lic_summary *x = v->lic;
    char d1[16], d2[16];
    dtc_fmt_date(d1, x->from);
    dtc_fmt_date(d2, x->to);
    fprintf(f, "\n%sLicense (classic Managed) %s .. %s: host-unit hours, DEM units, DDUs%s\n", bold(), d1, d2, plain());
    if (x->ndays == 0) {
        fprintf(f, "  no license data in these days (dtcost license import; --until moves the window)\n");
        return 0;
    }
    fprintf(f, "  %-38s %15s %11s %13s %13s %14s%s\n", "environment", "Full-Stack HU-h", "Infra HU-h",
           "App-only HU-h", "DEM units", "DDU", x->priced ? "          money" : "");
    const dtc_lic_day **rows = NULL;
    int rc = dtc_report_lic_ranked(&rows, x);
    if (rc)
        return rc;
    size_t shown = 0;
    bool clusters = x->nenvs > 0 && strcmp(x->envs[0].cluster, x->envs[x->nenvs - 1].cluster) != 0;
    for (size_t i = 0; i < x->nenvs && shown < (size_t)v->top; i++, shown++) {
        char label[140];
        if (clusters)
            snprintf(label, sizeof(label), "%.63s/%.63s", rows[i]->cluster, rows[i]->environment);
        else
            snprintf(label, sizeof(label), "%s", rows[i]->environment);
        lic_line(f, label, rows[i], v->lic_currency, x->priced);
    }
    dtc_free(rows);
    if (x->nenvs > shown)
        fprintf(f, "  (%zu more; --top N shows more)\n", x->nenvs - shown);
    lic_line(f, "total", &x->total, v->lic_currency, x->priced);
    dtc_lic_day b[64];
    size_t n = dtc_report_lic_buckets(b, x, v->grain, (size_t)(v->top < 64 ? v->top : 64));
    fprintf(f, "  by %s:\n", report_grain_name(v->grain));
    for (size_t i = 0; i < n; i++) {
        char label[24];
        report_bucket_label(label, v->grain, b[i].day);
        lic_line(f, label, &b[i], v->lic_currency, x->priced);
    }
    if (!x->priced)
        fprintf(f, "  no money: add a price list to the config's [license] section (docs/license.md)\n");
    else if (x->unpriced[0])
        fprintf(f, "  %smoney leaves out units without a price: %s%s\n", red(), x->unpriced, plain());
    return 0;
}

int report_table_write(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32], today[16];
    int rc = 0;
    color = v->color;
    dtc_fmt_date(today, r->nbudgets == 0 && v->lic->to >= 0 ? v->lic->to : r->today);
    fprintf(f, "%sdtcost report as of %s%s\n", bold(), today, plain());
    if (r->nbudgets == 0) { /* a Managed cluster on classic licensing only */
        rc = print_license(f, v);
        goto done;
    }
    for (size_t i = 0; i < r->nbudgets; i++)
        print_budget(f, v, &r->budgets[i]);
    const struct {
        const char *title;
        const dtc_spend *rows;
        size_t n;
    } tables[] = {{"capability", r->by_capability, r->ncap}, {"environment", r->by_environment, r->nenv}};
    for (size_t t = 0; t < 2; t++) {
        fprintf(f, "\n%sSpend by %s, last %d days against the %d before (biggest movers first)%s\n", bold(),
               tables[t].title, r->window, r->window, plain());
        fprintf(f, "  %-42s %16s %16s %16s %s\n", tables[t].title, "current", "previous", "change", "");
        for (size_t i = 0; i < tables[t].n && i < (size_t)v->top; i++) {
            const dtc_spend *s = &tables[t].rows[i];
            fmt_money(a, s->current);
            fmt_money(b, s->previous);
            fmt_money(c, s->current - s->previous);
            fprintf(f, "  ");
            print_cell(f, s->name, 42);
            fprintf(f, " %16s %16s %16s %s\n", a, b, c, s->currency);
        }
        if (tables[t].n > (size_t)v->top)
            fprintf(f, "  (%zu more; --top N shows more)\n", tables[t].n - (size_t)v->top);
    }
    if (v->charges) {
        char d1[16], d2[16];
        dtc_fmt_date(d1, v->cb_from);
        dtc_fmt_date(d2, v->cb_to);
        fprintf(f, "\n%sChargeback %s .. %s%s\n", bold(), d1, d2, plain());
        fprintf(f, "  %-32s %16s %16s %16s %7s\n", "team", "direct", "shared", "total", "share");
        for (size_t i = 0; i < v->ncharges;) {
            const char *cur = v->charges[i].currency;
            int64_t sum = 0;
            size_t j = i;
            for (; j < v->ncharges && strcmp(v->charges[j].currency, cur) == 0; j++)
                sum += v->charges[j].total;
            for (; i < j; i++) {
                const dtc_charge *ch = &v->charges[i];
                fmt_money(a, ch->direct);
                fmt_money(b, ch->shared);
                fmt_money(c, ch->total);
                fprintf(f, "  ");
                print_cell(f, ch->team, 32);
                fprintf(f, " %16s %16s %16s %6.1f%% %s\n", a, b, c, sum ? 100.0 * (double)ch->total / (double)sum : 0.0,
                       cur);
            }
            fmt_money(a, sum);
            fprintf(f, "  %-32s %16s %16s %16s %7s %s\n", "total", "", "", a, "", cur);
        }
    }
    fprintf(f, "\n%sAnomalies: %zu day%s above the same weekday of the six weeks before%s\n", bold(), r->nanomalies,
           r->nanomalies == 1 ? "" : "s", plain());
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *x = &r->anomalies[i];
        fmt_money(a, x->cost);
        fmt_money(b, x->expected);
        fmt_money(c, x->cost - x->expected);
        fprintf(f, "  %s  %-10s %-34s %14s instead of %12s: %s+%s %s%s (score %.0f)\n", x->day, x->environment,
               x->capability, a, b, red(), c, x->currency, plain(), x->score);
    }
    if (v->lic->from >= 0)
        rc = print_license(f, v);
done:
    if (rc == 0 && (fflush(f) != 0 || ferror(f)))
        rc = DTC_EIO;
    return rc;
}

