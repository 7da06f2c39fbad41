/* chargeback.c: the [allocation] rules and the split of environment costs
 * into teams, in integer micro-units so the parts add up to the whole. */
#include "dtcost/chargeback.h"

#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config_impl.h"
#include "timeutil.h"

/* ---- the [allocation] section (handed over by config.c's loader) ---- */

static int add_rule(dtc_allocation *a, const char *team, const char *item)
{
    while (*item == ' ' || *item == '\t')
        item++;
    size_t len = strlen(item);
    while (len && (item[len - 1] == ' ' || item[len - 1] == '\t'))
        len--;
    if (len == 0) return 0;
    int capability = 0;
    if (len > 11 && strncmp(item, "capability:", 11) == 0) {
        capability = 1;
        item += 11;
        len -= 11;
    }
    dtc_alloc_rule *g = dtc_realloc(a->rules, (a->nrules + 1) * sizeof(*g));
    if (!g) return DTC_ENOMEM;
    a->rules = g;
    dtc_alloc_rule *r = &a->rules[a->nrules];
    r->team = team ? dtc_strdup(team) : NULL;
    r->pattern = dtc_strndup(item, len);
    r->capability = capability;
    if ((team && !r->team) || !r->pattern) {
        dtc_free(r->team);
        dtc_free(r->pattern);
        return DTC_ENOMEM;
    }
    a->nrules++;
    return 0;
}

static int add_list(dtc_allocation *a, const char *team, const char *value)
{
    char *copy = dtc_strdup(value), *save = NULL;
    if (!copy) return DTC_ENOMEM;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save))
        rc = add_rule(a, team, tok);
    dtc_free(copy);
    return rc;
}

void dtc_allocation__init(void *target)
{
    memset(target, 0, sizeof(dtc_allocation));
}

int dtc_allocation__item(void *target, const dtc_config_item *it)
{
    static const char *const splits[] = {"proportional", "even", NULL};
    dtc_allocation *a = target;
    if (strcmp(it->key, "split") == 0) {
        int i = 0, rc = dtc_config__choice(it, splits, &i);
        if (rc == 0) a->split = i == 0 ? DTC_SPLIT_PROPORTIONAL : DTC_SPLIT_EVEN;
        return rc;
    }
    if (strcmp(it->key, "shared") == 0) return add_list(a, NULL, it->value);
    const char *team = it->key + 5;
    if (strncmp(it->key, "team.", 5) == 0) {
        if (!*team || strlen(team) >= sizeof(((dtc_charge *)0)->team) ||
            strcmp(team, DTC_UNALLOCATED) == 0) {
            snprintf(it->why, it->whylen, "a team name must be 1 to %zu characters and not %s",
                     sizeof(((dtc_charge *)0)->team) - 1, DTC_UNALLOCATED);
            return DTC_EINVAL;
        }
        return add_list(a, team, it->value);
    }
    return DTC_ENOTFOUND; /* the loader names it; team.NAME, shared and split are all there is */
}

void dtc_allocation_dispose(dtc_allocation *a)
{
    for (size_t i = 0; i < a->nrules; i++) {
        dtc_free(a->rules[i].team);
        dtc_free(a->rules[i].pattern);
    }
    dtc_free(a->rules);
    memset(a, 0, sizeof(*a));
}

/* The rule for one (environment, capability): capability rules first, then
 * environment rules, each in file order. NULL: unallocated. *shared is set
 * when the match is a shared rule. */
static const dtc_alloc_rule *match(const dtc_allocation *a, const char *env, const char *name,
                                   const char *cap)
{
    for (int pass = 1; pass >= 0; pass--)
        for (size_t i = 0; i < a->nrules; i++) {
            const dtc_alloc_rule *r = &a->rules[i];
            if (r->capability != pass) continue;
            if (pass ? fnmatch(r->pattern, cap, 0) == 0
                     : fnmatch(r->pattern, env, 0) == 0 ||
                           (*name && fnmatch(r->pattern, name, 0) == 0))
                return r;
        }
    return NULL;
}

typedef struct cb_ctx {
    dtc_allocation *a; /* its err takes a failure's detail */
    dtc_charge *rows;
    size_t n, cap;
    /* shared cost per currency */
    struct pool {
        char currency[8];
        int64_t amount;
    } pools[16];
    size_t npools;
    int rc;
} cb_ctx;

static dtc_charge *row_for(cb_ctx *x, const char *team, const char *currency)
{
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->rows[i].team, team) == 0 && strcmp(x->rows[i].currency, currency) == 0)
            return &x->rows[i];
    dtc_charge *g = dtc_grow(x->rows, &x->cap, x->n, sizeof(*g));
    if (!g) return NULL;
    x->rows = g;
    dtc_charge *r = &x->rows[x->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->team, sizeof(r->team), "%s", team);
    snprintf(r->currency, sizeof(r->currency), "%s", currency);
    return r;
}

