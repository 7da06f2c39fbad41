/* emu_server.c: the emulator's HTTP server (libmicrohttpd, one thread per
 * connection): routing, bearer tokens, seeded fault injection and the JSON
 * request log. Endpoint answers live in the emu_<family>.c files. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "emu.h"
#include "hash.h"
#include "jw.h"
#include "timeutil.h"

#define BODY_CAP_DEFAULT ((size_t)1 << 20)

typedef struct token {
    char tok[80];
    int account;
    unsigned scopes;
    int64_t expires_ms; /* monotonic */
    int uses;
} token;

struct emu_server {
    struct MHD_Daemon *d;
    const emu_model *m;
    const emu_config *cfg;
    pthread_mutex_t mu;
    int64_t now;
    token *tokens;
    size_t ntokens, atokens;
    uint64_t token_serial;
    uint64_t *att_key; /* per-request-key attempt counters, open addressing */
    uint32_t *att_val;
    size_t att_cap, att_n;
    FILE *log;
    emu_bizstore biz;
    emu_exportstate *exports;
    emu_rlstate *rl; /* per account (emu_ratelimit.c) */
    void *webhook;   /* emu_webhook.c */
};

/* Per-connection request context, alive from the first callback to completion. */
typedef struct reqctx {
    dtc_buf body;
    int64_t start_ms;
    bool too_big;
    int rl_account; /* in flight under this account's rate limit until completed; -1 none */
} reqctx;

void emu_lock(emu_server *s)
{
    pthread_mutex_lock(&s->mu);
}
void emu_unlock(emu_server *s)
{
    pthread_mutex_unlock(&s->mu);
}
emu_bizstore *emu_bizstore_of(emu_server *s)
{
    return &s->biz;
}
void **emu_webhook_slot(emu_server *s)
{
    return &s->webhook;
}

emu_exportstate *emu_exportstate_of(emu_server *s, int cluster)
{
    return &s->exports[cluster];
}

emu_rlstate *emu_rlstate_of(emu_server *s, int account)
{
    return &s->rl[account];
}

void emu_clock_advance(emu_server *s, int64_t seconds)
{
    emu_lock(s);
    s->now += seconds;
    emu_unlock(s);
}

/* ---- request helpers ---- */

const char *emu_arg(emu_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *emu_header(emu_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

void emu_set_header(emu_req *r, const char *name, const char *value)
{
    if (r->nhdr >= EMU_MAX_HEADERS) return;
    char *v = dtc_strdup(value);
    if (!v) return;
    r->hdr_name[r->nhdr] = name;
    r->hdr_value[r->nhdr++] = v;
}

/* Account Management paths; their errors use the live boolean envelope. */
static bool account_api(const char *path)
{
    return strncmp(path, "/sub/", 5) == 0 || strncmp(path, "/v1/", 4) == 0 ||
           strncmp(path, "/env/", 5) == 0;
}

void emu_error(emu_req *r, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dtc_buf_reset(&r->out);
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "error");
    if (account_api(r->path) && strcmp(r->model->cfg->error_envelope, "nested") != 0) {
        dtc_jw_bool(&w, true);
        dtc_jw_key(&w, "message");
        dtc_jw_str(&w, msg);
        dtc_jw_key(&w, "payload");
        dtc_jw_null(&w);
    } else {
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "code");
        dtc_jw_int(&w, status);
        dtc_jw_key(&w, "message");
        dtc_jw_str(&w, msg);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_obj_end(&w);
    r->status = status;
    r->content_type = "application/json";
    r->fault_ok = false;
}

void emu_json_ok(emu_req *r)
{
    r->status = 200;
    r->content_type = "application/json";
    r->fault_ok = true;
}

/* ---- tokens ---- */

unsigned emu_scope_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } map[] = {
        {"account-uac-read", EMU_SCOPE_UAC_READ},
        {"account-env-read", EMU_SCOPE_ENV_READ},
        {"account-idm-read", EMU_SCOPE_IDM_READ},
        {"storage:events:write", EMU_SCOPE_EVENTS_WRITE},
        {"account-uac-write", EMU_SCOPE_UAC_WRITE},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].name, name) == 0) return map[i].bit;
    return 0;
}

