/* report_html.c: `dtcost report --html FILE`: one self-contained page (inline
 * CSS and SVG, no scripts, fonts or links to fetch) an analyst can put in
 * front of finance: per active subscription the pacing (share of the
 * commitment used against share of the period gone), the cumulative spend
 * against the commitment with our projection and Dynatrace's forecast and
 * their bands, the daily cost stacked by capability with anomalies marked,
 * the month-by-month trend with the period, cost by environment and usage
 * quantities; then movers, cost centres and products, chargeback, anomalies,
 * classic license units, and where the figures come from. One colour per
 * capability across the page; every mark carries its value in an SVG
 * <title> (shown on hover). Every string from the API or the config goes
 * through esc(). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dtcost/version.h"
#include "money.h"
#include "report_out.h"
#include "timeutil.h"

#define NCOLOUR 12 /* capabilities with a colour of their own; the rest share "Other" */

static const char *palette[NCOLOUR + 1] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                           "#e377c2", "#17becf", "#bcbd22", "#393b79", "#ad494a",
                                           "#637939", "#7b4173", "#b0b0b0"};

/* The page's colour map: the capabilities with the most cost in the spend
 * window, across subscriptions and currencies (dtc_report_rank_capabilities),
 * get a colour each. */
typedef struct colours {
    const char *keys[NCOLOUR];
    int n;
} colours;

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        case '\'':
            fputs("&#39;", f);
            break;
        default:
            fputc(*s, f);
        }
    }
}

static double units(int64_t micro)
{
    return (double)micro / 1e6;
}

/* A round step for an axis up to max: 1, 2 or 5 times a power of ten. */
static double nice_step(double max, int ticks)
{
    if (max <= 0) return 1;
    double raw = max / ticks, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/* The axis' top: the first round step at or above max. */
static double axis_top(double max)
{
    double step = nice_step(max, 4), top = ceil(max / step) * step;
    return top > 0 ? top : 1;
}

/* A capability's display name, from the spend table, or its key. */
static const char *cap_name(const dtc_report *r, const char *key)
{
    for (size_t i = 0; i < r->ncap; i++)
        if (strcmp(r->by_capability[i].key, key) == 0) return r->by_capability[i].name;
    return key;
}

static int colour_of(const colours *c, const char *key)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0) return i;
    return NCOLOUR;
}

static int colours_build(colours *c, const dtc_report *r)
{
    size_t n = 0;
    memset(c, 0, sizeof(*c));
    int rc = dtc_report_rank_capabilities(c->keys, &n, r, NCOLOUR);
    c->n = (int)n;
    return rc;
}

/* Axis label of an amount: thousands separated, cents only when needed. */
static void axis_money(char m[32], double v)
{
    fmt_money(m, report_scaled(v, 6));
    char *dot = strrchr(m, '.');
    if (dot && strcmp(dot, ".00") == 0) *dot = '\0';
}

/* Grid lines and labels of a y axis from 0 to top, and its title. */
static void y_axis(FILE *f, double x0, double x1, double y0, double h, double top,
                   const char *title, const char *unit)
{
    double step = nice_step(top, 4);
    for (double v = 0; v <= top + step / 1e9; v += step) {
        double y = y0 + h - v / top * h;
        char m[32];
        axis_money(m, v);
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='grid'/>", x0, y, x1, y);
        fprintf(f, "<text x='%.1f' y='%.1f' class='ax' text-anchor='end'>%s</text>", x0 - 4, y + 4,
                m);
    }
    fprintf(
        f,
        "<text class='axt' transform='translate(%.1f,%.1f) rotate(-90)' text-anchor='middle'>%s (",
        x0 - 62, y0 + h / 2, title);
    esc(f, unit);
    fputs(")</text>", f);
}

/* Month ticks (the 1st, labelled YYYY-MM) along an x axis of days. */
static void x_months(FILE *f, int64_t first, int64_t last, double (*x)(const void *, int64_t),
                     const void *ctx, double y, int every)
{
    int k = 0;
    for (int64_t d = dtc_report_bucket_start(first, 'm'); d <= last;
         d = dtc_report_bucket_start(d + 31, 'm')) {
        if (d < first) continue;
        int yy, mm, dd;
        dtc_civil_from_days(d, &yy, &mm, &dd);
        fprintf(f, "<line class='tick' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>", x(ctx, d), y,
                x(ctx, d), y + 4);
        if (k++ % every == 0)
            fprintf(f, "<text x='%.1f' y='%.1f' class='ax' text-anchor='middle'>%04d-%02d</text>",
                    x(ctx, d), y + 16, yy, mm);
    }
}

/* A vertical "today" marker. */
static void today_marker(FILE *f, double x, double y0, double y1, int64_t today)
{
    char d[16];
    dtc_fmt_date(d, today);
    fprintf(
        f,
        "<g class='today'><line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/><text x='%.1f' y='%.1f' "
        "text-anchor='middle'>today %s</text><title>the report's today: %s</title></g>",
        x, y0, x, y1, x, y0 - 4, d, d);
}

/* One legend entry at (x, y): a swatch of `cls` (or fill colour) and a label. */
static void legend(FILE *f, double x, double y, const char *cls, const char *fill,
                   const char *label)
{
    if (fill)
        fprintf(f, "<rect x='%.1f' y='%.1f' width='12' height='12' fill='%s'/>", x, y, fill);
    else
        fprintf(f, "<line class='%s' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>", cls ? cls : "", x,
                y + 6, x + 14, y + 6); /* cls set when fill is not */
    fprintf(f, "<text x='%.1f' y='%.1f' class='lg'>", x + 18, y + 10);
    esc(f, label);
    fputs("</text>", f);
}

/* Days to x along a chart: the middle of the day's slot. */
typedef struct xmap {
    double left, width, span;
    int64_t first;
} xmap;