static int on_cost(void *ud, const dtc_row *dr)
{
    cb_ctx *x = ud;
    const char *env, *name, *cap, *cur;
    int64_t cost; /* a SUM that is not an integer is an error, never 0 */
    int rc;
    if ((rc = dtc_row_text(dr, &env, 0)) || (rc = dtc_row_text_or(dr, &name, 1, "")) ||
        (rc = dtc_row_text(dr, &cap, 2)) || (rc = dtc_row_text_or(dr, &cur, 3, "")) ||
        (rc = dtc_row_int(dr, &cost, 4)))
        return rc;
    const dtc_alloc_rule *r = match(x->a, env, name, cap);
    if (r && !r->team) {
        size_t i = 0;
        while (i < x->npools && strcmp(x->pools[i].currency, cur) != 0)
            i++;
        if (i == x->npools) {
            if (x->npools == sizeof(x->pools) / sizeof(x->pools[0])) {
                /* more currencies than anyone has: say so, do not guess */
                snprintf(x->a->err, sizeof(x->a->err),
                         "shared cost in more than %zu currencies (%.8s would be "
                         "one more); narrow the window (dtcost report --window DAYS) or "
                         "move it (--until DAY)",
                         x->npools, cur);
                return DTC_EINVAL;
            }
            snprintf(x->pools[i].currency, sizeof(x->pools[i].currency), "%s", cur);
            x->pools[i].amount = 0;
            x->npools++;
        }
        x->pools[i].amount += cost;
        return 0;
    }
    dtc_charge *row = row_for(x, r ? r->team : DTC_UNALLOCATED, cur);
    if (!row) return DTC_ENOMEM;
    row->direct += cost;
    return 0;
}

/* Split one currency's shared pool over its teams (not "(unallocated)"),
 * largest remainders first, so the parts add up to the pool exactly. */
static int split_pool(cb_ctx *x, const struct pool *p)
{
    size_t k = 0;
    __int128 weight = 0;
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->rows[i].currency, p->currency) == 0 &&
            strcmp(x->rows[i].team, DTC_UNALLOCATED) != 0) {
            k++;
            weight += x->a->split == DTC_SPLIT_EVEN ? 1 : x->rows[i].direct;
        }
    if (k == 0 || weight <= 0) {
        /* Nobody to share with: the pool stays visible instead of vanishing. */
        dtc_charge *row = row_for(x, DTC_UNALLOCATED, p->currency);
        if (!row) return DTC_ENOMEM;
        row->shared += p->amount;
        return 0;
    }
    size_t *idx = dtc_malloc(k * sizeof(*idx));
    __int128 *rem = dtc_malloc(k * sizeof(*rem));
    if (!idx || !rem) {
        dtc_free(idx);
        dtc_free(rem);
        return DTC_ENOMEM;
    }
    k = 0;
    int64_t given = 0;
    for (size_t i = 0; i < x->n; i++) {
        dtc_charge *r = &x->rows[i];
        if (strcmp(r->currency, p->currency) != 0 || strcmp(r->team, DTC_UNALLOCATED) == 0)
            continue;
        __int128 num = (__int128)p->amount * (x->a->split == DTC_SPLIT_EVEN ? 1 : r->direct);
        r->shared = (int64_t)(num / weight);
        rem[k] = num % weight;
        idx[k++] = i;
        given += r->shared;
    }
    /* Truncation kept back |left| < k micro-units: hand them out one each to
     * the largest remainders (ties: the order the teams were met). */
    for (int64_t left = p->amount - given; left != 0;) {
        size_t best = 0;
        for (size_t j = 1; j < k; j++)
            if (left > 0 ? rem[j] > rem[best] : rem[j] < rem[best]) best = j;
        int64_t step = left > 0 ? 1 : -1;
        x->rows[idx[best]].shared += step;
        rem[best] = left > 0 ? -weight : weight; /* once per team */
        left -= step;
    }
    dtc_free(idx);
    dtc_free(rem);
    return 0;
}

static int by_total(const void *a, const void *b)
{
    const dtc_charge *p = a, *q = b;
    int c = strcmp(p->currency, q->currency);
    if (c) return c;
    int up = strcmp(p->team, DTC_UNALLOCATED) == 0, uq = strcmp(q->team, DTC_UNALLOCATED) == 0;
    if (up != uq) return up - uq;
    if (p->total != q->total) return p->total < q->total ? 1 : -1;
    return strcmp(p->team, q->team);
}

int dtc_chargeback(dtc_allocation *a, dtc_charge **out, size_t *n, dtc_store *s, int64_t from,
                   int64_t to)
{
    *out = NULL;
    *n = 0;
    a->err[0] = '\0';
    char f[16], t[16];
    dtc_fmt_date(f, from);
    dtc_fmt_date(t, to);
    dtc_val p[] = {DTC_TEXT(f), DTC_TEXT(t)};
    cb_ctx x = {.a = a};
    int rc = dtc_store_query(
        s,
        "SELECT e.environment_id, (SELECT n.name FROM environment n WHERE n.environment_id = "
        "e.environment_id"
        " ORDER BY n.account_uuid LIMIT 1), e.capability_key, e.currency, SUM(e.cost_micro)"
        " FROM env_cost_day e WHERE e.day BETWEEN ? AND ?"
        " GROUP BY e.environment_id, e.capability_key, e.currency ORDER BY e.environment_id, "
        "e.capability_key",
        p, 2, on_cost, &x);
    for (size_t i = 0; rc == 0 && i < x.npools; i++)
        rc = split_pool(&x, &x.pools[i]);
    if (rc) {
        char why[sizeof(a->err)];
        snprintf(why, sizeof(why), "%s",
                 rc == DTC_EDB ? dtc_store_errmsg(s)
                 : a->err[0]   ? a->err
                               : dtc_strerror(rc));
        snprintf(a->err, sizeof(a->err), "chargeback of %s .. %s: %.440s", f, t, why);
        dtc_free(x.rows);
        return rc;
    }
    for (size_t i = 0; i < x.n; i++)
        x.rows[i].total = x.rows[i].direct + x.rows[i].shared;
    if (x.n > 1) qsort(x.rows, x.n, sizeof(dtc_charge), by_total);
    *out = x.rows;
    *n = x.n;
    return 0;
}
