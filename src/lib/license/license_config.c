/* license_config.c: the [license] section (handed over by config.c's
 * loader): rule switches, where the cluster is, and the price list that
 * turns classic units into money. */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "config_impl.h"
#include "dtcost/license.h"

void dtc_license__config_init(void *target)
{
    dtc_license_config *c = target;
    memset(c, 0, sizeof(*c));
    dtc_license_rules_default(&c->rules);
    c->price_fullstack = c->price_infra = c->price_paas = c->price_dem = c->price_ddu = -1;
}

int dtc_license__config_item(void *target, const dtc_config_item *it)
{
    static const struct {
        const char *key;
        size_t at;
    } prices[] = {
        {"price_fullstack_hu_hour", offsetof(dtc_license_config, price_fullstack)},
        {"price_infrastructure_hu_hour", offsetof(dtc_license_config, price_infra)},
        {"price_application_only_hu_hour", offsetof(dtc_license_config, price_paas)},
        {"price_dem_unit", offsetof(dtc_license_config, price_dem)},
        {"price_ddu", offsetof(dtc_license_config, price_ddu)},
    };
    dtc_license_config *c = target;
    const char *key = it->key;
    long n;
    int rc;
    for (size_t i = 0; i < sizeof(prices) / sizeof(prices[0]); i++)
        if (!strcmp(key, prices[i].key))
            return dtc_config__micros(it, 1e9, (int64_t *)(void *)((char *)c + prices[i].at));
    if (!strcmp(key, "infrastructure_cap")) return dtc_config__bool(it, &c->rules.infra_cap);
    if (!strcmp(key, "visits_include_replays"))
        return dtc_config__bool(it, &c->rules.visits_include_replays);
    if (!strcmp(key, "min_active_minutes")) {
        if ((rc = dtc_config__int(it, 0, 60000, &n)) == 0)
            c->rules.min_active_ms = (int64_t)n * 60000;
        return rc;
    }
    if (!strcmp(key, "free_properties")) {
        if ((rc = dtc_config__int(it, 0, 60000, &n)) == 0) c->rules.free_properties = n;
        return rc;
    }
    if (!strcmp(key, "currency")) {
        size_t len = strlen(it->value);
        if (len == 0 || len >= sizeof(c->currency)) {
            snprintf(it->why, it->whylen, "takes a currency code such as USD (1 to %zu characters)",
                     sizeof(c->currency) - 1);
            return DTC_EINVAL;
        }
        memcpy(c->currency, it->value, len + 1);
        return 0;
    }
    if (!strcmp(key, "cluster_url")) return dtc_config__set(&c->cluster_url, it->value);
    if (!strcmp(key, "token_file")) return dtc_config__set(&c->token_file, it->value);
    return DTC_ENOTFOUND;
}

int dtc_license__config_finish(void *target, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    dtc_license_config *c = target;
    /* Application-only hosts are weighted as Full-Stack: without a price of
     * their own they cost what Full-Stack costs. */
    if (c->price_paas < 0) c->price_paas = c->price_fullstack;
    return 0;
}

bool dtc_license_config_priced(const dtc_license_config *c)
{
    return c->price_fullstack >= 0 || c->price_infra >= 0 || c->price_dem >= 0 || c->price_ddu >= 0;
}

void dtc_license_config_dispose(dtc_license_config *c)
{
    dtc_free(c->cluster_url);
    dtc_free(c->token_file);
    c->cluster_url = c->token_file = NULL;
}