static double xm(const void *ctx, int64_t day)
{
    const xmap *m = ctx;
    return m->left + ((double)(day - m->first) + 0.5) / m->span * m->width;
}

/* Pacing: the share of the commitment used against the share of the period
 * gone; ahead of the period's pace the bar turns red. */
static void pacing(FILE *f, const dtc_budget *b, size_t bi)
{
    enum { W = 900, H = 64, L = 10, R = 10, T = 8, BAR = 20 };
    double used = b->used_pct, gone = (double)b->elapsed_pct_centi / 100.0, pw = W - L - R;
    bool ahead = b->ahead_of_pace;
    char a[32], c[32];
    fmt_money(a, b->used);
    fmt_money(c, b->total);
    fprintf(
        f,
        "<figure><figcaption>Pacing: %.1f%% of the commitment used, %.1f%% of the period gone: %s"
        "</figcaption><svg class='chart' id='pacing-%zu' viewBox='0 0 %d %d' role='img' "
        "aria-label='pacing'>",
        used, gone,
        ahead ? "spending ahead of the commitment's pace" : "within the commitment's pace", bi, W,
        H);
    fprintf(f, "<rect class='track' x='%d' y='%d' width='%.1f' height='%d'/>", L, T, pw, BAR);
    fprintf(f, "<rect class='%s' x='%d' y='%d' width='%.1f' height='%d'><title>used %s of %s ",
            ahead ? "used ahead" : "used", L, T, pw * fmin(used, 100) / 100, BAR, a, c);
    esc(f, b->currency);
    fprintf(f, " (%.1f%%)</title></rect>", used);
    fprintf(f,
            "<line class='elapsed' x1='%.1f' y1='%d' x2='%.1f' y2='%d'><title>period gone: "
            "%.1f%%</title></line>",
            L + pw * gone / 100, T - 4, L + pw * gone / 100, T + BAR + 4, gone);
    for (int p = 0; p <= 100; p += 25)
        fprintf(f, "<text x='%.1f' y='%d' class='ax' text-anchor='%s'>%d%%</text>",
                L + pw * p / 100, T + BAR + 16,
                p == 0     ? "start"
                : p == 100 ? "end"
                           : "middle",
                p);
    legend(f, L + 120, T + BAR + 22, NULL, ahead ? "#d62728" : "#1f77b4", "commitment used");
    legend(f, L + 300, T + BAR + 22, "elapsed", NULL, "period gone (today)");
    fputs("</svg></figure>\n", f);
}

/* Cumulative spend over the period against the commitment, with our
 * projection at the 30-day burn and its band, Dynatrace's forecast for the
 * period's end and its band, and today. */
static void chart_cumulative(FILE *f, const report_view *v, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    enum { W = 900, H = 330, L = 90, R = 190, T = 30, B = 50 };
    int64_t start = b->period_start, end = b->period_end,
            last = b->last_day < r->today ? b->last_day : r->today;
    if (end <= start || last < start) return;
    xmap m = {.left = L, .width = W - L - R, .span = (double)(end - start + 1), .first = start};
    double ph = H - T - B, max = units(b->total);
    double cum = units(b->spent), hi_end = units(b->projected_high);
    bool fc = b->forecast_median >= 0;
    max = fmax(fmax(max, hi_end), fmax(cum, fc ? units(b->forecast_upper) : 0));
    double top = axis_top(max * 1.05);
#define Y(val) (T + ph - (val) / top * ph)
    fprintf(f,
            "<figure><figcaption>Cumulative spend against the commitment: our projection at the "
            "30-day burn "
            "(band &#177;2 standard errors) and Dynatrace's forecast for the period's end (band: "
            "its lower and "
            "upper bound)</figcaption><svg class='chart' id='cumulative-%zu' viewBox='0 0 %d %d' "
            "role='img' "
            "aria-label='cumulative spend against budget'>",
            bi, W, H);
    y_axis(f, L, L + m.width, T, ph, top, "cumulative cost", b->currency);
    x_months(f, start, end, xm, &m, T + ph, m.span > 250 ? 2 : 1);
    char d1[16], d2[16], ma[32], mb[32], mc[32];
    dtc_fmt_date(d1, start);
    dtc_fmt_date(d2, end);
    fprintf(
        f,
        "<text class='axt' x='%.1f' y='%d' text-anchor='middle'>day of the period %s .. %s</text>",
        L + m.width / 2, H - 6, d1, d2);
    if (end > last) {
        fprintf(f, "<polygon class='band' points='%.1f,%.1f %.1f,%.1f %.1f,%.1f'/>", xm(&m, last),
                Y(cum), xm(&m, end), Y(hi_end), xm(&m, end), Y(units(b->projected_low)));
        fmt_money(ma, b->projected);
        fprintf(
            f,
            "<line class='proj' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'><title>our projection: %s ",
            xm(&m, last), Y(cum), xm(&m, end), Y(units(b->projected)), ma);
        esc(f, b->currency);
        fprintf(f, " by %s</title></line>", d2);
    }
    if (fc) {
        fmt_money(ma, b->forecast_median);
        fmt_money(mb, b->forecast_lower);
        fmt_money(mc, b->forecast_upper);
        fprintf(f, "<polygon class='fband' points='%.1f,%.1f %.1f,%.1f %.1f,%.1f'/>", xm(&m, last),
                Y(cum), xm(&m, end), Y(units(b->forecast_upper)), xm(&m, end),
                Y(units(b->forecast_lower)));
        fprintf(f, "<line class='fcast' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>", xm(&m, last),
                Y(cum), xm(&m, end), Y(units(b->forecast_median)));
        fprintf(f,
                "<circle class='fpoint' cx='%.1f' cy='%.1f' r='4'><title>Dynatrace forecast for "
                "%s: %s ",
                xm(&m, end), Y(units(b->forecast_median)), d2, ma);
        esc(f, b->currency);
        fprintf(f, " (%s .. %s)</title></circle>", mb, mc);
    }
    fputs("<polyline class='actual' points='", f);
    for (int64_t d = start; d <= last; d++)
        fprintf(f, "%.1f,%.1f ", xm(&m, d), Y(units(dtc_report_sum_days(b, start, d))));
    fmt_money(ma, b->spent);
    dtc_fmt_date(d1, last);
    fprintf(f, "'><title>spent %s ", ma);
    esc(f, b->currency);
    fprintf(f, " by %s</title></polyline>", d1);
    fmt_money(ma, b->total);
    fprintf(f, "<line class='budget' x1='%d' y1='%.1f' x2='%.1f' y2='%.1f'><title>commitment %s ",
            L, Y(units(b->total)), L + m.width, Y(units(b->total)), ma);
    esc(f, b->currency);
    fputs("</title></line>", f);
    if (r->today >= start && r->today <= end)
        today_marker(f, xm(&m, r->today), T, T + ph, r->today);
    double lx = W - R + 14, ly = T;
    legend(f, lx, ly, "actual", NULL, "spent");
    legend(f, lx, ly += 18, "budget", NULL, "commitment");
    legend(f, lx, ly += 18, "proj", NULL, "our projection");
    legend(f, lx, ly += 18, NULL, "rgba(31,119,180,.2)", "its band");
    if (fc) {
        legend(f, lx, ly += 18, "fcast", NULL, "Dynatrace forecast");
        legend(f, lx, ly += 18, NULL, "rgba(148,103,189,.25)", "its band");
    }
    legend(f, lx, ly + 18, "todayk", NULL, "today");
    fputs("</svg></figure>\n", f);
#undef Y
}

