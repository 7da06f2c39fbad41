/* cmd_report.c: `dtcost report`: budget burn and projection, spend with the
 * biggest movers, and anomalies, as aligned tables or JSON. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "dtcost/chargeback.h"
#include "dtcost/license.h"
#include "dtcost/report.h"
#include "dtcost/store.h"
#include "jw.h"
#include "money.h"
#include "opts.h"
#include "report_out.h"
#include "timeutil.h"

static const char *db_path, *format, *config_path, *by, *html_path;
static int64_t since, until;
static int window, top;
static bool color;

static const opt report_opts[] = {
    {"db", OPT_STR, &db_path, "PATH", "SQLite database file (or DTCOST_DB; default dtcost.db)"},
    {"config", OPT_STR, &config_path, "FILE",
     "config with [allocation] (chargeback) and [license] (prices) sections (or DTCOST_CONFIG)"},
    {"format", OPT_STR, &format, "table|json|csv",
     "aligned tables for people, one JSON document, or CSV rows (default table)"},
    {"html", OPT_STR, &html_path, "FILE", "also write a self-contained HTML page with charts to FILE"},
    {"by", OPT_STR, &by, "day|week|month", "spend over time in days, weeks or months (default month)"},
    {"since", OPT_TIME, &since, "DATE", "look for anomalies from this day (default: the spend window)"},
    {"until", OPT_TIME, &until, "DATE", "report as of this day (default: the last day with data)"},
    {"window", OPT_INT, &window, "DAYS", "spend window compared with the one before it (default 30)"},
    {"top", OPT_INT, &top, "N", "rows per spend table (default 10)"},
    {NULL, 0, NULL, NULL, NULL},
};

static const cmd_spec report_spec = {
    "report", "",
    "Budget per subscription (commitment, used, remaining, burn over 7 and 30\n"
    "days, when the budget runs out with an uncertainty band, Dynatrace's\n"
    "forecast, the overage to expect), spend by capability and environment\n"
    "against the window before (biggest movers first), this week and month\n"
    "against the last, spend over time, anomalies (days whose cost jumps away\n"
    "from the same weekday of the six weeks before) and, with an [allocation]\n"
    "section in the config, chargeback per team over the spend window.\n"
    "License data from dtcost license (classic Managed) adds host-unit hours,\n"
    "DEM units and DDUs by environment and day, priced with [license] prices.\n"
    "Details: docs/report.md.",
    report_opts,
};

static void date_or(char dst[24], int64_t day, const char *none)
{
    if (day < 0)
        snprintf(dst, 24, "%s", none);
    else
        dtc_fmt_date(dst, day);
}

/* Columns on a terminal count characters, not bytes; East Asian wide
 * characters take two. Writes s cut or padded to `width` columns. */
static void print_cell(const char *s, int width)
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
        fwrite(p, 1, (size_t)len, stdout);
        used += w;
        p += len;
    }
    printf("%*s", width - used, "");
}

size_t report_buckets(const dtc_budget *b, int64_t today, char grain, size_t n, int64_t *starts, int64_t *costs)
{
    /* Walk back from today's bucket. */
    int64_t start = today;
    if (grain == 'w')
        start = today - dtc_weekday(today);
    else if (grain == 'm') {
        int y, m, d;
        dtc_civil_from_days(today, &y, &m, &d);
        start = dtc_days_from_civil(y, m, 1);
    }
    size_t k = 0;
    int64_t end = today;
    while (k < n && end >= b->daily_first) {
        int64_t c = 0;
        for (int64_t d = start; d <= end; d++)
            if (d >= b->daily_first && b->daily[d - b->daily_first] > 0)
                c += b->daily[d - b->daily_first];
        starts[k] = start;
        costs[k] = c;
        k++;
        end = start - 1;
        if (grain == 'w')
            start -= 7;
        else if (grain == 'm') {
            int y, m, d;
            dtc_civil_from_days(end, &y, &m, &d);
            start = dtc_days_from_civil(y, m, 1);
        } else
            start = end;
    }
    for (size_t i = 0; i < k / 2; i++) { /* oldest first */
        int64_t t = starts[i];
        starts[i] = starts[k - 1 - i];
        starts[k - 1 - i] = t;
        t = costs[i];
        costs[i] = costs[k - 1 - i];
        costs[k - 1 - i] = t;
    }
    return k;
}