void emu_token_issue(emu_server *s, const emu_account *a, unsigned scopes, char *dst)
{
    int64_t now_ms = dtc_mono_ms();
    emu_lock(s);
    /* Drop expired tokens so the table stays small in long runs. */
    size_t j = 0;
    for (size_t i = 0; i < s->ntokens; i++)
        if (s->tokens[i].expires_ms > now_ms) s->tokens[j++] = s->tokens[i];
    s->ntokens = j;
    if (s->ntokens == s->atokens) {
        size_t n = s->atokens ? s->atokens * 2 : 64;
        token *t = dtc_realloc(s->tokens, n * sizeof(token));
        if (!t) {
            emu_unlock(s);
            dst[0] = '\0';
            return;
        }
        s->tokens = t;
        s->atokens = n;
    }
    uint64_t serial = ++s->token_serial;
    uint64_t h1 = dtc_hash4(s->cfg->seed, 0x70c, serial, (uint64_t)now_ms, 1);
    uint64_t h2 = dtc_hash4(s->cfg->seed, 0x70c, serial, (uint64_t)now_ms, 2);
    token *t = &s->tokens[s->ntokens++];
    snprintf(t->tok, sizeof(t->tok), "emu.%016" PRIx64 "%016" PRIx64, h1, h2);
    t->account = (int)(a - s->m->accounts);
    t->scopes = scopes;
    t->expires_ms = now_ms + (int64_t)s->cfg->token_ttl * 1000;
    t->uses = 0;
    snprintf(dst, 80, "%s", t->tok);
    emu_unlock(s);
}

static const char *bearer_of(emu_req *r)
{
    const char *h = emu_header(r, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0) return NULL;
    return h + 7;
}

/* Look the bearer token up; 0 ok, 1 unknown, 2 expired. */
static int token_lookup(emu_req *r, unsigned *scopes, int *account)
{
    const char *b = bearer_of(r);
    if (!b) return 1;
    emu_server *s = r->srv;
    int res = 1;
    emu_lock(s);
    for (size_t i = 0; i < s->ntokens; i++) {
        token *t = &s->tokens[i];
        if (strcmp(t->tok, b) != 0) continue;
        t->uses++;
        if (t->expires_ms <= dtc_mono_ms() ||
            (s->cfg->token_max_uses > 0 && t->uses > s->cfg->token_max_uses)) {
            res = 2;
        } else {
            *scopes = t->scopes;
            *account = t->account;
            res = 0;
        }
        break;
    }
    emu_unlock(s);
    return res;
}

/* The account of the request's bearer token, expired or not, without counting
 * a use (the handler's own check does that); -1 for no or an unknown token. */
static int bearer_account(emu_req *r)
{
    const char *b = bearer_of(r);
    if (!b) return -1;
    emu_server *s = r->srv;
    int account = -1;
    emu_lock(s);
    for (size_t i = 0; i < s->ntokens && account < 0; i++)
        if (strcmp(s->tokens[i].tok, b) == 0) account = s->tokens[i].account;
    emu_unlock(s);
    return account;
}

bool emu_bearer_has_scope(emu_req *r, const char *scope, const emu_account **acct)
{
    unsigned scopes = 0;
    int account = -1;
    if (token_lookup(r, &scopes, &account) != 0) return false;
    if (acct) *acct = &r->model->accounts[account];
    return (scopes & emu_scope_bit(scope)) != 0;
}

