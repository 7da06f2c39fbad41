/* store.c: the storage interface: fact descriptors shared by every back-end,
 * choosing the back-end from the target, and thin dispatch. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "dtcost/retry.h"
#include "buf.h"
#include "store_impl.h"
#include "timeutil.h"

/* A lock this handle holds: its name and the back-end's handle for it. */
struct dtc_store_held {
    char *name;
    int64_t handle;
};

/* Column order here is the order of keys[] / vals[] in dtc_store_put. Days
 * are 'YYYY-MM-DD' text, times ISO-8601 UTC, money integer micro-units. */
const dtc_fact_desc dtc_store__facts[DTC_FACT_COUNT] = {
    [DTC_FACT_SUBSCRIPTION] = {"subscription",
                               {"uuid"},
                               {"account_uuid", "name", "type", "sub_type", "status", "currency",
                                "start_date", "end_date", "period_start", "period_end",
                                "days_remaining", "budget_total_micro", "budget_used_micro"},
                               1,
                               13,
                               -1,
                               false},
    [DTC_FACT_PERIOD] =
        {"subscription_period", {"subscription_uuid", "start_time"}, {"end_time"}, 2, 1, -1, false},
    [DTC_FACT_CAPABILITY] = {"subscription_capability",
                             {"subscription_uuid", "capability_key"},
                             {"capability_name"},
                             2,
                             1,
                             -1,
                             false},
    [DTC_FACT_ENVIRONMENT] = {"environment",
                              {"account_uuid", "environment_id"},
                              {"name", "active", "url"},
                              2,
                              3,
                              -1,
                              false},
    [DTC_FACT_COST_DAY] = {"cost_day",
                           {"subscription_uuid", "day"},
                           {"cost_micro", "currency", "last_booking"},
                           2,
                           3,
                           0,
                           false},
    [DTC_FACT_USAGE_DAY] = {"usage_day",
                            {"subscription_uuid", "capability_key", "day"},
                            {"value", "unit", "capability_name"},
                            3,
                            3,
                            0,
                            false},
    [DTC_FACT_ENV_COST_DAY] = {"env_cost_day",
                               {"subscription_uuid", "environment_id", "capability_key", "day"},
                               {"cost_micro", "currency", "booking_date", "cluster_id",
                                "capability_name"},
                               4,
                               5,
                               0,
                               false},
    [DTC_FACT_ENV_USAGE_DAY] = {"env_usage_day",
                                {"subscription_uuid", "environment_id", "capability_key", "day"},
                                {"value", "unit", "cluster_id"},
                                4,
                                3,
                                0,
                                false},
    [DTC_FACT_FORECAST] = {"forecast",
                           {"account_uuid", "created_at"},
                           {"median_micro", "lower_micro", "upper_micro", "budget_micro",
                            "budget_pct", "budget_date"},
                           2,
                           6,
                           -1,
                           false},
    [DTC_FACT_RATE] = {"rate_card",
                       {"account_uuid", "quote_number", "capability_key", "start_time"},
                       {"end_time", "capability_name", "price", "quoted_price", "unit", "currency",
                        "deployment_type"},
                       4,
                       7,
                       -1,
                       false},
    [DTC_FACT_EVENT] = {"cost_event",
                        {"account_uuid", "event_type", "environment_id", "capability", "date",
                         "seq"},
                        {"created_at", "severity", "message", "notification_level"},
                        6,
                        4,
                        -1,
                        false},
    [DTC_FACT_ALLOCATION] = {"cost_allocation",
                             {"subscription_uuid", "environment_id", "field", "alloc_key",
                              "capability_key", "day"},
                             {"cost_micro"},
                             6,
                             1,
                             0,
                             false},
    /* Defined even when nothing is booked on them yet; re-listing changes nothing. */
    [DTC_FACT_ALLOC_VALUE] = {"cost_allocation_value",
                              {"account_uuid", "field", "alloc_key"},
                              {"first_seen_at"},
                              3,
                              1,
                              -1,
                              true},
    [DTC_FACT_LIC_ENV_HOUR] =
        {"lic_env_hour",
         {"cluster_uuid", "environment_uuid", "hour"},
         {"fullstack_mhu",    "infra_mhu",         "paas_mhu",       "hosts_fullstack",
          "hosts_infra",      "hosts_paas",        "hosts_idle",     "dem_centi",
          "visits",           "mobile_sessions",   "replays",        "mobile_replays",
          "properties",       "synthetic_browser", "synthetic_http", "synthetic_other",
          "log_upload_bytes", "log_storage_bytes", "custom_metrics", "trial"},
         3,
         20,
         -1,
         false},
    [DTC_FACT_LIC_DDU_HOUR] = {"lic_ddu_hour",
                               {"cluster_uuid", "environment_uuid", "hour", "pool"},
                               {"ddu_micro"},
                               4,
                               1,
                               -1,
                               false},
    [DTC_FACT_LIC_HOST_HOUR] = {"lic_host_hour",
                                {"cluster_uuid", "environment_uuid", "hour", "osi_id"},
                                {"mode", "memory_bytes", "active_ms", "mhu"},
                                4,
                                4,
                                -1,
                                false},
    [DTC_FACT_LIC_FILE] = {"lic_file",
                           {"archive_sha256", "entry"},
                           {"archive", "kind", "size", "sha256", "imported_at"},
                           2,
                           5,
                           -1,
                           true},
};