static int64_t lic_weight(const dtc_lic_day *d)
{
    return d->money ? d->money : d->fullstack_mhu + d->infra_mhu + d->paas_mhu;
}

static int by_lic_weight(const void *a, const void *b)
{
    int64_t x = lic_weight(*(const dtc_lic_day *const *)a), y = lic_weight(*(const dtc_lic_day *const *)b);
    return (x < y) - (x > y);
}

const dtc_lic_day **report_lic_ranked(const dtc_lic_summary *x)
{
    const dtc_lic_day **rows = dtc_malloc((x->nenvs ? x->nenvs : 1) * sizeof(*rows));
    if (!rows)
        return NULL;
    for (size_t i = 0; i < x->nenvs; i++)
        rows[i] = &x->envs[i];
    if (x->nenvs > 1)
        qsort(rows, x->nenvs, sizeof(*rows), by_lic_weight);
    return rows;
}

static int64_t bucket_start(int64_t day, char grain)
{
    if (grain == 'w')
        return day - dtc_weekday(day);
    if (grain == 'm') {
        int y, m, d;
        dtc_civil_from_days(day, &y, &m, &d);
        return dtc_days_from_civil(y, m, 1);
    }
    return day;
}

size_t report_lic_buckets(const dtc_lic_summary *x, char grain, size_t n, dtc_lic_day *out)
{
    if (n == 0 || x->ndays == 0)
        return 0;
    /* Buckets from the window's last one backwards; days are in any order. */
    size_t k = 0;
    for (int64_t end = x->to; k < n && end >= x->from; k++) {
        int64_t start = bucket_start(end, grain);
        dtc_lic_day *b = &out[k];
        memset(b, 0, sizeof(*b));
        b->day = start < x->from ? x->from : start;
        for (size_t i = 0; i < x->ndays; i++) {
            const dtc_lic_day *d = &x->days[i];
            if (d->day >= start && d->day <= end)
                dtc_lic_day_add(b, d);
        }
        end = start - 1;
    }
    for (size_t i = 0; i < k / 2; i++) { /* oldest first */
        dtc_lic_day t = out[i];
        out[i] = out[k - 1 - i];
        out[k - 1 - i] = t;
    }
    return k;
}

static const char *bold(void) { return color ? "\033[1m" : ""; }
static const char *red(void) { return color ? "\033[31m" : ""; }
static const char *plain(void) { return color ? "\033[0m" : ""; }

static void bucket_label(char dst[24], char grain, int64_t start)
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