/* Daily cost stacked by capability (the page's colours), anomalies marked,
 * each bar's value on hover. */
static void chart_daily(FILE *f, const report_view *v, const colours *col, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    enum { W = 900, H = 320, L = 90, R = 200, T = 24, B = 50, DAYS = DTC_REPORT_CHART_DAYS };
    int64_t first = r->capdays_first;
    static int64_t stack[DAYS][NCOLOUR + 1];
    memset(stack, 0, sizeof(stack));
    bool present[NCOLOUR + 1] = {false};
    for (size_t i = 0; i < r->ncapdays; i++) {
        const dtc_capday *d = &r->capdays[i];
        if (d->budget != bi || d->day < first || d->day > r->today || d->cost <= 0) continue;
        int k = colour_of(col, d->capability);
        stack[d->day - first][k] += d->cost;
        present[k] = true;
    }
    double max = 0;
    for (int d = 0; d < DAYS; d++) {
        double s = 0;
        for (int k = 0; k <= NCOLOUR; k++)
            s += units(stack[d][k]);
        max = fmax(max, s);
    }
    double top = axis_top(max * 1.05), ph = H - T - B;
    xmap m = {.left = L, .width = W - L - R, .span = DAYS, .first = first};
    double bw = m.width / DAYS;
    fprintf(
        f,
        "<figure><figcaption>Daily cost by capability, last %d days</figcaption><svg class='chart' "
        "id='daily-%zu' viewBox='0 0 %d %d' role='img' aria-label='daily cost by capability'>",
        DAYS, bi, W, H);
    y_axis(f, L, L + m.width, T, ph, top, "cost per day", b->currency);
    for (int d = 0; d < DAYS; d++) {
        double y = T + ph;
        char day[16], a[32];
        dtc_fmt_date(day, first + d);
        for (int k = 0; k <= NCOLOUR; k++) {
            if (stack[d][k] <= 0) continue;
            double hh = units(stack[d][k]) / top * ph;
            y -= hh;
            fmt_money(a, stack[d][k]);
            fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'><title>%s ",
                    L + d * bw + 0.5, y, bw > 2 ? bw - 1 : bw, hh, palette[k], day);
            esc(f, k < NCOLOUR ? cap_name(r, col->keys[k]) : "other capabilities");
            fprintf(f, ": %s ", a);
            esc(f, b->currency);
            fputs("</title></rect>", f);
        }
        if ((first + d) % 14 == 0)
            fprintf(f, "<text x='%.1f' y='%.1f' class='ax' text-anchor='middle'>%s</text>",
                    L + d * bw + bw / 2, T + ph + 16, day);
    }
    fprintf(f, "<text class='axt' x='%.1f' y='%d' text-anchor='middle'>day</text>", L + m.width / 2,
            H - 6);
    /* Anomalies: a red marker above the day's bar, the jump in the tooltip. */
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *a = &r->anomalies[i];
        int64_t day;
        if (strcmp(a->subscription, b->subscription) != 0 || dtc_parse_date(a->day, &day) != 0 ||
            day < first || day > r->today)
            continue;
        double s = 0;
        for (int k = 0; k <= NCOLOUR; k++)
            s += units(stack[day - first][k]);
        char jump[32];
        fmt_money(jump, a->jump);
        fprintf(f, "<circle class='anomaly' cx='%.1f' cy='%.1f' r='5'><title>%s ",
                L + (day - first) * bw + bw / 2, T + ph - s / top * ph - 8, a->day);
        esc(f, a->environment_name);
        fputs(" / ", f);
        esc(f, a->capability_name);
        fprintf(f, ": +%s ", jump);
        esc(f, a->currency);
        fputs(" above the usual</title></circle>", f);
    }
    today_marker(f, L + m.width - bw / 2, T, T + ph, r->today);
    double y = T;
    for (int k = 0; k <= NCOLOUR && y < H - 30; k++) {
        if (!present[k]) continue;
        const char *name = k < NCOLOUR ? cap_name(r, col->keys[k]) : "Other";
        char label[40];
        size_t len = strlen(name) < 24 ? strlen(name) : 24;
        while (len > 0 && len < strlen(name) && (name[len] & 0xc0) == 0x80)
            len--; /* cut at a character boundary */
        snprintf(label, sizeof(label), "%.*s%s", (int)len, name,
                 len < strlen(name) ? "\xe2\x80\xa6" : "");
        fprintf(f, "<g><title>");
        esc(f, name);
        fputs("</title>", f);
        legend(f, W - R + 12, y, NULL, palette[k], label);
        fputs("</g>", f);
        y += 17;
    }
    fprintf(f,
            "<circle class='anomaly-key' cx='%.1f' cy='%.1f' r='5'/><text x='%d' y='%.1f' "
            "class='lg'>anomaly"
            "</text>",
            W - R + 18.0, y + 6, W - R + 30, y + 10);
    fputs("</svg></figure>\n", f);
}

