/* cmd_serve.c: `dtcost serve`, the long-running form for containers and
 * systemd: a cycle (sync, then the configured pushes) at start and then on a
 * schedule (interval or cron, plus jitter), one cycle at a time; /healthz,
 * /readyz and /metrics over HTTP (libmicrohttpd). SIGTERM or SIGINT: the
 * current step finishes, then exit 0. SIGHUP: the config is read again
 * between cycles. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "commands.h"
#include "dtcost/version.h"
#include "dtcost/config.h"
#include "dtcost/metrics.h"
#include "dtcost/push.h"
#include "dtcost/retry.h"
#include "dtcost/schedule.h"
#include "dtcost/store.h"
#include "dtcost/sync.h"
#include "hash.h"
#include "opts.h"
#include "timeutil.h"

static dtc_config_flags fl;
static const char *listen_addr, *cron;
static opt_list push_names;
static int interval, jitter = -1, max_cycles, retry_base_ms, stuck_after, metrics_max_series;
static bool no_sync, quiet;

static const opt serve_opts[] = {
    {"config", OPT_STR, &fl.config_path, "FILE",
     "INI file: [dtcost], [account NAME], [serve] and [push NAME] sections (or DTCOST_CONFIG); "
     "SIGHUP reads it again"},
    {"db", OPT_STR, &fl.database, "PATH", OPT_DB_HELP},
    {"listen", OPT_STR, &listen_addr, "ADDR:PORT",
     "where /healthz, /readyz and /metrics are served; port 0 picks one (printed first on stdout) "
     "(default 127.0.0.1:9464)"},
    {"interval", OPT_INT, &interval, "SECS",
     "seconds from the end of one cycle to the start of the next (default 3600)"},
    {"cron", OPT_STR, &cron, "EXPR",
     "five-field cron expression in UTC instead of --interval, e.g. '17 */4 * * *'"},
    {"jitter", OPT_INT, &jitter, "SECS",
     "random extra delay before each scheduled cycle, up to this (default 60)"},
    {"push", OPT_LIST, &push_names, "NAME",
     "run this [push NAME] section; repeatable (default: [serve] pushes=, else every section)"},
    {"no-sync", OPT_FLAG, &no_sync, NULL,
     "cycles only push what the database holds (another job syncs)"},
    {"max-cycles", OPT_INT, &max_cycles, "N",
     "exit 0 after N cycles (default 0: run until SIGTERM)"},
    {"account", OPT_STR, &fl.account_uuid, "UUID", "account UUID (or DT_ACCOUNT_UUID)"},
    {"client-id", OPT_STR, &fl.client_id, "ID", "OAuth client id (or DT_CLIENT_ID)"},
    {"client-secret-file", OPT_STR, &fl.client_secret_file, "FILE",
     "OAuth client secret file, mode 600 (or DT_CLIENT_SECRET_FILE / DT_CLIENT_SECRET)"},
    {"sso-url", OPT_STR, &fl.sso_url, "URL",
     "token endpoint (or DT_SSO_URL; default " DTC_DEFAULT_SSO_URL ")"},
    {"api-url", OPT_STR, &fl.api_url, "URL",
     "Account Management API (or DT_API_URL; default " DTC_DEFAULT_API_URL ")"},
    {"retry-base-ms", OPT_INT, &retry_base_ms, "MS", "sync: first backoff delay (default 500)"},
    {"stuck-after", OPT_INT, &stuck_after, "SECS",
     "/healthz answers 503 when one cycle runs longer than this (default 21600)"},
    {"metrics-max-series", OPT_INT, &metrics_max_series, "N",
     "/metrics: the largest N cost series per environment and capability; the rest are summed into "
     "\"other\" (or [serve] metrics_max_series; default 500)"},
    {"quiet", OPT_FLAG, &quiet, NULL, "log only warnings and errors"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec serve_spec = {
    "serve",
    "",
    "Run dtcost for good: a cycle at start, then one per --interval or --cron\n"
    "(plus up to --jitter seconds), never two at once. A cycle syncs the\n"
    "database, then runs the configured pushes ([push NAME] sections of the\n"
    "config file; see dtcost push). Serves GET /healthz (200, or 503 when the\n"
    "scheduler is stuck: see --stuck-after), /readyz (200 once a cycle\n"
    "completed) and /metrics (Prometheus text: budget, cost per\n"
    "environment and capability for the last complete day, last sync, outbox\n"
    "backlog, cycles, requests, retries). SIGTERM or SIGINT finish the current\n"
    "step and exit 0; SIGHUP reloads the config before the next cycle.\n"
    "Details and deployment examples: docs/push.md, docs/deploy/.",
    serve_opts,
};

static volatile sig_atomic_t stop_sig, reload_sig;
static volatile sig_atomic_t
    stop_push; /* set with stop_sig: a push stops between batches and retries */

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_sig = 1;
    else {
        stop_sig = sig;
        stop_push = 1;
    }
}