static void print_budget(const report_view *v, const dtc_budget *x)
{
    char a[32], b[32], c[32], d1[24], d2[24], d3[24];
    dtc_fmt_date(d1, x->period_start);
    dtc_fmt_date(d2, x->period_end);
    printf("\n%s%s%s (%s, %s)\n", bold(), x->name, plain(), x->status, x->currency);
    printf("  %-12s %s .. %s, %" PRId64 " days remaining\n", "period", d1, d2, x->days_remaining);
    fmt_money(a, x->total);
    fmt_money(b, x->used);
    fmt_money(c, x->total - x->used);
    printf("  %-12s %16s %s\n", "commitment", a, x->currency);
    printf("  %-12s %16s %s  (%.1f%%)\n", "used", b, x->currency,
           x->total > 0 ? 100.0 * (double)x->used / (double)x->total : 0.0);
    printf("  %-12s %16s %s\n", "remaining", c, x->currency);
    fmt_money(a, x->burn7);
    fmt_money(b, x->burn30);
    printf("  %-12s %16s %s/day over 7 days, %s over 30\n", "burn", a, x->currency, b);
    if (strcmp(x->status, "ACTIVE") != 0 || x->last_day < 0)
        return;
    if (x->runs_out < 0 && x->runs_out_early < 0)
        printf("  %-12s the budget lasts the period at the 30-day burn\n", "projection");
    else {
        date_or(d1, x->runs_out, "after the period");
        date_or(d2, x->runs_out_early, "?");
        date_or(d3, x->runs_out_late, "after the period");
        printf("  %-12s %sruns out %s%s (between %s and %s)\n", "projection", red(), d1, plain(), d2, d3);
    }
    if (x->expected_overage > 0) {
        fmt_money(a, x->expected_overage);
        dtc_fmt_date(d3, x->period_end);
        printf("  %-12s %16s %s on demand beyond the commitment by %s\n", "overage", a, x->currency, d3);
    }
    if (x->forecast_median >= 0) {
        fmt_money(a, x->forecast_median);
        fmt_money(b, x->forecast_lower);
        fmt_money(c, x->forecast_upper);
        printf("  %-12s Dynatrace forecast %s (%s .. %s), budget date %.10s\n", "forecast", a, b, c,
               x->forecast_budget_date[0] ? x->forecast_budget_date : "none");
    }
    char ch[48];
    fmt_money(a, x->week_cur);
    fmt_money(b, x->week_prev);
    change(ch, x->week_cur, x->week_prev);
    printf("  %-12s %16s %s against %s the same days last week: %s\n", "this week", a, x->currency, b, ch);
    fmt_money(a, x->month_cur);
    fmt_money(b, x->month_prev);
    change(ch, x->month_cur, x->month_prev);
    printf("  %-12s %16s %s against %s the same days last month: %s\n", "this month", a, x->currency, b, ch);
    int64_t starts[64], costs[64];
    size_t n = report_buckets(x, v->r->today, v->grain, (size_t)(v->top < 64 ? v->top : 64), starts, costs);
    printf("  spend by %s:\n", v->grain == 'm' ? "month" : v->grain == 'w' ? "week" : "day");
    for (size_t i = 0; i < n; i++) {
        bucket_label(d1, v->grain, starts[i]);
        fmt_money(a, costs[i]);
        printf("    %-18s %16s %s\n", d1, a, x->currency);
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

static void lic_line(const char *label, const dtc_lic_day *d, const char *currency, bool priced)
{
    char c[REPORT_LIC_CELLS][40];
    report_lic_cells(d, c);
    printf("  ");
    print_cell(label, 38);
    printf(" %15s %11s %13s %13s %14s", c[0], c[1], c[2], c[3], c[4]);
    if (priced)
        printf(" %14s %s", c[5], currency);
    printf("\n");
}

static void print_license(const report_view *v)
{
    const dtc_lic_summary *x = v->lic;
    char d1[16], d2[16];
    dtc_fmt_date(d1, x->from);
    dtc_fmt_date(d2, x->to);
    printf("\n%sLicense (classic Managed) %s .. %s: host-unit hours, DEM units, DDUs%s\n", bold(), d1, d2, plain());
    if (x->ndays == 0) {
        printf("  no license data in these days (dtcost license import; --until moves the window)\n");
        return;
    }
    printf("  %-38s %15s %11s %13s %13s %14s%s\n", "environment", "Full-Stack HU-h", "Infra HU-h",
           "App-only HU-h", "DEM units", "DDU", x->priced ? "          money" : "");
    const dtc_lic_day **rows = report_lic_ranked(x);
    size_t shown = 0;
    bool clusters = x->nenvs > 0 && strcmp(x->envs[0].cluster, x->envs[x->nenvs - 1].cluster) != 0;
    for (size_t i = 0; rows && i < x->nenvs && shown < (size_t)v->top; i++, shown++) {
        char label[140];
        if (clusters)
            snprintf(label, sizeof(label), "%.63s/%.63s", rows[i]->cluster, rows[i]->environment);
        else
            snprintf(label, sizeof(label), "%s", rows[i]->environment);
        lic_line(label, rows[i], v->lic_currency, x->priced);
    }
    dtc_free(rows);
    if (x->nenvs > shown)
        printf("  (%zu more; --top N shows more)\n", x->nenvs - shown);
    lic_line("total", &x->total, v->lic_currency, x->priced);
    dtc_lic_day b[64];
    size_t n = report_lic_buckets(x, v->grain, (size_t)(v->top < 64 ? v->top : 64), b);
    printf("  by %s:\n", v->grain == 'm' ? "month" : v->grain == 'w' ? "week" : "day");
    for (size_t i = 0; i < n; i++) {
        char label[24];
        bucket_label(label, v->grain, b[i].day);
        lic_line(label, &b[i], v->lic_currency, x->priced);
    }
    if (!x->priced)
        printf("  no money: add a price list to the config's [license] section (docs/license.md)\n");
    else if (x->unpriced[0])
        printf("  %smoney leaves out units without a price: %s%s\n", red(), x->unpriced, plain());
}

static void print_table(const report_view *v)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32], today[16];
    dtc_fmt_date(today, r->nbudgets == 0 && v->lic->to >= 0 ? v->lic->to : r->today);
    printf("%sdtcost report as of %s%s\n", bold(), today, plain());
    if (r->nbudgets == 0) { /* a Managed cluster on classic licensing only */
        print_license(v);
        return;
    }
    for (size_t i = 0; i < r->nbudgets; i++)
        print_budget(v, &r->budgets[i]);
    const struct {
        const char *title;
        const dtc_spend *rows;
        size_t n;
    } tables[] = {{"capability", r->by_capability, r->ncap}, {"environment", r->by_environment, r->nenv}};
    for (size_t t = 0; t < 2; t++) {
        printf("\n%sSpend by %s, last %d days against the %d before (biggest movers first)%s\n", bold(),
               tables[t].title, r->window, r->window, plain());
        printf("  %-42s %16s %16s %16s %s\n", tables[t].title, "current", "previous", "change", "");
        for (size_t i = 0; i < tables[t].n && i < (size_t)v->top; i++) {
            const dtc_spend *s = &tables[t].rows[i];
            fmt_money(a, s->current);
            fmt_money(b, s->previous);
            fmt_money(c, s->current - s->previous);
            printf("  ");
            print_cell(s->name, 42);
            printf(" %16s %16s %16s %s\n", a, b, c, s->currency);
        }
        if (tables[t].n > (size_t)v->top)
            printf("  (%zu more; --top N shows more)\n", tables[t].n - (size_t)v->top);
    }
    if (v->charges) {
        char f[16], t[16];
        dtc_fmt_date(f, v->cb_from);
        dtc_fmt_date(t, v->cb_to);
        printf("\n%sChargeback %s .. %s%s\n", bold(), f, t, plain());
        printf("  %-32s %16s %16s %16s %7s\n", "team", "direct", "shared", "total", "share");
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
                printf("  ");
                print_cell(ch->team, 32);
                printf(" %16s %16s %16s %6.1f%% %s\n", a, b, c, sum ? 100.0 * (double)ch->total / (double)sum : 0.0,
                       cur);
            }
            fmt_money(a, sum);
            printf("  %-32s %16s %16s %16s %7s %s\n", "total", "", "", a, "", cur);
        }
    }
    printf("\n%sAnomalies: %zu day%s above the same weekday of the six weeks before%s\n", bold(), r->nanomalies,
           r->nanomalies == 1 ? "" : "s", plain());
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *x = &r->anomalies[i];
        fmt_money(a, x->cost);
        fmt_money(b, x->expected);
        fmt_money(c, x->cost - x->expected);
        printf("  %s  %-10s %-34s %14s instead of %12s: %s+%s %s%s (score %.0f)\n", x->day, x->environment,
               x->capability, a, b, red(), c, x->currency, plain(), x->score);
    }
    if (v->lic->from >= 0)
        print_license(v);
}

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
    dtc_jw_key(w, "fullstackHuHours");
    dtc_jw_fixed(w, d->fullstack_mhu, 3);
    dtc_jw_key(w, "infrastructureHuHours");
    dtc_jw_fixed(w, d->infra_mhu, 3);
    dtc_jw_key(w, "applicationOnlyHuHours");
    dtc_jw_fixed(w, d->paas_mhu, 3);
    dtc_jw_key(w, "demUnits");
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
    } lists[] = {{"byEnvironment", x->envs, x->nenvs}, {"byEnvironmentAndDay", x->days, x->ndays}};
    for (size_t l = 0; l < 2; l++) {
        dtc_jw_key(w, lists[l].key);
        dtc_jw_arr(w);
        for (size_t i = 0; i < lists[l].n; i++) {
            const dtc_lic_day *d = &lists[l].rows[i];
            dtc_jw_obj(w);
            jw_text(w, "cluster", d->cluster);
            jw_text(w, "environment", d->environment);
            if (d->day >= 0)
                jw_day(w, "day", d->day);
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

static void print_json(const report_view *v)
{
    const dtc_report *r = v->r;
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_JSON_DOC);
    dtc_jw w;
    dtc_jw_init(&w, &b);
    dtc_jw_obj(&w);
    jw_day(&w, "asOf", r->today);
    dtc_jw_key(&w, "budgets");
    dtc_jw_arr(&w);
    for (size_t i = 0; i < r->nbudgets; i++) {
        const dtc_budget *x = &r->budgets[i];
        dtc_jw_obj(&w);
        jw_text(&w, "subscription", x->subscription);
        jw_text(&w, "name", x->name);
        jw_text(&w, "status", x->status);
        jw_text(&w, "currency", x->currency);
        jw_money(&w, "commitment", x->total);
        jw_money(&w, "used", x->used);
        jw_money(&w, "remaining", x->total - x->used);
        dtc_jw_key(&w, "percentUsed");
        dtc_jw_fixed(&w, x->total > 0 ? (int64_t)llround(10000.0 * (double)x->used / (double)x->total) : 0, 2);
        jw_money(&w, "burn7", x->burn7);
        jw_money(&w, "burn30", x->burn30);
        jw_money(&w, "burn30StandardError", x->burn_se);
        jw_money(&w, "expectedOverage", x->expected_overage);
        jw_day(&w, "periodStart", x->period_start);
        jw_day(&w, "periodEnd", x->period_end);
        jw_day(&w, "lastDay", x->last_day);
        jw_day(&w, "runsOut", x->runs_out);
        jw_day(&w, "runsOutEarliest", x->runs_out_early);
        jw_day(&w, "runsOutLatest", x->runs_out_late);
        dtc_jw_key(&w, "daysRemaining");
        dtc_jw_int(&w, x->days_remaining);
        dtc_jw_key(&w, "forecast");
        if (x->forecast_median >= 0) {
            dtc_jw_obj(&w);
            jw_money(&w, "median", x->forecast_median);
            jw_money(&w, "lower", x->forecast_lower);
            jw_money(&w, "upper", x->forecast_upper);
            jw_text(&w, "budgetDate", x->forecast_budget_date);
            dtc_jw_obj_end(&w);
        } else
            dtc_jw_null(&w);
        jw_money(&w, "thisWeek", x->week_cur);
        jw_money(&w, "lastWeekSameDays", x->week_prev);
        jw_money(&w, "thisMonth", x->month_cur);
        jw_money(&w, "lastMonthSameDays", x->month_prev);
        int64_t starts[64], costs[64];
        size_t n = report_buckets(x, r->today, v->grain, (size_t)(v->top < 64 ? v->top : 64), starts, costs);
        dtc_jw_key(&w, v->grain == 'm' ? "byMonth" : v->grain == 'w' ? "byWeek" : "byDay");
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
    } tables[] = {{"byCapability", r->by_capability, r->ncap}, {"byEnvironment", r->by_environment, r->nenv}};
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
    dtc_jw_key(&w, "anomalies");
    dtc_jw_arr(&w);
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *x = &r->anomalies[i];
        dtc_jw_obj(&w);
        jw_text(&w, "subscription", x->subscription);
        jw_text(&w, "environment", x->environment);
        jw_text(&w, "capability", x->capability);
        jw_text(&w, "day", x->day);
        jw_text(&w, "currency", x->currency);
        jw_money(&w, "cost", x->cost);
        jw_money(&w, "expected", x->expected);
        jw_money(&w, "jump", x->cost - x->expected);
        dtc_jw_key(&w, "score");
        dtc_jw_fixed(&w, (int64_t)llround(x->score * 10), 1);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    if (!w.err)
        printf("%s\n", b.data);
    dtc_buf_dispose(&b);
}

/* CSV: one long table, a row per figure, so every section fits one header:
 * section,subscription,key,name,day,currency,metric,value. */
static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void csv_row(const char *section, const char *sub, const char *key, const char *name, int64_t day,
                    const char *currency, const char *metric, int64_t micro)
{
    char d[16] = "", m[32];
    if (day >= 0)
        dtc_fmt_date(d, day);
    const char *f[] = {section, sub, key, name, d, currency, metric};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
        csv_field(f[i]);
        putchar(',');
    }
    int64_t u = micro < 0 ? -micro : micro;
    snprintf(m, sizeof(m), "%s%" PRId64 ".%06" PRId64, micro < 0 ? "-" : "", u / 1000000, u % 1000000);
    printf("%s\r\n", m);
}

