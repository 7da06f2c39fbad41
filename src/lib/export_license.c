/* export_license.c: classic (Managed) license units in the FOCUS export:
 * Full-Stack, Infrastructure and application-only host-unit hours, DEM units
 * and DDUs per cluster, environment and day, priced with the [license] price
 * list, as Usage rows after the DPS rows, so one FOCUS file covers both
 * licensing models (docs/focus.md, "Managed license units"). The units and
 * their money are licreport.c's, the figures `dtcost report` shows; this
 * file only says what each FOCUS column holds for them. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "export_impl.h"
#include "jw.h"
#include "timeutil.h"

/* The license units, in the order of a day's rows: where each figure sits
 * in a dtc_lic_day and its price in the config, its fixed decimals (milli,
 * centi, micro), and what the FOCUS row calls it. */
static const struct lic_unit {
    size_t qty_at, price_at;
    int places;
    const char *sku, *service, *unit, *dynatrace_unit, *what;
} lic_units[] = {
    {offsetof(dtc_lic_day, fullstack_mhu), offsetof(dtc_license_config, price_fullstack), 3,
     "CLASSIC_HOST_UNIT_HOURS_FULL_STACK", "Full-Stack Monitoring (classic host units)",
     "HostUnit-Hours", "host-unit hour", "Full-Stack host-unit hours"},
    {offsetof(dtc_lic_day, infra_mhu), offsetof(dtc_license_config, price_infra), 3,
     "CLASSIC_HOST_UNIT_HOURS_INFRASTRUCTURE", "Infrastructure Monitoring (classic host units)",
     "HostUnit-Hours", "host-unit hour", "Infrastructure host-unit hours"},
    {offsetof(dtc_lic_day, paas_mhu), offsetof(dtc_license_config, price_paas), 3,
     "CLASSIC_HOST_UNIT_HOURS_APPLICATION_ONLY", "Application-only Monitoring (classic host units)",
     "HostUnit-Hours", "host-unit hour", "application-only host-unit hours"},
    {offsetof(dtc_lic_day, dem_centi), offsetof(dtc_license_config, price_dem), 2,
     "CLASSIC_DEM_UNITS", "Digital Experience Monitoring (classic DEM units)", "DEMUnits",
     "DEM unit", "DEM units"},
    {offsetof(dtc_lic_day, ddu_micro), offsetof(dtc_license_config, price_ddu), 6, "CLASSIC_DDUS",
     "Davis Data Units (classic)", "DDUs", "DDU", "Davis data units"},
};
#define NUNITS (sizeof(lic_units) / sizeof(lic_units[0]))

static int64_t *field_at(const void *base, size_t at)
{
    return (int64_t *)(void *)((char *)base + at);
}

/* The FOCUS columns a license row fills; every other column is null. */
typedef enum lcol {
    L_BilledCost,
    L_BillingAccountId,
    L_BillingAccountName,
    L_BillingCurrency,
    L_BillingPeriodStart,
    L_BillingPeriodEnd,
    L_ChargeCategory,
    L_ChargeDescription,
    L_ChargeFrequency,
    L_ChargePeriodStart,
    L_ChargePeriodEnd,
    L_ConsumedQuantity,
    L_ConsumedUnit,
    L_ContractedCost,
    L_ContractedUnitPrice,
    L_EffectiveCost,
    L_HostProviderName,
    L_InvoiceIssuerName,
    L_ListCost,
    L_ListUnitPrice,
    L_PricingCategory,
    L_PricingQuantity,
    L_PricingUnit,
    L_ProviderName,
    L_PublisherName,
    L_ServiceCategory,
    L_ServiceName,
    L_ServiceProviderName,
    L_ServiceSubcategory,
    L_SkuId,
    L_SkuPriceId,
    L_SubAccountId,
    L_SubAccountName,
    L_SubAccountType,
    L_x_ChargeKind,
    L_x_ClusterId,
    L_x_DynatraceUnit,
    L_x_LastModifiedTime,
    NLCOLS
} lcol;

