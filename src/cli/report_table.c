/* report_table.c: `dtcost report` as aligned tables for people: per
 * subscription the budget, burn and projection, then spend and movers,
 * chargeback, anomalies and classic license units. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>

#include "alloc.h"
#include "money.h"
#include "report_out.h"
#include "text.h"
#include "timeutil.h"

static void date_or(char dst[24], int64_t day, const char *none)
{
    if (day < 0)
        snprintf(dst, 24, "%s", none);
    else
        dtc_fmt_date(dst, day);
}

/* Untrusted text in a cell of `width` terminal columns, measured with
 * utf8proc (wide East Asian characters take two, combining marks none):
 * padded when shorter, cut at a character with an ellipsis when longer,
 * never wrapped. Control characters and invalid UTF-8 show as '?', so a
 * name cannot move the cursor or colour the terminal. */
static int cell_width(const char *s)
{
    int w = 0;
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    while (*p) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        if (n <= 0) n = 1, cp = '?';
        int cw = cp < 0x20 || (cp >= 0x7f && cp < 0xa0) ? 1 : utf8proc_charwidth(cp);
        w += cw > 0 ? cw : 0;
        p += n;
    }
    return w;
}

static void print_cell(FILE *f, const char *s, int width)
{
    bool cut = cell_width(s) > width;
    int room = cut ? width - 1 : width, used = 0; /* one column for the ellipsis */
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    while (*p) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t n = utf8proc_iterate(p, -1, &cp);
        bool bad = n <= 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0);
        int cw = bad ? 1 : utf8proc_charwidth(cp);
        cw = cw > 0 ? cw : 0;
        if (used + cw > room) break;
        if (bad)
            fputc('?', f);
        else
            fwrite(p, 1, (size_t)n, f);
        used += cw;
        p += n > 0 ? n : 1;
    }
    if (cut) {
        fputs("\xe2\x80\xa6", f); /* U+2026 HORIZONTAL ELLIPSIS */
        used++;
    }
    fprintf(f, "%*s", width - used > 0 ? width - used : 0, "");
}

/* A short string from the API (currency code, status, account, time) safe
 * for the terminal: control characters become spaces, cut at n - 1 bytes. */
#define SAFE(buf, s) dtc_text_oneline(buf, sizeof(buf), s, strlen(s), sizeof(buf) - 1, NULL, 0)

/* The width of a name column: what the terminal leaves beside `fixed`
 * columns of figures, between lo and hi. */
static int name_width(const report_view *v, int fixed, int lo, int hi)
{
    int w = v->width - fixed;
    return w < lo ? lo : w > hi ? hi : w;
}

static bool color;
static const char *bold(void)
{
    return color ? "\033[1m" : "";
}
static const char *red(void)
{
    return color ? "\033[31m" : "";
}
static const char *plain(void)
{
    return color ? "\033[0m" : "";
}

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
    double pct;
    fmt_money(m, cur - prev);
    if (dtc_report_change_pct(&pct, (double)cur, (double)prev))
        snprintf(dst, 48, "%s%s (%+.1f%%)", cur >= prev ? "+" : "", m, pct);
    else
        snprintf(dst, 48, "%s%s", cur >= prev ? "+" : "", m);
}

/* What the database could not know on an as-of day, in words. */
static void asof_notes(FILE *f, const dtc_budget *x, int64_t today)
{
    char d[16];
    dtc_fmt_date(d, today);
    if (x->asof_gaps & DTC_ASOF_OLD_PERIOD)
        fprintf(f,
                "  %-12s %s lies in an earlier period: its commitment is not stored, the\n"
                "  %-12s current one is shown\n",
                "as of", d, "");
    if (x->asof_gaps & DTC_ASOF_NO_FORECAST)
        fprintf(f, "  %-12s no Dynatrace forecast stored on or before %s\n", "as of", d);
}

