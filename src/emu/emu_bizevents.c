/* emu_bizevents.c: the business-events ingest endpoint (contract section 4).
 * Checks auth and content type, validates JSON and CloudEvents, answers 202
 * with an empty body, and keeps what it accepted so tests can read it back
 * (GET /emu/bizevents) the way Grail would record it. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "emu.h"
#include "hash.h"
#include "jw.h"
#include "timeutil.h"

/* The store holds at most STORE_MAX_EVENTS events, and no more than fits one
 * GET /emu/bizevents answer (DTC_CAP_HTTP_BODY): st->bytes counts each
 * event's worst-case share of that answer (snapshot_share). Beyond either
 * limit ingest answers 429 until a test clears the store (DELETE
 * /emu/bizevents). */
#define STORE_MAX_EVENTS 100000
#define STORE_MAX_BYTES (DTC_CAP_HTTP_BODY - 4096)
/* Nesting deeper than this is refused (400) before it reaches the store. */
#define MAX_DEPTH 32

enum kind { K_JSON, K_CLOUDEVENT, K_BATCH };

/* Media type without parameters, matched case-insensitively. */
static int content_kind(const char *ct, enum kind *out)
{
    static const struct {
        const char *type;
        enum kind kind;
    } types[] = {
        {"application/json", K_JSON},
        {"application/cloudevent+json", K_CLOUDEVENT},
        {"application/cloudevents+json", K_CLOUDEVENT},
        {"application/cloudevent-batch+json", K_BATCH},
        {"application/cloudevents-batch+json", K_BATCH},
    };
    if (!ct) return -1;
    while (*ct == ' ')
        ct++;
    size_t n = strcspn(ct, "; \t");
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strlen(types[i].type) == n && strncasecmp(ct, types[i].type, n) == 0) {
            *out = types[i].kind;
            return 0;
        }
    }
    return -1;
}

static int depth_of(json_t *v)
{
    int d = 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach(v, k, x)
        {
            int e = depth_of(x);
            if (e > d) d = e;
        }
        return d + 1;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            int e = depth_of(x);
            if (e > d) d = e;
        }
        return d + 1;
    }
    return 0;
}

/* 400 in the environment API's shape, naming the offending path. */
static void violation(emu_req *r, const char *path, const char *msg)
{
    dtc_buf_reset(&r->out);
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "error");
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "code");
    dtc_jw_int(&w, 400);
    dtc_jw_key(&w, "message");
    dtc_jw_str(&w, msg);
    dtc_jw_key(&w, "constraintViolations");
    dtc_jw_arr(&w);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "path");
    dtc_jw_str(&w, path);
    dtc_jw_key(&w, "message");
    dtc_jw_str(&w, msg);
    dtc_jw_key(&w, "parameterLocation");
    dtc_jw_str(&w, "PAYLOAD_BODY");
    dtc_jw_obj_end(&w);
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    dtc_jw_obj_end(&w);
    r->status = 400;
    r->content_type = "application/json";
    r->fault_ok = false;
}

/* A CloudEvent needs specversion 1.0 and non-empty id, source and type. */
static bool cloudevent_ok(emu_req *r, json_t *ev, const char *where)
{
    static const char *required[] = {"specversion", "id", "source", "type"};
    char path[96], msg[160];
    if (!json_is_object(ev)) {
        violation(r, where, "a CloudEvent must be a JSON object");
        return false;
    }
    for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        const char *v = json_string_value(json_object_get(ev, required[i]));
        if (!v || !*v) {
            snprintf(path, sizeof(path), "%s%s%s", where, *where ? "." : "", required[i]);
            snprintf(msg, sizeof(msg), "CloudEvent attribute '%s' is required (a non-empty string)",
                     required[i]);
            violation(r, path, msg);
            return false;
        }
    }
    if (strcmp(json_string_value(json_object_get(ev, "specversion")), "1.0") != 0) {
        snprintf(path, sizeof(path), "%s%sspecversion", where, *where ? "." : "");
        violation(r, path, "specversion must be \"1.0\"");
        return false;
    }
    json_t *data = json_object_get(ev, "data");
    if (data && !json_is_object(data) && !json_is_null(data)) {
        snprintf(path, sizeof(path), "%s%sdata", where, *where ? "." : "");
        violation(r, path, "data must be a JSON object");
        return false;
    }
    return true;
}