/* Which back-end serves a target: the first scheme it starts with; a target
 * with none of them is a SQLite file path. `strip`: the back-end gets the
 * target without the scheme (a path), else the whole URI. */
static const struct scheme {
    const char *prefix, *engine;
    const dtc_store_ops *ops; /* NULL: not in this build */
    bool strip;
} schemes[] = {
    {"sqlite:", "SQLite", &dtc_store__sqlite, true},
    {"postgres://", "PostgreSQL", &dtc_store__pg, false},
    {"postgresql://", "PostgreSQL", &dtc_store__pg, false},
};

/* Append n bytes of s to out (outlen bytes, *o used), cut short when full. */
static void put_text(char *out, size_t outlen, size_t *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n && *o + 1 < outlen; i++)
        out[(*o)++] = s[i];
}

/* Does the query parameter at p have the keyword key? libpq percent-decodes
 * keywords too (`pass%77ord=` is password=). *value gets what follows its =. */
static bool param_is(const char *p, const char *key, const char **value)
{
    for (; *p && *p != '=' && *p != '&'; key++) {
        int c = (unsigned char)*p++;
        unsigned hi, lo;
        if (c == '%' && sscanf(p, "%1x%1x", &hi, &lo) == 2) {
            c = (int)(hi * 16 + lo);
            p += 2;
        }
        if (!*key || c != (unsigned char)*key) return false;
    }
    *value = p;
    return !*key && *p == '=';
}

void dtc_store__scrub(const char *target, char *out, size_t outlen)
{
    /* user:secret@ before the host, and libpq's password= and sslpassword=
     * parameters. libpq reads the user info up to the first @ before the
     * first / after "://" (a ? or & there is part of it), and the query from
     * the first ? after that. */
    const char *sep = strstr(target, "://");
    const char *auth = sep ? sep + 3 : NULL;
    const char *at = auth ? auth + strcspn(auth, "@/") : NULL;
    if (at && *at != '@') at = NULL;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    const char *query = strchr(at ? at : target, '?'), *value = NULL;
    size_t o = 0;
    if (!outlen) return;
    for (const char *p = target; *p;) {
        if (p == colon) {
            put_text(out, outlen, &o, ":***", 4);
            p = at;
        } else if (query && p > query && (p[-1] == '?' || p[-1] == '&') &&
                   (param_is(p, "password", &value) || param_is(p, "sslpassword", &value))) {
            put_text(out, outlen, &o, p, (size_t)(value - p));
            put_text(out, outlen, &o, "=***", 4);
            p = value + strcspn(value, "&");
        } else {
            put_text(out, outlen, &o, p++, 1);
        }
    }
    out[o] = '\0';
}

