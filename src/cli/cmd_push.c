/* cmd_push.c: `dtcost push`, cost records from the database to a webhook or
 * to Dynatrace business events, through the durable outbox (docs/push.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "jw.h"
#include "commands.h"
#include "dtcost/config.h"
#include "dtcost/push.h"
#include "dtcost/store.h"
#include "opts.h"
#include "record.h"
#include "timeutil.h"

static dtc_config_flags fl;
static const char *environment, *format, *secret_file, *signature_header, *header_file,
    *api_token_file;
static const char *event_type, *event_provider;
static opt_list headers;
static int64_t since;
static size_t batch_bytes;
static int batch_records = -1, timeout_s, connect_timeout_s, retries = -1, retry_base_ms,
           dead_after;
static int lock_wait_s = -1;
static bool dry_run, retry_failed, quiet;
static const char *out_format;
static bool header_done; /* CSV: the header row precedes the first destination only */

static const opt push_opts[] = {
    {"config", OPT_STR, &fl.config_path, "FILE",
     "INI file; its [push NAME] sections are the destinations when none is named here (or "
     "DTCOST_CONFIG)"},
    {"db", OPT_STR, &fl.database, "PATH", OPT_DB_HELP},
    {"environment", OPT_STR, &environment, "URL",
     "bizevents: the environment, e.g. https://abc12345.live.dynatrace.com"},
    {"api-token-file", OPT_STR, &api_token_file, "FILE",
     "bizevents: Api-Token with bizevents.ingest, mode 600 (or DT_API_TOKEN_FILE / DT_API_TOKEN; "
     "without one, OAuth storage:events:write with the account's client)"},
    {"account", OPT_STR, &fl.account_uuid, "UUID",
     "bizevents OAuth: account UUID (or DT_ACCOUNT_UUID)"},
    {"client-id", OPT_STR, &fl.client_id, "ID", "bizevents OAuth: client id (or DT_CLIENT_ID)"},
    {"client-secret-file", OPT_STR, &fl.client_secret_file, "FILE",
     "bizevents OAuth: client secret file, mode 600 (or DT_CLIENT_SECRET_FILE / DT_CLIENT_SECRET)"},
    {"sso-url", OPT_STR, &fl.sso_url, "URL",
     "bizevents OAuth: token endpoint (or DT_SSO_URL; default " DTC_DEFAULT_SSO_URL ")"},
    {"body", OPT_CHOICE, &format, "jsonl|json",
     "webhook body: JSON Lines or one JSON array (default jsonl)"},
    {"secret-file", OPT_STR, &secret_file, "FILE",
     "webhook: HMAC-SHA256 key, mode 600; signs each body (or DTCOST_WEBHOOK_SECRET_FILE / "
     "DTCOST_WEBHOOK_SECRET)"},
    {"signature-header", OPT_STR, &signature_header, "NAME",
     "webhook: header carrying sha256=<hex> (default " DTC_PUSH_SIGNATURE_HEADER ")"},
    {"header", OPT_LIST, &headers, "'NAME: VALUE'",
     "extra request header; repeatable (secrets belong in --header-file)"},
    {"header-file", OPT_STR, &header_file, "FILE",
     "extra headers, one 'Name: value' per line, mode 600"},
    {"since", OPT_TIME, &since, "DATE",
     "only days from this one (default: every day in the database)"},
    {"batch-bytes", OPT_SIZE, &batch_bytes, NULL,
     "largest request body (default 5000000 webhook, 1000000 bizevents)"},
    {"batch-records", OPT_INT, &batch_records, "N",
     "most records per request, 0 for no limit (default 10000 webhook, 0 bizevents)"},
    {"timeout", OPT_INT, &timeout_s, "SECS", "per request (default 30)"},
    {"connect-timeout", OPT_INT, &connect_timeout_s, "SECS", "per connection (default 10)"},
    {"retries", OPT_INT, &retries, "N",
     "extra tries per batch in one run on 429, 5xx and connection failures (default 5)"},
    {"retry-base-ms", OPT_INT, &retry_base_ms, "MS",
     "first backoff, doubled per retry with jitter, capped at 30 s; Retry-After wins (default "
     "500)"},
    {"dead-after", OPT_INT, &dead_after, "N",
     "failed attempts after which a batch is dead-lettered (default 10)"},
    {"event-type", OPT_STR, &event_type, "TYPE",
     "bizevents: CloudEvent type, queryable as event.type (default dtcost.cost)"},
    {"event-provider", OPT_STR, &event_provider, "NAME",
     "bizevents: CloudEvent source, queryable as event.provider (default dtcost)"},
    {"lock-wait", OPT_INT, &lock_wait_s, "SECS",
     "wait this long for another push to the same destination to end, then exit 73 (default 60)"},
    {"retry-failed", OPT_FLAG, &retry_failed, NULL, "send dead-lettered batches again"},
    {"dry-run", OPT_FLAG, &dry_run, NULL,
     "print the requests that would be sent (summary line, then body); send and record nothing"},
    {"quiet", OPT_FLAG, &quiet, NULL, "no summary (warnings and errors still go to stderr)"},
    {"format|json", OPT_CHOICE, &out_format, "table|json|csv",
     "summary per destination as a line of text, one JSON object or a CSV row (after a header) on "
     "stdout (default table)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec push_spec = {
    "push",
    "webhook URL | bizevents --environment URL | [NAME...]",
    "Deliver the cost records that are new or changed since the last delivery to\n"
    "a destination (new days and restated days: per subscription and day, and per\n"
    "environment, capability and day) from the database. Each batch is recorded\n"
    "in the database before it is sent and marked delivered only on a 2xx, so a\n"
    "failed or killed run loses nothing; every record carries recordKey (the same\n"
    "across restatements), revision and idempotencyKey, and every request an\n"
    "Idempotency-Key header, so receivers can deduplicate. Without a destination\n"
    "here, the config file's [push NAME] sections (all, or those named) are used.\n"
    "Exit codes: 0 nothing left pending, 75 a receiver kept failing (run again\n"
    "later), 77 credentials refused, 69 unreachable, 78 configuration, 74 database,\n"
    "73 another push to the same destination kept running past --lock-wait.\n"
    "Details: docs/push.md.",
    push_opts,
};

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static void on_warn(void *ctx, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "dtcost push: warning: %s\n", msg);
}