/* Who may ingest: an Api-Token with bizevents.ingest (not on the platform
 * domain, which is OAuth only) or a bearer token with storage:events:write. */
static bool authorized(emu_req *r, const char **kind)
{
    const char *h = emu_header(r, "Authorization");
    bool platform = strncmp(r->path, "/platform/", 10) == 0;
    if (h && strncasecmp(h, "Api-Token ", 10) == 0) {
        const char *tok = h + 10;
        if (platform) {
            emu_error(r, 401,
                      "The platform domain accepts OAuth tokens only (Authorization: Bearer)");
            return false;
        }
        if (strcmp(tok, r->model->ingest_token) == 0) {
            *kind = "api-token";
            return true;
        }
        if (strcmp(tok, r->model->noingest_token) == 0) {
            emu_error(r, 403, "Token is missing required scope: bizevents.ingest");
            return false;
        }
        emu_error(r, 401, "Missing or invalid authorization token");
        return false;
    }
    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        if (!emu_auth_bearer(r, NULL, "storage:events:write")) return false;
        *kind = "oauth";
        return true;
    }
    emu_error(r, 401, "Missing authorization: use 'Api-Token <token>' or 'Bearer <token>'");
    return false;
}

/* The most bytes event e can add to the snapshot: its JSON as sent, plus the
 * record, where a top-level string may grow 3x (jansson writes "\b" where
 * the snapshot writer writes "\u0008") and a nested value 2x (quoted
 * again); the environment is written escaped (up to 6x); the rest is fixed
 * keys, timestamps, the content type and a generated id. */
static size_t snapshot_share(const emu_bizevent *e)
{
    return 4 * strlen(e->json) + 6 * strlen(e->env) + 512;
}

static void event_dispose(emu_bizevent *e)
{
    dtc_free(e->content_type);
    dtc_free(e->auth);
    dtc_free(e->env);
    dtc_free(e->json);
}