int dtc_store_open(dtc_store **out, const char *target, char *err, size_t errlen)
{
    *out = NULL;
    if (!target || !*target) {
        snprintf(err, errlen, "no database given (use --db FILE or database= in the config)");
        return DTC_EINVAL;
    }
    const dtc_store_ops *ops = &dtc_store__sqlite;
    const char *arg = target;
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strncmp(target, schemes[i].prefix, strlen(schemes[i].prefix)) != 0) continue;
        if (!schemes[i].ops) {
            char shown[256];
            dtc_store__scrub(target, shown, sizeof(shown));
            snprintf(err, errlen,
                     "database %s: the %s back-end is not available in this build; "
                     "use a SQLite file path",
                     shown, schemes[i].engine);
            return DTC_EINVAL;
        }
        ops = schemes[i].ops;
        arg = schemes[i].strip ? target + strlen(schemes[i].prefix) : target;
        break;
    }
    dtc_store *s = dtc_calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return DTC_ENOMEM;
    }
    s->ops = ops;
    s->target = dtc_strdup(target);
    int rc = s->target ? s->ops->open(s, arg) : DTC_ENOMEM;
    if (rc) {
        snprintf(err, errlen, "%s", s->target ? s->err : "out of memory");
        s->ops->close(s);
        dtc_free(s->target);
        dtc_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int dtc_store_open_writer(dtc_store *s, dtc_store **out)
{
    *out = NULL;
    if (!s->ops->concurrent_writes) return 0;
    char err[sizeof(s->err)];
    int rc = dtc_store_open(out, s->target, err, sizeof(err));
    if (rc) {
        snprintf(s->err, sizeof(s->err), "%s", err);
        return rc;
    }
    (*out)->run_id = s->run_id;
    memcpy((*out)->seen_at, s->seen_at, sizeof(s->seen_at));
    return 0;
}

int dtc_store_target_missing(const char *target)
{
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
        if (strncmp(target, schemes[i].prefix, strlen(schemes[i].prefix)) == 0) {
            if (!schemes[i].strip) return 0; /* a server */
            target += strlen(schemes[i].prefix);
            break;
        }
    return access(target, F_OK) != 0;
}

void dtc_store_close(dtc_store *s)
{
    if (!s) return;
    while (s->nheld > 0)
        dtc_store_unlock(s, s->held[s->nheld - 1].name);
    dtc_free(s->held);
    s->ops->close(s);
    dtc_free(s->target);
    dtc_free(s);
}

const char *dtc_store_errmsg(const dtc_store *s)
{
    return s->err;
}
/* A failure always carries a message: the back-end's, or at least which
 * operation failed and the code's text. */
static int said(dtc_store *s, int rc, const char *what)
{
    if (rc == DTC_EDBLOST && !s->err[0]) /* the same form as the back-end's (store.h) */
        snprintf(s->err, sizeof(s->err), "database: %s: %s" DTC_STORE_LOST_ADVICE, what,
                 dtc_strerror(rc));
    else if (rc && !s->err[0])
        snprintf(s->err, sizeof(s->err), "database: %s: %s", what, dtc_strerror(rc));
    return rc;
}

int dtc_store_begin(dtc_store *s)
{
    return said(s, s->ops->begin(s), "begin");
}
int dtc_store_commit(dtc_store *s)
{
    return said(s, s->ops->commit(s), "commit");
}

void dtc_store_rollback(dtc_store *s)
{
    char keep[sizeof(s->err)];
    memcpy(keep, s->err, sizeof(keep)); /* keep the error that caused the rollback */
    s->ops->rollback(s);
    memcpy(s->err, keep, sizeof(keep));
}

int dtc_store_put(dtc_store *s, dtc_put *result, dtc_fact fact, const dtc_val *keys,
                  const dtc_val *vals, const char *booking)
{
    dtc_put ignored;
    if ((unsigned)fact >= DTC_FACT_COUNT) return DTC_EINVAL;
    return said(
        s, s->ops->put(s, result ? result : &ignored, &dtc_store__facts[fact], keys, vals, booking),
        dtc_store__facts[fact].name);
}

int dtc_store_put_many(dtc_store *s, dtc_put_counts *counts, dtc_fact fact, const dtc_val *keys,
                       const dtc_val *vals, const char *const *booking, size_t n)
{
    memset(counts, 0, sizeof(*counts));
    if ((unsigned)fact >= DTC_FACT_COUNT) return DTC_EINVAL;
    const dtc_fact_desc *d = &dtc_store__facts[fact];
    if (s->ops->put_many)
        return said(s, s->ops->put_many(s, counts, d, keys, vals, booking, n), d->name);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        dtc_put r;
        rc = s->ops->put(s, &r, d, keys + i * (size_t)d->nkeys, vals + i * (size_t)d->nvals,
                         booking ? booking[i] : NULL);
        if (rc == 0)
            (*(r == DTC_PUT_INSERTED  ? &counts->inserted
               : r == DTC_PUT_UPDATED ? &counts->updated
                                      : &counts->same))++;
    }
    if (rc) memset(counts, 0, sizeof(*counts));
    return said(s, rc, d->name);
}

