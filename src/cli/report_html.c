/* report_html.c: `dtcost report --html FILE`: one self-contained page (inline
 * CSS and SVG, no scripts, fonts or links to fetch) with, per active
 * subscription, the daily cost stacked by capability with anomalies marked,
 * the cumulative spend against the budget with our projection band, and the
 * cost by environment; then chargeback and the anomaly list. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "money.h"
#include "report_out.h"
#include "timeutil.h"

#define NSTACK 8 /* capabilities drawn by name; the rest is "Other" */

static const char *palette[NSTACK + 1] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b",
                                          "#e377c2", "#17becf", "#bcbd22", "#b0b0b0"};

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static double units(int64_t micro) { return (double)micro / 1e6; }

/* A round step for an axis up to max: 1, 2 or 5 times a power of ten. */
static double nice_step(double max, int ticks)
{
    if (max <= 0)
        return 1;
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
        if (strcmp(r->by_capability[i].key, key) == 0)
            return r->by_capability[i].name;
    return key;
}

static void y_axis(FILE *f, double x0, double x1, double y0, double h, double top, const char *cur)
{
    double step = nice_step(top, 4);
    for (double v = 0; v <= top + step / 1e9; v += step) {
        double y = y0 + h - v / top * h;
        char m[32];
        fmt_money(m, (int64_t)llround(v * 1e6));
        char *dot = strrchr(m, '.');
        if (dot && strcmp(dot, ".00") == 0)
            *dot = '\0';
        fprintf(f, "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' class='grid'/>", x0, y, x1, y);
        fprintf(f, "<text x='%.1f' y='%.1f' class='ax' text-anchor='end'>%s</text>", x0 - 4, y + 4, m);
    }
    fprintf(f, "<text x='%.1f' y='%.1f' class='ax'>", x0 - 4, y0 - 8);
    esc(f, cur);
    fputs("</text>", f);
}

static int cap_index(char (*keys)[64], int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i], key) == 0)
            return i;
    return -1;
}

