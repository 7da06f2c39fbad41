/* push.h: delivering cost records from the database to a webhook or to
 * Dynatrace business events, through a durable outbox: the records changed
 * since they were last enqueued for a destination (new days and restated
 * days) are recorded in batches before anything is sent, and a batch is
 * marked delivered only on a 2xx. At-least-once, with an idempotency key per
 * batch (header) and per record (field), so receivers can deduplicate. */
#ifndef DTCOST_PUSH_H
#define DTCOST_PUSH_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtcost/config.h"
#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef enum dtc_push_kind { DTC_PUSH_WEBHOOK = 1, DTC_PUSH_BIZEVENTS = 2 } dtc_push_kind;
typedef enum dtc_push_format { DTC_PUSH_JSONL = 0, DTC_PUSH_JSON_ARRAY = 1 } dtc_push_format;

#define DTC_PUSH_WEBHOOK_BATCH_BYTES 5000000
#define DTC_PUSH_WEBHOOK_BATCH_RECORDS 10000
#define DTC_PUSH_BIZEVENTS_BATCH_BYTES 1000000
#define DTC_PUSH_SIGNATURE_HEADER "X-Dtcost-Signature"

/* One destination. Strings are owned (dtc_push_dest_dispose frees them);
 * secret, api_token and headers may hold secrets and are never printed. */
typedef struct dtc_push_dest {
    char *name; /* config section name, or "webhook" / "bizevents" */
    dtc_push_kind kind;
    char *url;              /* webhook URL, or the environment URL for business events */
    dtc_push_format format; /* webhook body: JSON Lines or one JSON array */
    char *secret;           /* webhook HMAC-SHA256 key, or NULL for unsigned */
    char *signature_header; /* header carrying "sha256=<hex>" */
    char **headers;         /* extra "Name: value" lines */
    size_t nheaders;
    char *api_token;                   /* business events Api-Token; NULL: OAuth with the account */
    char *since;                       /* only days from this one ('YYYY-MM-DD'), or NULL */
    char *event_type, *event_provider; /* CloudEvent type / source (event.type / event.provider) */
    size_t batch_bytes;                /* largest body */
    long batch_records;                /* most records per batch, 0: no limit */
    long timeout_ms, connect_timeout_ms;
    int retries;       /* extra tries per batch in one run, on 429, 5xx and transport errors */
    int retry_base_ms; /* first backoff, doubled per retry with jitter, capped at 30 s */
    int dead_after;    /* failed attempts after which a batch is dead-lettered */
} dtc_push_dest;

/* Defaults for a kind: batch limits of the issue (1 MB for business events;
 * 5 MB or 10,000 records for webhooks), JSON Lines, 30 s timeout, 5 retries,
 * 500 ms backoff base, dead-letter after 10 failed attempts. */
int dtc_push_dest_init(dtc_push_dest *d, dtc_push_kind kind, const char *name) DTC_MUST_CHECK;
void dtc_push_dest_dispose(dtc_push_dest *d);
/* Add a "Name: value" header line (DTC_EINVAL with err set when malformed). */
int dtc_push_dest_add_header(dtc_push_dest *d, const char *line, char *err,
                             size_t errlen) DTC_MUST_CHECK;
/* Add every header line of a file (mode 600, like secret files). */
int dtc_push_dest_header_file(dtc_push_dest *d, const char *path, char *err,
                              size_t errlen) DTC_MUST_CHECK;
/* Is the destination usable? (URL scheme, no credentials in the URL, sizes.) */
int dtc_push_dest_check(const dtc_push_dest *d, char *err, size_t errlen) DTC_MUST_CHECK;
/* The destination's identity in the outbox, in --json, metrics and messages:
 * "KIND URL" when the URL shows nothing dtc_text_url_redact would hide, else
 * "KIND SHOWN #DIGEST" (the redacted URL and 16 hex digits of the SHA-256 of
 * the whole URL), so no token in a path, query or userinfo is printed or
 * stored, and two URLs differing only in a token stay apart. */
