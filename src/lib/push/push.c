/* push.c: one push run to one destination. First the change scan: records
 * new or changed since they were last enqueued for this destination are
 * serialized and recorded as outbox batches (one transaction per chunk, so a
 * kill loses nothing and enqueues nothing twice). Then every pending batch is
 * sent in order and marked delivered only on a 2xx; failed attempts are
 * counted on the batch, retried with backoff on 429, 5xx and transport
 * errors, halved on 413, and dead-lettered after dest->dead_after failures.
 * What differs between receivers is the sink's (sink.h), chosen by kind. */
#define _GNU_SOURCE /* memmem */
#include "dtcost/push.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "dtcost/auth.h"
#include "dtcost/http.h"
#include "dtcost/retry.h"
#include "hash.h"
#include "sink.h"
#include "text.h"
#include "timeutil.h"

/* Records read per change-scan chunk (one transaction each). */
#define CHUNK_RECORDS 20000
/* Largest answer body we keep from a receiver. */
#define ANSWER_CAP ((size_t)1 << 20)

typedef struct item {
    size_t key, fp, idem, body; /* offsets into the chunk arena */
    size_t len;
    int64_t version;
} item;

typedef struct run {
    const dtc_push_opts *o;
    const dtc_push_dest *d;
    const dtc_sink *sink;
    dtc_push_result *r;
    char dest[2300];
    char url[2048];
    char shown[2048]; /* url as printed and stored: dtc_text_url_redact */
    char now[21];
    /* the chunk being enqueued */
    dtc_buf arena, scratch;
    item *items;
    size_t nitems, aitems;
    int cb_rc;
    /* sending */
    dtc_http *http;
    dtc_auth *auth;
    dtc_backoff backoff;
} run;