static const char *const lcol_names[NLCOLS] = {
    [L_BilledCost] = "BilledCost",
    [L_BillingAccountId] = "BillingAccountId",
    [L_BillingAccountName] = "BillingAccountName",
    [L_BillingCurrency] = "BillingCurrency",
    [L_BillingPeriodStart] = "BillingPeriodStart",
    [L_BillingPeriodEnd] = "BillingPeriodEnd",
    [L_ChargeCategory] = "ChargeCategory",
    [L_ChargeDescription] = "ChargeDescription",
    [L_ChargeFrequency] = "ChargeFrequency",
    [L_ChargePeriodStart] = "ChargePeriodStart",
    [L_ChargePeriodEnd] = "ChargePeriodEnd",
    [L_ConsumedQuantity] = "ConsumedQuantity",
    [L_ConsumedUnit] = "ConsumedUnit",
    [L_ContractedCost] = "ContractedCost",
    [L_ContractedUnitPrice] = "ContractedUnitPrice",
    [L_EffectiveCost] = "EffectiveCost",
    [L_HostProviderName] = "HostProviderName",
    [L_InvoiceIssuerName] = "InvoiceIssuerName",
    [L_ListCost] = "ListCost",
    [L_ListUnitPrice] = "ListUnitPrice",
    [L_PricingCategory] = "PricingCategory",
    [L_PricingQuantity] = "PricingQuantity",
    [L_PricingUnit] = "PricingUnit",
    [L_ProviderName] = "ProviderName",
    [L_PublisherName] = "PublisherName",
    [L_ServiceCategory] = "ServiceCategory",
    [L_ServiceName] = "ServiceName",
    [L_ServiceProviderName] = "ServiceProviderName",
    [L_ServiceSubcategory] = "ServiceSubcategory",
    [L_SkuId] = "SkuId",
    [L_SkuPriceId] = "SkuPriceId",
    [L_SubAccountId] = "SubAccountId",
    [L_SubAccountName] = "SubAccountName",
    [L_SubAccountType] = "SubAccountType",
    [L_x_ChargeKind] = "x_ChargeKind",
    [L_x_ClusterId] = "x_ClusterId",
    [L_x_DynatraceUnit] = "x_DynatraceUnit",
    [L_x_LastModifiedTime] = "x_LastModifiedTime",
};

/* FOCUS wants an ISO 4217 code (CurrencyFormat); the [license] currency is
 * free text up to 7 characters. */
static bool iso_currency(const char *c)
{
    return strlen(c) == 3 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' &&
           c[2] >= 'A' && c[2] <= 'Z';
}

/* When the license data last changed: the newest import. */
static int on_imported(void *ud, const dtc_row *row)
{
    char *out = ud;
    const char *at;
    int64_t t;
    int rc = dtc_row_text_or(row, &at, 0, NULL); /* MAX() of no rows */
    if (rc == 0 && at && dtc_parse_datetime(at, &t) == 0) dtc_fmt_datetime(out, t);
    return rc;
}

/* dst = the strings up to NULL, concatenated and cut at n - 1 bytes. */
static void join(char *dst, size_t n, const char *const *parts)
{
    size_t len = 0;
    for (; *parts; parts++) {
        size_t k = strlen(*parts);
        if (k > n - 1 - len) k = n - 1 - len;
        memcpy(dst + len, *parts, k);
        len += k;
    }
    dst[len] = '\0';
}

