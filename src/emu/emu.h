/* emu.h: the emulator's internal interface. emu_server.c owns the HTTP
 * server, routing, auth checks, faults and the request log; emu_model.c the
 * deterministic data; one file per API family renders answers from it. */
#ifndef DTC_EMU_H
#define DTC_EMU_H
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "dtcost/errors.h"

/* ---- configuration (flags of `dtcost emulate`) ---- */

typedef struct emu_config {
    const char *bind;     /* address, default 127.0.0.1 */
    int port;             /* 0 picks a free port */
    const char *log_path; /* JSON line per request, or NULL */
    uint64_t seed;
    int64_t now;       /* emulated clock, epoch seconds (UTC) */
    int accounts;      /* accounts, each with its own OAuth clients */
    int subscriptions; /* per account: 0 active USD, 1 expired, 2 EUR, rest USD */
    int environments;  /* per account */
    int capabilities;  /* how many of the capability list are in use */
    int days;          /* days of history */
    int clusters;      /* Managed clusters; the last one is DPS-licensed when > 1 */
    int cluster_envs;  /* environments per Managed cluster */
    int hosts;         /* hosts per Managed environment */
    int token_ttl;     /* seconds */
    int page_size_default, page_size_max;
    const char *paging;         /* "live" (v3 as live accounts answer) or "docs" */
    int v3_page_size_limit;     /* live paging: v3 page-size above this is a 400 */
    const char *error_envelope; /* account API errors: "live" (boolean) or "nested" */
    int rl_inflight;            /* per account: requests answered at once (0 = no limit) */
    int rl_rps;                 /* per account: requests per second, burst as many (0 = no limit) */
    int rl_retry_after;         /* seconds in Retry-After of rate-limit 429s */
    int latency_ms;             /* every API answer waits this long (+-25 % jitter) */
    bool sso_require_scope;     /* a token request without scope is a 400 */
    bool sso_grant_held_scopes; /* unheld scopes are left out instead of refused */
    bool sso_bare_refusals;     /* an unheld scope is refused as a bare 400 "Bad Request" */
    int64_t v2_sunset;          /* epoch s; v2 per-environment endpoints answer 410 from then */
    const char *last_page_key;  /* "null", "absent", "empty" or "mixed" */
    bool page_key_cycle;        /* the second v3 page's key leads back to the first */
    int budget_monitors;        /* each budget threshold raises this many events */
    bool no_v3;                 /* v3 per-environment endpoints answer 404 (not rolled out) */
    int alloc_page_size_limit;  /* cost-allocation page-size above this is a 400 (0: none) */
    bool alloc_to_exclusive;    /* cost allocation reads `to` as the first day not wanted */
    const char *refuse;         /* "PATH-END=STATUS": API paths ending so get STATUS (or NULL) */
    int export_max_days;        /* cluster export range limit (400 beyond) */
    int export_busy;            /* 429 answers before each export succeeds */
    int export_seconds;         /* an export stays "in progress" this long after it starts */
    size_t bizevents_max;       /* request body limit, 413 beyond */
    size_t webhook_max;         /* webhook receiver body limit, 413 beyond */
    int webhook_fail;           /* each webhook receiver fails its first N attempts */
    int webhook_fail_status;    /* with this status; 0 drops the connection (down) */
    int webhook_delay_ms;       /* each webhook answer waits this long (after storing) */
    int threads;                /* unused with thread-per-connection; reserved */
    /* faults: probabilities in [0,1] per request, decided from the seed */
    double f429, f500, f503, fdrop, fslow, fmalformed, ftruncate;
    int slow_ms;
    int retry_after;    /* seconds in Retry-After of fault 429s; -1 = omit */
    int token_max_uses; /* a token expires after this many uses (0 = off) */
} emu_config;

void emu_config_defaults(emu_config *c);
/* Does v3 paging follow live accounts (page-size limit, page-key with the
 * full query) rather than the documentation? */
bool emu_paging_live(const emu_config *c);
/* The status --refuse gives a request for path (NULL: the spec alone is
 * checked), or 0 when it does not apply or the spec is malformed. */
int emu_refusal(const emu_config *c, const char *path);

/* ---- the data model (read-only once built) ---- */

#define EMU_MAX_CAPS 32

typedef struct emu_cap {
    const char *key, *name, *unit;
    int64_t price4; /* USD price per unit, in 1/10000 */
    double daily;   /* typical daily usage of one environment */
    double weekend; /* weekend factor */
} emu_cap;

extern const emu_cap emu_caps[];
extern const int emu_ncaps;

typedef struct emu_env {
    char id[16];
    char *name;      /* NULL: the API leaves `name` out */
    int sub;         /* index of its active subscription */
    int64_t capmask; /* bit i: uses emu_caps[i] */
    double base[EMU_MAX_CAPS];
    double growth[EMU_MAX_CAPS];
} emu_env;