/* Cost month by month over the last 13 months, the subscription's period
 * marked; the current month to the report's today. */
static void chart_monthly(FILE *f, const report_view *v, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    enum { W = 900, H = 260, L = 90, R = 190, T = 24, B = 50, N = 13 };
    int64_t starts[N], costs[N];
    size_t n = dtc_report_buckets(starts, costs, b, r->today, 'm', N);
    if (n == 0) return;
    double max = 0;
    for (size_t i = 0; i < n; i++)
        max = fmax(max, units(costs[i]));
    double top = axis_top(max * 1.05), ph = H - T - B, pw = W - L - R, bw = pw / (double)n;
    char d1[16], d2[16];
    dtc_fmt_date(d1, b->period_start);
    dtc_fmt_date(d2, b->period_end);
    fprintf(
        f,
        "<figure><figcaption>Cost month by month; the period %s .. %s in colour</figcaption><svg "
        "class='chart' id='monthly-%zu' viewBox='0 0 %d %d' role='img' aria-label='cost by month'>",
        d1, d2, bi, W, H);
    y_axis(f, L, L + pw, T, ph, top, "cost per month", b->currency);
    for (size_t i = 0; i < n; i++) {
        bool in = starts[i] >= b->period_start && starts[i] <= b->period_end;
        bool partial = i + 1 == n;
        int yy, mm, dd;
        dtc_civil_from_days(starts[i], &yy, &mm, &dd);
        double hh = units(costs[i]) / top * ph, x = L + (double)i * bw;
        char a[32], to[16];
        fmt_money(a, costs[i]);
        dtc_fmt_date(to, r->today);
        fprintf(f,
                "<rect class='%s%s' x='%.1f' y='%.1f' width='%.1f' "
                "height='%.1f'><title>%04d-%02d%s%s: %s ",
                in ? "inperiod" : "outperiod", partial ? " partial" : "", x + 3, T + ph - hh,
                bw - 6, hh, yy, mm, partial ? " to " : "", partial ? to : "", a);
        esc(f, b->currency);
        fprintf(f, "%s</title></rect>", in ? " (in the period)" : "");
        if (n <= 8 ||
            (n - 1 - i) % 2 == 0) /* every other label when they would touch; the last always */
            fprintf(f, "<text x='%.1f' y='%.1f' class='ax' text-anchor='middle'>%04d-%02d</text>",
                    x + bw / 2, T + ph + 16, yy, mm);
        if (starts[i] == dtc_report_bucket_start(b->period_start, 'm'))
            fprintf(f,
                    "<line class='pstart' x1='%.1f' y1='%d' x2='%.1f' y2='%.1f'/><text class='lg' "
                    "x='%.1f' "
                    "y='%d'>period starts %s</text>",
                    x, T - 6, x, T + ph, x + 3, T - 10, d1);
    }
    fprintf(f, "<text class='axt' x='%.1f' y='%d' text-anchor='middle'>month</text>", L + pw / 2,
            H - 6);
    legend(f, W - R + 14, T, NULL, "#1f77b4", "in the period");
    legend(f, W - R + 14, T + 18, NULL, "#c7c7c7", "before it");
    legend(f, W - R + 14, T + 36, NULL, "#aec7e8", "month to date");
    fputs("</svg></figure>\n", f);
}

/* Cost by environment over the spend window, for the subscription's currency. */
static int chart_environments(FILE *f, const report_view *v, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    const dtc_spend **rows = NULL;
    size_t n = 0;
    int rc = dtc_report_top(&rows, &n, r->by_environment, r->nenv, b->currency, 15);
    if (rc || n == 0) goto done;
    enum { W = 900, L = 220, R = 120, T = 10, ROW = 22 };
    int H = T + (int)n * ROW + 30;
    double max = units(rows[0]->current), pw = W - L - R;
    fprintf(f, "<figure><figcaption>Cost by environment, last %d days (", r->window);
    esc(f, b->currency);
    fprintf(f,
            ")</figcaption><svg class='chart' id='environments-%zu' viewBox='0 0 %d %d' role='img' "
            "aria-label='cost by environment'>",
            bi, W, H);
    for (size_t i = 0; i < n; i++) {
        double y = T + (double)i * ROW, w = max > 0 ? units(rows[i]->current) / max * pw : 0;
        char m[32];
        fmt_money(m, rows[i]->current);
        fprintf(f, "<text x='%d' y='%.1f' class='lg' text-anchor='end'>", L - 6, y + 14);
        esc(f, rows[i]->name);
        fprintf(f, "</text><rect x='%d' y='%.1f' width='%.1f' height='%d' fill='%s'><title>", L,
                y + 3, w, ROW - 6, palette[0]);
        esc(f, rows[i]->name);
        fprintf(f, ": %s ", m);
        esc(f, b->currency);
        fprintf(f, "</title></rect><text x='%.1f' y='%.1f' class='ax'>%s</text>", L + w + 6, y + 14,
                m);
    }
    fprintf(f,
            "<text class='axt' x='%.1f' y='%d' text-anchor='middle'>cost over the last %d days (",
            L + pw / 2, H - 6, r->window);
    esc(f, b->currency);
    fputs(")</text></svg></figure>\n", f);
done:
    dtc_free(rows);
    return rc;
}