/* Daily cost stacked by capability over the chart days, anomalies marked. */
static void chart_daily(FILE *f, const report_view *v, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    enum { W = 900, H = 300, L = 80, R = 200, T = 24, B = 36, DAYS = DTC_REPORT_CHART_DAYS };
    int64_t first = r->today - DAYS + 1;
    /* The biggest capabilities over the chart days get colours. */
    char keys[64][64];
    int64_t tot[64];
    int nk = 0;
    for (size_t i = 0; i < r->ncapdays; i++) {
        const dtc_capday *d = &r->capdays[i];
        if (d->budget != bi)
            continue;
        int k = cap_index(keys, nk, d->capability);
        if (k < 0 && nk < 64) {
            k = nk++;
            snprintf(keys[k], sizeof(keys[k]), "%s", d->capability);
            tot[k] = 0;
        }
        if (k >= 0)
            tot[k] += d->cost;
    }
    for (int i = 1; i < nk; i++) /* by total, largest first */
        for (int j = i; j > 0 && tot[j] > tot[j - 1]; j--) {
            int64_t t = tot[j];
            tot[j] = tot[j - 1];
            tot[j - 1] = t;
            char k[64];
            memcpy(k, keys[j], sizeof(k));
            memcpy(keys[j], keys[j - 1], sizeof(k));
            memcpy(keys[j - 1], k, sizeof(k));
        }
    static int64_t stack[DAYS][NSTACK + 1];
    memset(stack, 0, sizeof(stack));
    for (size_t i = 0; i < r->ncapdays; i++) {
        const dtc_capday *d = &r->capdays[i];
        if (d->budget != bi || d->day < first || d->day > r->today)
            continue;
        int k = cap_index(keys, nk, d->capability);
        stack[d->day - first][k >= 0 && k < NSTACK ? k : NSTACK] += d->cost > 0 ? d->cost : 0;
    }
    double max = 0;
    for (int d = 0; d < DAYS; d++) {
        double s = 0;
        for (int k = 0; k <= NSTACK; k++)
            s += units(stack[d][k]);
        if (s > max)
            max = s;
    }
    double top = axis_top(max * 1.05);
    double pw = W - L - R, ph = H - T - B, bw = pw / DAYS;
    fprintf(f, "<figure><figcaption>Daily cost by capability, last %d days</figcaption>"
               "<svg class='chart' id='daily-%zu' viewBox='0 0 %d %d' role='img' aria-label='daily cost by capability'>",
            DAYS, bi, W, H);
    y_axis(f, L, L + pw, T, ph, top, b->currency);
    for (int d = 0; d < DAYS; d++) {
        double y = T + ph;
        for (int k = 0; k <= NSTACK; k++) {
            if (stack[d][k] <= 0)
                continue;
            double hh = units(stack[d][k]) / top * ph;
            y -= hh;
            fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>", L + d * bw + 0.5, y,
                    bw > 2 ? bw - 1 : bw, hh, palette[k]);
        }
        if ((first + d) % 14 == 0) {
            char day[16];
            dtc_fmt_date(day, first + d);
            fprintf(f, "<text x='%.1f' y='%d' class='ax' text-anchor='middle'>%s</text>", L + d * bw + bw / 2,
                    H - B + 16, day + 5);
        }
    }
    /* Anomalies: a red marker above the day's bar, the jump in the tooltip. */
    for (size_t i = 0; i < r->nanomalies; i++) {
        const dtc_anomaly *a = &r->anomalies[i];
        int64_t day;
        if (strcmp(a->subscription, b->subscription) != 0 || dtc_parse_date(a->day, &day) != 0 || day < first ||
            day > r->today)
            continue;
        double s = 0;
        for (int k = 0; k <= NSTACK; k++)
            s += units(stack[day - first][k]);
        char jump[32];
        fmt_money(jump, a->cost - a->expected);
        fprintf(f, "<circle class='anomaly' cx='%.1f' cy='%.1f' r='5'><title>%s ", L + (day - first) * bw + bw / 2,
                T + ph - s / top * ph - 8, a->day);
        esc(f, a->environment);
        fputc(' ', f);
        esc(f, a->capability);
        fprintf(f, ": +%s ", jump);
        esc(f, a->currency);
        fputs("</title></circle>", f);
    }
    int shown = nk < NSTACK ? nk : NSTACK;
    for (int k = 0; k <= shown; k++) {
        if (k == shown && nk <= NSTACK)
            break;
        double y = T + 4 + k * 18;
        fprintf(f, "<rect x='%d' y='%.1f' width='12' height='12' fill='%s'/>", W - R + 12, y,
                palette[k < shown ? k : NSTACK]);
        fprintf(f, "<text x='%d' y='%.1f' class='lg'>", W - R + 30, y + 10);
        char label[28];
        const char *name = k < shown ? cap_name(r, keys[k]) : "Other";
        size_t len = strlen(name) < sizeof(label) - 1 ? strlen(name) : sizeof(label) - 1;
        memcpy(label, name, len);
        label[len] = '\0';
        if (strlen(name) >= sizeof(label)) /* cut at a character boundary, marked */
            for (size_t e = sizeof(label) - 4; e > 0; e--)
                if ((label[e] & 0xc0) != 0x80) {
                    memcpy(label + e, "...", 4);
                    break;
                }
        fputs("<title>", f);
        esc(f, name);
        fputs("</title>", f);
        esc(f, label);
        fputs("</text>", f);
    }
    fputs("</svg></figure>\n", f);
}

/* Cumulative spend over the period against the commitment, with our
 * projection and its band to the period's end. */
