/* emu_webhook.c: a webhook receiver for tests of `dtcost push webhook`:
 * POST /emu/webhook/<name> keeps each accepted body with its headers, and
 * can play a receiver that is down (connection dropped) or answers 500/429
 * for its first N attempts, or answers slowly after storing (a client killed
 * mid-batch). GET /emu/webhook/<name> reads back, DELETE clears, and
 * POST /emu/webhook/<name>/fail?count=N&status=S&delay-ms=D&retry-after=R
 * configures one receiver. Not part of Dynatrace. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "emu.h"
#include "jw.h"
#include "timeutil.h"

/* What all receivers together keep; beyond it a POST gets 429. */
#define STORE_MAX_BYTES ((size_t)64 << 20)

typedef struct delivery {
    int64_t received;
    char *headers; /* JSON object, names lower-case */
    char *body;
    size_t len;
} delivery;

typedef struct hook {
    char name[64];
    int fail_left, fail_status, delay_ms, retry_after;
    long attempts, failures;
    delivery *d;
    size_t n, alloc;
    struct hook *next;
} hook;

typedef struct hooks {
    hook *first;
    size_t bytes;
} hooks;

static hooks *hooks_of(emu_server *s)
{
    void **slot = emu_webhook_slot(s);
    if (!*slot) *slot = dtc_calloc(1, sizeof(hooks));
    return *slot;
}

/* The receiver called name, created with the flags' defaults. Under the lock. */
static hook *hook_named(emu_req *r, const char *name)
{
    hooks *hs = hooks_of(r->srv);
    if (!hs) return NULL;
    for (hook *h = hs->first; h; h = h->next)
        if (strcmp(h->name, name) == 0) return h;
    hook *h = dtc_calloc(1, sizeof(*h));
    if (!h) return NULL;
    snprintf(h->name, sizeof(h->name), "%s", name);
    const emu_config *c = r->model->cfg;
    h->fail_left = c->webhook_fail;
    h->fail_status = c->webhook_fail_status;
    h->delay_ms = c->webhook_delay_ms;
    h->retry_after = 1;
    h->next = hs->first;
    hs->first = h;
    return h;
}

typedef struct hdr_ctx {
    dtc_jw *w;
} hdr_ctx;

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    hdr_ctx *c = cls;
    char lower[128];
    size_t i = 0;
    for (; key[i] && i < sizeof(lower) - 1; i++)
        lower[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 : key[i]);
    lower[i] = '\0';
    dtc_jw_key(c->w, lower);
    dtc_jw_str(c->w, value ? value : "");
    (void)kind;
    return MHD_YES;
}

void emu_h_webhook(emu_req *r)
{
    const char *name = r->seg[0];
    int status = 0, delay = 0, retry_after = 1;
    bool fail = false;
    emu_lock(r->srv);
    hook *h = hook_named(r, name);
    if (h) {
        h->attempts++;
        if (h->fail_left > 0) {
            h->fail_left--;
            h->failures++;
            fail = true;
            status = h->fail_status;
            retry_after = h->retry_after;
        }
        delay = h->delay_ms;
    }
    emu_unlock(r->srv);
    if (!h) {
        emu_error(r, 500, "out of memory");
        return;
    }
    if (fail) {
        if (status <= 0) {
            /* Down: the connection breaks before an answer arrives. */
            emu_error(r, 503, "receiver down");
            r->drop = true;
        } else {
            emu_error(r, status, "receiver failing on purpose (attempt to be retried)");
            if (status == 429 && retry_after >= 0) {
                char ra[16];
                snprintf(ra, sizeof(ra), "%d", retry_after);
                emu_set_header(r, "Retry-After", ra);
            }
        }
        if (delay > 0) usleep((useconds_t)delay * 1000);
        return;
    }

    dtc_buf hb;
    dtc_buf_init(&hb, DTC_CAP_SMALL);
    dtc_jw w;
    dtc_jw_init(&w, &hb);
    dtc_jw_obj(&w);
    hdr_ctx hc = {&w};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, add_header, &hc);
    dtc_jw_obj_end(&w);
    char *body = dtc_strndup(r->body, r->body_len);
    size_t hlen = 0;
    char *headers = w.err ? NULL : dtc_buf_take(&hb, &hlen);
    dtc_buf_dispose(&hb);
    if (!body || !headers) {
        dtc_free(body);
        dtc_free(headers);
        emu_error(r, 500, "out of memory or headers too large");
        return;
    }
    long stored = -1;
    emu_lock(r->srv);
    hooks *hs = hooks_of(r->srv);
    if (hs && hs->bytes + r->body_len + hlen <= STORE_MAX_BYTES) {
        if (h->n == h->alloc) {
            size_t na = h->alloc ? h->alloc * 2 : 64;
            delivery *grown = dtc_realloc(h->d, na * sizeof(*grown));
            if (grown) {
                h->d = grown;
                h->alloc = na;
            }
        }
        if (h->n < h->alloc) {
            h->d[h->n++] = (delivery){r->now, headers, body, r->body_len};
            hs->bytes += r->body_len + hlen;
            stored = (long)h->n;
            body = headers = NULL;
        }
    }
    emu_unlock(r->srv);
    dtc_free(body);
    dtc_free(headers);
    if (stored < 0) {
        emu_error(r, 429, "receiver store full (DELETE /emu/webhook/%s)", name);
        emu_set_header(r, "Retry-After", "1");
        return;
    }
    /* Stored first, answered late: a client killed meanwhile sends it again. */
    if (delay > 0) usleep((useconds_t)delay * 1000);
    if (dtc_buf_printf(&r->out, "{\"stored\":%ld}", stored) != 0) {
        emu_error(r, 500, "out of memory");
        return;
    }
    r->status = 200;
    r->content_type = "application/json";
}