bool emu_auth_bearer(emu_req *r, const char *account_uuid, const char *scope)
{
    unsigned scopes = 0;
    int account = -1;
    int rc = token_lookup(r, &scopes, &account);
    if (rc == 1) {
        emu_error(r, 401,
                  bearer_of(r) ? "No valid session provided: unknown token"
                               : "No valid session provided: missing Authorization: Bearer header");
        return false;
    }
    if (rc == 2) {
        emu_error(r, 401, "No valid session provided: token expired");
        return false;
    }
    const emu_account *a = &r->model->accounts[account];
    if (account_uuid && strcmp(a->uuid, account_uuid) != 0) {
        emu_error(r, 401, "No valid session provided: token is not valid for account %.40s",
                  account_uuid);
        return false;
    }
    if (!(scopes & emu_scope_bit(scope))) {
        emu_error(r, 403, "Access denied: token lacks scope %s", scope);
        return false;
    }
    r->account = a;
    return true;
}

/* ---- faults ---- */

enum fault { F_NONE, F_429, F_500, F_503, F_DROP, F_SLOW, F_MALFORMED };
static const char *fault_name[] = {"none", "429", "500", "503", "drop", "slow", "malformed"};

/* Attempt number of this request key (1 for the first time it is seen). */
static uint32_t attempt_of(emu_server *s, uint64_t key)
{
    key |= 1; /* 0 marks an empty slot */
    if ((s->att_n + 1) * 2 > s->att_cap) {
        size_t ncap = s->att_cap ? s->att_cap * 2 : 4096;
        uint64_t *nk = dtc_calloc(ncap, sizeof(uint64_t));
        uint32_t *nv = dtc_calloc(ncap, sizeof(uint32_t));
        if (!nk || !nv) {
            dtc_free(nk);
            dtc_free(nv);
            return 1;
        }
        for (size_t i = 0; i < s->att_cap; i++) {
            if (!s->att_key[i]) continue;
            size_t j = s->att_key[i] & (ncap - 1);
            while (nk[j])
                j = (j + 1) & (ncap - 1);
            nk[j] = s->att_key[i];
            nv[j] = s->att_val[i];
        }
        dtc_free(s->att_key);
        dtc_free(s->att_val);
        s->att_key = nk;
        s->att_val = nv;
        s->att_cap = ncap;
    }
    size_t j = key & (s->att_cap - 1);
    while (s->att_key[j] && s->att_key[j] != key)
        j = (j + 1) & (s->att_cap - 1);
    if (!s->att_key[j]) {
        s->att_key[j] = key;
        s->att_n++;
    }
    return ++s->att_val[j];
}

/* The fault for this request: a pure function of the seed, the request
 * (method, path, query) and how often that same request was seen, so a run
 * replays identically even with concurrent clients. */
static enum fault pick_fault(emu_server *s, uint64_t key, uint32_t *attempt)
{
    const emu_config *c = s->cfg;
    emu_lock(s);
    *attempt = attempt_of(s, key);
    emu_unlock(s);
    double u = dtc_unit(dtc_hash4(c->seed, 0xfa017, key, *attempt, 0));
    double p = 0;
    if (u < (p += c->f429)) return F_429;
    if (u < (p += c->f500)) return F_500;
    if (u < (p += c->f503)) return F_503;
    if (u < (p += c->fdrop)) return F_DROP;
    if (u < (p += c->fslow)) return F_SLOW;
    if (u < (p += c->fmalformed)) return F_MALFORMED;
    return F_NONE;
}

bool emu_fault_truncate(emu_req *r)
{
    const char *q = emu_arg(r, "startTs");
    uint64_t key =
        dtc_hash_bytes(0x7a, r->path, strlen(r->path)) ^ (q ? dtc_hash_bytes(1, q, strlen(q)) : 0);
    uint32_t attempt;
    emu_lock(r->srv);
    attempt = attempt_of(r->srv, key ^ 0x7a7a7a);
    emu_unlock(r->srv);
    return dtc_unit(dtc_hash4(r->srv->cfg->seed, 0x7a1, key, attempt, 0)) < r->srv->cfg->ftruncate;
}

/* The --latency-ms delay of one answer in microseconds: uniform in
 * [0.75, 1.25] x the flag, drawn from the seed and the request. */