/* ---- what the HTTP thread reads, under mu ---- */

/* The HTTP side: every connection is dropped after CONN_IDLE_S without a
 * byte, one address holds at most CONN_PER_ADDR connections and all of them
 * CONN_TOTAL, and a small pool of epoll threads serves them, so slow clients
 * cannot starve /healthz of another address. */
#define CONN_IDLE_S 10
#define CONN_PER_ADDR 16
#define CONN_TOTAL 512
#define HTTP_THREADS 2
/* A scheduler that let a due cycle pass by this long is stuck. */
#define OVERDUE_S 60

typedef struct shared {
    pthread_mutex_t mu;
    dtc_metrics_counters c;
    char *store_text; /* the database's families, refreshed after each cycle (or NULL) */
    size_t store_len;
    bool in_cycle;
    int64_t cycle_started; /* epoch seconds of the running cycle */
    int stuck_after;       /* seconds a cycle may run before /healthz says so */
} shared;

/* Why the scheduler is stuck, or NULL: a cycle running longer than
 * --stuck-after, or (between cycles) the next one overdue by OVERDUE_S,
 * i.e. the loop that starts cycles no longer runs. */
static const char *stuck(shared *sh, char *why, size_t n)
{
    int64_t now = (int64_t)time(NULL);
    const char *out = NULL;
    pthread_mutex_lock(&sh->mu);
    if (sh->in_cycle && now - sh->cycle_started > sh->stuck_after) {
        snprintf(why, n, "unhealthy: a cycle has run for %lld s (--stuck-after %d)\n",
                 (long long)(now - sh->cycle_started), sh->stuck_after);
        out = why;
    } else if (!sh->in_cycle && sh->c.next_cycle > 0 && now > sh->c.next_cycle + OVERDUE_S) {
        snprintf(why, n, "unhealthy: the next cycle was due %lld s ago and has not started\n",
                 (long long)(now - sh->c.next_cycle));
        out = why;
    }
    pthread_mutex_unlock(&sh->mu);
    return out;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type,
                              char *text, size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        dtc_free(text);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    shared *sh = cls;
    (void)version, (void)upload, (void)upload_size, (void)con_cls;
    const char *plain = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer(conn, 405, plain, dtc_strdup("method not allowed\n"), 19);
    if (strcmp(url, "/healthz") == 0) {
        char why[160];
        if (stuck(sh, why, sizeof(why)))
            return answer(conn, 503, plain, dtc_strdup(why), strlen(why));
        return answer(conn, 200, plain, dtc_strdup("ok\n"), 3);
    }
    if (strcmp(url, "/readyz") == 0) {
        pthread_mutex_lock(&sh->mu);
        bool ready = sh->c.ready;
        pthread_mutex_unlock(&sh->mu);
        return ready ? answer(conn, 200, plain, dtc_strdup("ready\n"), 6)
                     : answer(conn, 503, plain, dtc_strdup("no cycle completed yet\n"), 23);
    }
    if (strcmp(url, "/metrics") == 0) {
        dtc_buf b;
        dtc_buf_init(&b, DTC_CAP_JSON_DOC);
        pthread_mutex_lock(&sh->mu);
        dtc_metrics_counters c = sh->c;
        int rc = dtc_buf_add(&b, sh->store_text ? sh->store_text : "", sh->store_len);
        pthread_mutex_unlock(&sh->mu);
        char *counters = NULL;
        size_t clen = 0;
        if (!rc) rc = dtc_metrics_process(&counters, &clen, &c);
        if (!rc) rc = dtc_buf_add(&b, counters, clen);
        dtc_free(counters);
        size_t len = 0;
        char *text = dtc_buf_take(&b, &len);
        dtc_buf_dispose(&b);
        if (rc || !text) {
            dtc_free(text);
            return answer(conn, 500, plain, dtc_strdup("metrics unavailable\n"), 20);
        }
        return answer(conn, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    }
    return answer(conn, 404, plain, dtc_strdup("not found: try /healthz, /readyz or /metrics\n"),
                  45);
}

static struct MHD_Daemon *start_http(const char *addr, shared *sh, int *port, char *err,
                                     size_t errlen)
{
    char host[128];
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr) {
        snprintf(err, errlen, "--listen takes ADDR:PORT, e.g. 127.0.0.1:9464 or [::1]:9464");
        return NULL;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 0 || p > 65535) {
        snprintf(err, errlen, "--listen: bad port in '%s'", addr);
        return NULL;
    }
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
    size_t hl = strlen(host);
    if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
        host[hl - 1] = '\0';
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1) goto bad;
        flags |= MHD_USE_IPv6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        if (inet_pton(AF_INET, host, &a4->sin_addr) != 1) goto bad;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)p, NULL, NULL, handle, sh, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_IDLE_S, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)CONN_TOTAL, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)CONN_PER_ADDR,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS, MHD_OPTION_END);
    if (!d) {
        snprintf(err, errlen, "cannot listen on %s (is the port taken?)", addr);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info ? info->port : (int)p;
    return d;
bad:
    snprintf(err, errlen, "--listen: '%s' is not an IP address (use 127.0.0.1, 0.0.0.0 or [::1])",
             host);
    return NULL;
}