static void on_show(void *ctx, const char *summary, const char *body, size_t len)
{
    (void)ctx;
    printf("== %s\n", summary);
    fwrite(body, 1, len, stdout);
    if (len && body[len - 1] != '\n') putchar('\n');
}

/* Flags over the destination's settings. */
static int apply_flags(dtc_push_dest *d, char *err, size_t errlen)
{
    if (format) {
        if (strcmp(format, "jsonl") && strcmp(format, "json")) {
            snprintf(err, errlen, "--body takes jsonl or json");
            return DTC_EINVAL;
        }
        d->format = strcmp(format, "json") == 0 ? DTC_PUSH_JSON_ARRAY : DTC_PUSH_JSONL;
    }
    const char *sf = secret_file ? secret_file : env("DTCOST_WEBHOOK_SECRET_FILE");
    const char *sv = secret_file ? NULL : env("DTCOST_WEBHOOK_SECRET");
    int rc = 0;
    if (dtc_push_dest_uses(d, "secret_file") && (sf || sv)) {
        char *sec = NULL;
        if (sf && (rc = dtc_read_secret_file(&sec, sf, err, errlen)) != 0) return rc;
        if (!sf && !(sec = dtc_strdup(sv))) return DTC_ENOMEM;
        dtc_free_secret(d->secret);
        d->secret = sec;
    }
    const char *tf = api_token_file ? api_token_file : env("DT_API_TOKEN_FILE");
    const char *tv = api_token_file ? NULL : env("DT_API_TOKEN");
    if (dtc_push_dest_uses(d, "api_token_file") && (tf || tv)) {
        char *tok = NULL;
        if (tf && (rc = dtc_read_secret_file(&tok, tf, err, errlen)) != 0) return rc;
        if (!tf && !(tok = dtc_strdup(tv))) return DTC_ENOMEM;
        dtc_free_secret(d->api_token);
        d->api_token = tok;
    }
    for (int i = 0; i < headers.n; i++)
        if ((rc = dtc_push_dest_add_header(d, headers.v[i], err, errlen)) != 0) return rc;
    if (header_file && (rc = dtc_push_dest_header_file(d, header_file, err, errlen)) != 0)
        return rc;
    char day[11];
    if (since) {
        dtc_fmt_date(day, since / 86400);
        dtc_free(d->since);
        if (!(d->since = dtc_strdup(day))) return DTC_ENOMEM;
    }
    const struct {
        const char *v;
        char **dst;
    } strs[] = {{signature_header, &d->signature_header},
                {event_type, &d->event_type},
                {event_provider, &d->event_provider}};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        if (!strs[i].v) continue;
        char *c = dtc_strdup(strs[i].v);
        if (!c) return DTC_ENOMEM;
        dtc_free(*strs[i].dst);
        *strs[i].dst = c;
    }
    if (batch_bytes) d->batch_bytes = batch_bytes;
    if (batch_records >= 0) d->batch_records = batch_records;
    if (timeout_s) d->timeout_ms = (long)timeout_s * 1000;
    if (connect_timeout_s) d->connect_timeout_ms = (long)connect_timeout_s * 1000;
    if (retries >= 0) d->retries = retries;
    if (retry_base_ms) d->retry_base_ms = retry_base_ms;
    if (dead_after) d->dead_after = dead_after;
    return dtc_push_dest_check(d, err, errlen);
}