static useconds_t latency_us(const emu_config *c, uint64_t key, uint32_t attempt)
{
    double u = dtc_unit(dtc_hash4(c->seed, 0x1a7e, key, attempt, 0));
    return (useconds_t)((double)c->latency_ms * (750.0 + 500.0 * u));
}

/* ---- routing ---- */

typedef struct route {
    const char *method, *pattern;
    void (*fn)(emu_req *);
    bool api; /* faults apply */
} route;

static const route routes[] = {
    {"POST", "/sso/oauth2/token", emu_h_token, true},
    {"GET", "/sub/v2/accounts/*/subscriptions", emu_h_subscriptions, true},
    {"GET", "/sub/v2/accounts/*/subscriptions/forecast", emu_h_forecast, true},
    {"GET", "/sub/v2/accounts/*/subscriptions/events", emu_h_events, true},
    {"GET", "/sub/v2/accounts/*/subscriptions/*", emu_h_subscription, true},
    {"GET", "/sub/v2/accounts/*/subscriptions/*/usage", emu_h_usage, true},
    {"GET", "/sub/v2/accounts/*/subscriptions/*/cost", emu_h_cost, true},
    {"GET", "/sub/v2/accounts/*/subscriptions/*/environments/usage", emu_h_env_usage_v2, true},
    {"GET", "/sub/v2/accounts/*/subscriptions/*/environments/cost", emu_h_env_cost_v2, true},
    {"GET", "/sub/v3/accounts/*/subscriptions/*/environments/usage", emu_h_env_usage_v3, true},
    {"GET", "/sub/v3/accounts/*/subscriptions/*/environments/cost", emu_h_env_cost_v3, true},
    {"GET", "/sub/v1/accounts/*/rate-cards", emu_h_rate_cards, true},
    {"GET", "/v1/subscriptions/*/cost-allocation", emu_h_cost_allocation, true},
    {"GET", "/v1/accounts/*/settings/costcenters", emu_h_costcenters, true},
    {"GET", "/v1/accounts/*/settings/products", emu_h_products, true},
    {"GET", "/env/v2/accounts/*/environments", emu_h_environments_v2, true},
    {"GET", "/env/v1/accounts/*/environments", emu_h_environments_v1, true},
    {"GET", "/env/v2/accounts/*/clusters", emu_h_clusters, true},
    {"GET", "/api/cluster/v2/license/consumption", emu_h_license_export, true},
    {"GET", "/api/cluster/v2/license/consumption/hour", emu_h_license_hour, true},
    {"POST", "/api/v2/bizevents/ingest", emu_h_bizevents, true},
    {"POST", "/e/*/api/v2/bizevents/ingest", emu_h_bizevents, true},
    {"POST", "/platform/classic/environment-api/v2/bizevents/ingest", emu_h_bizevents, true},
    {"GET", "/emu/state", emu_h_admin_state, false},
    {"POST", "/emu/clock", emu_h_admin_clock, false},
    {"GET", "/emu/spikes", emu_h_admin_spikes, false},
    {"GET", "/emu/bizevents", emu_h_admin_bizevents, false},
    {"DELETE", "/emu/bizevents", emu_h_admin_bizevents_clear, false},
    {"POST", "/emu/webhook/*", emu_h_webhook, true},
    {"GET", "/emu/webhook/*", emu_h_webhook_read, false},
    {"DELETE", "/emu/webhook/*", emu_h_webhook_clear, false},
    {"POST", "/emu/webhook/*/fail", emu_h_webhook_fail, false},
};

/* Match path against pattern; '*' takes one non-empty segment into segs. */
static bool match(const char *pattern, const char *path, char **segs, int *nseg)
{
    *nseg = 0;
    const char *p = pattern, *u = path;
    while (*p && *u) {
        if (*p == '*') {
            const char *e = strchr(u, '/');
            size_t n = e ? (size_t)(e - u) : strlen(u);
            if (n == 0 || *nseg >= EMU_MAX_SEGS) return false;
            segs[(*nseg)++] = dtc_strndup(u, n);
            u += n;
            p++;
            continue;
        }
        if (*p != *u) return false;
        p++;
        u++;
    }
    return *p == '\0' && (*u == '\0' || (u[0] == '/' && u[1] == '\0'));
}