static void pct_cell(FILE *f, double cur, double prev)
{
    double pct;
    if (dtc_report_change_pct(&pct, cur, prev))
        fprintf(f, "<td class='n%s'>%+.1f%%</td>", cur > prev ? " up" : "", pct);
    else
        fputs("<td class='n'>new</td>", f);
}

/* Usage quantities per capability over the spend window, in billing units. */
static void usage_table(FILE *f, const report_view *v, const colours *col, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    bool any = false;
    for (size_t i = 0; i < r->nusage && !any; i++)
        any = strcmp(r->usage[i].subscription, b->subscription) == 0;
    if (!any) return;
    fprintf(f,
            "<h3>Usage per capability, last %d days against the %d before</h3><table class='usage' "
            "id='usage-%zu'><tr><th>capability</th><th>quantity</th><th>the %d days "
            "before</th><th>change</th>"
            "<th>unit</th></tr>",
            r->window, r->window, bi, r->window);
    for (size_t i = 0; i < r->nusage; i++) {
        const dtc_usage *u = &r->usage[i];
        if (strcmp(u->subscription, b->subscription) != 0) continue;
        char a[40], c[40];
        fmt_units(a, report_scaled(u->current, 3), 3, 1);
        fmt_units(c, report_scaled(u->previous, 3), 3, 1);
        fprintf(f, "<tr><td><span class='sw' style='background:%s'></span>",
                palette[colour_of(col, u->capability)]);
        esc(f, u->name);
        fprintf(f, "</td><td class='n'>%s</td><td class='n'>%s</td>", a, c);
        pct_cell(f, u->current, u->previous);
        fputs("<td>", f);
        esc(f, u->unit);
        fputs("</td></tr>", f);
    }
    fputs("</table>\n", f);
}

static void kpis(FILE *f, const dtc_budget *b)
{
    char a[32], d[24];
    fputs("<div class='kpis'>", f);
    const struct {
        const char *label;
        int64_t v;
    } money[] = {{"commitment", b->total},
                 {"used", b->used},
                 {"remaining", b->remaining},
                 {"burn / day (7 days)", b->burn7},
                 {"burn / day (30 days)", b->burn30},
                 {"expected overage", b->expected_overage}};
    for (size_t i = 0; i < sizeof(money) / sizeof(money[0]); i++) {
        fmt_money(a, money[i].v);
        fprintf(f, "<div class='kpi'><div class='k'>%s</div><div class='v'>%s ", money[i].label, a);
        esc(f, b->currency);
        fputs("</div></div>", f);
    }
    if (b->runs_out >= 0)
        dtc_fmt_date(d, b->runs_out);
    else
        snprintf(d, sizeof(d), "lasts the period");
    fprintf(
        f,
        "<div class='kpi'><div class='k'>budget runs out (ours)</div><div class='v'>%s</div></div>",
        d);
    if (b->forecast_median >= 0) {
        fmt_money(a, b->forecast_median);
        fprintf(f, "<div class='kpi'><div class='k'>Dynatrace forecast</div><div class='v'>%s ", a);
        esc(f, b->currency);
        fputs("</div></div>", f);
        if (b->forecast_budget_date[0]) {
            fputs("<div class='kpi'><div class='k'>runs out (Dynatrace)</div><div class='v'>", f);
            char d10[11];
            snprintf(d10, sizeof(d10), "%.10s",
                     b->forecast_budget_date); /* the day of an RFC 3339 time */
            esc(f, d10);
            fputs("</div></div>", f);
        }
    }
    fprintf(f,
            "<div class='kpi'><div class='k'>days remaining</div><div class='v'>%" PRId64
            "</div></div>",
            b->days_remaining);
    fputs("</div>\n", f);
}

/* What an as-of page could not know. */
static void asof_notes(FILE *f, const dtc_budget *b, int64_t today)
{
    char d[16];
    dtc_fmt_date(d, today);
    if (!b->as_of) return;
    fprintf(f, "<p class='note'>As of %s, rebuilt from the stored history.", d);
    if (b->asof_gaps & DTC_ASOF_OLD_PERIOD)
        fputs(" That day lies in an earlier period whose commitment is not stored: the current one "
              "is shown.",
              f);
    if (b->asof_gaps & DTC_ASOF_NO_FORECAST)
        fprintf(f, " No Dynatrace forecast was stored on or before %s.", d);
    fputs("</p>\n", f);
}

/* Spend rows of one currency: movers, or cost centres and products (with
 * their share when their group has a total: `share` not NULL). */
static void money_row(FILE *f, const char *swatch, const char *name, int64_t cur, int64_t prev,
                      int64_t change, const double *share)
{
    char a[32], b[32], c[32];
    fmt_money(a, cur);
    fmt_money(b, prev);
    fmt_money(c, change);
    fputs("<tr><td>", f);
    if (swatch) fprintf(f, "<span class='sw' style='background:%s'></span>", swatch);
    esc(f, name);
    fprintf(f, "</td><td class='n'>%s</td><td class='n'>%s</td><td class='n%s'>%s%s</td>", a, b,
            cur > prev ? " up" : "", cur > prev ? "+" : "", c);
    pct_cell(f, (double)cur, (double)prev);
    if (share) fprintf(f, "<td class='n'>%.1f%%</td>", *share);
    fputs("</tr>", f);
}