static void print_csv(const report_view *v)
{
    const dtc_report *r = v->r;
    printf("section,subscription,key,name,day,currency,metric,value\r\n");
    for (size_t i = 0; i < r->nbudgets; i++) {
        const dtc_budget *x = &r->budgets[i];
        const struct {
            const char *m;
            int64_t v;
        } f[] = {{"commitment", x->total}, {"used", x->used}, {"remaining", x->total - x->used},
                 {"burn7", x->burn7}, {"burn30", x->burn30}, {"expected_overage", x->expected_overage},
                 {"this_week", x->week_cur}, {"last_week_same_days", x->week_prev},
                 {"this_month", x->month_cur}, {"last_month_same_days", x->month_prev}};
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
            csv_row("budget", x->subscription, "", x->name, r->today, x->currency, f[k].m, f[k].v);
        int64_t starts[64], costs[64];
        size_t n = report_buckets(x, r->today, v->grain, (size_t)(v->top < 64 ? v->top : 64), starts, costs);
        for (size_t k = 0; k < n; k++)
            csv_row(v->grain == 'm' ? "month" : v->grain == 'w' ? "week" : "day", x->subscription, "", x->name,
                    starts[k], x->currency, "cost", costs[k]);
    }
    for (size_t i = 0; i < r->ncap; i++) {
        const dtc_spend *s = &r->by_capability[i];
        csv_row("capability", "", s->key, s->name, r->today, s->currency, "current", s->current);
        csv_row("capability", "", s->key, s->name, r->today, s->currency, "previous", s->previous);
    }
    for (size_t i = 0; i < r->nenv; i++) {
        const dtc_spend *s = &r->by_environment[i];
        csv_row("environment", "", s->key, s->name, r->today, s->currency, "current", s->current);
        csv_row("environment", "", s->key, s->name, r->today, s->currency, "previous", s->previous);
    }
    for (size_t i = 0; v->charges && i < v->ncharges; i++) {
        const dtc_charge *c = &v->charges[i];
        csv_row("chargeback", "", c->team, c->team, v->cb_to, c->currency, "direct", c->direct);
        csv_row("chargeback", "", c->team, c->team, v->cb_to, c->currency, "shared", c->shared);
        csv_row("chargeback", "", c->team, c->team, v->cb_to, c->currency, "total", c->total);
    }
    const dtc_lic_summary *x = v->lic;
    for (size_t i = 0; i < x->ndays; i++) {
        /* Quantities as fixed decimals in the value column: host-unit hours,
         * DEM units, DDUs; money in the price list's currency. */
        const dtc_lic_day *d = &x->days[i];
        const struct {
            const char *m;
            int64_t micro;
        } f[] = {{"fullstack_hu_hours", d->fullstack_mhu * 1000}, {"infrastructure_hu_hours", d->infra_mhu * 1000},
                 {"application_only_hu_hours", d->paas_mhu * 1000}, {"dem_units", d->dem_centi * 10000},
                 {"ddu", d->ddu_micro}, {"money", d->money}};
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]) - (x->priced ? 0 : 1); k++)
            csv_row("license", d->cluster, d->environment, d->environment, d->day,
                    k == 5 ? v->lic_currency : "", f[k].m, f[k].micro);
    }
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *a = &r->anomalies[i];
        int64_t d = -1;
        if (dtc_parse_date(a->day, &d) != 0)
            d = -1;
        char key[160];
        snprintf(key, sizeof(key), "%s/%s", a->environment, a->capability);
        csv_row("anomaly", a->subscription, key, a->capability, d, a->currency, "cost", a->cost);
        csv_row("anomaly", a->subscription, key, a->capability, d, a->currency, "expected", a->expected);
    }
}