static void free_segs(char **segs, int n)
{
    for (int i = 0; i < n; i++) {
        dtc_free(segs[i]);
        segs[i] = NULL;
    }
}

/* ---- responses ---- */

typedef struct dropbody {
    char *data;
    size_t len, sent_limit;
} dropbody;

static ssize_t drop_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    dropbody *d = cls;
    if (pos >= d->sent_limit) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = d->sent_limit - (size_t)pos;
    if (n > max) n = max;
    memcpy(buf, d->data + pos, n);
    return (ssize_t)n;
}

static void drop_free(void *cls)
{
    dropbody *d = cls;
    dtc_free(d->data);
    dtc_free(d);
}

static enum MHD_Result add_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value)
{
    dtc_buf *b = cls;
    int rc =
        dtc_buf_printf(b, "%s%s%s%s", b->len ? "&" : "", key, value ? "=" : "", value ? value : "");
    (void)rc; /* a capped query only shortens the log line */
    return MHD_YES;
}

static void log_request(emu_server *s, const char *method, const char *path, const char *query,
                        int status, double latency_ms, useconds_t delay_us, const char *fault,
                        size_t bytes)
{
    if (!s->log) return;
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_SMALL);
    dtc_jw w;
    dtc_jw_init(&w, &b);
    char ts[21];
    dtc_fmt_datetime(ts, (int64_t)time(NULL));
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "time");
    dtc_jw_str(&w, ts);
    dtc_jw_key(&w, "method");
    dtc_jw_str(&w, method);
    dtc_jw_key(&w, "path");
    dtc_jw_str(&w, path);
    dtc_jw_key(&w, "query");
    dtc_jw_str(&w, query);
    dtc_jw_key(&w, "status");
    dtc_jw_int(&w, status);
    dtc_jw_key(&w, "latency_ms");
    dtc_jw_fixed(&w, (int64_t)(latency_ms * 1000), 3);
    dtc_jw_key(&w, "delay_ms"); /* the --latency-ms wait drawn for this answer */
    dtc_jw_fixed(&w, (int64_t)delay_us, 3);
    dtc_jw_key(&w, "fault");
    dtc_jw_str(&w, fault);
    dtc_jw_key(&w, "bytes");
    dtc_jw_int(&w, (int64_t)bytes);
    dtc_jw_obj_end(&w);
    if (!w.err) {
        emu_lock(s);
        fprintf(s->log, "%s\n", b.data);
        fflush(s->log);
        emu_unlock(s);
    }
    dtc_buf_dispose(&b);
}