static void movers(FILE *f, const report_view *v, const colours *col)
{
    const dtc_report *r = v->r;
    fprintf(f, "<section id='movers'><h2>Movers: last %d days against the %d before</h2>\n",
            r->window, r->window);
    const struct {
        const char *title, *id;
        const dtc_spend *rows;
        size_t n;
    } t[] = {{"capability", "movers-capability", r->by_capability, r->ncap},
             {"environment", "movers-environment", r->by_environment, r->nenv}};
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < t[k].n;) {
            size_t j = i;
            while (j < t[k].n && strcmp(t[k].rows[j].currency, t[k].rows[i].currency) == 0)
                j++;
            fprintf(f, "<h3>By %s (", t[k].title);
            esc(f, t[k].rows[i].currency);
            fprintf(f,
                    ")</h3><table class='movers' "
                    "id='%s-%zu'><tr><th>%s</th><th>current</th><th>previous</th>"
                    "<th>change</th><th>%%</th></tr>",
                    t[k].id, i, t[k].title);
            for (size_t q = i; q < j && q - i < (size_t)v->top; q++) {
                const dtc_spend *s = &t[k].rows[q];
                money_row(f, k == 0 ? palette[colour_of(col, s->key)] : NULL, s->name, s->current,
                          s->previous, s->change, NULL);
            }
            fputs("</table>\n", f);
            if (j - i > (size_t)v->top)
                fprintf(f, "<p class='ax'>%zu more (--top N shows more).</p>\n",
                        j - i - (size_t)v->top);
            i = j;
        }
    fputs("</section>\n", f);
}

/* Cost centres and products from Dynatrace's cost allocation. */
static void allocations(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    const struct {
        const char *field, *title, *id;
    } t[] = {{"COSTCENTER", "Cost centres", "cost-centres"}, {"PRODUCT", "Products", "products"}};
    for (size_t k = 0; k < 2; k++) {
        fprintf(f, "<section id='%s'><h2>%s, last %d days against the %d before</h2>\n", t[k].id,
                t[k].title, r->window, r->window);
        bool any = false;
        for (size_t i = 0; i < r->nalloc;) {
            const dtc_alloc_spend *a = &r->allocations[i];
            size_t j = i;
            while (j < r->nalloc && strcmp(r->allocations[j].field, a->field) == 0 &&
                   strcmp(r->allocations[j].currency, a->currency) == 0)
                j++;
            if (strcmp(a->field, t[k].field) == 0) {
                any = true;
                fputs("<table class='alloc'><tr><th>", f);
                esc(f, a->currency);
                fputs("</th><th>current</th><th>previous</th><th>change</th><th>%</th><th>share</"
                      "th></tr>",
                      f);
                for (size_t q = i; q < j; q++) {
                    const dtc_alloc_spend *y = &r->allocations[q];
                    money_row(f, NULL, y->key, y->current, y->previous, y->change,
                              y->group_total > 0 ? &y->share : NULL);
                }
                fputs("</table>\n", f);
            }
            i = j;
        }
        if (!any) fputs("<p>No cost allocation synced for these days.</p>\n", f);
        fputs("</section>\n", f);
    }
}

static void tables(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32];
    if (v->charges) {
        char d1[16], d2[16];
        dtc_fmt_date(d1, v->cb_from);
        dtc_fmt_date(d2, v->cb_to);
        fprintf(
            f,
            "<h2>Chargeback %s .. %s</h2><table id='chargeback'><tr><th>team</th><th>currency</th>"
            "<th>direct</th><th>shared</th><th>total</th></tr>",
            d1, d2);
        for (size_t i = 0; i < v->ncharges; i++) {
            const dtc_charge *ch = &v->charges[i];
            fmt_money(a, ch->direct);
            fmt_money(b, ch->shared);
            fmt_money(c, ch->total);
            fputs("<tr><td>", f);
            esc(f, ch->team);
            fputs("</td><td>", f);
            esc(f, ch->currency);
            fprintf(f, "</td><td class='n'>%s</td><td class='n'>%s</td><td class='n'>%s</td></tr>",
                    a, b, c);
        }
        fputs("</table>\n", f);
    }
    if (r->nbudgets == 0) /* license data only: no cost to score */
        return;
    fprintf(f, "<h2>Anomalies</h2><p>%zu day%s above the same weekday of the six weeks before.</p>",
            r->nanomalies, r->nanomalies == 1 ? "" : "s");
    if (r->nanomalies) {
        fputs("<table "
              "id='anomalies'><tr><th>day</th><th>environment</th><th>capability</th><th>cost</th>"
              "<th>expected</th><th>jump</th><th>score</th></tr>",
              f);
        for (size_t i = 0; i < r->nanomalies; i++) {
            const dtc_anomaly *x = &r->anomalies[i];
            fmt_money(a, x->cost);
            fmt_money(b, x->expected);
            fmt_money(c, x->jump);
            fprintf(f, "<tr><td>%s</td><td>", x->day);
            esc(f, x->environment_name);
            fputs("</td><td>", f);
            esc(f, x->capability_name);
            fprintf(f, "</td><td class='n'>%s</td><td class='n'>%s</td><td class='n up'>+%s ", a, b,
                    c);
            esc(f, x->currency);
            fprintf(f, "</td><td class='n'>%.1f</td></tr>", x->score);
        }
        fputs("</table>\n", f);
    }
}

/* Host-unit hours of a license row in mode k: Full-Stack, Infrastructure,
 * application-only. */
static int64_t mode_mhu(const dtc_lic_day *d, int k)
{
    return k == 0 ? d->fullstack_mhu : k == 1 ? d->infra_mhu : d->paas_mhu;
}

/* License (classic Managed): daily host-unit hours stacked by mode over the
 * window (the library's day buckets), then units and money per environment. */