/* ---- settings, loaded at start and on SIGHUP ---- */

typedef struct settings {
    dtc_config_file file; /* one read of the config: */
    dtc_config cfg;       /* accounts (resolved when syncing) */
    bool have_cfg;
    dtc_push_config pc;
    dtc_schedule sched;
    int jitter;
    bool sync;
    char pushes[1024]; /* comma-separated selection, "" for all */
    int max_series;    /* /metrics cost series cap, 0: the default */
    char when[300];    /* the schedule, for the log */
    char err[1024];
} settings;

static void settings_dispose(settings *s)
{
    dtc_config_dispose(&s->cfg);
    dtc_push_config_dispose(&s->pc);
    dtc_config_file_dispose(&s->file);
    memset(s, 0, sizeof(*s));
}

static int settings_load(settings *s)
{
    memset(s, 0, sizeof(*s));
    s->file.push = &s->pc;
    s->file.core = &s->cfg;
    int rc = dtc_config_file_load(&s->file, fl.config_path);
    if (rc) {
        snprintf(s->err, sizeof(s->err), "%s", s->file.err);
        return rc;
    }
    s->sync = no_sync ? false : s->pc.serve.sync;
    bool oauth = false; /* business events without an Api-Token use the account's client */
    for (size_t i = 0; i < s->pc.ndests; i++)
        oauth |= dtc_push_dest_needs_oauth(&s->pc.dests[i]);
    if (s->sync || oauth) {
        if ((rc = dtc_config_resolve(&s->cfg, &fl, &s->file)) != 0) {
            snprintf(s->err, sizeof(s->err), "%s (or run with --no-sync)", s->cfg.err);
            return rc;
        }
        s->have_cfg = true;
    }
    const char *cr = cron ? cron : interval ? NULL : s->pc.serve.cron;
    int iv = interval ? interval : s->pc.serve.interval ? s->pc.serve.interval : 3600;
    if ((rc = dtc_schedule_parse(&s->sched, cr, iv, s->err, sizeof(s->err))) != 0) return rc;
    if (cr)
        snprintf(s->when, sizeof(s->when), "on cron '%.200s' (UTC)", cr);
    else
        snprintf(s->when, sizeof(s->when), "every %d s", iv);
    s->jitter = jitter >= 0 ? jitter : s->pc.serve.jitter >= 0 ? s->pc.serve.jitter : 60;
    s->max_series = metrics_max_series ? metrics_max_series : s->pc.serve.metrics_max_series;
    /* The selection, capped: a list that does not fit is refused, not cut. */
    size_t off = 0;
    for (int i = 0; i < push_names.n && off < sizeof(s->pushes); i++)
        off += (size_t)snprintf(s->pushes + off, sizeof(s->pushes) - off, "%s%s", i ? "," : "",
                                push_names.v[i]);
    if (!push_names.n && s->pc.serve.pushes)
        off = (size_t)snprintf(s->pushes, sizeof(s->pushes), "%s", s->pc.serve.pushes);
    if (off >= sizeof(s->pushes)) {
        snprintf(s->err, sizeof(s->err),
                 "%s: the push names selected are %zu bytes or more together, longer than %zu: "
                 "select fewer, or leave the selection out to run every push",
                 push_names.n ? "--push" : "[serve] pushes", off, sizeof(s->pushes) - 1);
        return DTC_EINVAL;
    }
    /* Every named push must exist. */
    char copy[sizeof(s->pushes)], *save = NULL;
    memcpy(copy, s->pushes, sizeof(copy));
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        bool found = false;
        for (size_t i = 0; i < s->pc.ndests; i++)
            found |= strcmp(s->pc.dests[i].name, t) == 0;
        if (!found) {
            snprintf(s->err, sizeof(s->err), "push %s: no [push %s] section in the config file", t,
                     t);
            return DTC_EINVAL;
        }
    }
    return 0;
}