/* Redact the token in a query (api-token=...) before it reaches the log. */
static void redact_query(dtc_buf *q)
{
    char *p = q->data ? strstr(q->data, "api-token=") : NULL;
    if (!p) return;
    p += strlen("api-token=");
    char *e = strchr(p, '&');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    memset(p, '*', n > 3 ? 3 : n);
    if (n > 3) memmove(p + 3, p + n, strlen(p + n) + 1);
    q->len = strlen(q->data);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    emu_server *s = cls;
    reqctx *ctx = *con_cls;
    if (!ctx) {
        ctx = dtc_calloc(1, sizeof(*ctx));
        if (!ctx) return MHD_NO;
        size_t cap = strstr(url, "bizevents")                 ? s->cfg->bizevents_max
                     : strncmp(url, "/emu/webhook/", 13) == 0 ? s->cfg->webhook_max
                                                              : BODY_CAP_DEFAULT;
        dtc_buf_init(&ctx->body, cap);
        ctx->start_ms = dtc_mono_ms();
        ctx->rl_account = -1;
        *con_cls = ctx;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!ctx->too_big && dtc_buf_add(&ctx->body, upload, *upload_size) != 0)
            ctx->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }

    emu_req r;
    memset(&r, 0, sizeof(r));
    r.srv = s;
    r.model = s->m;
    r.conn = conn;
    r.method = method;
    r.path = url;
    r.body = ctx->body.data ? ctx->body.data : "";
    r.body_len = ctx->body.len;
    dtc_buf_init(&r.out, DTC_CAP_HTTP_BODY);
    emu_lock(s);
    r.now = s->now;
    emu_unlock(s);

    dtc_buf query;
    dtc_buf_init(&query, DTC_CAP_SMALL);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query, &query);

    const route *rt = NULL;
    int nseg = 0;
    bool path_known = false;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        int n;
        if (!match(routes[i].pattern, url, r.seg, &n)) {
            free_segs(r.seg, n);
            continue;
        }
        path_known = true;
        if (strcmp(routes[i].method, method) == 0) {
            rt = &routes[i];
            nseg = n;
            break;
        }
        free_segs(r.seg, n);
    }

    /* Account API requests count against their token's account; one over
     * the limit is answered 429 and draws no fault. */
    bool limited = false;
    int acct = rt && rt->api && account_api(url) ? bearer_account(&r) : -1;
    if (acct >= 0) {
        if (emu_ratelimit_enter(&r, acct))
            ctx->rl_account = acct;
        else
            limited = true;
    }
    enum fault f = F_NONE;
    uint32_t attempt = 0;
    uint64_t key = 0;
    if (rt && rt->api) {
        key = dtc_hash_bytes(1, method, strlen(method));
        key = dtc_hash_bytes(key, url, strlen(url));
        if (query.data) key = dtc_hash_bytes(key, query.data, query.len);
        if (r.body_len) key = dtc_hash_bytes(key, r.body, r.body_len);
        if (!limited) f = pick_fault(s, key, &attempt);
    }
    /* Inside the in-flight window: the limit sees slow answers pile up. */
    useconds_t delay_us = 0;
    if (rt && rt->api && s->cfg->latency_ms > 0 && strncmp(url, "/emu/", 5) != 0)
        usleep(delay_us = latency_us(s->cfg, key, attempt));

    int refused = rt && rt->api ? emu_refusal(s->cfg, url) : 0; /* --refuse's status */
    if (!rt) {
        if (path_known)
            emu_error(&r, 405, "Method %s not allowed on %s", method, url);
        else
            emu_error(&r, 404, "No such endpoint: %s", url);
    } else if (ctx->too_big) {
        emu_error(&r, 413, "Request body larger than %zu bytes", ctx->body.cap);
    } else if (limited) {
        emu_error(&r, 429,
                  "Too many requests: the rate limit of account %s is exceeded, retry later",
                  s->m->accounts[acct].uuid);
        char ra[16];
        snprintf(ra, sizeof(ra), "%d", s->cfg->rl_retry_after);
        emu_set_header(&r, "Retry-After", ra);
    } else if (refused) {
        emu_error(&r, refused, "Refused by the emulator's --refuse %s", s->cfg->refuse);
    } else if (f == F_429) {
        emu_error(&r, 429, "Too many requests");
        if (s->cfg->retry_after >= 0) {
            char ra[16];
            snprintf(ra, sizeof(ra), "%d", s->cfg->retry_after);
            emu_set_header(&r, "Retry-After", ra);
        }
    } else if (f == F_500) {
        emu_error(&r, 500, "Internal server error");
    } else if (f == F_503) {
        emu_error(&r, 503, "Service temporarily unavailable");
    } else {
        if (f == F_SLOW) usleep((useconds_t)s->cfg->slow_ms * 1000);
        rt->fn(&r);
    }
    free_segs(r.seg, nseg);
    if (r.out.len == 0 && r.status == 0) emu_error(&r, 500, "handler produced no answer");

    size_t len = 0;
    char *data = dtc_buf_take(&r.out, &len);
    const char *fault_label = limited ? "ratelimit" : fault_name[f];
    if (f == F_MALFORMED && r.fault_ok && len > 2) {
        /* Cut the document short and end it with garbage: still 200. */
        len = len * 3 / 5;
        memcpy(data + len - 2, "}{", 2);
    } else if (f == F_MALFORMED) {
        fault_label = "none";
    }
    struct MHD_Response *resp;
    if ((f == F_DROP || r.drop) && len > 1) {
        if (r.drop) fault_label = "down";
        dropbody *d = dtc_calloc(1, sizeof(*d));
        if (!d) {
            dtc_free(data);
            return MHD_NO;
        }
        d->data = data;
        d->len = len;
        d->sent_limit = len / 2;
        resp = MHD_create_response_from_callback(len, 4096, drop_reader, d, drop_free);
    } else {
        if (f == F_DROP) fault_label = "none";
        resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    }
    if (!resp) {
        dtc_free(data);
        return MHD_NO;
    }
    if (r.content_type) MHD_add_response_header(resp, "Content-Type", r.content_type);
    for (int i = 0; i < r.nhdr; i++) {
        MHD_add_response_header(resp, r.hdr_name[i], r.hdr_value[i]);
        dtc_free(r.hdr_value[i]);
    }
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)r.status, resp);
    MHD_destroy_response(resp);

    redact_query(&query);
    log_request(s, method, url, query.data ? query.data : "", r.status,
                (double)(dtc_mono_ms() - ctx->start_ms), delay_us, fault_label, len);
    dtc_buf_dispose(&query);
    (void)version;
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    emu_server *s = cls;
    reqctx *ctx = *con_cls;
    if (!ctx) return;
    if (ctx->rl_account >= 0) emu_ratelimit_leave(s, ctx->rl_account);
    dtc_buf_dispose(&ctx->body);
    dtc_free(ctx);
    *con_cls = NULL;
}