void emu_h_webhook_read(emu_req *r)
{
    const char *name = r->seg[0];
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    emu_lock(r->srv);
    hooks *hs = hooks_of(r->srv);
    hook *h = NULL;
    for (hook *p = hs ? hs->first : NULL; p; p = p->next)
        if (strcmp(p->name, name) == 0) h = p;
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "name");
    dtc_jw_str(&w, name);
    dtc_jw_key(&w, "attempts");
    dtc_jw_int(&w, h ? h->attempts : 0);
    dtc_jw_key(&w, "failures");
    dtc_jw_int(&w, h ? h->failures : 0);
    dtc_jw_key(&w, "deliveries");
    dtc_jw_arr(&w);
    for (size_t i = 0; h && i < h->n; i++) {
        char when[21];
        dtc_fmt_datetime(when, h->d[i].received);
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "received");
        dtc_jw_str(&w, when);
        dtc_jw_key(&w, "headers");
        dtc_jw_raw(&w, h->d[i].headers);
        dtc_jw_key(&w, "body");
        dtc_jw_strn(&w, h->d[i].body, h->d[i].len);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    emu_unlock(r->srv);
    if (w.err) {
        emu_error(r, 500, "read-back too large");
        return;
    }
    emu_json_ok(r);
}

static void hook_clear(hooks *hs, hook *h)
{
    for (size_t i = 0; i < h->n; i++) {
        hs->bytes -= h->d[i].len + strlen(h->d[i].headers);
        dtc_free(h->d[i].headers);
        dtc_free(h->d[i].body);
    }
    dtc_free(h->d);
    h->d = NULL;
    h->n = h->alloc = 0;
}

void emu_h_webhook_clear(emu_req *r)
{
    emu_lock(r->srv);
    hooks *hs = hooks_of(r->srv);
    for (hook *h = hs ? hs->first : NULL; h; h = h->next)
        if (strcmp(h->name, r->seg[0]) == 0) {
            hook_clear(hs, h);
            h->attempts = h->failures = 0;
        }
    emu_unlock(r->srv);
    r->status = 204;
}

static bool int_arg(emu_req *r, const char *name, int lo, int hi, int *out)
{
    const char *v = emu_arg(r, name);
    if (!v) return true;
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < lo || n > hi) return false;
    *out = (int)n;
    return true;
}

void emu_h_webhook_fail(emu_req *r)
{
    emu_lock(r->srv);
    hook *h = hook_named(r, r->seg[0]);
    bool ok = h != NULL;
    if (h) {
        int count = h->fail_left, status = h->fail_status, delay = h->delay_ms, ra = h->retry_after;
        ok = int_arg(r, "count", 0, 1000000, &count) && int_arg(r, "status", 0, 599, &status) &&
             int_arg(r, "delay-ms", 0, 600000, &delay) && int_arg(r, "retry-after", -1, 3600, &ra);
        if (ok) {
            h->fail_left = count;
            h->fail_status = status;
            h->delay_ms = delay;
            h->retry_after = ra;
        }
    }
    emu_unlock(r->srv);
    if (!ok) {
        emu_error(r, 400,
                  "use ?count=N&status=S (0: drop the connection)&delay-ms=D&retry-after=R");
        return;
    }
    r->status = 204;
}

void emu_webhook_store_dispose(emu_server *s)
{
    void **slot = emu_webhook_slot(s);
    hooks *hs = *slot;
    if (!hs) return;
    for (hook *h = hs->first, *next; h; h = next) {
        next = h->next;
        hook_clear(hs, h);
        dtc_free(h);
    }
    dtc_free(hs);
    *slot = NULL;
}