static void print_budget(FILE *f, const report_view *v, const dtc_budget *x)
{
    char a[32], b[32], c[32], d1[24], d2[24], d3[24], cur[16], status[24], account[80], fdate[16];
    int64_t today = v->r->today;
    SAFE(cur, x->currency);
    SAFE(status, x->status);
    SAFE(account, x->account);
    SAFE(fdate, x->forecast_budget_date);
    dtc_fmt_date(d1, x->period_start);
    dtc_fmt_date(d2, x->period_end);
    fprintf(f, "\n%s", bold());
    int tw = cell_width(x->name), room = name_width(v, 20, 10, 200); /* room for " (STATUS, CUR)" */
    print_cell(f, x->name, tw < room ? tw : room);
    fprintf(f, "%s (%s, %s)\n", plain(), status, cur);
    fprintf(f, "  %-12s %s .. %s, %" PRId64 " days remaining\n", "period", d1, d2,
            x->days_remaining);
    if (x->account[0]) fprintf(f, "  %-12s %s\n", "account", account);
    fmt_money(a, x->total);
    fmt_money(b, x->used);
    fmt_money(c, x->remaining);
    fprintf(f, "  %-12s %14s %s\n", "commitment", a, cur);
    fprintf(f, "  %-12s %14s %s  (%.1f%%)\n", "used", b, cur, x->used_pct);
    fprintf(f, "  %-12s %14s %s\n", "remaining", c, cur);
    fprintf(f, "  %-12s %.1f%% of the commitment used, %.1f%% of the period gone\n", "pacing",
            x->used_pct, (double)x->elapsed_pct_centi / 100.0);
    fmt_money(a, x->burn7);
    fmt_money(b, x->burn30);
    fprintf(f, "  %-12s %s %s/day over 7 days, %s over 30\n", "burn", a, cur, b);
    if (strcmp(x->status, "ACTIVE") != 0 || x->last_day < 0) return;
    if (x->as_of) asof_notes(f, x, today);
    fmt_money(a, x->burn_se);
    dtc_fmt_date(d1, x->last_day);
    fprintf(f, "  %-12s %s; the 30-day burn's standard error %s\n", "last cost", d1, a);
    if (x->runs_out < 0 && x->runs_out_early < 0)
        fprintf(f, "  %-12s the budget lasts the period at the 30-day burn\n", "projection");
    else {
        date_or(d1, x->runs_out, "after the period");
        date_or(d2, x->runs_out_early, "?");
        date_or(d3, x->runs_out_late, "after the period");
        fprintf(f, "  %-12s %sruns out %s%s (between %s and %s)\n", "projection", red(), d1,
                plain(), d2, d3);
    }
    if (x->expected_overage > 0) {
        fmt_money(a, x->expected_overage);
        dtc_fmt_date(d3, x->period_end);
        fprintf(f, "  %-12s %14s %s on demand beyond the commitment by %s\n", "overage", a, cur,
                d3);
    }
    if (x->forecast_median >= 0) {
        fmt_money(a, x->forecast_median);
        fmt_money(b, x->forecast_lower);
        fmt_money(c, x->forecast_upper);
        fprintf(f, "  %-12s %14s %s by Dynatrace's forecast (%s .. %s)\n", "forecast", a, cur, b,
                c);
        if (x->forecast_budget_date[0])
            fprintf(f, "  %-12s Dynatrace expects the budget to run out on %.10s\n", "", fdate);
    }
    char ch[48];
    fmt_money(a, x->week_cur);
    fmt_money(b, x->week_prev);
    change(ch, x->week_cur, x->week_prev);
    fprintf(f, "  %-12s %s %s, same days last week %s: %s\n", "this week", a, cur, b, ch);
    fmt_money(a, x->month_cur);
    fmt_money(b, x->month_prev);
    change(ch, x->month_cur, x->month_prev);
    fprintf(f, "  %-12s %s %s, same days last month %s: %s\n", "this month", a, cur, b, ch);
    int64_t starts[64], costs[64];
    size_t n =
        dtc_report_buckets(starts, costs, x, today, v->grain, (size_t)(v->top < 64 ? v->top : 64));
    fprintf(f, "  spend by %s:\n", report_grain_name(v->grain));
    for (size_t i = 0; i < n; i++) {
        report_bucket_label(d1, v->grain, starts[i]);
        fmt_money(a, costs[i]);
        fprintf(f, "    %-18s %14s %s\n", d1, a, cur);
    }
}