int dtc_export__license_rows(dtc_store *db, const dtc_export_opts *o, const dtc_export__sink *sink,
                             dtc_export_stats *st)
{
    const dtc_license_config *c = o->license;
    if (!c || !dtc_license_config_priced(c)) return 0;
    int idx[NLCOLS];
    for (int i = 0; i < NLCOLS; i++)
        if ((idx[i] = sink->column(lcol_names[i])) < 0) {
            snprintf(st->err, sizeof(st->err), "license rows: FOCUS column %s is not in the table",
                     lcol_names[i]);
            return DTC_ENOTFOUND;
        }
    /* The export's days (open ends: every day an import can hold), as the
     * report's window: its last day and how many days back. */
    int64_t until = o->to >= 0 ? o->to : dtc_days_from_civil(9999, 12, 30);
    int64_t from = o->from >= 0 ? o->from : 0;
    dtc_lic_summary sum = {0};
    const char **v = NULL;
    char modified[24] = "";
    int rc = 0;
    if (from <= until) rc = dtc_lic_summarize(db, &sum, c, until, (int)(until - from + 1));
    if (rc || sum.ndays == 0) goto done;
    if (!iso_currency(c->currency)) {
        snprintf(st->warning, sizeof(st->warning),
                 "license units left out of the FOCUS file: [license] currency %s%s%s is not a "
                 "three-letter ISO 4217 code (set currency = the price list's, e.g. EUR)",
                 c->currency[0] ? "'" : "", c->currency[0] ? c->currency : "(not set)",
                 c->currency[0] ? "'" : "");
        goto done;
    }
    if (sum.unpriced[0])
        snprintf(st->warning, sizeof(st->warning),
                 "license units without a price left out of the FOCUS file: %s (add the price to "
                 "[license] to include them)",
                 sum.unpriced);
    if ((rc = dtc_store_query(db, "SELECT MAX(imported_at) FROM lic_file", NULL, 0, on_imported,
                              modified)))
        goto done;
    if (!(v = dtc_calloc(sink->ncolumns, sizeof(*v)))) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        rc = DTC_ENOMEM;
        goto done;
    }
    const char *issuer = o->invoice_issuer ? o->invoice_issuer : "Dynatrace";
    for (size_t i = 0; i < sum.ndays && rc == 0; i++) {
        const dtc_lic_day *d = &sum.days[i];
        char day[11], cps[24], cpe[24], bps[24], bpe[24], account[96], subname[128];
        int y, m, dd;
        dtc_fmt_date(day, d->day);
        dtc_fmt_datetime(cps, d->day * 86400);
        dtc_fmt_datetime(cpe, (d->day + 1) * 86400);
        dtc_civil_from_days(d->day, &y, &m, &dd);
        dtc_fmt_datetime(bps, dtc_days_from_civil(y, m, 1) * 86400);
        dtc_fmt_datetime(bpe, dtc_days_add_months(dtc_days_from_civil(y, m, 1), 1) * 86400);
        join(account, sizeof(account),
             (const char *[]){"Dynatrace Managed cluster ", d->cluster, NULL});
        join(subname, sizeof(subname),
             (const char *[]){"Environment ", d->environment, " (no name in the license export)",
                              NULL});
        for (size_t u = 0; u < NUNITS && rc == 0; u++) {
            const struct lic_unit *lu = &lic_units[u];
            int64_t qty = *field_at(d, lu->qty_at), price = *field_at(c, lu->price_at);
            if (qty <= 0 || price < 0) continue; /* nothing used, or named in the warning */
            dtc_lic_day one = {.day = d->day};
            *field_at(&one, lu->qty_at) = qty;
            int64_t money = dtc_lic_money(c, &one); /* the report's rounding, unit by unit */
            char q[32], p[32], cost[32], skuprice[96], desc[512];
            dtc_fixed_format(q, qty, lu->places, true);
            dtc_fixed_format(p, price, 6, false);
            dtc_fixed_format(cost, money, 6, false);
            join(skuprice, sizeof(skuprice), (const char *[]){lu->sku, "/", c->currency, NULL});
            join(desc, sizeof(desc),
                 (const char *[]){lu->what, " in environment ", d->environment,
                                  " of Managed cluster ", d->cluster, " on ", day,
                                  ": classic licensing, priced with the [license] price list.",
                                  NULL});
            memset(v, 0, sink->ncolumns * sizeof(*v));
            v[idx[L_BilledCost]] = v[idx[L_EffectiveCost]] = cost;
            v[idx[L_ListCost]] = v[idx[L_ContractedCost]] = cost;
            v[idx[L_ListUnitPrice]] = v[idx[L_ContractedUnitPrice]] = p;
            v[idx[L_PricingQuantity]] = v[idx[L_ConsumedQuantity]] = q;
            v[idx[L_PricingUnit]] = v[idx[L_ConsumedUnit]] = lu->unit;
            v[idx[L_BillingAccountId]] = d->cluster;
            v[idx[L_BillingAccountName]] = account;
            v[idx[L_BillingCurrency]] = c->currency;
            v[idx[L_BillingPeriodStart]] = bps;
            v[idx[L_BillingPeriodEnd]] = bpe;
            v[idx[L_ChargePeriodStart]] = cps;
            v[idx[L_ChargePeriodEnd]] = cpe;
            v[idx[L_ChargeCategory]] = "Usage";
            v[idx[L_ChargeFrequency]] = "Usage-Based";
            v[idx[L_ChargeDescription]] = desc;
            v[idx[L_PricingCategory]] = "Standard";
            v[idx[L_InvoiceIssuerName]] = issuer;
            v[idx[L_ProviderName]] = v[idx[L_PublisherName]] = "Dynatrace";
            v[idx[L_ServiceProviderName]] = "Dynatrace";
            v[idx[L_HostProviderName]] = "Not Applicable"; /* a software license */
            v[idx[L_ServiceCategory]] = "Management and Governance";
            v[idx[L_ServiceSubcategory]] = "Observability";
            v[idx[L_ServiceName]] = lu->service;
            v[idx[L_SkuId]] = lu->sku;
            v[idx[L_SkuPriceId]] = skuprice;
            v[idx[L_SubAccountId]] = d->environment;
            v[idx[L_SubAccountName]] = subname;
            v[idx[L_SubAccountType]] = "Environment";
            v[idx[L_x_ChargeKind]] = "license";
            v[idx[L_x_ClusterId]] = d->cluster;
            v[idx[L_x_DynatraceUnit]] = lu->dynatrace_unit;
            v[idx[L_x_LastModifiedTime]] = modified[0] ? modified : NULL;
            if ((rc = sink->row(sink->ctx, v, money, money)) == 0) st->license_rows++;
        }
    }
done:
    dtc_free(v);
    dtc_lic_summary_dispose(&sum);
    return rc;
}