static void chart_cumulative(FILE *f, const report_view *v, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    enum { W = 900, H = 300, L = 80, R = 170, T = 24, B = 36 };
    int64_t start = b->period_start, end = b->period_end, last = b->last_day < r->today ? b->last_day : r->today;
    if (end <= start || last < start)
        return;
    double span = (double)(end - start + 1), pw = W - L - R, ph = H - T - B;
    /* Actual cumulative cost, from the daily rows. */
    double cum = 0, max = units(b->total);
    int64_t left = end - last;
    double se = units(b->burn_se), burn = units(b->burn30);
    double hi_end = 0;
    for (int64_t d = start; d <= last; d++)
        if (d >= b->daily_first && b->daily[d - b->daily_first] > 0)
            cum += units(b->daily[d - b->daily_first]);
    hi_end = cum + (burn + 2 * se) * (double)(left > 0 ? left : 0);
    if (hi_end > max)
        max = hi_end;
    if (cum > max)
        max = cum;
    double top = axis_top(max * 1.05);
#define X(day) (L + ((double)((day) - start) + 0.5) / span * pw)
#define Y(val) (T + ph - (val) / top * ph)
    fprintf(f, "<figure><figcaption>Cumulative spend against the commitment, with the projection at the 30-day "
               "burn (band: &#177;2 standard errors)</figcaption><svg class='chart' id='cumulative-%zu' "
               "viewBox='0 0 %d %d' role='img' aria-label='cumulative spend against budget'>",
            bi, W, H);
    y_axis(f, L, L + pw, T, ph, top, b->currency);
    if (left > 0) {
        double lo_end = cum + fmax(0, burn - 2 * se) * (double)left;
        fprintf(f, "<polygon class='band' points='%.1f,%.1f %.1f,%.1f %.1f,%.1f'/>", X(last), Y(cum), X(end),
                Y(hi_end), X(end), Y(lo_end));
        fprintf(f, "<line class='proj' x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f'/>", X(last), Y(cum), X(end),
                Y(cum + burn * (double)left));
    }
    fputs("<polyline class='actual' points='", f);
    double c = 0;
    for (int64_t d = start; d <= last; d++) {
        if (d >= b->daily_first && b->daily[d - b->daily_first] > 0)
            c += units(b->daily[d - b->daily_first]);
        fprintf(f, "%.1f,%.1f ", X(d), Y(c));
    }
    fputs("'/>", f);
    char m[32];
    fmt_money(m, b->total);
    fprintf(f, "<line class='budget' x1='%d' y1='%.1f' x2='%.1f' y2='%.1f'/>", L, Y(units(b->total)), L + pw,
            Y(units(b->total)));
    fprintf(f, "<text class='lg' x='%.1f' y='%.1f'>commitment %s</text>", L + pw + 6, Y(units(b->total)) + 4, m);
    char d1[16], d2[16];
    dtc_fmt_date(d1, start);
    dtc_fmt_date(d2, end);
    fprintf(f, "<text x='%d' y='%d' class='ax'>%s</text><text x='%.1f' y='%d' class='ax' text-anchor='end'>%s</text>",
            L, H - B + 16, d1, L + pw, H - B + 16, d2);
    fputs("</svg></figure>\n", f);
#undef X
#undef Y
}

/* Cost by environment over the spend window, for the subscription's currency. */
static int chart_environments(FILE *f, const report_view *v, size_t bi)
{
    const dtc_report *r = v->r;
    const dtc_budget *b = &r->budgets[bi];
    const dtc_spend **rows = NULL;
    size_t n = 0;
    int rc = dtc_report_top(&rows, &n, r->by_environment, r->nenv, b->currency, 15);
    if (rc || n == 0)
        goto done;
    enum { W = 900, L = 220, R = 120, T = 10, ROW = 22 };
    int H = T + (int)n * ROW + 10;
    double max = units(rows[0]->current), pw = W - L - R;
    fprintf(f, "<figure><figcaption>Cost by environment, last %d days (", r->window);
    esc(f, b->currency);
    fprintf(f, ")</figcaption><svg class='chart' id='environments-%zu' viewBox='0 0 %d %d' role='img' "
               "aria-label='cost by environment'>", bi, W, H);
    for (size_t i = 0; i < n; i++) {
        double y = T + (double)i * ROW, w = max > 0 ? units(rows[i]->current) / max * pw : 0;
        char m[32];
        fmt_money(m, rows[i]->current);
        fprintf(f, "<text x='%d' y='%.1f' class='lg' text-anchor='end'>", L - 6, y + 14);
        esc(f, rows[i]->name);
        fprintf(f, "</text><rect x='%d' y='%.1f' width='%.1f' height='%d' fill='%s'/>", L, y + 3, w, ROW - 6,
                palette[0]);
        fprintf(f, "<text x='%.1f' y='%.1f' class='ax'>%s</text>", L + w + 6, y + 14, m);
    }
    fputs("</svg></figure>\n", f);
done:
    dtc_free(rows);
    return rc;
}