int64_t report_scaled(double v, int places)
{
    static const double pow10[] = {1, 10, 100, 1000, 1e4, 1e5, 1e6};
    return (int64_t)llround(v * pow10[places < 0 ? 0 : places > 6 ? 6 : places]);
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

/* Figures beside the license label: five unit columns, money and currency. */
#define LIC_FIXED(priced) (2 + 5 + 15 + 11 + 13 + 13 + 14 + ((priced) ? 19 : 0))

static void lic_line(FILE *f, const report_view *v, const char *label, const dtc_lic_day *d)
{
    char c[REPORT_LIC_CELLS][40];
    bool priced = v->lic->priced;
    const char *currency = v->lic_currency;
    report_lic_cells(d, c);
    fprintf(f, "  ");
    print_cell(f, label, name_width(v, LIC_FIXED(priced), 10, 38));
    fprintf(f, " %15s %11s %13s %13s %14s", c[0], c[1], c[2], c[3], c[4]);
    if (priced) fprintf(f, " %14s %s", c[5], currency);
    fprintf(f, "\n");
}

static int print_license(FILE *f, const report_view *v)
{
    const dtc_lic_summary *x = v->lic;
    char d1[16], d2[16];
    dtc_fmt_date(d1, x->from);
    dtc_fmt_date(d2, x->to);
    fprintf(f, "\n%sLicense (classic Managed) %s .. %s: host-unit hours, DEM units, DDUs%s\n",
            bold(), d1, d2, plain());
    if (x->ndays == 0) {
        fprintf(
            f,
            "  no license data in these days (dtcost license import; --until moves the window)\n");
        return 0;
    }
    fprintf(f, "  ");
    print_cell(f, "environment", name_width(v, LIC_FIXED(x->priced), 10, 38));
    fprintf(f, " %15s %11s %13s %13s %14s%s\n", "Full-Stack HU-h", "Infra HU-h", "App-only HU-h",
            "DEM units", "DDU", x->priced ? "          money" : "");
    const dtc_lic_day **rows = NULL;
    int rc = dtc_report_lic_ranked(&rows, x);
    if (rc) return rc;
    size_t shown = 0;
    bool clusters = x->nenvs > 0 && strcmp(x->envs[0].cluster, x->envs[x->nenvs - 1].cluster) != 0;
    for (size_t i = 0; i < x->nenvs && shown < (size_t)v->top; i++, shown++) {
        char label[140];
        if (clusters)
            snprintf(label, sizeof(label), "%.63s/%.63s", rows[i]->cluster, rows[i]->environment);
        else
            snprintf(label, sizeof(label), "%s", rows[i]->environment);
        lic_line(f, v, label, rows[i]);
    }
    dtc_free(rows);
    if (x->nenvs > shown) fprintf(f, "  (%zu more; --top N shows more)\n", x->nenvs - shown);
    lic_line(f, v, "total", &x->total);
    dtc_lic_day b[64];
    size_t n = dtc_report_lic_buckets(b, x, v->grain, (size_t)(v->top < 64 ? v->top : 64));
    fprintf(f, "  by %s:\n", report_grain_name(v->grain));
    for (size_t i = 0; i < n; i++) {
        char label[24];
        report_bucket_label(label, v->grain, b[i].day);
        lic_line(f, v, label, &b[i]);
    }
    if (!x->priced)
        fprintf(
            f,
            "  no money: add a price list to the config's [license] section (docs/license.md)\n");
    else if (x->unpriced[0])
        fprintf(f, "  %smoney leaves out units without a price: %s%s\n", red(), x->unpriced,
                plain());
    return 0;
}

/* Spend by capability or environment, one block per currency, movers first
 * (the library ranks them so). */
static void print_spend(FILE *f, const report_view *v, const char *title, const dtc_spend *rows,
                        size_t n)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32];
    int nw = name_width(v, 2 + 3 * 15 + 4, 8, 42); /* " 1,234,567.89" x 3, " USD" */
    for (size_t i = 0; i < n;) {
        char cur[16];
        SAFE(cur, rows[i].currency);
        size_t j = i;
        while (j < n && strcmp(rows[j].currency, rows[i].currency) == 0)
            j++;
        fprintf(f, "\n%sSpend by %s (%s): last %d days against the %d before%s\n", bold(), title,
                cur, r->window, r->window, plain());
        fprintf(f, "  ");
        print_cell(f, title, nw);
        fprintf(f, " %14s %14s %14s\n", "current", "previous", "change");
        for (size_t k = i; k < j && k - i < (size_t)v->top; k++) {
            const dtc_spend *s = &rows[k];
            fmt_money(a, s->current);
            fmt_money(b, s->previous);
            fmt_money(c, s->change);
            fprintf(f, "  ");
            print_cell(f, s->name, nw);
            fprintf(f, " %14s %14s %14s %s\n", a, b, c, cur);
        }
        if (j - i > (size_t)v->top)
            fprintf(f, "  (%zu more; --top N shows more)\n", j - i - (size_t)v->top);
        i = j;
    }
}