typedef struct emu_sub {
    char uuid[40];
    char name[64];
    const char *status;         /* ACTIVE, EXPIRED */
    const char *currency;       /* USD, EUR */
    int64_t start_day, end_day; /* inclusive */
    int64_t period_start[8], period_end[8];
    int nperiods, cur_period;
    int env_owner; /* environments with env.sub == env_owner belong here */
    int64_t price4[EMU_MAX_CAPS];
    int64_t budget_micro;
    bool cost_allocation;
} emu_sub;

typedef struct emu_account {
    char uuid[40];
    char client_id[32], client_secret[96];         /* all scopes */
    char env_client_id[32], env_client_secret[96]; /* account-env-read only */
    char uac_client_id[32], uac_client_secret[96]; /* account-uac-read only */
    emu_sub *subs;
    int nsubs;
    emu_env *envs;
    int nenvs;
} emu_account;

typedef struct emu_cluster {
    char uuid[40];
    char token[96]; /* Api-Token with ServiceProviderAPI */
    bool dps;       /* DPS-licensed: exports answer 422 */
    char (*env_uuid)[40];
    int nenvs;
} emu_cluster;

typedef struct emu_model {
    const emu_config *cfg;
    emu_account *accounts;
    int naccounts;
    emu_cluster *clusters;
    int nclusters;
    char ingest_token[96];   /* Api-Token with bizevents.ingest */
    char noingest_token[96]; /* Api-Token without it (403) */
} emu_model;

int emu_model_build(emu_model *m, const emu_config *cfg) DTC_MUST_CHECK;
void emu_model_dispose(emu_model *m);

/* One booked record as seen at emulated time `now`. Values are exact
 * integers: usage in 1/100 unit, cost in 1/1,000,000 currency unit,
 * cost = usage x price. present is false when the day is not booked yet. */
typedef struct emu_rec {
    bool present;
    int64_t usage_centi;
    int64_t cost_micro;
    int64_t booking_time; /* epoch s of the booking run that last changed it */
} emu_rec;

void emu_model_record(const emu_model *m, const emu_account *a, const emu_sub *s, int env, int cap,
                      int64_t day, int64_t now, emu_rec *out);
/* First and last day with data for a subscription at `now` (last < first: none). */
void emu_sub_data_days(const emu_model *m, const emu_sub *s, int64_t now, int64_t *first,
                       int64_t *last);
bool emu_sub_has_env(const emu_sub *s, const emu_env *e);
/* Latest booking run at or before now. */
int64_t emu_last_booking_run(int64_t now);
/* Budget used: booked cost in the current period, as seen at now. */
int64_t emu_sub_used_micro(const emu_model *m, const emu_account *a, const emu_sub *s, int64_t now);
/* True when (env, cap, day) carries an injected spike; *factor gets its size. */
bool emu_model_spike(const emu_model *m, const emu_account *a, int env, int cap, int64_t day,
                     double *factor);

/* ---- requests ---- */

typedef struct emu_server emu_server;

#define EMU_MAX_SEGS 4
#define EMU_MAX_HEADERS 8

typedef struct emu_req {
    emu_server *srv;
    const emu_model *model;
    void *conn; /* struct MHD_Connection * */
    const char *method;
    const char *path;        /* without the query */
    char *seg[EMU_MAX_SEGS]; /* path segments matched by '*' in the route */
    const char *body;
    size_t body_len;
    int64_t now; /* emulated clock for this request */
    /* the answer */
    int status;
    dtc_buf out;
    const char *content_type;
    const char *hdr_name[EMU_MAX_HEADERS];
    char *hdr_value[EMU_MAX_HEADERS];
    int nhdr;
    bool fault_ok; /* body faults (malformed, drop) may apply */
    bool drop;     /* close the connection halfway through the answer */
    /* set by emu_auth_bearer */
    const emu_account *account;
} emu_req;

/* Query argument (URL-decoded) or NULL. */
const char *emu_arg(emu_req *r, const char *name);
/* Request header or NULL (case-insensitive name). */
const char *emu_header(emu_req *r, const char *name);
/* Add a response header (value copied). */
void emu_set_header(emu_req *r, const char *name, const char *value);
/* Answer an error in the envelope of the request's API family: account
 * APIs (/sub/, /v1/, /env/) {"error":true,"message":...,"payload":null} as
 * live accounts do (--error-envelope nested: the form below), every other
 * API {"error":{"code":status,"message":...}}. */