static void summary(const dtc_push_dest *d, const dtc_push_result *r, int rc, double secs)
{
    char id[2400];
    dtc_push_dest_id(d, id, sizeof(id));
    if (out_format && !opt_is(out_format, "table")) {
        char sec[32];
        snprintf(sec, sizeof(sec), "%.3f", secs);
        const rec_field f[] = {
            REC_S("destination", id),
            REC_S("name", d->name),
            REC_S("status", rc ? "failed" : "ok"),
            REC_B("dry_run", dry_run),
            REC_I("enqueued_records", r->enqueued_records),
            REC_I("enqueued_batches", r->enqueued_batches),
            REC_I("delivered_batches", r->delivered_batches),
            REC_I("delivered_records", r->delivered_records),
            REC_I("pending_batches", r->pending_batches),
            REC_I("dead_batches", r->dead_batches),
            REC_I("dead_total", r->dead_total),
            REC_I("requeued", r->requeued),
            REC_I("split_batches", r->split_batches),
            REC_I("requests", r->requests),
            REC_I("retries", r->retries),
            REC_N("seconds", sec),
            REC_I("exit_code", opt_exit_for(rc)),
        };
        (void)rec_write(stdout, out_format, f, sizeof(f) / sizeof(f[0]), !header_done);
        header_done = true;
    } else if (!quiet && rc == 0 && !dry_run) {
        printf("dtcost push %s: %ld new or changed records in %ld batches; %ld batches (%ld "
               "records) delivered "
               "in %.1f s, %ld requests (%ld retried), %ld dead-lettered%s\n",
               id, r->enqueued_records, r->enqueued_batches, r->delivered_batches,
               r->delivered_records, secs, r->requests, r->retries, r->dead_total,
               r->dead_total ? " (resend with --retry-failed)" : "");
    } else if (!quiet && rc == 0) {
        fprintf(stderr, "dtcost push %s: dry run: %ld batches would be sent, nothing recorded\n",
                id, r->pending_batches);
    }
}

static void reset(void)
{
    memset(&fl, 0, sizeof(fl));
    environment = format = secret_file = signature_header = header_file = api_token_file = NULL;
    event_type = event_provider = NULL;
    memset(&headers, 0, sizeof(headers));
    since = 0;
    batch_bytes = 0;
    batch_records = retries = -1;
    timeout_s = connect_timeout_s = retry_base_ms = dead_after = 0;
    lock_wait_s = -1;
    dry_run = retry_failed = quiet = false;
    out_format = NULL;
    header_done = false;
}

static bool selected(char **names, int n, const char *name)
{
    if (n == 0) return true;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0) return true;
    return false;
}