void dtc_store__val_text(const dtc_val *v, char *dst, size_t n)
{
    switch (v->type) {
    case 't':
        snprintf(dst, n, "%s", v->s);
        break;
    case 'i':
        snprintf(dst, n, "%lld", (long long)v->i);
        break;
    case 'r':
        snprintf(dst, n, "%.17g", v->r);
        break;
    default:
        dst[0] = '\0';
    }
}

void dtc_store__key_text(const dtc_fact_desc *d, const dtc_val *keys, char out[DTC_STORE_KEY_TEXT])
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; i < d->nkeys && off < DTC_STORE_KEY_TEXT; i++) {
        char part[160];
        dtc_store__val_text(&keys[i], part, sizeof(part));
        off += (size_t)snprintf(out + off, DTC_STORE_KEY_TEXT - off, "%s%s", i ? "|" : "", part);
    }
}

int dtc_store_prune(dtc_store *s, long *removed, dtc_fact fact, const dtc_val *prefix,
                    const char *keep)
{
    *removed = 0;
    if ((unsigned)fact >= DTC_FACT_COUNT || dtc_store__facts[fact].nkeys < 2) return DTC_EINVAL;
    return said(s, s->ops->prune(s, removed, &dtc_store__facts[fact], (int)fact, prefix, keep),
                "prune");
}

int dtc_store_run_begin(dtc_store *s, int64_t *run_id, const char *started_at, const char *accounts)
{
    long interrupted = 0;
    int rc = said(s, s->ops->run_begin(s, run_id, &interrupted, started_at, accounts), "sync_run");
    s->interrupted = interrupted; /* 0 when it failed */
    if (rc == 0) {
        s->run_id = *run_id;
        snprintf(s->seen_at, sizeof(s->seen_at), "%s", started_at);
    }
    return rc;
}

int dtc_store_runs_interrupted(dtc_store *s, long *n)
{
    *n = s->interrupted;
    return 0;
}

int dtc_store_run_end(dtc_store *s, int64_t run_id, const char *finished_at, const char *status,
                      const dtc_run_stats *st, const char *message)
{
    return said(s, s->ops->run_end(s, run_id, finished_at, status, st, message), "sync_run");
}

int dtc_store_checkpoint_get(dtc_store *s, int64_t *day, int *found, const char *scope)
{
    return said(s, s->ops->checkpoint_get(s, day, found, scope), "checkpoint");
}

int dtc_store_checkpoint_set(dtc_store *s, const char *scope, int64_t day)
{
    return said(s, s->ops->checkpoint_set(s, scope, day), "checkpoint");
}

static size_t held_find(const dtc_store *s, const char *name)
{
    size_t i = 0;
    while (i < s->nheld && strcmp(s->held[i].name, name) != 0)
        i++;
    return i;
}

/* Try the lock on name every 100 ms for up to wait_ms (or until *cancel);
 * *handle gets the back-end's handle. DTC_EBUSY with the message when
 * another process kept it. */
static int lock_wait(dtc_store *s, const char *name, long wait_ms,
                     const volatile sig_atomic_t *cancel, int64_t *handle)
{
    int64_t t0 = dtc_mono_ms();
    for (;;) {
        int got = 0;
        int rc = s->ops->try_lock(s, name, handle, &got);
        if (rc || got) return rc;
        int64_t waited = dtc_mono_ms() - t0;
        if (cancel && *cancel) {
            snprintf(s->err, sizeof(s->err),
                     "waiting for the lock on %.300s was interrupted by a signal (after %lld s)",
                     name, (long long)(waited / 1000));
            return DTC_EBUSY;
        }
        if (waited >= wait_ms) {
            snprintf(s->err, sizeof(s->err),
                     "%.300s is locked by another dtcost (waited %lld s); try again "
                     "when it has finished",
                     name, (long long)(waited / 1000));
            return DTC_EBUSY;
        }
        (void)dtc_sleep_ms(wait_ms - waited < 100 ? wait_ms - waited : 100, cancel);
    }
}