static void warn(run *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(run *x, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (x->o->warn) x->o->warn(x->o->ctx, msg);
}

static int fail_db(run *x, int rc)
{
    snprintf(x->r->err, sizeof(x->r->err), "%s", dtc_store_errmsg(x->o->store));
    return rc;
}

/* A receiver's or the transport's words, safe to print and store: one line,
 * the raw URL (as curl's messages quote it, up to the query) in its shown
 * form, and every secret of the destination removed, also URL-encoded. */
static void scrub(const run *x, char *s, size_t n)
{
    const dtc_push_dest *d = x->d;
    char tmp[1024];
    size_t plain = strcspn(x->url, "?#");
    size_t slen = strlen(s), cut = strlen(x->url);
    char *at = strstr(s, x->url);
    if (!at && plain > 0) {
        at = memmem(s, slen, x->url, plain);
        cut = plain;
    }
    dtc_buf b;
    dtc_buf_init(&b, n);
    if (at && dtc_buf_add(&b, s, (size_t)(at - s)) == 0 && dtc_buf_adds(&b, x->shown) == 0 &&
        dtc_buf_adds(&b, at + cut) == 0) {
        size_t k = b.len < n - 1 ? b.len : n - 1;
        memcpy(s, b.data, k);
        s[k] = '\0';
    }
    dtc_buf_dispose(&b);
    const char *secrets[66];
    size_t ns = 0;
    secrets[ns++] = d->secret;
    secrets[ns++] = d->api_token;
    for (size_t i = 0; i < d->nheaders && ns < 66; i++) {
        const char *v = strchr(d->headers[i], ':');
        secrets[ns++] = v ? v + 1 + strspn(v + 1, " \t") : NULL;
    }
    dtc_text_oneline(tmp, sizeof(tmp), s, strlen(s),
                     n - 1 < sizeof(tmp) - 1 ? n - 1 : sizeof(tmp) - 1, secrets, ns);
    memcpy(s, tmp, strlen(tmp) + 1);
}

/* ---- enqueue ---- */

static int arena_put(run *x, const char *s, size_t n, size_t *off)
{
    *off = x->arena.len;
    int rc = dtc_buf_add(&x->arena, s ? s : "", s ? n : 0);
    return rc ? rc : dtc_buf_addc(&x->arena, '\0');
}

static int on_change(void *ctx, const dtc_push_rec *rec)
{
    run *x = ctx;
    char idem[512];
    snprintf(idem, sizeof(idem), "%s@%lld", rec->key, (long long)rec->version);
    dtc_buf_reset(&x->scratch);
    int rc = x->sink->record(&x->scratch, x->d, rec, idem);
    if (rc) return rc;
    if (x->nitems == x->aitems) {
        size_t n = x->aitems ? x->aitems * 2 : 1024;
        item *grown = dtc_realloc(x->items, n * sizeof(*grown));
        if (!grown) return DTC_ENOMEM;
        x->items = grown;
        x->aitems = n;
    }
    item *it = &x->items[x->nitems];
    it->version = rec->version;
    it->len = x->scratch.len;
    if ((rc = arena_put(x, rec->key, strlen(rec->key), &it->key)) ||
        (rc = arena_put(x, rec->fingerprint, strlen(rec->fingerprint), &it->fp)) ||
        (rc = arena_put(x, idem, strlen(idem), &it->idem)) ||
        (rc = arena_put(x, x->scratch.data, x->scratch.len, &it->body)))
        return rc;
    x->nitems++;
    return 0;
}

static void batch_key(run *x, const dtc_outbox_item *first, const dtc_outbox_item *last, size_t n,
                      char out[40])
{
    char buf[2048];
    int len = snprintf(buf, sizeof(buf), "%s\n%s\n%s\n%zu\n%s\n%llu", x->dest, first->idem_key,
                       last->idem_key, n, x->now, (unsigned long long)getpid());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(buf, (size_t)(len < (int)sizeof(buf) ? len : (int)sizeof(buf) - 1), md, &mdlen,
               EVP_sha256(), NULL);
    memcpy(out, "dtc-", 4);
    for (int i = 0; i < 16; i++)
        snprintf(out + 4 + 2 * i, 3, "%02x", md[i]);
}

/* Cut the chunk into batches within the destination's limits and record them. */
static int write_batches(run *x)
{
    const dtc_push_dest *d = x->d;
    size_t *lens = NULL, *ends = NULL;
    int rc = DTC_ENOMEM;
    dtc_outbox_item *all = dtc_calloc(x->nitems ? x->nitems : 1, sizeof(*all));
    if (!all || !(lens = dtc_calloc(x->nitems ? x->nitems : 1, sizeof(*lens))) ||
        !(ends = dtc_calloc(x->nitems ? x->nitems : 1, sizeof(*ends))))
        goto done;
    const char *a = x->arena.data;
    for (size_t i = 0; i < x->nitems; i++) {
        item *it = &x->items[i];
        all[i] = (dtc_outbox_item){a + it->key, a + it->fp,   a + it->idem,
                                   it->version, a + it->body, it->len};
        lens[i] = it->len;
    }
    size_t nb = dtc_sink__cut(ends, lens, x->nitems, d->batch_bytes, d->batch_records);
    rc = 0;
    size_t start = 0;
    for (size_t k = 0; k < nb && rc == 0; k++) {
        size_t end = ends[k];
        char key[40];
        batch_key(x, &all[start], &all[end - 1], end - start, key);
        int64_t id;
        rc = dtc_store_outbox_add(x->o->store, &id, x->dest, key, x->now, &all[start], end - start);
        if (rc) {
            fail_db(x, rc);
            break;
        }
        x->r->enqueued_batches++;
        x->r->enqueued_records += (long)(end - start);
        start = end;
    }
done:
    dtc_free(all);
    dtc_free(lens);
    dtc_free(ends);
    return rc;
}

/* Scan and record in chunks; in a dry run the caller's transaction holds it
 * all and is rolled back. */
static int enqueue(run *x)
{
    dtc_store *db = x->o->store;
    for (;;) {
        long n = 0;
        int rc = 0;
        dtc_buf_reset(&x->arena);
        x->nitems = 0;
        if (!x->o->dry_run && (rc = dtc_store_begin(db)) != 0) return fail_db(x, rc);
        rc = dtc_store_push_changes(db, &n, x->dest, x->d->since, CHUNK_RECORDS, on_change, x);
        if (rc == DTC_EDB)
            fail_db(x, rc);
        else if (rc)
            snprintf(x->r->err, sizeof(x->r->err), "push %s: cannot serialize a record: %s",
                     x->d->name, dtc_strerror(rc));
        if (rc == 0) rc = write_batches(x);
        if (!x->o->dry_run) {
            if (rc == 0 && (rc = dtc_store_commit(db)) != 0) fail_db(x, rc);
            if (rc) dtc_store_rollback(db);
        }
        if (rc) return rc;
        if (n < CHUNK_RECORDS) return 0;
    }
}

/* ---- delivery ---- */

typedef struct body_ctx {
    run *x;
    dtc_buf *body;
    long n;
} body_ctx;

static int on_item(void *ctx, const dtc_outbox_item *it)
{
    body_ctx *b = ctx;
    bool lines = b->x->sink->lines(b->x->d);
    int rc = 0;
    if (!lines && b->n > 0) rc = dtc_buf_addc(b->body, ',');
    if (!rc) rc = dtc_buf_add(b->body, it->body, it->len);
    if (!rc && lines) rc = dtc_buf_addc(b->body, '\n');
    b->n++;
    return rc;
}

static int build_body(run *x, const dtc_outbox_batch *b, dtc_buf *body)
{
    bool lines = x->sink->lines(x->d);
    body_ctx c = {x, body, 0};
    dtc_buf_reset(body);
    int rc = lines ? 0 : dtc_buf_addc(body, '[');
    if (!rc) rc = dtc_store_outbox_items(x->o->store, b->id, on_item, &c);
    if (!rc && !lines) rc = dtc_buf_addc(body, ']');
    if (rc == DTC_EDB) return fail_db(x, rc);
    if (rc)
        snprintf(x->r->err, sizeof(x->r->err), "push %s: batch %s: %s", x->d->name, b->key,
                 dtc_strerror(rc));
    return rc;
}

static bool cancelled(const run *x)
{
    return x->o->cancel && *x->o->cancel;
}

/* One HTTP attempt. *status 0 on a transport failure (cause in why). */
static int send_once(run *x, const dtc_outbox_batch *b, const dtc_buf *body, long *status,
                     long *retry_after, char *why, size_t whylen)
{
    const dtc_push_dest *d = x->d;
    const char *hdrs[64];
    size_t nh = 0;
    char idem[128], count[64];
    snprintf(idem, sizeof(idem), "Idempotency-Key: %s", b->key);
    snprintf(count, sizeof(count), "X-Dtcost-Records: %ld", b->records);
    hdrs[nh++] = idem;
    hdrs[nh++] = count;
    for (size_t i = 0; i < d->nheaders && nh < 60; i++)
        hdrs[nh++] = d->headers[i];
    dtc_sink_req sr;
    int rc = x->sink->request(d, body->data, body->len, &sr, why, whylen);
    if (rc) {
        explicit_bzero(sr.authorization, sizeof(sr.authorization));
        return rc;
    }
    if (sr.header[0]) hdrs[nh++] = sr.header;
    if (x->auth &&
        (rc = dtc_auth_header(x->auth, sr.authorization, sizeof(sr.authorization), x->http)) != 0) {
        snprintf(why, whylen, "%s", dtc_auth_errmsg(x->auth));
        scrub(x, why, whylen);
        explicit_bzero(sr.authorization, sizeof(sr.authorization));
        *status = 0;
        /* an unreachable or failing SSO is retried like a receiver */
        return rc == DTC_EHTTP || rc == DTC_ERETRY ? 0 : rc;
    }
    const char *authz = sr.authorization[0] ? sr.authorization : NULL;
    dtc_http_req rq = {.method = "POST",
                       .url = x->url,
                       .authorization = authz,
                       .content_type = sr.content_type,
                       .body = body->data,
                       .len = body->len,
                       .headers = hdrs,
                       .nheaders = nh,
                       .timeout_ms = d->timeout_ms,
                       .connect_timeout_ms = d->connect_timeout_ms};
    dtc_http_resp resp;
    x->r->requests++;
    rc = dtc_http_send(x->http, &resp, &rq);
    explicit_bzero(sr.authorization, sizeof(sr.authorization));
    *retry_after = -1;
    if (rc) {
        *status = 0;
        snprintf(why, whylen, "%s", dtc_http_errmsg(x->http));
        scrub(x, why, whylen);
        return 0;
    }
    *status = resp.status;
    *retry_after = resp.retry_after;
    /* The answer's first line, for the error column: receivers' texts only. */
    size_t n = strcspn(resp.body ? resp.body : "", "\r\n");
    snprintf(why, whylen, "HTTP %ld%s%.*s", resp.status, n ? ": " : "", (int)(n > 160 ? 160 : n),
             resp.body ? resp.body : "");
    scrub(x, why, whylen);
    return 0;
}

static void split_key(const char *key, char which, char *out, size_t n)
{
    size_t len = strlen(key);
    if (len + 3 >= n) /* very deep splits: fold the key */
        len = n - 4;
    snprintf(out, n, "%.*s.%c", (int)len, key, which);
}

/* Deliver one batch. 0: delivered, dead-lettered or split (the run goes on);
 * non-zero: stop the run, the batch stays pending. */
static int deliver(run *x, const dtc_outbox_batch *b, dtc_buf *body)
{
    const dtc_push_dest *d = x->d;
    dtc_store *db = x->o->store;
    int rc = build_body(x, b, body);
    if (rc) return rc;
    int attempts = b->attempts;
    bool refreshed = false;
    char why[512] = "";
    for (int tries = 0;; tries++) {
        long status = 0, retry_after = -1;
        rc = send_once(x, b, body, &status, &retry_after, why, sizeof(why));
        if (rc) {
            snprintf(x->r->err, sizeof(x->r->err), "push %s: %s", d->name, why);
            return rc;
        }
        dtc_sink_verdict v = x->sink->classify(d, status, b->records);
        if (v == DTC_SINK_REFRESH && !refreshed) {
            refreshed = true; /* an expired token: one fresh one */
            dtc_auth_invalidate(x->auth, NULL);
            continue;
        }
        if (v == DTC_SINK_OK) {
            if ((rc = dtc_store_outbox_mark(db, b->id, "delivered", attempts, status, NULL,
                                            x->now)) != 0)
                return fail_db(x, rc);
            x->r->delivered_batches++;
            x->r->delivered_records += b->records;
            return 0;
        }
        if (v == DTC_SINK_SPLIT) {
            char ka[80], kb[80];
            int64_t ia, ib;
            split_key(b->key, 'a', ka, sizeof(ka));
            split_key(b->key, 'b', kb, sizeof(kb));
            if ((rc = dtc_store_begin(db)) != 0 ||
                (rc = dtc_store_outbox_split(db, &ia, &ib, b->id, ka, kb, x->now)) != 0 ||
                (rc = dtc_store_commit(db)) != 0) {
                fail_db(x, rc);
                dtc_store_rollback(db);
                return rc;
            }
            x->r->split_batches++;
            warn(x,
                 "push %s: batch %s of %ld records (%lld bytes) too large for the receiver (413); "
                 "sending it in two halves",
                 d->name, b->key, b->records, (long long)b->bytes);
            return 0;
        }
        attempts++;
        bool dead = attempts >= d->dead_after;
        if ((rc = dtc_store_outbox_mark(db, b->id, dead ? "dead" : "pending", attempts, status, why,
                                        x->now)) != 0)
            return fail_db(x, rc);
        if (dead) {
            x->r->dead_batches++;
            warn(x,
                 "push %s: batch %s dead-lettered after %d failed attempts, last: %s (resend with "
                 "--retry-failed)",
                 d->name, b->key, attempts, why);
            return 0;
        }
        if (v != DTC_SINK_RETRY) {
            const char *hint = status == 401 || status == 403 ? x->sink->refused_hint
                               : status == 404                ? " (check the URL)"
                                                              : "";
            snprintf(x->r->err, sizeof(x->r->err), "push %s: batch %s refused: %s%s", d->name,
                     b->key, why, hint);
            return status == 401 || status == 403 ? DTC_EAUTH : DTC_EHTTP;
        }
        if (tries >= d->retries) {
            snprintf(x->r->err, sizeof(x->r->err),
                     "push %s: batch %s not delivered after %d attempts in this run, last: %s (it "
                     "stays in "
                     "the outbox; run again later)",
                     d->name, b->key, tries + 1, why);
            return DTC_ERETRY;
        }
        x->r->retries++;
        dtc_sleep_ms(dtc_backoff_next(&x->backoff, tries, retry_after), x->o->cancel);
        if (cancelled(x)) {
            snprintf(x->r->err, sizeof(x->r->err),
                     "push %s: stopped while batch %s waited for a retry, last: %s "
                     "(it stays in the outbox)",
                     d->name, b->key, why);
            return DTC_ERETRY;
        }
    }
}

static int show_pending(run *x)
{
    dtc_buf body;
    dtc_buf_init(&body, DTC_CAP_HTTP_BODY);
    int64_t after = 0;
    int rc = 0;
    for (;;) {
        dtc_outbox_batch b;
        int found = 0;
        if ((rc = dtc_store_outbox_next(x->o->store, &b, &found, x->dest, after)) != 0) {
            fail_db(x, rc);
            break;
        }
        if (!found) break;
        after = b.id;
        if ((rc = build_body(x, &b, &body)) != 0) break;
        char line[3000], why[160] = "";
        dtc_sink_req sr;
        rc = x->sink->request(x->d, body.data, body.len, &sr, why, sizeof(why));
        explicit_bzero(sr.authorization, sizeof(sr.authorization));
        if (rc) {
            snprintf(x->r->err, sizeof(x->r->err), "push %s: batch %s: %s", x->d->name, b.key, why);
            break;
        }
        snprintf(line, sizeof(line),
                 "POST %s  Idempotency-Key: %s  Content-Type: %s  %ld records, %zu bytes%s",
                 x->shown, b.key, sr.content_type, b.records, body.len,
                 sr.header[0] ? ", signed" : "");
        if (x->o->show) x->o->show(x->o->ctx, line, body.data, body.len);
        x->r->pending_batches++;
    }
    dtc_buf_dispose(&body);
    return rc;
}

typedef struct dead_ctx {
    const char *dest;
    long dead;
} dead_ctx;

static int on_backlog(void *ctx, const char *dest, const char *state, long batches, long records)
{
    dead_ctx *c = ctx;
    (void)records;
    if (strcmp(dest, c->dest) == 0 && strcmp(state, "dead") == 0) c->dead = batches;
    return 0;
}

/* The destination's identity as dtcost 0.1 kept it: the URL verbatim, or
 * its part before the query with a digest (so path tokens were stored). */
static void legacy_id(const run *x, char *out, size_t n)
{
    const char *kind = x->sink->name;
    size_t plain = strcspn(x->url, "?#");
    if (x->url[plain] == '\0') {
        snprintf(out, n, "%s %s", kind, x->url);
        return;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(x->url, strlen(x->url), md, &mdlen, EVP_sha256(), NULL);
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(out, n, "%s %.*s?#%s", kind, (int)plain, x->url, hex);
}

/* Rows an older dtcost filed under the legacy identity move to the current
 * one, so nothing is sent twice and no token stays in the database. */
static int migrate_dest(run *x)
{
    char old[2300];
    long moved = 0;
    legacy_id(x, old, sizeof(old));
    if (strcmp(old, x->dest) == 0) return 0;
    dtc_store *db = x->o->store;
    int rc = dtc_store_begin(db);
    if (rc == 0 && (rc = dtc_store_outbox_rename(db, &moved, old, x->dest)) == 0)
        rc = dtc_store_commit(db);
    explicit_bzero(old, sizeof(old));
    if (rc) {
        dtc_store_rollback(db);
        return fail_db(x, rc);
    }
    return 0;
}

int dtc_push_run(dtc_push_result *r, const dtc_push_opts *o)
{
    char lock[2400] = ""; /* "push to <dest>" once taken */
    memset(r, 0, sizeof(*r));
    run x;
    memset(&x, 0, sizeof(x));
    x.o = o;
    x.d = o->dest;
    x.sink = dtc_sink__of(o->dest->kind);
    x.r = r;
    /* Equal jitter over base * 2^k, capped at 30 s; a Retry-After from the
     * receiver wins when longer, up to 5 minutes. */
    dtc_backoff_init(
        &x.backoff, o->dest->retry_base_ms, 30000, 300 * 1000, DTC_JITTER_EQUAL,
        dtc_hash4((uint64_t)getpid(), (uint64_t)o->now, (uint64_t)dtc_mono_ms(), 0x905, 0));
    dtc_store *db = o->store;
    const dtc_push_dest *d = o->dest;
    dtc_buf_init(&x.arena, DTC_CAP_JSON_DOC);
    dtc_buf_init(&x.scratch, DTC_CAP_SMALL);
    dtc_buf body;
    dtc_buf_init(&body, DTC_CAP_HTTP_BODY);
    int rc = dtc_push_dest_check(d, r->err, sizeof(r->err));
    if (rc) goto done;
    dtc_push_dest_id(d, x.dest, sizeof(x.dest));
    x.sink->url(d, x.url, sizeof(x.url));
    dtc_text_url_redact(x.shown, sizeof(x.shown), x.url);
    dtc_fmt_datetime(x.now, o->now);
    if (!o->dry_run) {
        /* One push per destination at a time: a second run would send the
         * batches the first is sending. */
        char name[sizeof(lock)];
        snprintf(name, sizeof(name), "push to %s", x.dest);
        if ((rc = dtc_store_lock(db, name, o->lock_wait_ms, o->cancel)) == DTC_EBUSY) {
            snprintf(r->err, sizeof(r->err),
                     "push %s: another dtcost push to %.900s is running (waited %d s); "
                     "run again when it is done",
                     d->name, x.dest, o->lock_wait_ms / 1000);
            goto done;
        }
        if (rc) {
            fail_db(&x, rc);
            goto done;
        }
        memcpy(lock, name, sizeof(lock));
        if ((rc = migrate_dest(&x)) != 0) goto done;
    }
    if (dtc_push_dest_needs_oauth(d) && !o->dry_run) {
        const dtc_account_cfg *a = o->account;
        if (!a || !a->client_id || !a->client_secret || !a->uuid) {
            snprintf(r->err, sizeof(r->err),
                     "push %s: no Api-Token (DT_API_TOKEN_FILE, --api-token-file) and no "
                     "OAuth client (DT_CLIENT_ID, DT_CLIENT_SECRET_FILE, DT_ACCOUNT_UUID) "
                     "for the %s sink",
                     d->name, x.sink->name);
            rc = DTC_EINVAL;
            goto done;
        }
        dtc_auth_opts ao = {.token_url = a->sso_url ? a->sso_url : DTC_DEFAULT_SSO_URL,
                            .client_id = a->client_id,
                            .client_secret = a->client_secret,
                            .account_uuid = a->uuid,
                            .scope = x.sink->oauth_scope};
        if ((rc = dtc_auth_new(&x.auth, &ao)) != 0) goto done;
    }
    if ((rc = dtc_http_new(&x.http, ANSWER_CAP)) != 0) goto done;

    if (o->dry_run && (rc = dtc_store_begin(db)) != 0) {
        fail_db(&x, rc);
        goto done;
    }
    if (o->retry_failed) {
        if ((rc = dtc_store_outbox_retry_dead(db, &r->requeued, x.dest)) != 0) {
            fail_db(&x, rc);
            goto rollback;
        }
    }
    if ((rc = enqueue(&x)) != 0) goto rollback;
    if (o->dry_run) {
        rc = show_pending(&x);
        goto rollback;
    }
    int64_t after = 0;
    for (;;) {
        dtc_outbox_batch b;
        int found = 0;
        if ((rc = dtc_store_outbox_next(db, &b, &found, x.dest, after)) != 0) {
            fail_db(&x, rc);
            break;
        }
        if (!found) break;
        if (cancelled(&x)) {
            snprintf(r->err, sizeof(r->err),
                     "push %s: stopped before batch %s (it stays in the outbox)", d->name, b.key);
            rc = DTC_ERETRY;
            break;
        }
        after = b.id;
        if ((rc = deliver(&x, &b, &body)) != 0) break;
    }
    if (rc) {
        /* What is left for the next run. */
        int64_t a2 = 0;
        dtc_outbox_batch b;
        int found = 1;
        while (found && dtc_store_outbox_next(db, &b, &found, x.dest, a2) == 0 && found) {
            a2 = b.id;
            r->pending_batches++;
        }
    }
    if (rc == 0 && r->dead_batches > 0) {
        snprintf(r->err, sizeof(r->err),
                 "push %s: %ld batch%s dead-lettered in this run (the receiver kept "
                 "failing; resend with --retry-failed once it is fixed)",
                 d->name, r->dead_batches, r->dead_batches == 1 ? "" : "es");
        rc = DTC_ERETRY;
    }
    goto backlog;
rollback:
    if (o->dry_run) dtc_store_rollback(db);
backlog:;
    dead_ctx dc = {x.dest, 0};
    if (dtc_store_outbox_backlog(db, on_backlog, &dc) == 0) r->dead_total = dc.dead;
done:
    if (lock[0]) dtc_store_unlock(db, lock);
    explicit_bzero(x.url, sizeof(x.url));
    dtc_http_free(x.http);
    dtc_auth_free(x.auth);
    dtc_buf_dispose(&x.arena);
    dtc_buf_dispose(&x.scratch);
    dtc_buf_dispose(&body);
    dtc_free(x.items);
    return rc;
}