void emu_error(emu_req *r, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Answer 200 application/json with the buffer the caller filled in r->out. */
void emu_json_ok(emu_req *r);

/* Bearer check for account APIs: the token must be known and unexpired, hold
 * `scope`, and (when account_uuid is non-NULL) belong to that account.
 * On failure the answer (401/403) is set and false returned. */
bool emu_auth_bearer(emu_req *r, const char *account_uuid, const char *scope);
/* Does the request's bearer token hold `scope`? (no answer set) */
bool emu_bearer_has_scope(emu_req *r, const char *scope, const emu_account **acct);
/* Issue a token; returns the token string in dst (>= 80 bytes). */
void emu_token_issue(emu_server *s, const emu_account *a, unsigned scopes, char *dst);

/* Scope bits. */
enum {
    EMU_SCOPE_UAC_READ = 1,
    EMU_SCOPE_ENV_READ = 2,
    EMU_SCOPE_IDM_READ = 4,
    EMU_SCOPE_EVENTS_WRITE = 8,
    EMU_SCOPE_UAC_WRITE = 16,
};
unsigned emu_scope_bit(const char *name);

/* Shared mutable state, guarded by the server's lock. */
void emu_lock(emu_server *s);
void emu_unlock(emu_server *s);
/* Advance the emulated clock by seconds (>= 0). */
void emu_clock_advance(emu_server *s, int64_t seconds);

/* Stored business events (for tests to read back). */
typedef struct emu_bizevent {
    char *content_type;
    char *auth;       /* "api-token" or "oauth" */
    char *env;        /* environment from the path, or "" */
    char *json;       /* one event, compact JSON */
    int64_t received; /* emulated clock */
} emu_bizevent;

/* Handlers, one per endpoint family (emu_sso.c, emu_dps.c, emu_envapi.c,
 * emu_cluster.c, emu_bizevents.c, emu_admin.c). */
void emu_h_token(emu_req *r);
void emu_h_subscriptions(emu_req *r);
void emu_h_subscription(emu_req *r);
void emu_h_forecast(emu_req *r);
void emu_h_events(emu_req *r);
void emu_h_usage(emu_req *r);
void emu_h_cost(emu_req *r);
void emu_h_env_usage_v2(emu_req *r);
void emu_h_env_cost_v2(emu_req *r);
void emu_h_env_usage_v3(emu_req *r);
void emu_h_env_cost_v3(emu_req *r);
void emu_h_rate_cards(emu_req *r);
void emu_h_cost_allocation(emu_req *r);
void emu_h_costcenters(emu_req *r);
void emu_h_products(emu_req *r);
void emu_h_environments_v2(emu_req *r);
void emu_h_environments_v1(emu_req *r);
void emu_h_clusters(emu_req *r);
void emu_h_license_export(emu_req *r);
void emu_h_license_hour(emu_req *r);
void emu_h_bizevents(emu_req *r);
void emu_h_admin_state(emu_req *r);
void emu_h_admin_clock(emu_req *r);
void emu_h_admin_spikes(emu_req *r);
void emu_h_admin_bizevents(emu_req *r);
void emu_h_admin_bizevents_clear(emu_req *r);
void emu_h_webhook(emu_req *r);
void emu_h_webhook_read(emu_req *r);
void emu_h_webhook_clear(emu_req *r);
void emu_h_webhook_fail(emu_req *r);

/* Webhook receivers (emu_webhook.c): their state lives in this slot. */
void **emu_webhook_slot(emu_server *s);
void emu_webhook_store_dispose(emu_server *s);

/* Business-event store (emu_bizevents.c), used by the admin handlers. */
void emu_bizevents_store_dispose(emu_server *s);
int emu_bizevents_snapshot(emu_server *s, dtc_buf *out) DTC_MUST_CHECK;
void emu_bizevents_clear(emu_server *s);
/* Storage slot inside the server for the bizevents module. */
typedef struct emu_bizstore {
    emu_bizevent *ev;
    size_t n, alloc;
    size_t bytes;
} emu_bizstore;
emu_bizstore *emu_bizstore_of(emu_server *s);

/* Cluster export bookkeeping (emu_cluster.c). */
typedef struct emu_exportstate {
    int64_t busy_until_ms;  /* monotonic ms; an export is running until then */
    unsigned long attempts; /* export requests seen, for --export-busy */
} emu_exportstate;
emu_exportstate *emu_exportstate_of(emu_server *s, int cluster);
/* Per-account rate limit (emu_ratelimit.c), state under the server lock. */
typedef struct emu_rlstate {
    int inflight, peak_inflight;
    unsigned long admitted, limited;
    int64_t bucket_milli; /* token bucket, in 1/1000 request */
    int64_t refilled_ms;  /* monotonic ms of the last refill */
} emu_rlstate;
emu_rlstate *emu_rlstate_of(emu_server *s, int account);
/* Admit one request of `account` (index into the model's accounts): true
 * when it is within --rate-limit-inflight and --rate-limit-rps, and then it
 * counts as in flight until emu_ratelimit_leave. False: answer 429. */
bool emu_ratelimit_enter(emu_req *r, int account);
void emu_ratelimit_leave(emu_server *s, int account);
/* Copy of one account's counters, taken under the lock. */
void emu_ratelimit_stats(emu_server *s, int account, emu_rlstate *out);

/* Decide whether this ZIP answer gets truncated (fault --fault-truncate-zip). */
bool emu_fault_truncate(emu_req *r);

/* ---- the server ---- */

/* Start serving; *port_out gets the bound port. Caller owns the model. */
int emu_server_start(emu_server **out, const emu_model *m, const emu_config *cfg,
                     int *port_out) DTC_MUST_CHECK;
void emu_server_stop(emu_server *s);

#endif