int emu_server_start(emu_server **out, const emu_model *m, const emu_config *cfg, int *port_out)
{
    int rc = DTC_ENOMEM;
    emu_server *s = dtc_calloc(1, sizeof(*s));
    if (!s) return DTC_ENOMEM;
    s->m = m;
    s->cfg = cfg;
    s->now = cfg->now;
    pthread_mutex_init(&s->mu, NULL);
    s->exports = dtc_calloc((size_t)(m->nclusters ? m->nclusters : 1), sizeof(emu_exportstate));
    s->rl = dtc_calloc((size_t)m->naccounts, sizeof(emu_rlstate));
    if (!s->exports || !s->rl) goto done;
    if (cfg->log_path) {
        s->log = fopen(cfg->log_path, "a");
        if (!s->log) {
            rc = DTC_EIO;
            goto done;
        }
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(cfg->bind, ':')) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)cfg->port);
        if (inet_pton(AF_INET6, cfg->bind, &a6->sin6_addr) != 1) {
            rc = DTC_EINVAL;
            goto done;
        }
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)cfg->port);
        if (inet_pton(AF_INET, cfg->bind, &a4->sin_addr) != 1) {
            rc = DTC_EINVAL;
            goto done;
        }
    }
    s->d = MHD_start_daemon(flags, (uint16_t)cfg->port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_END);
    if (!s->d) {
        rc = DTC_EIO;
        goto done;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    *port_out = info ? info->port : cfg->port;
    *out = s;
    return 0;
done:
    emu_server_stop(s);
    return rc;
}

void emu_server_stop(emu_server *s)
{
    if (!s) return;
    if (s->d) MHD_stop_daemon(s->d);
    if (s->log) fclose(s->log);
    emu_bizevents_store_dispose(s);
    emu_webhook_store_dispose(s);
    dtc_free(s->tokens);
    dtc_free(s->att_key);
    dtc_free(s->att_val);
    dtc_free(s->exports);
    dtc_free(s->rl);
    pthread_mutex_destroy(&s->mu);
    dtc_free(s);
}