int cmd_report(int argc, char **argv)
{
    db_path = format = config_path = by = html_path = NULL;
    since = until = 0;
    window = 30;
    top = 10;
    int npos = 0;
    int code = opt_parse(&report_spec, argc, argv, &npos);
    if (code >= 0)
        return code;
    if (npos > 0)
        return opt_usage_error(&report_spec, "unexpected argument '%s'", argv[1]);
    if (!format)
        format = "table";
    if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv"))
        return opt_usage_error(&report_spec, "--format takes table, json or csv, not '%s'", format);
    if (by && strcmp(by, "day") && strcmp(by, "week") && strcmp(by, "month"))
        return opt_usage_error(&report_spec, "--by takes day, week or month, not '%s'", by);
    if (window < 1 || window > 366 || top < 1)
        return opt_usage_error(&report_spec, "--window takes 1 to 366 days and --top a positive number");
    if (!db_path)
        db_path = getenv("DTCOST_DB") && *getenv("DTCOST_DB") ? getenv("DTCOST_DB") : "dtcost.db";
    if (!config_path && getenv("DTCOST_CONFIG") && *getenv("DTCOST_CONFIG"))
        config_path = getenv("DTCOST_CONFIG");
    color = strcmp(format, "table") == 0 && isatty(1) && !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
            !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
    if (dtc_store_target_missing(db_path)) {
        fprintf(stderr, "dtcost report: %s does not exist: run dtcost sync (or dtcost license import) first, or pass --db\n", db_path);
        return DTC_EXIT_NOINPUT;
    }
    dtc_allocation alloc;
    int rc = dtc_allocation_load(&alloc, config_path);
    if (rc) {
        fprintf(stderr, "dtcost report: %s\n", alloc.err);
        return opt_exit_for(rc);
    }
    dtc_license_config lc;
    if ((rc = dtc_license_config_load(&lc, config_path)) != 0) {
        fprintf(stderr, "dtcost report: %s\n", lc.err);
        dtc_license_config_dispose(&lc);
        dtc_allocation_dispose(&alloc);
        return opt_exit_for(rc);
    }
    dtc_lic_summary lic;
    memset(&lic, 0, sizeof(lic));
    lic.from = lic.to = -1;
    dtc_store *db = NULL;
    char err[512];
    dtc_report r;
    memset(&r, 0, sizeof(r));
    report_view v = {.r = &r, .grain = by ? by[0] : 'm', .top = top, .lic = &lic, .lic_currency = lc.currency};
    dtc_charge *charges = NULL;
    code = DTC_EXIT_OK;
    rc = dtc_store_open(&db, db_path, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "dtcost report: %s\n", err);
        code = opt_exit_for(rc);
        goto done;
    }
    dtc_report_opts o = {.today = until ? until / 86400 : (int64_t)time(NULL) / 86400,
                         .since = since ? since / 86400 : -1, .window = window};
    if ((rc = dtc_report_build(db, &o, &r)) != 0) {
        fprintf(stderr, "dtcost report: %s\n", dtc_store_errmsg(db));
        code = opt_exit_for(rc);
        goto done;
    }
    if ((rc = dtc_lic_summarize(db, &lc, until ? until / 86400 : -1, window, &lic)) != 0) {
        fprintf(stderr, "dtcost report: license data: %s\n", dtc_store_errmsg(db));
        code = opt_exit_for(rc);
        goto done;
    }
    if (r.nbudgets == 0 && lic.from < 0) {
        fprintf(stderr, "dtcost report: %s holds no subscription and no license data yet: run dtcost sync "
                        "(or dtcost license import for a Managed cluster) first\n", db_path);
        code = DTC_EXIT_NOINPUT;
        goto done;
    }
    if (alloc.nrules) {
        v.cb_from = r.today - r.window + 1;
        v.cb_to = r.today;
        if ((rc = dtc_chargeback(db, &alloc, v.cb_from, v.cb_to, &charges, &v.ncharges)) != 0) {
            fprintf(stderr, "dtcost report: chargeback: %s\n", dtc_store_errmsg(db));
            code = opt_exit_for(rc);
            goto done;
        }
        v.charges = charges;
    }
    if (html_path && report_html_write(&v, html_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "dtcost report: %s\n", err);
        code = DTC_EXIT_IOERR;
        goto done;
    }
    if (strcmp(format, "json") == 0)
        print_json(&v);
    else if (strcmp(format, "csv") == 0)
        print_csv(&v);
    else
        print_table(&v);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "dtcost report: writing standard output failed\n");
        code = DTC_EXIT_IOERR;
    }
done:
    dtc_free(charges);
    dtc_lic_summary_dispose(&lic);
    dtc_license_config_dispose(&lc);
    dtc_report_dispose(&r);
    dtc_allocation_dispose(&alloc);
    dtc_store_close(db);
    return code;
}