int dtc_store_lock(dtc_store *s, const char *name, long wait_ms,
                   const volatile sig_atomic_t *cancel)
{
    if (held_find(s, name) < s->nheld) return 0;
    struct dtc_store_held *h = dtc_realloc(s->held, (s->nheld + 1) * sizeof(*h));
    char *copy = dtc_strdup(name);
    if (h) s->held = h;
    if (!h || !copy) {
        dtc_free(copy);
        snprintf(s->err, sizeof(s->err), "out of memory");
        return DTC_ENOMEM;
    }
    int64_t handle = 0;
    int rc = lock_wait(s, name, wait_ms, cancel, &handle);
    if (rc)
        dtc_free(copy);
    else
        s->held[s->nheld++] = (struct dtc_store_held){copy, handle};
    return said(s, rc, "lock");
}

int dtc_store_reconnect(dtc_store *s, int *committed, long connect_ms, long lock_wait_ms,
                        const volatile sig_atomic_t *cancel)
{
    *committed = 0;
    if (!s->ops->reconnect) {
        snprintf(s->err, sizeof(s->err),
                 "database: a %s database has no connection to re-establish", s->ops->name);
        return DTC_EINVAL;
    }
    s->err[0] = '\0';
    int rc = s->ops->reconnect(s, connect_ms, cancel);
    for (size_t i = 0; i < s->nheld && rc == 0; i++)
        rc = lock_wait(s, s->held[i].name, lock_wait_ms, cancel, &s->held[i].handle);
    if (rc == 0) rc = s->ops->lost_committed(s, committed);
    return said(s, rc, "reconnect");
}

void dtc_store_unlock(dtc_store *s, const char *name)
{
    size_t i = held_find(s, name);
    if (i == s->nheld) return;
    s->ops->unlock(s, s->held[i].name, s->held[i].handle);
    dtc_free(s->held[i].name);
    s->held[i] = s->held[--s->nheld];
}

int dtc_store_restated_days(dtc_store *s, long *out, int64_t run_id)
{
    return said(s, s->ops->restated_days(s, out, run_id), "revision count");
}

int dtc_store_analyze(dtc_store *s)
{
    int rc = s->ops->analyze ? said(s, s->ops->analyze(s), "analyze") : 0;
    if (rc) {
        size_t n = strlen(s->err);
        snprintf(s->err + n, sizeof(s->err) - n,
                 " (reports may be slow until the server's autovacuum analyzes the tables)");
    }
    return rc;
}

/* Days are stored as 'YYYY-MM-DD' text and compared as text: four-digit years only. */
static bool day_storable(int64_t day)
{
    return day >= dtc_days_from_civil(1, 1, 1) && day <= dtc_days_from_civil(9999, 12, 31);
}

int dtc_store_coverage_add(dtc_store *s, const char *scope, int64_t first, int64_t last)
{
    if (first > last || !day_storable(first) || !day_storable(last)) {
        snprintf(s->err, sizeof(s->err),
                 "coverage of %s: bad day range %lld..%lld (first after last, "
                 "or outside the years 0001-9999)",
                 scope, (long long)first, (long long)last);
        return DTC_EINVAL;
    }
    return said(s, s->ops->coverage_add(s, scope, first, last), "coverage");
}

int dtc_store_coverage_get(dtc_store *s, dtc_day_range **out, size_t *n, const char *scope)
{
    *out = NULL;
    *n = 0;
    return said(s, s->ops->coverage_get(s, out, n, scope), "coverage");
}

/* ---- the read path ---- */

int dtc_store__placeholders(const char *sql, char *out, size_t outlen)
{
    int n = 0;
    size_t o = 0;
    char quote = 0;
    for (const char *p = sql; *p; p++) {
        char piece[16] = {*p, 0};
        if (quote) {
            if (*p == quote) quote = 0;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '?') {
            snprintf(piece, sizeof(piece), "$%d", ++n);
        }
        if (out) {
            size_t len = strlen(piece);
            if (o + len >= outlen) return -1;
            memcpy(out + o, piece, len);
            o += len;
        }
    }
    if (out) {
        if (o >= outlen) return -1;
        out[o] = 0;
    }
    return n;
}