static int license_section(FILE *f, const report_view *v)
{
    const dtc_lic_summary *x = v->lic;
    char d1[16], d2[16];
    dtc_fmt_date(d1, x->from);
    dtc_fmt_date(d2, x->to);
    fprintf(f, "<section id='license'><h2>License (classic Managed) <small>%s .. %s</small></h2>\n",
            d1, d2);
    int64_t days = x->to - x->from + 1;
    if (days > 0 && days <= 366 && x->ndays) {
        dtc_lic_day *stack = dtc_calloc((size_t)days, sizeof(*stack)); /* oldest day first */
        if (!stack) return DTC_ENOMEM;
        dtc_report_lic_buckets(stack, x, 'd', (size_t)days); /* one a day, from..to */
        enum { W = 900, H = 260, L = 80, R = 200, T = 24, B = 36 };
        static const char *const mode[3] = {"Full-Stack", "Infrastructure", "Application-only"};
        double max = 0;
        for (int64_t d = 0; d < days; d++) {
            double s =
                (double)(mode_mhu(&stack[d], 0) + mode_mhu(&stack[d], 1) + mode_mhu(&stack[d], 2)) /
                1000;
            max = s > max ? s : max;
        }
        double top = axis_top(max * 1.05), pw = W - L - R, ph = H - T - B, bw = pw / (double)days;
        fprintf(
            f,
            "<figure><figcaption>Host-unit hours per day by mode</figcaption><svg class='chart' "
            "id='license-hu' viewBox='0 0 %d %d' role='img' aria-label='host-unit hours per day'>",
            W, H);
        y_axis(f, L, L + pw, T, ph, top, "host-unit hours per day", "HU-h");
        for (int64_t d = 0; d < days; d++) {
            double y = T + ph;
            for (int k = 0; k < 3; k++) {
                if (mode_mhu(&stack[d], k) <= 0) continue;
                double hh = (double)mode_mhu(&stack[d], k) / 1000 / top * ph;
                y -= hh;
                fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>",
                        L + (double)d * bw + 0.5, y, bw > 2 ? bw - 1 : bw, hh, palette[k]);
            }
            if (days <= 14 || (x->from + d) % 7 == 0) {
                char day[16];
                dtc_fmt_date(day, x->from + d);
                fprintf(f, "<text x='%.1f' y='%d' class='ax' text-anchor='middle'>%s</text>",
                        L + (double)d * bw + bw / 2, H - B + 16, day + 5);
            }
        }
        for (int k = 0; k < 3; k++) {
            double y = T + 4 + k * 18;
            fprintf(f,
                    "<rect x='%d' y='%.1f' width='12' height='12' fill='%s'/><text x='%d' y='%.1f' "
                    "class='lg'>%s"
                    "</text>",
                    W - R + 12, y, palette[k], W - R + 30, y + 10, mode[k]);
        }
        fputs("</svg></figure>\n", f);
        dtc_free(stack);
    }
    if (x->ndays == 0) {
        fputs("<p>No license data in these days.</p></section>\n", f);
        return 0;
    }
    fprintf(f,
            "<table id='license-environments'><tr><th>environment</th><th>Full-Stack "
            "HU-h</th><th>Infra HU-h</th>"
            "<th>App-only HU-h</th><th>DEM units</th><th>DDU</th>%s</tr>",
            x->priced ? "<th>money</th>" : "");
    const dtc_lic_day **rows = NULL;
    int rc = dtc_report_lic_ranked(&rows, x);
    if (rc) return rc;
    size_t n = x->nenvs < 15 ? x->nenvs : 15;
    for (size_t i = 0; i <= n; i++) {
        const dtc_lic_day *d = i < n ? rows[i] : &x->total;
        char c[REPORT_LIC_CELLS][40];
        report_lic_cells(d, c);
        fputs(i < n ? "<tr><td>" : "<tr><th>", f);
        esc(f, i < n ? d->environment : "total");
        fputs(i < n ? "</td>" : "</th>", f);
        for (int k = 0; k < REPORT_LIC_CELLS - 1; k++)
            fprintf(f, "<td class='n'>%s</td>", c[k]);
        if (x->priced) {
            fprintf(f, "<td class='n'>%s ", c[REPORT_LIC_CELLS - 1]);
            esc(f, v->lic_currency);
            fputs("</td>", f);
        }
        fputs("</tr>", f);
    }
    dtc_free(rows);
    fputs("</table>\n", f);
    if (x->nenvs > n)
        fprintf(f, "<p class='ax'>%zu more environments in the total.</p>\n", x->nenvs - n);
    if (x->priced && x->unpriced[0]) {
        fputs("<p class='up'>Money leaves out units without a price: ", f);
        esc(f, x->unpriced);
        fputs("</p>\n", f);
    }
    fputs("</section>\n", f);
    return 0;
}