void emu_h_bizevents(emu_req *r)
{
    const char *auth = NULL;
    json_t *doc = NULL;
    emu_bizevent *add = NULL;
    size_t nadd = 0, addbytes = 0;
    if (!authorized(r, &auth)) return;
    const char *ct = emu_header(r, "Content-Type");
    enum kind kind;
    if (content_kind(ct, &kind) != 0) {
        emu_error(r, 415,
                  "Unsupported content type '%.80s': use application/json, "
                  "application/cloudevent+json or application/cloudevent-batch+json",
                  ct ? ct : "");
        return;
    }
    json_error_t jerr;
    doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        char msg[256];
        snprintf(msg, sizeof(msg), "Malformed JSON at line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        violation(r, "", msg);
        goto done;
    }
    if (depth_of(doc) > MAX_DEPTH) {
        violation(r, "", "JSON nested too deeply");
        goto done;
    }
    /* Collect the events of the request, validated, before storing any. */
    size_t n = json_is_array(doc) ? json_array_size(doc) : 1;
    if (kind == K_CLOUDEVENT && !json_is_object(doc)) {
        violation(r, "", "application/cloudevent+json takes one CloudEvent object");
        goto done;
    }
    if (kind == K_BATCH && !json_is_array(doc)) {
        violation(r, "", "application/cloudevent-batch+json takes a JSON array of CloudEvents");
        goto done;
    }
    if (json_is_array(doc) && n == 0) {
        violation(r, "", "no events in the request");
        goto done;
    }
    add = dtc_calloc(n, sizeof(*add));
    if (!add) {
        emu_error(r, 500, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_is_array(doc) ? json_array_get(doc, i) : doc;
        char where[32] = "";
        if (json_is_array(doc)) snprintf(where, sizeof(where), "[%zu]", i);
        if (kind == K_JSON && !json_is_object(ev)) {
            violation(r, where, "each business event must be a JSON object");
            goto done;
        }
        if (kind != K_JSON && !cloudevent_ok(r, ev, where)) goto done;
        emu_bizevent *e = &add[nadd++];
        e->content_type = dtc_strdup(kind == K_JSON         ? "application/json"
                                     : kind == K_CLOUDEVENT ? "application/cloudevent+json"
                                                            : "application/cloudevent-batch+json");
        e->auth = dtc_strdup(auth);
        e->env = dtc_strdup(r->seg[0] && strncmp(r->path, "/e/", 3) == 0 ? r->seg[0] : "");
        e->json = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        e->received = r->now;
        if (!e->content_type || !e->auth || !e->env || !e->json) {
            emu_error(r, 500, "out of memory");
            goto done;
        }
        addbytes += snapshot_share(e);
    }

    emu_bizstore *st = emu_bizstore_of(r->srv);
    emu_lock(r->srv);
    bool full = st->n + nadd > STORE_MAX_EVENTS || st->bytes + addbytes > STORE_MAX_BYTES;
    bool ok = !full;
    if (ok && st->n + nadd > st->alloc) {
        size_t cap = st->alloc ? st->alloc : 256;
        while (cap < st->n + nadd)
            cap *= 2;
        emu_bizevent *grown = dtc_realloc(st->ev, cap * sizeof(*grown));
        if (grown) {
            st->ev = grown;
            st->alloc = cap;
        } else {
            ok = false;
        }
    }
    if (ok) {
        memcpy(st->ev + st->n, add, nadd * sizeof(*add));
        st->n += nadd;
        st->bytes += addbytes;
    }
    emu_unlock(r->srv);
    if (!ok) {
        if (full) {
            emu_error(r, 429,
                      "The emulator's event store is full (%d events, or about "
                      "%zu MiB of event JSON); clear it with DELETE /emu/bizevents",
                      STORE_MAX_EVENTS, STORE_MAX_BYTES / 4 >> 20);
            emu_set_header(r, "Retry-After", "1");
        } else {
            emu_error(r, 500, "out of memory");
        }
        goto done;
    }
    nadd = 0; /* now owned by the store */
    r->status = 202;
    r->content_type = NULL;
done:
    for (size_t i = 0; i < nadd; i++)
        event_dispose(&add[i]);
    dtc_free(add);
    json_decref(doc);
}

/* A value as Grail stores a top-level field: nested objects and arrays
 * become JSON strings. */
static void grail_value(dtc_jw *w, json_t *v)
{
    if (json_is_object(v) || json_is_array(v)) {
        char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (s)
            dtc_jw_str(w, s);
        else
            dtc_jw_null(w);
        free(s);
    } else if (json_is_string(v)) {
        dtc_jw_str(w, json_string_value(v));
    } else if (json_is_integer(v)) {
        dtc_jw_int(w, json_integer_value(v));
    } else if (json_is_real(v)) {
        char *s = json_dumps(v, JSON_ENCODE_ANY);
        if (s)
            dtc_jw_raw(w, s);
        else
            dtc_jw_null(w);
        free(s);
    } else if (json_is_boolean(v)) {
        dtc_jw_bool(w, json_is_true(v));
    } else {
        dtc_jw_null(w);
    }
}

/* The record Grail would keep for event number i. */
static void grail_record(dtc_jw *w, const emu_bizevent *e, json_t *ev, size_t i, uint64_t seed)
{
    bool ce = strcmp(e->content_type, "application/json") != 0;
    char ts[32], id[40];
    dtc_jw_obj(w);
    dtc_jw_key(w, "event.kind");
    dtc_jw_str(w, "BIZ_EVENT");
    const char *time = json_string_value(json_object_get(ev, "time"));
    if (!ce) time = json_string_value(json_object_get(ev, "timestamp"));
    dtc_fmt_datetime(ts, e->received);
    dtc_jw_key(w, "timestamp");
    dtc_jw_str(w, time ? time : ts);
    const char *k;
    json_t *v;
    if (ce) {
        dtc_jw_key(w, "event.id");
        dtc_jw_str(w, json_string_value(json_object_get(ev, "id")));
        dtc_jw_key(w, "event.provider");
        dtc_jw_str(w, json_string_value(json_object_get(ev, "source")));
        dtc_jw_key(w, "event.type");
        dtc_jw_str(w, json_string_value(json_object_get(ev, "type")));
        static const char *attrs[] = {"subject", "datacontenttype", "dataschema", "traceparent"};
        enum { NATTRS = sizeof(attrs) / sizeof(attrs[0]) };
        for (size_t a = 0; a < NATTRS; a++) {
            json_t *x = json_object_get(ev, attrs[a]);
            if (x) {
                dtc_jw_key(w, attrs[a]);
                grail_value(w, x);
            }
        }
        /* data's fields, except those the attributes above already set: a
         * record has each field once, and the CloudEvent attribute wins. */
        json_object_foreach(json_object_get(ev, "data"), k, v)
        {
            bool taken = strcmp(k, "event.kind") == 0 || strcmp(k, "timestamp") == 0 ||
                         strcmp(k, "event.id") == 0 || strcmp(k, "event.provider") == 0 ||
                         strcmp(k, "event.type") == 0;
            for (size_t a = 0; a < NATTRS && !taken; a++)
                taken = strcmp(k, attrs[a]) == 0 && json_object_get(ev, attrs[a]) != NULL;
            if (taken) continue;
            dtc_jw_key(w, k);
            grail_value(w, v);
        }
    } else {
        if (!json_object_get(ev, "event.id")) {
            uint64_t h = dtc_hash4(seed, 0xb12e, (uint64_t)i, (uint64_t)e->received,
                                   dtc_hash_bytes(0xb12e, e->json, strlen(e->json)));
            snprintf(id, sizeof(id), "%016llx", (unsigned long long)h);
            dtc_jw_key(w, "event.id");
            dtc_jw_str(w, id);
        }
        json_object_foreach(ev, k, v)
        {
            if (strcmp(k, "event.kind") == 0 || strcmp(k, "timestamp") == 0) continue;
            dtc_jw_key(w, k);
            grail_value(w, v);
        }
    }
    dtc_jw_obj_end(w);
}

int emu_bizevents_snapshot(emu_server *s, dtc_buf *out)
{
    emu_bizstore *st = emu_bizstore_of(s);
    dtc_jw w;
    dtc_jw_init(&w, out);
    emu_lock(s);
    dtc_jw_arr(&w);
    for (size_t i = 0; i < st->n && !w.err; i++) {
        const emu_bizevent *e = &st->ev[i];
        json_t *ev = json_loads(e->json, JSON_DECODE_ANY, NULL);
        char ts[32];
        dtc_fmt_datetime(ts, e->received);
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "received");
        dtc_jw_str(&w, ts);
        dtc_jw_key(&w, "contentType");
        dtc_jw_str(&w, e->content_type);
        dtc_jw_key(&w, "auth");
        dtc_jw_str(&w, e->auth);
        dtc_jw_key(&w, "environment");
        dtc_jw_str(&w, e->env);
        dtc_jw_key(&w, "event");
        dtc_jw_raw(&w, e->json);
        dtc_jw_key(&w, "record");
        if (ev)
            grail_record(&w, e, ev, i, 0x5eed);
        else
            dtc_jw_null(&w);
        dtc_jw_obj_end(&w);
        json_decref(ev);
    }
    dtc_jw_arr_end(&w);
    emu_unlock(s);
    return w.err ? DTC_ENOMEM : 0;
}

void emu_bizevents_clear(emu_server *s)
{
    emu_bizstore *st = emu_bizstore_of(s);
    emu_lock(s);
    for (size_t i = 0; i < st->n; i++)
        event_dispose(&st->ev[i]);
    st->n = 0;
    st->bytes = 0;
    emu_unlock(s);
}

void emu_bizevents_store_dispose(emu_server *s)
{
    emu_bizevents_clear(s);
    emu_bizstore *st = emu_bizstore_of(s);
    dtc_free(st->ev);
    memset(st, 0, sizeof(*st));
}