int dtc_store_query(dtc_store *s, const char *sql, const dtc_val *params, int nparams,
                    int (*fn)(void *ctx, const dtc_row *row), void *ctx)
{
    int n = dtc_store__placeholders(sql, NULL, 0);
    if (n != nparams) {
        snprintf(s->err, sizeof(s->err), "database: query \"%.60s\": %d placeholders, %d values",
                 sql, n, nparams);
        return DTC_EINVAL;
    }
    return said(s, s->ops->query(s, sql, params, nparams, fn, ctx), "query");
}

int dtc_row_columns(const dtc_row *r)
{
    return r->ncols;
}

static const char *type_name(char t)
{
    switch (t) {
    case 'i':
        return "an integer";
    case 'r':
        return "a real";
    case 't':
        return "text";
    default:
        return "NULL";
    }
}

/* The column, or NULL with the store's error set when it is absent or its type
 * is neither `want` nor (allow_null) NULL. */
static const dtc_val *column(const dtc_row *r, int col, char want, bool allow_null)
{
    if (col < 0 || col >= r->ncols) {
        snprintf(r->s->err, sizeof(r->s->err),
                 "database: query \"%.60s\": no column %d (%d columns)", r->sql, col + 1, r->ncols);
        return NULL;
    }
    const dtc_val *v = &r->cols[col];
    if (v->type == want || (want == 'r' && v->type == 'i') || (allow_null && v->type == 'n'))
        return v;
    snprintf(r->s->err, sizeof(r->s->err),
             "database: query \"%.60s\": column %d is %s, expected %s", r->sql, col + 1,
             type_name(v->type), type_name(want));
    return NULL;
}

int dtc_row_int_or(const dtc_row *r, int64_t *out, int col, int64_t dflt)
{
    const dtc_val *v = column(r, col, 'i', true);
    if (!v) return DTC_EDB;
    *out = v->type == 'n' ? dflt : v->i;
    return 0;
}

int dtc_row_real_or(const dtc_row *r, double *out, int col, double dflt)
{
    const dtc_val *v = column(r, col, 'r', true);
    if (!v) return DTC_EDB;
    *out = v->type == 'n' ? dflt : v->type == 'i' ? (double)v->i : v->r;
    return 0;
}

int dtc_row_text_or(const dtc_row *r, const char **out, int col, const char *dflt)
{
    const dtc_val *v = column(r, col, 't', true);
    if (!v) return DTC_EDB;
    *out = v->type == 'n' ? dflt : v->s;
    return 0;
}

int dtc_row_int(const dtc_row *r, int64_t *out, int col)
{
    return column(r, col, 'i', false) ? dtc_row_int_or(r, out, col, 0) : DTC_EDB;
}

int dtc_row_real(const dtc_row *r, double *out, int col)
{
    return column(r, col, 'r', false) ? dtc_row_real_or(r, out, col, 0) : DTC_EDB;
}

int dtc_row_text(const dtc_row *r, const char **out, int col)
{
    return column(r, col, 't', false) ? dtc_row_text_or(r, out, col, NULL) : DTC_EDB;
}

int dtc_row_is_null(const dtc_row *r, int col)
{
    return col >= 0 && col < r->ncols && r->cols[col].type == 'n';
}

/* ---- copy between back-ends ---- */

/* The tables that are not facts, keys first (store_schema.c); meta is each
 * back-end's own. */
static const dtc_fact_desc plain_tables[DTC_COPY_TABLES - DTC_FACT_COUNT] = {
    {"revision",
     {"id"},
     {"run_id", "fact", "key", "old_value", "new_value", "booking", "seen_at"},
     1,
     7,
     -1,
     false},
    {"sync_run",
     {"id"},
     {"started_at", "finished_at", "status", "requests", "retries", "inserted", "updated",
      "restated_days", "warnings", "message", "pid", "host", "accounts"},
     1,
     13,
     -1,
     false},
    {"checkpoint", {"scope"}, {"day"}, 1, 1, -1, false},
    {"coverage", {"scope", "first_day"}, {"last_day"}, 2, 1, -1, false},
    {"outbox_batch",
     {"id"},
     {"dest", "batch_key", "created_at", "state", "records", "bytes", "attempts", "last_status",
      "last_error", "last_attempt_at", "delivered_at"},
     1,
     11,
     -1,
     false},
    {"outbox_record",
     {"batch_id", "seq"},
     {"record_key", "version", "idem_key", "body"},
     2,
     4,
     -1,
     false},
    {"push_record",
     {"dest", "record_key"},
     {"fingerprint", "version", "batch_id"},
     2,
     3,
     -1,
     false},
};