static void kpis(FILE *f, const dtc_budget *b)
{
    char a[32], d[24];
    fputs("<div class='kpis'>", f);
    const struct {
        const char *label;
        int64_t v;
    } money[] = {{"commitment", b->total}, {"used", b->used}, {"remaining", b->total - b->used},
                 {"burn / day (7 days)", b->burn7}, {"burn / day (30 days)", b->burn30},
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
    fprintf(f, "<div class='kpi'><div class='k'>budget runs out</div><div class='v'>%s</div></div>", d);
    if (b->forecast_median >= 0) {
        fmt_money(a, b->forecast_median);
        fprintf(f, "<div class='kpi'><div class='k'>Dynatrace forecast</div><div class='v'>%s ", a);
        esc(f, b->currency);
        fputs("</div></div>", f);
    }
    fputs("</div>\n", f);
}

static void tables(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    char a[32], b[32], c[32];
    if (v->charges) {
        char d1[16], d2[16];
        dtc_fmt_date(d1, v->cb_from);
        dtc_fmt_date(d2, v->cb_to);
        fprintf(f, "<h2>Chargeback %s .. %s</h2><table id='chargeback'><tr><th>team</th><th>currency</th>"
                   "<th>direct</th><th>shared</th><th>total</th></tr>", d1, d2);
        for (size_t i = 0; i < v->ncharges; i++) {
            const dtc_charge *ch = &v->charges[i];
            fmt_money(a, ch->direct);
            fmt_money(b, ch->shared);
            fmt_money(c, ch->total);
            fputs("<tr><td>", f);
            esc(f, ch->team);
            fputs("</td><td>", f);
            esc(f, ch->currency);
            fprintf(f, "</td><td class='n'>%s</td><td class='n'>%s</td><td class='n'>%s</td></tr>", a, b, c);
        }
        fputs("</table>\n", f);
    }
    if (r->nbudgets == 0) /* license data only: no cost to score */
        return;
    fprintf(f, "<h2>Anomalies</h2><p>%zu day%s above the same weekday of the six weeks before.</p>", r->nanomalies,
            r->nanomalies == 1 ? "" : "s");
    if (r->nanomalies) {
        fputs("<table id='anomalies'><tr><th>day</th><th>environment</th><th>capability</th><th>cost</th>"
              "<th>expected</th><th>jump</th></tr>", f);
        for (size_t i = 0; i < r->nanomalies; i++) {
            const dtc_anomaly *x = &r->anomalies[i];
            fmt_money(a, x->cost);
            fmt_money(b, x->expected);
            fmt_money(c, x->cost - x->expected);
            fprintf(f, "<tr><td>%s</td><td>", x->day);
            esc(f, x->environment);
            fputs("</td><td>", f);
            esc(f, x->capability);
            fprintf(f, "</td><td class='n'>%s</td><td class='n'>%s</td><td class='n up'>+%s ", a, b, c);
            esc(f, x->currency);
            fputs("</td></tr>", f);
        }
        fputs("</table>\n", f);
    }
}

/* License (classic Managed): daily host-unit hours stacked by mode over the
 * window, then units and money per environment. */
static int license_section(FILE *f, const report_view *v)
{
    const dtc_lic_summary *x = v->lic;
    char d1[16], d2[16];
    dtc_fmt_date(d1, x->from);
    dtc_fmt_date(d2, x->to);
    fprintf(f, "<section id='license'><h2>License (classic Managed) <small>%s .. %s</small></h2>\n", d1, d2);
    int64_t days = x->to - x->from + 1;
    int64_t (*stack)[3] = days > 0 && days <= 366 ? dtc_calloc((size_t)days, sizeof(*stack)) : NULL;
    if (stack && x->ndays) {
        for (size_t i = 0; i < x->ndays; i++) {
            const dtc_lic_day *d = &x->days[i];
            if (d->day < x->from || d->day > x->to)
                continue;
            stack[d->day - x->from][0] += d->fullstack_mhu;
            stack[d->day - x->from][1] += d->infra_mhu;
            stack[d->day - x->from][2] += d->paas_mhu;
        }
        enum { W = 900, H = 260, L = 80, R = 200, T = 24, B = 36 };
        static const char *const mode[3] = {"Full-Stack", "Infrastructure", "Application-only"};
        double max = 0;
        for (int64_t d = 0; d < days; d++) {
            double s = (double)(stack[d][0] + stack[d][1] + stack[d][2]) / 1000;
            max = s > max ? s : max;
        }
        double top = axis_top(max * 1.05), pw = W - L - R, ph = H - T - B, bw = pw / (double)days;
        fprintf(f, "<figure><figcaption>Host-unit hours per day by mode</figcaption><svg class='chart' "
                   "id='license-hu' viewBox='0 0 %d %d' role='img' aria-label='host-unit hours per day'>", W, H);
        y_axis(f, L, L + pw, T, ph, top, "HU-h");
        for (int64_t d = 0; d < days; d++) {
            double y = T + ph;
            for (int k = 0; k < 3; k++) {
                if (stack[d][k] <= 0)
                    continue;
                double hh = (double)stack[d][k] / 1000 / top * ph;
                y -= hh;
                fprintf(f, "<rect x='%.1f' y='%.1f' width='%.1f' height='%.1f' fill='%s'/>", L + (double)d * bw + 0.5,
                        y, bw > 2 ? bw - 1 : bw, hh, palette[k]);
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
            fprintf(f, "<rect x='%d' y='%.1f' width='12' height='12' fill='%s'/><text x='%d' y='%.1f' class='lg'>%s"
                       "</text>", W - R + 12, y, palette[k], W - R + 30, y + 10, mode[k]);
        }
        fputs("</svg></figure>\n", f);
    }
    dtc_free(stack);
    if (x->ndays == 0) {
        fputs("<p>No license data in these days.</p></section>\n", f);
        return 0;
    }
    fprintf(f, "<table id='license-environments'><tr><th>environment</th><th>Full-Stack HU-h</th><th>Infra HU-h</th>"
               "<th>App-only HU-h</th><th>DEM units</th><th>DDU</th>%s</tr>", x->priced ? "<th>money</th>" : "");
    const dtc_lic_day **rows = NULL;
    if (dtc_report_lic_ranked(&rows, x) != 0)
        return -1;
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

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:960px;color:#222}"
    "h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}"
    ".kpis{display:flex;flex-wrap:wrap;gap:8px}.kpi{border:1px solid #ddd;border-radius:6px;padding:6px 10px;"
    "min-width:150px}.k{font-size:12px;color:#666}.v{font-size:16px;font-variant-numeric:tabular-nums}"
    "figure{margin:16px 0}figcaption{font-size:14px;color:#444;margin-bottom:4px}svg.chart{width:100%;height:auto}"
    ".grid{stroke:#e5e5e5}.ax{font-size:11px;fill:#666}.lg{font-size:12px;fill:#333}"
    ".actual{fill:none;stroke:#1f77b4;stroke-width:2}.budget{stroke:#d62728;stroke-dasharray:6 4}"
    ".proj{stroke:#1f77b4;stroke-dasharray:4 3}.band{fill:#1f77b4;opacity:.15}"
    ".anomaly{fill:#d62728;stroke:#fff}table{border-collapse:collapse;font-size:13px}"
    "td,th{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}.n{text-align:right;"
    "font-variant-numeric:tabular-nums}.up{color:#d62728}";

static int write_page(FILE *f, const report_view *v)
{
    const dtc_report *r = v->r;
    char today[16];
    dtc_fmt_date(today, r->nbudgets == 0 && v->lic && v->lic->to >= 0 ? v->lic->to : r->today);
    fprintf(f, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
               "<meta name='viewport' content='width=device-width,initial-scale=1'>"
               /* Nothing to fetch, nothing to run: the browser enforces it. */
               "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
               "<title>dtcost report %s</title><style>%s</style></head><body>\n"
               "<h1>dtcost report as of %s</h1>\n", today, css, today);
    for (size_t i = 0; i < r->nbudgets; i++) {
        const dtc_budget *b = &r->budgets[i];
        if (strcmp(b->status, "ACTIVE") != 0)
            continue;
        char d1[16], d2[16];
        dtc_fmt_date(d1, b->period_start);
        dtc_fmt_date(d2, b->period_end);
        fputs("<section class='subscription'><h2>", f);
        esc(f, b->name);
        fputs(" <small>(", f);
        esc(f, b->currency);
        fprintf(f, ", %s .. %s)</small></h2>\n", d1, d2);
        kpis(f, b);
        chart_daily(f, v, i);
        chart_cumulative(f, v, i);
        if (chart_environments(f, v, i) != 0)
            return -1;
        fputs("</section>\n", f);
    }
    if (v->lic && v->lic->from >= 0 && license_section(f, v) != 0)
        return -1;
    tables(f, v);
    fputs("<p class='ax'>Written by dtcost. Amounts in each subscription's currency.</p></body></html>\n", f);
    return ferror(f) ? -1 : 0;
}

int report_html_write(const report_view *v, const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path) + 32;
    char *tmp = dtc_malloc(n);
    if (!tmp) {
        snprintf(err, errlen, "--html %s: out of memory", path);
        return -1;
    }
    snprintf(tmp, n, "%s.tmp.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(err, errlen, "--html %s: cannot create it: %s (check the directory exists and is writable)", path,
                 strerror(errno));
        dtc_free(tmp);
        return -1;
    }
    int rc = write_page(f, v);
    if (fclose(f) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -1;
    if (rc) {
        snprintf(err, errlen, "--html %s: writing failed: %s", path, strerror(errno));
        unlink(tmp);
    }
    dtc_free(tmp);
    return rc;
}
