/* cmd_sync.c: `dtcost sync`, the main job: the account's subscriptions,
 * budget, cost and usage into the local database, exactly in step. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "dtcost/config.h"
#include "dtcost/store.h"
#include "dtcost/sync.h"
#include "opts.h"
#include "record.h"
#include "timeutil.h"

static dtc_config_flags fl;
static int64_t since, until;
static bool quiet;
static const char *out_format;
static int retry_attempts, retry_seconds, retry_base_ms, lock_seconds;
static int db_retry; /* INT_MIN: not given */

static const opt sync_opts[] = {
    {"config", OPT_STR, &fl.config_path, "FILE",
     "INI file with [dtcost] settings and [account NAME] sections (or DTCOST_CONFIG)"},
    {"db", OPT_STR, &fl.database, "PATH", OPT_DB_HELP},
    {"account", OPT_STR, &fl.account_uuid, "UUID", "account UUID (or DT_ACCOUNT_UUID)"},
    {"client-id", OPT_STR, &fl.client_id, "ID", "OAuth client id (or DT_CLIENT_ID)"},
    {"client-secret-file", OPT_STR, &fl.client_secret_file, "FILE",
     "file holding the OAuth client secret, mode 600 (or DT_CLIENT_SECRET_FILE / "
     "DT_CLIENT_SECRET)"},
    {"sso-url", OPT_STR, &fl.sso_url, "URL",
     "token endpoint (or DT_SSO_URL; default " DTC_DEFAULT_SSO_URL ")"},
    {"api-url", OPT_STR, &fl.api_url, "URL",
     "Account Management API (or DT_API_URL; default " DTC_DEFAULT_API_URL ")"},
    {"subscription", OPT_STR, &fl.subscriptions, "UUIDS",
     "only these subscriptions (comma-separated)"},
    {"since", OPT_TIME, &since, "DATE",
     "backfill from this day (default: from the last checkpoint minus the trailing window)"},
    {"until", OPT_TIME, &until, "DATE", "last day to sync (default: today)"},
    {"trailing-days", OPT_INT, &fl.trailing_days, "N",
     "days re-read on every run, for late bookings (default 35)"},
    {"concurrency", OPT_INT, &fl.concurrency, "N",
     "requests in flight per account, at most; a 429 halves it for a while (default 4, or [dtcost] "
     "concurrency)"},
    {"scopes", OPT_STR, &fl.scopes, "LIST",
     "OAuth scopes to ask for, space-separated (or DT_SCOPES; default: account-uac-read "
     "account-env-read, falling back to account-uac-read)"},
    {"retry-attempts", OPT_INT, &retry_attempts, "N",
     "tries per request on 429, 5xx and dropped connections (default 8)"},
    {"retry-seconds", OPT_INT, &retry_seconds, "SECS",
     "time budget per request for those retries (default 300)"},
    {"retry-base-ms", OPT_INT, &retry_base_ms, "MS",
     "first backoff delay, doubled per retry with jitter, capped at 30 s (default 500)"},
    {"lock-wait", OPT_INT, &lock_seconds, "SECS",
     "wait this long for another sync of the same account into the same server database, then exit "
     "73 (default 300)"},
    {"db-retry", OPT_INT, &db_retry, "SECS",
     "when the connection to a PostgreSQL database is lost, reconnect for up to this long and redo "
     "the transaction in flight, then exit 69; 0: exit at once (default 60, or [dtcost] db_retry)"},
    {"quiet", OPT_FLAG, &quiet, NULL,
     "no progress and no summary (warnings and errors still go to stderr)"},
    {"format|json", OPT_CHOICE, &out_format, "table|json|csv",
     "the run's summary as a line of text, one JSON object or a CSV header and row on stdout "
     "(default table)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec sync_spec = {
    "sync",
    "",
    "Bring the local database exactly in step with Dynatrace: subscriptions and\n"
    "budget, environments, daily cost and usage, cost and usage per environment,\n"
    "forecast, rate cards, cost events and cost allocation. Each run re-reads the\n"
    "days since its last checkpoint plus a trailing window, because Dynatrace\n"
    "books late; changed values are updated in place and logged in the revision\n"
    "table. Safe to run as often as you like and to kill at any point.\n"
    "Exit codes: 0 ok, 77 credentials or scope refused, 78 configuration,\n"
    "75 Dynatrace kept failing (run again later), 69 unreachable, 65 malformed\n"
    "answers, 76 a request refused (HTTP 400, quoted), 74 database.\n"
    "Details: docs/sync.md.",
    sync_opts,
};

typedef struct ui {
    bool tty;
    int64_t last_ms;
} ui;

static void on_progress(void *ctx, const dtc_sync_progress *p)
{
    ui *u = ctx;
    if (!u->tty) return;
    int64_t now = dtc_mono_ms();
    if (now - u->last_ms < 100) return;
    u->last_ms = now;
    fprintf(stderr, "\r\033[Ksync %.8s %-20s %6ld pages %9ld rows %6ld requests %6.1f s",
            p->subscription, p->step, p->pages, p->rows, p->requests,
            (double)p->elapsed_ms / 1000.0);
    fflush(stderr);
}

static void on_warn(void *ctx, const char *msg)
{
    ui *u = ctx;
    if (u->tty) fprintf(stderr, "\r\033[K");
    fprintf(stderr, "dtcost sync: warning: %s\n", msg);
}

int cmd_sync(int argc, char **argv)
{
    memset(&fl, 0, sizeof(fl));
    since = until = 0;
    quiet = false;
    out_format = NULL;
    retry_attempts = retry_seconds = retry_base_ms = lock_seconds = 0;
    db_retry = INT_MIN;
    int npos = 0;
    int code = opt_parse(&sync_spec, argc, argv, &npos);
    if (code >= 0) return code;
    if (db_retry != INT_MIN) {
        fl.db_retry = db_retry;
        fl.db_retry_set = true;
    }
    if (npos > 0) return opt_usage_error(&sync_spec, "unexpected argument '%s'", argv[1]);
    if (since && until && until < since)
        return opt_usage_error(&sync_spec, "--until is before --since");

    dtc_config cfg;
    dtc_config_file file = {.core = &cfg};
    dtc_store *db = NULL;
    char err[512];
    int rc = dtc_config_file_load(&file, fl.config_path);
    if (rc || (rc = dtc_config_resolve(&cfg, &fl, &file)) != 0) {
        fprintf(stderr, "dtcost sync: %s\n", file.err[0] ? file.err : cfg.err);
        dtc_config_file_dispose(&file);
        dtc_config_dispose(&cfg);
        return opt_exit_for(rc);
    }
    dtc_config_file_dispose(&file);
    if ((rc = dtc_store_open(&db, cfg.database, err, sizeof(err))) != 0) {
        fprintf(stderr, "dtcost sync: %s\n", err);
        dtc_config_dispose(&cfg);
        return opt_exit_for(rc);
    }
    ui u = {.tty = !quiet && isatty(2)};
    int64_t today = (int64_t)time(NULL) / 86400;
    dtc_sync_opts so = {.cfg = &cfg,
                        .store = db,
                        .today = today,
                        .since = since ? since / 86400 : -1,
                        .until = until ? until / 86400 : -1,
                        .retry_attempts = retry_attempts,
                        .retry_seconds = retry_seconds,
                        .retry_base_ms = retry_base_ms,
                        .lock_seconds = lock_seconds,
                        .progress = on_progress,
                        .warn = on_warn,
                        .ctx = &u};
    if (so.until > today) so.until = today; /* never ask for future days */
    dtc_sync_result r;
    int64_t t0 = dtc_mono_ms();
    rc = dtc_sync_run(&r, &so);
    double secs = (double)(dtc_mono_ms() - t0) / 1000.0;
    if (u.tty) fprintf(stderr, "\r\033[K");
    if (rc) fprintf(stderr, "dtcost sync: %s\n", r.err);
    if (out_format && !opt_is(out_format, "table")) {
        char s[32];
        snprintf(s, sizeof(s), "%.3f", secs);
        const rec_field f[] = {
            REC_I("run_id", r.run_id),
            REC_S("status", rc ? "failed" : "ok"),
            REC_I("accounts", r.accounts),
            REC_I("subscriptions", r.subscriptions),
            REC_I("requests", r.stats.requests),
            REC_I("retries", r.stats.retries),
            REC_I("pages", r.pages),
            REC_I("inserted", r.stats.inserted),
            REC_I("updated", r.stats.updated),
            REC_I("restated_days", r.stats.restated_days),
            REC_I("warnings", r.stats.warnings),
            REC_N("seconds", s),
            REC_I("exit_code", opt_exit_for(rc)),
        };
        (void)rec_write(stdout, out_format, f, sizeof(f) / sizeof(f[0]), true);
    } else if (!quiet && rc == 0) {
        printf("dtcost sync: %ld subscription%s of %ld account%s in %.1f s: %ld requests (%ld "
               "retried), "
               "%ld rows inserted, %ld updated, %ld day%s restated, %ld warning%s; database %s\n",
               r.subscriptions, r.subscriptions == 1 ? "" : "s", r.accounts,
               r.accounts == 1 ? "" : "s", secs, r.stats.requests, r.stats.retries,
               r.stats.inserted, r.stats.updated, r.stats.restated_days,
               r.stats.restated_days == 1 ? "" : "s", r.stats.warnings,
               r.stats.warnings == 1 ? "" : "s", cfg.database);
    }
    dtc_store_close(db);
    dtc_config_dispose(&cfg);
    return opt_exit_for(rc);
}