void dtc_store__copied(dtc_fact_desc *out, int t)
{
    *out = t < DTC_FACT_COUNT ? dtc_store__facts[t] : plain_tables[t - DTC_FACT_COUNT];
    out->measured = -1;
    out->first_seen = false;
}

/* A copy into a back-end with copy_many hands it COPY_ROWS rows at a time,
 * or fewer when their text would pass COPY_BYTES: the copy's memory is that
 * batch (COPY_ROWS x columns x sizeof(dtc_val), 3.7 MB for the widest
 * table, plus the text, at most COPY_BYTES or one row's, a row's capped at
 * COPY_TEXT_CAP) and what the back-end builds from it, whatever the
 * size of the tables. Measured on 564,000 rows into PostgreSQL (365 days x
 * 20 environments x 20 capabilities, two runs each, the copy again over
 * the same rows): 64-row batches 60-66 k rows/s and 8.4-9.3 CPU-s, 200
 * 75-81 k, 1,000 85-98 k, 5,000 94-104 k and 5.4-5.9 CPU-s, 20,000 the
 * same as 5,000 (store_pg.c sends at most BATCH_ROWS, 5,000, a statement
 * anyway); new rows 107-141 k rows/s at every size. */
#define COPY_ROWS 5000
#define COPY_BYTES ((size_t)8 << 20)
#define COPY_TEXT_CAP ((size_t)64 << 20)

typedef struct copy_ctx {
    dtc_store *to;
    int table;       /* 0 .. DTC_COPY_TABLES - 1 */
    dtc_fact_desc d; /* dtc_store__copied(table) */
    const char *sql; /* the upsert of one row, without copy_many */
    /* with copy_many: the batch's rows (vals in the same allocation as
     * keys), a text value's offset into text in its i until the batch is
     * sent (text grows and moves) */
    dtc_val *keys, *vals;
    dtc_buf text;
    size_t n;
    long rows;
} copy_ctx;

/* The batch in c to the back-end; it starts empty again. */
static int copy_send(copy_ctx *c)
{
    size_t nk = (size_t)c->d.nkeys, nv = (size_t)c->d.nvals;
    for (size_t i = 0; i < c->n * nk; i++)
        if (c->keys[i].type == 't') c->keys[i].s = c->text.data + c->keys[i].i;
    for (size_t i = 0; i < c->n * nv; i++)
        if (c->vals[i].type == 't') c->vals[i].s = c->text.data + c->vals[i].i;
    int rc = c->n ? c->to->ops->copy_many(c->to, c->table, c->keys, c->vals, c->n) : 0;
    c->n = 0;
    dtc_buf_reset(&c->text);
    return rc;
}

static int copy_row(void *ud, const dtc_row *row)
{
    copy_ctx *c = ud;
    c->rows++;
    if (!c->to->ops->copy_many) return c->to->ops->write(c->to, c->sql, row->cols, row->ncols);
    int nk = c->d.nkeys, rc = 0;
    if (row->ncols != nk + c->d.nvals) {
        snprintf(c->to->err, sizeof(c->to->err), "database: %s: %d columns read, %d expected",
                 c->d.name, row->ncols, nk + c->d.nvals);
        return DTC_EINVAL;
    }
    /* A row whose text would take the batch past COPY_BYTES starts the next one. */
    size_t bytes = 0;
    for (int i = 0; i < row->ncols; i++)
        bytes += row->cols[i].type == 't' ? strlen(row->cols[i].s) + 1 : 0;
    if (c->n > 0 && c->text.len + bytes > COPY_BYTES && (rc = copy_send(c)) != 0) return rc;
    for (int i = 0; i < row->ncols && rc == 0; i++) {
        dtc_val v = row->cols[i];
        if (v.type == 't') {
            v.i = (int64_t)c->text.len;
            rc = dtc_buf_add(&c->text, v.s, strlen(v.s) + 1);
            v.s = NULL;
        }
        *(i < nk ? &c->keys[c->n * (size_t)nk + (size_t)i]
                 : &c->vals[c->n * (size_t)c->d.nvals + (size_t)(i - nk)]) = v;
    }
    if (rc == DTC_ETOOBIG)
        snprintf(c->to->err, sizeof(c->to->err),
                 "database: %s: row %ld holds more than %zu MiB of text: not copied", c->d.name,
                 c->rows, COPY_TEXT_CAP >> 20);
    if (rc) return rc;
    c->n++;
    return c->n == COPY_ROWS ? copy_send(c) : 0;
}

