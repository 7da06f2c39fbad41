/* sink.h: what a push sink is to push.c: one ops struct per kind of
 * receiver (webhook.c, bizevents.c), found by kind or by its config name in
 * one table (sink.c), so push.c and push_config.c hold no per-kind branch. */
#ifndef DTC_PUSH_SINK_H
#define DTC_PUSH_SINK_H
#include <stdbool.h>

#include "buf.h"
#include "dtcost/push.h"

/* What a receiver's answer means for the batch sent. */
typedef enum dtc_sink_verdict {
    DTC_SINK_OK = 0,  /* 2xx: delivered */
    DTC_SINK_RETRY,   /* transport failure, 408, 429, 5xx: back off and send again */
    DTC_SINK_SPLIT,   /* 413 on more than one record: halve the batch */
    DTC_SINK_REFRESH, /* 401 with an OAuth token: fetch a fresh token, send once more */
    DTC_SINK_REFUSED  /* anything else: counts as a failed attempt, the run stops */
} dtc_sink_verdict;
/* A batch is dead-lettered after dest->dead_after failed attempts (RETRY or
 * REFUSED), whatever the sink; push.c counts them. */

/* The parts of one request a sink decides. */
typedef struct dtc_sink_req {
    const char *content_type;
    char authorization[8200]; /* Authorization value, "" for none (secret: zero it after use) */
    char header[160];         /* one more "Name: value" line (a signature), "" for none */
} dtc_sink_req;

typedef struct dtc_sink {
    dtc_push_kind kind;
    const char *name;         /* config `type =` value and the outbox identity's prefix */
    const char *url_what;     /* what dest->url is, for messages: "webhook URL" */
    size_t batch_bytes;       /* default largest body */
    long batch_records;       /* default most records per batch, 0: no limit */
    const char *oauth_scope;  /* scope of an OAuth token, NULL: the sink never uses one */
    const char *refused_hint; /* appended to a 401 / 403 refusal */
    const char *const *keys;  /* the [push NAME] keys only this sink uses, NULL-terminated */
    /* Does a push to d fetch an OAuth token with the account's client? */
    bool (*needs_oauth)(const dtc_push_dest *d);
    /* The URL batches are posted to (out holds n bytes). */
    void (*url)(const dtc_push_dest *d, char *out, size_t n);
    /* One record as the JSON a body carries (stored in the outbox as is). */
    int (*record)(dtc_buf *out, const dtc_push_dest *d, const dtc_push_rec *r,
                  const char *idem) DTC_MUST_CHECK;
    /* true: records one per line, each ending in '\n'; false: one JSON array. */
    bool (*lines)(const dtc_push_dest *d);
    /* Content type, authorization (not the OAuth one, which push.c adds) and
     * signature of one body. DTC_EINVAL with why set when none can be made. */
    int (*request)(const dtc_push_dest *d, const char *body, size_t len, dtc_sink_req *out,
                   char *why, size_t whylen) DTC_MUST_CHECK;
    /* What an answer means: status 0 is a transport failure; records in the batch. */
    dtc_sink_verdict (*classify)(const dtc_push_dest *d, long status, long records);
} dtc_sink;

extern const dtc_sink dtc_sink__webhook;
extern const dtc_sink dtc_sink__bizevents;

/* The sink of a kind (the webhook sink for an unknown one: dtc_push_dest_init
 * takes only the kinds of the table). */
const dtc_sink *dtc_sink__of(dtc_push_kind kind);
/* The sink a config `type =` value names, or NULL. */
const dtc_sink *dtc_sink__named(const char *name);
/* How many sinks the table holds. */
#define DTC_SINK_COUNT 2
/* The sinks' names in table order, NULL-terminated (out holds
 * DTC_SINK_COUNT + 1), for the config's choice list, and the sink
 * of index i with dtc_sink__at (NULL past the end). */
void dtc_sink__names(const char **out);
const dtc_sink *dtc_sink__at(int i);

/* The HTTP meaning shared by the sinks: 2xx ok; 0, 408, 429, 5xx retry; 413
 * on more than one record split; else refused. */
dtc_sink_verdict dtc_sink__classify_http(long status, long records);

/* The flat JSON object of one record (both sinks send these fields):
 * recordKey, idempotencyKey, revision, change, kind, day, accountUuid,
 * subscriptionUuid, environment and capability fields, cost (exact decimal),
 * costMicro, currency, bookingDate, usage, usageUnit. */
int dtc_webhook__record(dtc_buf *out, const dtc_push_rec *r, const char *idem) DTC_MUST_CHECK;
/* "sha256=<64 hex>" of HMAC-SHA256(secret, body). dst has >= 72 bytes. */
int dtc_webhook__sign(const char *secret, const char *body, size_t len, char *dst) DTC_MUST_CHECK;

/* Where the batches of a run end: the first batch is items [0, out[0]), the
 * next [out[0], out[1]) and so on, each within batch_bytes (by
 * dtc_sink__body_size) and batch_records (0: no limit), and never empty: a
 * record larger than batch_bytes goes alone. lens[i] is item i's JSON size.
 * Returns the number of batches; out has room for n. */
size_t dtc_sink__cut(size_t *out, const size_t *lens, size_t n, size_t batch_bytes,
                     long batch_records);
/* Bytes a body of n records of payload bytes takes at most: JSON Lines end
 * each with a newline, an array adds brackets and commas. */
size_t dtc_sink__body_size(size_t payload, size_t n);

#endif