int cmd_push(int argc, char **argv)
{
    reset();
    int npos = 0;
    int code = opt_parse(&push_spec, argc, argv, &npos);
    if (code >= 0) return code;
    char **pos = argv + 1;
    dtc_push_config pc;
    dtc_push_dest cli;
    bool have_cli = false;
    dtc_config cfg;
    bool have_cfg = false;
    dtc_store *db = NULL;
    char err[1024];
    int rc = 0, exit_code = 0;
    /* One read of the file: the accounts come along for business events
     * without an Api-Token; their secrets are read only if one needs them. */
    dtc_config_file file = {.push = &pc, .core = &cfg};
    memset(&cli, 0, sizeof(cli));
    if ((rc = dtc_config_file_load(&file, fl.config_path)) != 0) {
        fprintf(stderr, "dtcost push: %s\n", file.err);
        dtc_push_config_dispose(&pc);
        dtc_config_dispose(&cfg);
        dtc_config_file_dispose(&file);
        return opt_exit_for(rc);
    }
    const char *path = file.path ? file.path : "the config (none found)";
    dtc_push_kind kind;
    if (npos > 0 && dtc_push_kind_named(&kind, pos[0]) == 0) {
        bool hook = kind == DTC_PUSH_WEBHOOK; /* a URL argument, or --environment */
        if (hook && npos != 2) {
            exit_code = opt_usage_error(&push_spec, "push webhook takes one URL");
            goto done;
        }
        if (!hook && (npos != 1 || !environment)) {
            exit_code = opt_usage_error(&push_spec,
                                        "push bizevents takes --environment URL and nothing else");
            goto done;
        }
        if ((rc = dtc_push_dest_init(&cli, kind, pos[0])) != 0) goto fail;
        have_cli = true;
        if (!(cli.url = dtc_strdup(hook ? pos[1] : environment))) {
            rc = DTC_ENOMEM;
            goto fail;
        }
        if ((rc = apply_flags(&cli, err, sizeof(err))) != 0) {
            fprintf(stderr, "dtcost push: %s\n", err);
            goto fail;
        }
    } else {
        if (pc.ndests == 0) {
            exit_code = opt_usage_error(
                &push_spec, "name a destination (webhook URL or bizevents --environment "
                            "URL) or give --config with [push NAME] sections");
            goto done;
        }
        for (int i = 0; i < npos; i++) {
            bool known = false;
            for (size_t j = 0; j < pc.ndests; j++)
                known |= strcmp(pc.dests[j].name, pos[i]) == 0;
            if (!known) {
                exit_code = opt_usage_error(&push_spec, "no [push %s] section in %s", pos[i], path);
                goto done;
            }
        }
        for (size_t j = 0; j < pc.ndests; j++)
            if ((rc = apply_flags(&pc.dests[j], err, sizeof(err))) != 0) {
                fprintf(stderr, "dtcost push: %s\n", err);
                goto fail;
            }
    }

    const char *dbpath = dtc_config_db_path(fl.database, &file);
    if (dtc_config_db_require(dbpath, err, sizeof(err)) != 0) { /* push reads what sync stored */
        fprintf(stderr, "dtcost push: %s\n", err);
        exit_code = DTC_EXIT_NOINPUT;
        goto done;
    }
    if ((rc = dtc_store_open(&db, dbpath, err, sizeof(err))) != 0) {
        fprintf(stderr, "dtcost push: %s\n", err);
        goto fail;
    }
    size_t n = have_cli ? 1 : pc.ndests;
    for (size_t i = 0; i < n; i++) {
        dtc_push_dest *d = have_cli ? &cli : &pc.dests[i];
        if (!have_cli && !selected(pos, npos, d->name)) continue;
        const dtc_account_cfg *acct = NULL;
        if (dtc_push_dest_needs_oauth(d) && !dry_run) {
            if (!have_cfg) {
                if ((rc = dtc_config_resolve(&cfg, &fl, &file)) != 0) {
                    fprintf(stderr,
                            "dtcost push %s: business events need an Api-Token (--api-token-file, "
                            "DT_API_TOKEN_FILE) or the account's OAuth client: %s\n",
                            d->name, cfg.err);
                    goto fail;
                }
                have_cfg = true;
            }
            acct = &cfg.accounts[0];
        }
        dtc_push_opts o = {.store = db,
                           .dest = d,
                           .account = acct,
                           .dry_run = dry_run,
                           .retry_failed = retry_failed,
                           .now = (int64_t)time(NULL),
                           .show = on_show,
                           .lock_wait_ms = (lock_wait_s < 0       ? 60
                                            : lock_wait_s > 86400 ? 86400
                                                                  : lock_wait_s) *
                                           1000,
                           .warn = on_warn};
        dtc_push_result r;
        int64_t t0 = dtc_mono_ms();
        int one = dtc_push_run(&r, &o);
        if (one) fprintf(stderr, "dtcost push: %s\n", r.err);
        summary(d, &r, one, (double)(dtc_mono_ms() - t0) / 1000.0);
        if (one && !rc) rc = one;
    }
fail:
    exit_code = opt_exit_for(rc);
done:
    dtc_store_close(db);
    dtc_config_dispose(&cfg);
    if (have_cli) dtc_push_dest_dispose(&cli);
    dtc_push_config_dispose(&pc);
    dtc_config_file_dispose(&file);
    return exit_code;
}