/* SELECT the columns of copy table t FROM it, each row upserted into c->to
 * by its keys: in batches by copy_many, else one write each. */
static int copy_table(dtc_store *from, copy_ctx *c, int t)
{
    dtc_buf sel, ins;
    dtc_buf_init(&sel, DTC_CAP_SMALL);
    dtc_buf_init(&ins, DTC_CAP_SMALL);
    const dtc_fact_desc *d = &c->d;
    dtc_store__copied(&c->d, t);
    c->table = t;
    c->n = 0;
    int rc = DTC_ENOMEM, n = d->nkeys + d->nvals;
    if (dtc_buf_adds(&sel, "SELECT ") || dtc_buf_printf(&ins, "INSERT INTO %s(", d->name))
        goto done;
    for (int i = 0; i < n; i++) {
        const char *col = i < d->nkeys ? d->keys[i] : d->vals[i - d->nkeys];
        if (dtc_buf_printf(&sel, "%s%s", i ? "," : "", col) ||
            dtc_buf_printf(&ins, "%s%s", i ? "," : "", col))
            goto done;
    }
    if (dtc_buf_printf(&sel, " FROM %s", d->name) || dtc_buf_adds(&ins, ") VALUES(")) goto done;
    if (c->to->ops->copy_many) {
        if (!(c->keys = dtc_calloc((size_t)COPY_ROWS * (size_t)n, sizeof(dtc_val)))) goto done;
        c->vals = c->keys + (size_t)COPY_ROWS * (size_t)d->nkeys;
    }
    for (int i = 0; i < n; i++)
        if (dtc_buf_adds(&ins, i ? ",?" : "?")) goto done;
    if (dtc_buf_adds(&ins, ") ON CONFLICT(")) goto done;
    for (int i = 0; i < d->nkeys; i++)
        if (dtc_buf_printf(&ins, "%s%s", i ? "," : "", d->keys[i])) goto done;
    /* Every column that is not a key takes from's value. */
    if (d->nvals == 0 && dtc_buf_adds(&ins, ") DO NOTHING")) goto done;
    for (int i = 0; i < d->nvals; i++)
        if (dtc_buf_printf(&ins, "%s%s=excluded.%s", i ? "," : ") DO UPDATE SET ", d->vals[i],
                           d->vals[i]))
            goto done;
    c->sql = ins.data;
    rc = dtc_store_query(from, sel.data, NULL, 0, copy_row, c);
    if (rc && from->err[0] && !c->to->err[0])
        snprintf(c->to->err, sizeof(c->to->err), "%s", from->err);
    if (rc == 0 && c->to->ops->copy_many) rc = copy_send(c);
done:
    if (rc == DTC_ENOMEM && !c->to->err[0])
        snprintf(c->to->err, sizeof(c->to->err), "out of memory");
    dtc_free(c->keys);
    c->keys = c->vals = NULL;
    dtc_buf_dispose(&sel);
    dtc_buf_dispose(&ins);
    return rc;
}

int dtc_store_copy(dtc_store *to, dtc_copy_stats *st, dtc_store *from)
{
    memset(st, 0, sizeof(*st));
    from->err[0] = to->err[0] = '\0';
    copy_ctx c = {.to = to};
    dtc_buf_init(&c.text, COPY_TEXT_CAP);
    int rc = dtc_store_begin(to);
    if (rc) goto done;
    for (int t = 0; t < DTC_COPY_TABLES && rc == 0; t++, st->tables++)
        rc = copy_table(from, &c, t);
    if (rc == 0 && to->ops->ids_after_copy) rc = to->ops->ids_after_copy(to);
    if (rc == 0) rc = dtc_store_commit(to);
    if (rc) dtc_store_rollback(to);
done:
    if (rc == DTC_ENOMEM && !to->err[0]) snprintf(to->err, sizeof(to->err), "out of memory");
    dtc_buf_dispose(&c.text);
    if (rc) {
        st->tables = 0;
        return rc;
    }
    st->rows = c.rows;
    return 0;
}