/* Cost centres and products (Dynatrace's cost allocation), one block per
 * field and currency, largest first. */
static void print_allocations(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32];
    int nw = name_width(v, 2 + 3 * 15 + 8 + 4, 8, 32);
    for (size_t i = 0; i < r->nalloc;) {
        const dtc_alloc_spend *x = &r->allocations[i];
        size_t j = i;
        while (j < r->nalloc && strcmp(r->allocations[j].field, x->field) == 0 &&
               strcmp(r->allocations[j].currency, x->currency) == 0)
            j++;
        bool product = strcmp(x->field, "PRODUCT") == 0;
        char cur[16];
        SAFE(cur, x->currency);
        fprintf(f, "\n%s%s (%s): last %d days against the %d before%s\n", bold(),
                product ? "Products" : "Cost centres", cur, r->window, r->window, plain());
        fprintf(f, "  ");
        print_cell(f, product ? "product" : "cost centre", nw);
        fprintf(f, " %14s %14s %14s %7s\n", "current", "previous", "change", "share");
        for (size_t k = i; k < j && k - i < (size_t)v->top; k++) {
            const dtc_alloc_spend *y = &r->allocations[k];
            fmt_money(a, y->current);
            fmt_money(b, y->previous);
            fmt_money(c, y->change);
            fprintf(f, "  ");
            print_cell(f, y->key, nw);
            fprintf(f, " %14s %14s %14s %6.1f%% %s\n", a, b, c, y->share, cur);
        }
        if (j - i > (size_t)v->top)
            fprintf(f, "  (%zu more; --top N shows more)\n", j - i - (size_t)v->top);
        i = j;
    }
}

/* Usage quantities per subscription and capability, in billing units. */
static void print_usage(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    int nw = name_width(v, 2 + 2 * 17 + 1 + 16, 8, 42);
    for (size_t i = 0; i < r->nusage;) {
        size_t j = i;
        while (j < r->nusage && strcmp(r->usage[j].subscription, r->usage[i].subscription) == 0)
            j++;
        const char *name = r->usage[i].subscription;
        for (size_t b = 0; b < r->nbudgets; b++)
            if (strcmp(r->budgets[b].subscription, name) == 0) name = r->budgets[b].name;
        fprintf(f, "\n%sUsage, ", bold());
        print_cell(f, name, cell_width(name) < 40 ? cell_width(name) : 40);
        fprintf(f, ": last %d days against the %d before%s\n", r->window, r->window, plain());
        fprintf(f, "  ");
        print_cell(f, "capability", nw);
        fprintf(f, " %16s %16s %s\n", "quantity", "previous", "unit");
        for (size_t k = i; k < j && k - i < (size_t)v->top; k++) {
            const dtc_usage *u = &r->usage[k];
            char a[40], b[40];
            fmt_units(a, report_scaled(u->current, 3), 3, 1);
            fmt_units(b, report_scaled(u->previous, 3), 3, 1);
            fprintf(f, "  ");
            print_cell(f, u->name, nw);
            fprintf(f, " %16s %16s ", a, b);
            print_cell(f, u->unit, cell_width(u->unit) < 16 ? cell_width(u->unit) : 16);
            fputc('\n', f);
        }
        if (j - i > (size_t)v->top)
            fprintf(f, "  (%zu more; --top N shows more)\n", j - i - (size_t)v->top);
        i = j;
    }
}

