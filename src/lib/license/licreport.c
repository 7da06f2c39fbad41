/* licreport.c: license data read back for `dtcost report`: host-unit hours,
 * DEM units and DDUs per cluster, environment and day over a window, and
 * their money at the [license] price list. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "dtcost/license.h"
#include "timeutil.h"

/* qty x price / div, rounded half up; quantities and prices are not negative. */
static int64_t scaled(int64_t qty, int64_t price, int64_t div)
{
    if (qty <= 0 || price <= 0) return 0;
    __int128 p = ((__int128)qty * price + div / 2) / div;
    return p > INT64_MAX ? INT64_MAX : (int64_t)p;
}

int64_t dtc_lic_money(const dtc_license_config *c, const dtc_lic_day *d)
{
    return scaled(d->fullstack_mhu, c->price_fullstack, 1000) +
           scaled(d->infra_mhu, c->price_infra, 1000) + scaled(d->paas_mhu, c->price_paas, 1000) +
           scaled(d->dem_centi, c->price_dem, 100) + scaled(d->ddu_micro, c->price_ddu, 1000000);
}

static int on_last(void *ud, const dtc_row *row)
{
    int64_t *day = ud, t;
    const char *hour;
    int rc = dtc_row_text_or(row, &hour, 0, NULL); /* MAX() of no rows */
    if (rc == 0 && hour && dtc_parse_datetime(hour, &t) == 0) *day = t / 86400;
    return rc;
}

typedef struct ctx {
    dtc_lic_summary *x;
    const dtc_license_config *c;
    size_t cap;
} ctx;

static int on_day(void *ud, const dtc_row *row)
{
    ctx *k = ud;
    dtc_lic_summary *x = k->x;
    const char *cluster, *env, *day;
    int64_t v[5];
    int rc;
    if ((rc = dtc_row_text(row, &cluster, 0)) || (rc = dtc_row_text(row, &env, 1)) ||
        (rc = dtc_row_text(row, &day, 2)))
        return rc;
    for (int i = 0; i < 5; i++)
        if ((rc = dtc_row_int(row, &v[i], 3 + i)) != 0) return rc;
    dtc_lic_day *g = dtc_grow(x->days, &k->cap, x->ndays, sizeof(*g));
    if (!g) return DTC_ENOMEM;
    x->days = g;
    dtc_lic_day *d = &x->days[x->ndays++];
    memset(d, 0, sizeof(*d));
    snprintf(d->cluster, sizeof(d->cluster), "%s", cluster);
    snprintf(d->environment, sizeof(d->environment), "%s", env);
    if (dtc_parse_date(day, &d->day) != 0) d->day = -1;
    d->fullstack_mhu = v[0];
    d->infra_mhu = v[1];
    d->paas_mhu = v[2];
    d->dem_centi = v[3];
    d->ddu_micro = v[4];
    d->money = dtc_lic_money(k->c, d);
    return 0;
}

void dtc_lic_day_add(dtc_lic_day *to, const dtc_lic_day *d)
{
    to->fullstack_mhu += d->fullstack_mhu;
    to->infra_mhu += d->infra_mhu;
    to->paas_mhu += d->paas_mhu;
    to->dem_centi += d->dem_centi;
    to->ddu_micro += d->ddu_micro;
    to->money += d->money;
}

int dtc_lic_summarize(dtc_store *s, dtc_lic_summary *out, const dtc_license_config *c,
                      int64_t until, int window)
{
    memset(out, 0, sizeof(*out));
    out->from = out->to = out->total.day = -1;
    out->priced = dtc_license_config_priced(c);
    int64_t last = -1;
    int rc = dtc_store_query(s, "SELECT MAX(hour) FROM lic_env_hour", NULL, 0, on_last, &last);
    if (rc || last < 0) return rc;
    out->to = until >= 0 ? until : last;
    out->from = out->to - (window > 0 ? window : 30) + 1;
    char a[24], b[24];
    dtc_fmt_datetime(a, out->from * 86400);
    dtc_fmt_datetime(b, (out->to + 1) * 86400);
    /* Hours are 'YYYY-MM-DDTHH:00:00Z': text order is time order. */
    dtc_val p[] = {DTC_TEXT(a), DTC_TEXT(b)};
    ctx k = {out, c, 0};
    rc = dtc_store_query(
        s,
        "SELECT e.cluster_uuid, e.environment_uuid, substr(e.hour, 1, 10), SUM(e.fullstack_mhu),"
        " SUM(e.infra_mhu), SUM(e.paas_mhu), SUM(e.dem_centi),"
        " SUM((SELECT COALESCE(SUM(d.ddu_micro), 0) FROM lic_ddu_hour d"
        "      WHERE d.cluster_uuid = e.cluster_uuid AND d.environment_uuid = e.environment_uuid"
        "        AND d.hour = e.hour))"
        " FROM lic_env_hour e WHERE e.hour >= ? AND e.hour < ?"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        p, 2, on_day, &k);
    if (rc) return rc;
    size_t envcap = 0;
    for (size_t i = 0; i < out->ndays; i++) {
        const dtc_lic_day *d = &out->days[i];
        dtc_lic_day *e = out->nenvs ? &out->envs[out->nenvs - 1] : NULL;
        if (!e || strcmp(e->cluster, d->cluster) || strcmp(e->environment, d->environment)) {
            dtc_lic_day *g = dtc_grow(out->envs, &envcap, out->nenvs, sizeof(*g));
            if (!g) return DTC_ENOMEM;
            out->envs = g;
            e = &out->envs[out->nenvs++];
            memset(e, 0, sizeof(*e));
            memcpy(e->cluster, d->cluster, sizeof(e->cluster));
            memcpy(e->environment, d->environment, sizeof(e->environment));
            e->day = -1;
        }
        dtc_lic_day_add(e, d);
        dtc_lic_day_add(&out->total, d);
    }
    if (out->priced) {
        const struct {
            int64_t qty, price;
            const char *key;
        } u[] = {{out->total.fullstack_mhu, c->price_fullstack, "price_fullstack_hu_hour"},
                 {out->total.infra_mhu, c->price_infra, "price_infrastructure_hu_hour"},
                 {out->total.paas_mhu, c->price_paas, "price_application_only_hu_hour"},
                 {out->total.dem_centi, c->price_dem, "price_dem_unit"},
                 {out->total.ddu_micro, c->price_ddu, "price_ddu"}};
        size_t len = 0;
        for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
            if (u[i].qty > 0 && u[i].price < 0 &&
                len + strlen(u[i].key) + 2 < sizeof(out->unpriced))
                len += (size_t)snprintf(out->unpriced + len, sizeof(out->unpriced) - len, "%s%s",
                                        len ? " " : "", u[i].key);
    }
    return 0;
}

void dtc_lic_summary_dispose(dtc_lic_summary *x)
{
    dtc_free(x->days);
    dtc_free(x->envs);
    memset(x, 0, sizeof(*x));
}