static bool push_selected(const settings *s, const char *name)
{
    if (!s->pushes[0]) return true;
    char copy[sizeof(s->pushes)], *save = NULL;
    memcpy(copy, s->pushes, sizeof(copy));
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        if (strcmp(t, name) == 0) return true;
    return false;
}

/* ---- the cycle ---- */

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logline(const char *fmt, ...)
{
    char when[21];
    dtc_fmt_datetime(when, (int64_t)time(NULL));
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s dtcost serve: ", when);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    logline("warning: %s", msg);
}

static void refresh_store_metrics(shared *sh, dtc_store *db, const settings *s)
{
    char *text = NULL;
    size_t len = 0;
    dtc_metrics_opts mo = {.today = (int64_t)time(NULL) / 86400, .max_cost_series = s->max_series};
    if (dtc_metrics_store(db, &text, &len, &mo) != 0) {
        logline("warning: metrics from the database unavailable: %s", dtc_store_errmsg(db));
        return;
    }
    pthread_mutex_lock(&sh->mu);
    char *old = sh->store_text;
    sh->store_text = text;
    sh->store_len = len;
    pthread_mutex_unlock(&sh->mu);
    dtc_free(old);
}

/* One cycle; returns false when it failed somewhere. */
static bool cycle(settings *s, dtc_store *db, shared *sh, long n)
{
    bool ok = true;
    int64_t t0 = dtc_mono_ms();
    pthread_mutex_lock(&sh->mu);
    sh->in_cycle = true;
    sh->cycle_started = (int64_t)time(NULL);
    pthread_mutex_unlock(&sh->mu);
    if (s->sync && !stop_sig) {
        int64_t today = (int64_t)time(NULL) / 86400;
        dtc_sync_opts so = {.cfg = &s->cfg,
                            .store = db,
                            .today = today,
                            .since = -1,
                            .until = -1,
                            .retry_base_ms = retry_base_ms,
                            .cancel = &stop_sig, /* SIGTERM ends a wait for the database */
                            .warn = on_warn};
        dtc_sync_result r;
        int rc = dtc_sync_run(&r, &so);
        pthread_mutex_lock(&sh->mu);
        sh->c.sync_requests += r.stats.requests;
        sh->c.sync_retries += r.stats.retries;
        if (rc)
            sh->c.sync_failed++;
        else
            sh->c.sync_ok++;
        pthread_mutex_unlock(&sh->mu);
        if (rc) {
            ok = false;
            logline("cycle %ld: sync failed: %s", n, r.err);
        } else if (!quiet) {
            logline("cycle %ld: sync ok: %ld requests (%ld retried), %ld rows inserted, %ld "
                    "updated, %ld days "
                    "restated",
                    n, r.stats.requests, r.stats.retries, r.stats.inserted, r.stats.updated,
                    r.stats.restated_days);
        }
    }
    for (size_t i = 0; i < s->pc.ndests && !stop_sig; i++) {
        dtc_push_dest *d = &s->pc.dests[i];
        if (!push_selected(s, d->name)) continue;
        const dtc_account_cfg *acct = s->have_cfg && s->cfg.naccounts ? &s->cfg.accounts[0] : NULL;
        dtc_push_opts po = {.store = db,
                            .dest = d,
                            .account = acct,
                            .now = (int64_t)time(NULL),
                            .warn = on_warn,
                            .cancel = &stop_push};
        dtc_push_result r;
        int rc = dtc_push_run(&r, &po);
        pthread_mutex_lock(&sh->mu);
        sh->c.push_requests += r.requests;
        sh->c.push_retries += r.retries;
        sh->c.push_records += r.delivered_records;
        sh->c.push_batches += r.delivered_batches;
        sh->c.push_dead += r.dead_batches;
        if (rc) sh->c.push_failed++;
        pthread_mutex_unlock(&sh->mu);
        if (rc) {
            ok = false;
            logline("cycle %ld: %s", n, r.err);
        } else if (!quiet) {
            logline("cycle %ld: push %s: %ld records in %ld batches delivered, %ld requests (%ld "
                    "retried), %ld "
                    "dead-lettered",
                    n, d->name, r.delivered_records, r.delivered_batches, r.requests, r.retries,
                    r.dead_total);
        }
    }
    refresh_store_metrics(sh, db, s);
    pthread_mutex_lock(&sh->mu);
    sh->c.cycles++;
    if (!ok) sh->c.cycles_failed++;
    sh->c.ready = true;
    sh->in_cycle = false;
    sh->c.last_cycle_end = (int64_t)time(NULL);
    sh->c.last_cycle_seconds = (double)(dtc_mono_ms() - t0) / 1000.0;
    pthread_mutex_unlock(&sh->mu);
    return ok;
}