/* Two lines an anomaly, so the names get the terminal's width: the day and
 * the environment / capability names, then the figures. */
static void print_anomalies(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32];
    fprintf(f, "\n%sAnomalies: %zu day%s above the same weekday of the six weeks before%s\n",
            bold(), r->nanomalies, r->nanomalies == 1 ? "" : "s", plain());
    int room = name_width(v, 2 + 12 + 3, 16, 400);
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *x = &r->anomalies[i];
        int ew = cell_width(x->environment_name), cw = cell_width(x->capability_name);
        if (ew + cw > room) { /* shorten the longer name first */
            int half = room / 2;
            ew = ew < half ? ew : cw < room - half ? room - cw : half;
            cw = room - ew;
        }
        fprintf(f, "  %-10s  ", x->day);
        print_cell(f, x->environment_name, ew);
        fputs(" / ", f);
        print_cell(f, x->capability_name, cw);
        fputc('\n', f);
        char cur[16];
        SAFE(cur, x->currency);
        fmt_money(a, x->cost);
        fmt_money(b, x->expected);
        fmt_money(c, x->jump);
        fprintf(f, "  %-10s  %s %s instead of %s: %s+%s%s (score %.1f)\n", "", a, cur, b, red(), c,
                plain(), x->score);
    }
}

int report_table_write(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32], today[16];
    int rc = 0;
    color = v->color;
    dtc_fmt_date(today, v->as_of);
    fprintf(f, "%sdtcost report as of %s%s", bold(), today, plain());
    char sync[40];
    if (r->last_sync[0]) fprintf(f, " (last sync %s)", SAFE(sync, r->last_sync));
    fputc('\n', f);
    if (r->nbudgets == 0) { /* a Managed cluster on classic licensing only */
        rc = print_license(f, v);
        goto done;
    }
    for (size_t i = 0; i < r->nbudgets; i++)
        print_budget(f, v, &r->budgets[i]);
    print_spend(f, v, "capability", r->by_capability, r->ncap);
    print_spend(f, v, "environment", r->by_environment, r->nenv);
    if (v->charges) {
        char d1[16], d2[16];
        int nw = name_width(v, 2 + 3 * 15 + 8 + 8, 12, 32);
        dtc_fmt_date(d1, v->cb_from);
        dtc_fmt_date(d2, v->cb_to);
        fprintf(f, "\n%sChargeback %s .. %s%s\n", bold(), d1, d2, plain());
        fprintf(f, "  ");
        print_cell(f, "team", nw);
        fprintf(f, " %14s %14s %14s %7s\n", "direct", "shared", "total", "share");
        for (size_t g = 0; g < v->ncharge_sums; g++) {
            const dtc_charge_sum *sum = &v->charge_sums[g];
            char cur[16];
            SAFE(cur, sum->currency);
            for (size_t i = sum->first; i < sum->first + sum->n; i++) {
                const dtc_charge *ch = &v->charges[i];
                fmt_money(a, ch->direct);
                fmt_money(b, ch->shared);
                fmt_money(c, ch->total);
                fprintf(f, "  ");
                print_cell(f, ch->team, nw);
                fprintf(f, " %14s %14s %14s %6.1f%% %s\n", a, b, c,
                        dtc_report_pct(ch->total, sum->total), cur);
            }
            fmt_money(a, sum->total);
            fprintf(f, "  ");
            print_cell(f, "total", nw);
            fprintf(f, " %14s %14s %14s %7s %s\n", "", "", a, "", cur);
        }
    }
    print_allocations(f, v);
    print_usage(f, v);
    print_anomalies(f, v);
    if (v->lic->from >= 0) rc = print_license(f, v);
done:
    if (rc == 0 && (fflush(f) != 0 || ferror(f))) rc = DTC_EIO;
    return rc;
}