void dtc_push_dest_id(const dtc_push_dest *d, char *out, size_t n);
/* Does a push to d sign its requests with an OAuth token of the account's
 * client (business events without an Api-Token)? Then dtc_push_opts.account
 * must hold one. */
bool dtc_push_dest_needs_oauth(const dtc_push_dest *d);
/* Does d's kind use the [push NAME] key (e.g. "secret_file" for webhooks,
 * "api_token_file" for business events)? Keys every kind uses (url, header,
 * batch_bytes, ...) answer true. The config file accepts every key whatever
 * the type; the command line applies a flag only where it is used. */
bool dtc_push_dest_uses(const dtc_push_dest *d, const char *key);
/* The kind a `type =` value or a command-line destination names
 * ("webhook", "bizevents"); DTC_EINVAL for any other. */
int dtc_push_kind_named(dtc_push_kind *out, const char *name) DTC_MUST_CHECK;
/* The URL business events are posted to, derived from the environment URL. */
void dtc_push_ingest_url(const dtc_push_dest *d, char *out, size_t n);

/* `dtcost serve` settings ([serve] section). */
typedef struct dtc_serve_cfg {
    char *listen;           /* ADDR:PORT of /healthz, /readyz, /metrics */
    int interval;           /* seconds between cycles, or 0 with cron */
    char *cron;             /* five-field cron expression (UTC), or NULL */
    int jitter;             /* random extra delay up to this many seconds, -1: not set */
    bool sync;              /* run dtcost sync first in each cycle */
    char *pushes;           /* comma-separated [push NAME] sections, NULL: all */
    int metrics_max_series; /* /metrics cost series cap, 0: not set */
} dtc_serve_cfg;

/* What a config file says about pushes and serving: [serve], and one
 * [push NAME] section per destination. Filled by dtc_config_file_load (with
 * its push member pointing here), which also checks every destination. */
typedef struct dtc_push_config {
    dtc_push_dest *dests;
    size_t ndests;
    dtc_serve_cfg serve;
} dtc_push_config;

void dtc_push_config_dispose(dtc_push_config *c);

typedef struct dtc_push_opts {
    dtc_store *store; /* borrowed */
    const dtc_push_dest *dest;
    const dtc_account_cfg *account; /* OAuth client for business events without an Api-Token */
    bool dry_run;                   /* show the batches, send and record nothing */
    bool retry_failed;              /* dead-lettered batches back to pending first */
    int lock_wait_ms;               /* wait this long for another run's push to the same
                                     * destination to end, then DTC_EBUSY (dry runs take no lock) */
    int64_t now;                    /* epoch seconds */
    /* dry run: one call per batch with a summary line and the body */
    void (*show)(void *ctx, const char *summary, const char *body, size_t len);
    void (*warn)(void *ctx, const char *msg);
    void *ctx;
    /* When non-NULL and set (a signal handler's flag), no new batch is
     * started and backoff waits end: what is left stays pending. */
    const volatile sig_atomic_t *cancel;
} dtc_push_opts;

typedef struct dtc_push_result {
    long enqueued_records, enqueued_batches;
    long delivered_batches, delivered_records;
    long dead_batches;    /* dead-lettered in this run */
    long pending_batches; /* left for the next run */
    long dead_total;      /* dead-lettered batches of this destination now */
    long requeued;        /* brought back by retry_failed */
    long split_batches;   /* halved after a 413 */
    long requests, retries;
    char err[1024]; /* one line when the run failed */
} dtc_push_result;

/* Enqueue the changed records, then deliver every pending batch in order.
 * Returns 0 when nothing is left pending and nothing was dead-lettered in
 * this run (older dead letters only count in dead_total), else DTC_ERETRY
 * (receiver kept failing: run again later, or --retry-failed),
 * DTC_EAUTH (credentials refused), DTC_EHTTP (unreachable or refused),
 * DTC_EBUSY (another run pushes to the destination), DTC_EDB, with r->err
 * set: r is the handle and the output, so it comes first. */
int dtc_push_run(dtc_push_result *r, const dtc_push_opts *o) DTC_MUST_CHECK;

#endif