static void reset(void)
{
    memset(&fl, 0, sizeof(fl));
    listen_addr = cron = NULL;
    memset(&push_names, 0, sizeof(push_names));
    interval = max_cycles = retry_base_ms = stuck_after = metrics_max_series = 0;
    jitter = -1;
    no_sync = quiet = false;
}

int cmd_serve(int argc, char **argv)
{
    reset();
    int npos = 0;
    int code = opt_parse(&serve_spec, argc, argv, &npos);
    if (code >= 0) return code;
    if (npos > 0) return opt_usage_error(&serve_spec, "unexpected argument '%s'", argv[1]);
    if (interval && cron)
        return opt_usage_error(&serve_spec, "give --interval or --cron, not both");
    if (interval < 0 || max_cycles < 0 || jitter < -1 || stuck_after < 0)
        return opt_usage_error(
            &serve_spec, "--interval, --jitter, --max-cycles and --stuck-after take non-negative "
                         "numbers");
    if (metrics_max_series < 0 || metrics_max_series > 1000000)
        return opt_usage_error(&serve_spec, "--metrics-max-series takes 1 to 1000000");

    /* Handlers before anything slow (the config, opening and migrating the
     * database): a SIGHUP from `systemctl reload` or a SIGTERM during
     * start-up is then remembered rather than killing the process. */
    stop_sig = reload_sig = 0;
    stop_push = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART; /* a reload request must not fail a read or a write in the cycle */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    settings *s = dtc_calloc(1, sizeof(*s));
    shared sh;
    memset(&sh, 0, sizeof(sh));
    pthread_mutex_init(&sh.mu, NULL);
    sh.stuck_after = stuck_after ? stuck_after : 6 * 3600;
    sh.c.version = dtc_version();
    dtc_store *db = NULL;
    struct MHD_Daemon *http = NULL;
    char err[1024];
    int rc = 0;
    bool no_db = false;
    if (!s) {
        rc = DTC_ENOMEM;
        goto done;
    }
    if ((rc = settings_load(s)) != 0) {
        fprintf(stderr, "dtcost serve: %s\n", s->err);
        goto done;
    }
    const char *dbpath = dtc_config_db_path(fl.database, &s->file);
    /* Without sync, serve only reads and pushes what a sync stored. */
    if (!s->sync && dtc_config_db_require(dbpath, err, sizeof(err)) != 0) {
        fprintf(stderr, "dtcost serve: %s\n", err);
        no_db = true;
        goto done;
    }
    if ((rc = dtc_store_open(&db, dbpath, err, sizeof(err))) != 0) {
        fprintf(stderr, "dtcost serve: %s\n", err);
        goto done;
    }
    char dbshown[1024];
    snprintf(dbshown, sizeof(dbshown), "%s", dbpath);

    refresh_store_metrics(&sh, db, s);
    int port = 0;
    const char *addr = listen_addr          ? listen_addr
                       : s->pc.serve.listen ? s->pc.serve.listen
                                            : "127.0.0.1:9464";
    if (!(http = start_http(addr, &sh, &port, err, sizeof(err)))) {
        fprintf(stderr, "dtcost serve: %s\n", err);
        rc = DTC_EIO;
        goto done;
    }
    printf("%d\n", port);
    fflush(stdout);
    logline("serving /healthz, /readyz and /metrics on port %d; database %s; %s%s %s, jitter up to "
            "%d s",
            port, dbshown, s->sync ? "sync and " : "", s->pushes[0] ? s->pushes : "all pushes",
            s->when, s->jitter);

    dtc_backoff rng; /* only its jitter: the schedule is the delay */
    dtc_backoff_init(
        &rng, 1, 1, 0, DTC_JITTER_FULL,
        dtc_hash4((uint64_t)getpid(), (uint64_t)time(NULL), (uint64_t)dtc_mono_ms(), 0x5e, 0));
    for (long n = 1; !stop_sig; n++) {
        cycle(s, db, &sh, n);
        if (stop_sig || (max_cycles && n >= max_cycles)) break;
        int64_t end = (int64_t)time(NULL);
        int64_t next = dtc_schedule_next(&s->sched, end);
        if (next < 0) {
            logline("the cron expression never matches again; exiting");
            break;
        }
        int64_t extra_ms = dtc_backoff_jitter(&rng, (int64_t)s->jitter * 1000);
        int64_t wake_ms = next * 1000 + extra_ms;
        pthread_mutex_lock(&sh.mu);
        sh.c.next_cycle = (wake_ms + 999) / 1000;
        pthread_mutex_unlock(&sh.mu);
        /* Sleep in short steps: a signal ends the wait early. */
        for (;;) {
            if (stop_sig) break;
            if (reload_sig) {
                reload_sig = 0;
                settings *fresh = dtc_calloc(1, sizeof(*fresh));
                if (fresh && settings_load(fresh) == 0) {
                    settings_dispose(s);
                    dtc_free(s);
                    s = fresh;
                    logline("config reloaded: %s%s %s, jitter up to %d s (the database and "
                            "listen address stay until a restart)",
                            s->sync ? "sync and " : "", s->pushes[0] ? s->pushes : "all pushes",
                            s->when, s->jitter);
                    next = dtc_schedule_next(&s->sched, end);
                    wake_ms = next < 0 ? wake_ms : next * 1000 + extra_ms;
                    pthread_mutex_lock(&sh.mu);
                    sh.c.next_cycle = (wake_ms + 999) / 1000;
                    pthread_mutex_unlock(&sh.mu);
                } else {
                    logline("config reload failed, keeping the previous one: %s",
                            fresh ? fresh->err : "out of memory");
                    if (fresh) settings_dispose(fresh);
                    dtc_free(fresh);
                }
            }
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
            if (now_ms >= wake_ms) break;
            dtc_sleep_ms(wake_ms - now_ms < 200 ? wake_ms - now_ms : 200, &stop_sig);
        }
    }
    if (stop_sig)
        logline("stopping on %s after the current step", stop_sig == SIGINT ? "SIGINT" : "SIGTERM");
    rc = 0;
done:
    if (http) MHD_stop_daemon(http);
    dtc_store_close(db);
    if (s) {
        settings_dispose(s);
        dtc_free(s);
    }
    dtc_free(sh.store_text);
    pthread_mutex_destroy(&sh.mu);
    return no_db ? DTC_EXIT_NOINPUT : opt_exit_for(rc);
}