/* A font stack that covers Latin and CJK on Linux, macOS and Windows. */
static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans','Noto Sans CJK JP','Noto Sans "
    "CJK SC',"
    "'Hiragino Sans','Hiragino Kaku Gothic ProN','Yu Gothic','Meiryo','Microsoft YaHei','PingFang "
    "SC',"
    "'WenQuanYi Zen Hei','Droid Sans Fallback',sans-serif;margin:24px "
    "auto;max-width:1100px;padding:0 16px;"
    "color:#222}"
    "h1{font-size:22px;margin-bottom:4px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid "
    "#ddd}"
    "h3{font-size:15px;margin:18px 0 6px}.prov{font-size:12px;color:#555}.note{color:#8a5300}"
    ".kpis{display:flex;flex-wrap:wrap;gap:8px}.kpi{border:1px solid "
    "#ddd;border-radius:6px;padding:6px 10px;"
    "min-width:140px}.k{font-size:12px;color:#666}.v{font-size:16px;font-variant-numeric:tabular-"
    "nums}"
    "figure{margin:16px "
    "0}figcaption{font-size:14px;color:#444;margin-bottom:4px}svg.chart{width:100%;height:auto}"
    ".grid{stroke:#e5e5e5}.tick{stroke:#999}.ax{font-size:11px;fill:#666}.axt{font-size:12px;fill:#"
    "444}"
    ".lg{font-size:12px;fill:#333}"
    ".actual{fill:none;stroke:#1f77b4;stroke-width:2}.budget{stroke:#d62728;stroke-dasharray:6 "
    "4;stroke-width:1.5}"
    ".proj{stroke:#1f77b4;stroke-dasharray:4 3;stroke-width:1.5}.band{fill:#1f77b4;opacity:.15}"
    ".fcast{stroke:#9467bd;stroke-dasharray:2 "
    "3;stroke-width:2}.fband{fill:#9467bd;opacity:.18}.fpoint{fill:#9467bd}"
    ".today line,.todayk{stroke:#333;stroke-dasharray:2 2}.today text{font-size:11px;fill:#333}"
    ".track{fill:#eee}.used{fill:#1f77b4}.used.ahead{fill:#d62728}.elapsed{stroke:#222;stroke-"
    "width:2}"
    ".inperiod{fill:#1f77b4}.outperiod{fill:#c7c7c7}.inperiod.partial{fill:#aec7e8}.pstart{stroke:#"
    "555;"
    "stroke-dasharray:3 3}"
    ".anomaly,.anomaly-key{fill:#d62728;stroke:#fff}table{border-collapse:collapse;font-size:13px;"
    "margin-bottom:8px}"
    "td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}.n{text-align:right;"
    "font-variant-numeric:tabular-nums}.up{color:#d62728}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}"
    "@media (max-width:900px){body{margin:8px auto}.kpi{min-width:110px}.v{font-size:14px}}";

/* Where the figures come from: the accounts, the last sync, the tool. */
static void provenance(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    fputs("<p class='prov' id='provenance'>Account ", f);
    size_t shown = 0;
    for (size_t i = 0; i < r->nbudgets; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++)
            seen = seen || strcmp(r->budgets[j].account, r->budgets[i].account) == 0;
        if (seen || !r->budgets[i].account[0]) continue;
        fputs(shown++ ? ", " : "", f);
        esc(f, r->budgets[i].account);
    }
    if (!shown) fputs("(classic Managed license data only)", f);
    fputs(" &#183; last sync ", f);
    esc(f, r->last_sync[0] ? r->last_sync : "not recorded");
    fprintf(f,
            " &#183; dtcost %s &#183; amounts in each subscription's currency, from the local "
            "database</p>\n",
            dtc_version());
}

static int write_page(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    colours col;
    int rc = colours_build(&col, r);
    if (rc) return rc;
    char today[16];
    dtc_fmt_date(today, v->as_of);
    fprintf(f,
            "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            /* Nothing to fetch, nothing to run: the browser enforces it. */
            "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src "
            "'unsafe-inline'\">"
            "<title>dtcost report %s</title><style>%s</style></head><body>\n"
            "<h1>dtcost report as of %s</h1>\n",
            today, css, today);
    provenance(f, v);
    for (size_t i = 0; i < r->nbudgets; i++) {
        const dtc_budget *b = &r->budgets[i];
        if (strcmp(b->status, "ACTIVE") != 0) continue;
        char d1[16], d2[16];
        dtc_fmt_date(d1, b->period_start);
        dtc_fmt_date(d2, b->period_end);
        fputs("<section class='subscription'><h2>", f);
        esc(f, b->name);
        fputs(" <small>(", f);
        esc(f, b->currency);
        fprintf(f, ", %s .. %s)</small></h2>\n", d1, d2);
        asof_notes(f, b, r->today);
        kpis(f, b);
        pacing(f, b, i);
        chart_cumulative(f, v, i);
        chart_daily(f, v, &col, i);
        chart_monthly(f, v, i);
        if ((rc = chart_environments(f, v, i)) != 0) return rc;
        usage_table(f, v, &col, i);
        fputs("</section>\n", f);
    }
    if (r->nbudgets) {
        movers(f, v, &col);
        allocations(f, v);
    }
    if (v->lic && v->lic->from >= 0 && (rc = license_section(f, v)) != 0) return rc;
    tables(f, v);
    fputs("<footer>", f);
    provenance(f, v);
    fputs("</footer></body></html>\n", f);
    return ferror(f) ? DTC_EIO : 0;
}

int report_html_write(const report_view *v, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path) + 32;
    char *tmp = dtc_malloc(n);
    int rc = DTC_ENOMEM, why = 0; /* why: errno of the create, write or rename that failed */
    const char *what = "writing failed", *hint = "check the disk and the directory";
    if (!tmp) goto done;
    snprintf(tmp, n, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        rc = DTC_EIO, why = errno, what = "cannot create it";
        hint = "check the directory exists and is writable";
        goto done;
    }
    errno = 0;
    rc = write_page(f, v);
    why = errno;
    if (fclose(f) != 0 && rc == 0) rc = DTC_EIO, why = errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = DTC_EIO, why = errno, what = "cannot move the page into place";
    if (rc) unlink(tmp);
done:
    if (rc == DTC_EIO)
        snprintf(err, errlen, "--html %s: %s: %s (%s)", path, what, strerror(why ? why : EIO),
                 hint);
    else if (rc)
        snprintf(err, errlen,
                 "--html %s: %s: %s (narrow the report with --until, --window or --top)", path,
                 what, rc == DTC_ENOMEM ? "out of memory" : dtc_strerror(rc));
    dtc_free(tmp);
    return rc;
}
