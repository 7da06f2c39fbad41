/* license_config.c: the [license] section: rule switches, where the cluster
 * is, and the price list that turns classic units into money. */
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "dtcost/license.h"

typedef struct ctx {
    dtc_license_config *c;
    const char *path;
    int rc;
} ctx;

static int boolean(const char *v, bool *out)
{
    if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") || !strcmp(v, "1"))
        return *out = true, 0;
    if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") || !strcmp(v, "0"))
        return *out = false, 0;
    return -1;
}

static int price(const char *v, int64_t *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d) || d < 0 || d > 1e9)
        return -1;
    *out = (int64_t)llround(d * 1e6);
    return 0;
}

static int set(char **dst, const char *v)
{
    dtc_free(*dst);
    return (*dst = dtc_strdup(v)) ? 0 : -1;
}

static int on_ini(void *ud, const char *section, const char *key, const char *v)
{
    ctx *x = ud;
    if (x->rc || strcmp(section, "license") != 0)
        return 1;
    dtc_license_config *c = x->c;
    long n;
    char *end;
    int bad = 0;
    if (!strcmp(key, "infrastructure_cap"))
        bad = boolean(v, &c->rules.infra_cap);
    else if (!strcmp(key, "visits_include_replays"))
        bad = boolean(v, &c->rules.visits_include_replays);
    else if (!strcmp(key, "min_active_minutes") || !strcmp(key, "free_properties")) {
        n = strtol(v, &end, 10);
        bad = *v == '\0' || *end || n < 0 || n > 60000;
        if (!bad && key[0] == 'm')
            c->rules.min_active_ms = n * 60000;
        else if (!bad)
            c->rules.free_properties = n;
    } else if (!strcmp(key, "currency"))
        bad = strlen(v) == 0 || strlen(v) >= sizeof(c->currency) ? -1 : (snprintf(c->currency, 8, "%s", v), 0);
    else if (!strcmp(key, "price_fullstack_hu_hour"))
        bad = price(v, &c->price_fullstack);
    else if (!strcmp(key, "price_infrastructure_hu_hour"))
        bad = price(v, &c->price_infra);
    else if (!strcmp(key, "price_application_only_hu_hour"))
        bad = price(v, &c->price_paas);
    else if (!strcmp(key, "price_dem_unit"))
        bad = price(v, &c->price_dem);
    else if (!strcmp(key, "price_ddu"))
        bad = price(v, &c->price_ddu);
    else if (!strcmp(key, "cluster_url"))
        bad = set(&c->cluster_url, v);
    else if (!strcmp(key, "token_file"))
        bad = set(&c->token_file, v);
    else {
        snprintf(c->err, sizeof(c->err), "config %s: unknown setting [license] %s (see docs/license.md)", x->path,
                 key);
        x->rc = DTC_EINVAL;
        return 0;
    }
    if (bad) {
        snprintf(c->err, sizeof(c->err), "config %s: [license] %s: '%s' is not a valid value (see docs/license.md)",
                 x->path, key, v);
        x->rc = DTC_EINVAL;
        return 0;
    }
    return 1;
}

int dtc_license_config_load(dtc_license_config *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    dtc_license_rules_default(&c->rules);
    c->price_fullstack = c->price_infra = c->price_paas = c->price_dem = c->price_ddu = -1;
    if (!path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(c->err, sizeof(c->err), "config %s: %s (check --config / DTCOST_CONFIG)", path, strerror(errno));
        return DTC_EINVAL;
    }
    ctx x = {c, path, 0};
    int line = ini_parse_file(f, on_ini, &x);
    fclose(f);
    if (!x.rc && line != 0) {
        snprintf(c->err, sizeof(c->err), "config %s: line %d is not valid INI", path, line);
        x.rc = DTC_EINVAL;
    }
    /* A price list without a fallback for application-only hosts uses the
     * Full-Stack price: they are weighted as Full-Stack. */
    if (c->price_paas < 0)
        c->price_paas = c->price_fullstack;
    return x.rc;
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
