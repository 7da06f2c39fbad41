/* push_config.c: push destinations and `dtcost serve` settings: defaults,
 * header lines, checks, the destination's identity in the outbox, and the
 * [push NAME] / [serve] sections, which config.c's loader hands over. */
#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config_impl.h"
#include "dtcost/push.h"
#include "sink.h"
#include "text.h"
#include "timeutil.h"

/* The kind and the batch limits that go with it. */
static void set_sink(dtc_push_dest *d, const dtc_sink *s)
{
    d->kind = s->kind;
    d->batch_bytes = s->batch_bytes;
    d->batch_records = s->batch_records;
}

int dtc_push_dest_init(dtc_push_dest *d, dtc_push_kind kind, const char *name)
{
    memset(d, 0, sizeof(*d));
    set_sink(d, dtc_sink__of(kind));
    d->format = DTC_PUSH_JSONL;
    d->timeout_ms = 30000;
    d->connect_timeout_ms = 10000;
    d->retries = 5;
    d->retry_base_ms = 500;
    d->dead_after = 10;
    if (dtc_config__set(&d->name, name) ||
        dtc_config__set(&d->signature_header, DTC_PUSH_SIGNATURE_HEADER) ||
        dtc_config__set(&d->event_type, "dtcost.cost") ||
        dtc_config__set(&d->event_provider, "dtcost")) {
        dtc_push_dest_dispose(d);
        return DTC_ENOMEM;
    }
    return 0;
}

void dtc_push_dest_dispose(dtc_push_dest *d)
{
    dtc_free(d->name);
    dtc_free(d->url);
    dtc_free_secret(d->secret);
    dtc_free(d->signature_header);
    for (size_t i = 0; i < d->nheaders; i++)
        dtc_free_secret(d->headers[i]);
    dtc_free(d->headers);
    dtc_free_secret(d->api_token);
    dtc_free(d->since);
    dtc_free(d->event_type);
    dtc_free(d->event_provider);
    memset(d, 0, sizeof(*d));
}

int dtc_push_dest_add_header(dtc_push_dest *d, const char *line, char *err, size_t errlen)
{
    const char *colon = strchr(line, ':');
    size_t nl = colon ? (size_t)(colon - line) : 0;
    bool ok = colon && nl > 0 && !strpbrk(line, "\r\n");
    for (size_t i = 0; ok && i < nl; i++)
        ok = isalnum((unsigned char)line[i]) || line[i] == '-' || line[i] == '_';
    if (!ok) {
        /* The line may hold a secret: name only its position, not its text. */
        snprintf(err, errlen,
                 "header %zu is not \"Name: value\" (letters, digits and '-' in the name)",
                 d->nheaders + 1);
        return DTC_EINVAL;
    }
    char **grown = dtc_realloc(d->headers, (d->nheaders + 1) * sizeof(*grown));
    if (!grown) return DTC_ENOMEM;
    d->headers = grown;
    if (!(d->headers[d->nheaders] = dtc_strdup(line))) return DTC_ENOMEM;
    d->nheaders++;
    return 0;
}

int dtc_push_dest_header_file(dtc_push_dest *d, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    int rc = dtc_read_secret_file(&text, path, err, errlen);
    if (rc) return rc;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rc == 0;
         line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r') line[--n] = '\0';
        if (n == 0 || line[0] == '#') continue;
        if ((rc = dtc_push_dest_add_header(d, line, err, errlen)) == DTC_EINVAL)
            snprintf(err, errlen, "header file %s: a line is not \"Name: value\"", path);
    }
    dtc_free_secret(text);
    return rc;
}

int dtc_push_dest_check(const dtc_push_dest *d, char *err, size_t errlen)
{
    const char *what = dtc_sink__of(d->kind)->url_what;
    if (!d->url || !*d->url) {
        snprintf(err, errlen, "push %s: no %s given", d->name, what);
        return DTC_EINVAL;
    }
    if (strncmp(d->url, "http://", 7) != 0 && strncmp(d->url, "https://", 8) != 0) {
        snprintf(err, errlen, "push %s: the %s must start with https:// (or http://)", d->name,
                 what);
        return DTC_EINVAL;
    }
    if (dtc_text_url_has_userinfo(d->url)) {
        snprintf(err, errlen,
                 "push %s: the %s carries credentials; put them in a header "
                 "(--header-file) instead",
                 d->name, what);
        return DTC_EINVAL;
    }
    if (d->batch_bytes < 1024 || d->batch_records < 0 || d->retries < 0 || d->dead_after < 1 ||
        d->timeout_ms < 1 || d->retry_base_ms < 1) {
        snprintf(err, errlen,
                 "push %s: batch bytes must be at least 1024, retries non-negative, "
                 "dead-after, timeout and retry base positive",
                 d->name);
        return DTC_EINVAL;
    }
    int64_t day;
    if (d->since && dtc_parse_date(d->since, &day) != 0) {
        snprintf(err, errlen, "push %s: since must be a date like 2026-01-01", d->name);
        return DTC_EINVAL;
    }
    return 0;
}

bool dtc_push_dest_needs_oauth(const dtc_push_dest *d)
{
    return dtc_sink__of(d->kind)->needs_oauth(d);
}

bool dtc_push_dest_uses(const dtc_push_dest *d, const char *key)
{
    bool other = false;
    for (int i = 0; dtc_sink__at(i); i++) {
        const dtc_sink *s = dtc_sink__at(i);
        for (size_t k = 0; s->keys[k]; k++)
            if (strcmp(s->keys[k], key) == 0) {
                if (s->kind == d->kind) return true;
                other = true;
            }
    }
    return !other;
}

int dtc_push_kind_named(dtc_push_kind *out, const char *name)
{
    const dtc_sink *s = dtc_sink__named(name);
    if (!s) return DTC_EINVAL;
    *out = s->kind;
    return 0;
}

void dtc_push_dest_id(const dtc_push_dest *d, char *out, size_t n)
{
    char url[2048], shown[2048];
    const dtc_sink *s = dtc_sink__of(d->kind);
    const char *kind = s->name;
    s->url(d, url, sizeof(url));
    dtc_text_url_redact(shown, sizeof(shown), url);
    if (strcmp(shown, url) == 0) {
        snprintf(out, n, "%s %s", kind, url);
        return;
    }
    /* Something was redacted: the shown form plus a digest of the whole URL
     * keeps two URLs that differ only in a token apart, stable across runs. */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL);
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(out, n, "%s %s #%s", kind, shown, hex);
    explicit_bzero(url, sizeof(url));
}

/* ---- the [push NAME] and [serve] sections (read by config.c's loader) ---- */

static dtc_push_dest *dest_named(dtc_push_config *c, const char *name, int *rc)
{
    for (size_t i = 0; i < c->ndests; i++)
        if (strcmp(c->dests[i].name, name) == 0) return &c->dests[i];
    dtc_push_dest *grown = dtc_realloc(c->dests, (c->ndests + 1) * sizeof(*grown));
    if (!grown) {
        *rc = DTC_ENOMEM;
        return NULL;
    }
    c->dests = grown;
    if ((*rc = dtc_push_dest_init(&c->dests[c->ndests], dtc_sink__at(0)->kind, name)) != 0)
        return NULL;
    return &c->dests[c->ndests++];
}

/* A secret read from the file the value names into *dst. */
static int secret_from(char **dst, const dtc_config_item *it)
{
    char *sec = NULL;
    int rc = dtc_read_secret_file(&sec, it->value, it->why, it->whylen);
    if (rc == 0) {
        dtc_free_secret(*dst);
        *dst = sec;
    }
    return rc;
}

void dtc_push__config_init(void *target)
{
    dtc_push_config *c = target;
    memset(c, 0, sizeof(*c));
    c->serve.sync = true;
    c->serve.interval = 0;
    c->serve.jitter = -1; /* not set */
}

int dtc_push__config_item(void *target, const dtc_config_item *it)
{
    static const char *const formats[] = {"jsonl", "json", NULL};
    int rc = 0, i = 0;
    long n = 0;
    dtc_push_dest *d = dest_named(target, it->name, &rc);
    if (!d) return rc;
    const char *key = it->key;
    if (!strcmp(key, "type")) {
        const char *kinds[DTC_SINK_COUNT + 1];
        dtc_sink__names(kinds);
        if ((rc = dtc_config__choice(it, kinds, &i)) != 0) return rc;
        const dtc_sink *s = dtc_sink__at(i);
        if (s->kind != d->kind) /* limits follow the kind unless set explicitly later */
            set_sink(d, s);
        return 0;
    }
    if (!strcmp(key, "format")) {
        if ((rc = dtc_config__choice(it, formats, &i)) == 0)
            d->format = i == 0 ? DTC_PUSH_JSONL : DTC_PUSH_JSON_ARRAY;
        return rc;
    }
    if (!strcmp(key, "url") || !strcmp(key, "environment"))
        return dtc_config__set(&d->url, it->value);
    if (!strcmp(key, "secret_file")) return secret_from(&d->secret, it);
    if (!strcmp(key, "api_token_file")) return secret_from(&d->api_token, it);
    if (!strcmp(key, "secret") || !strcmp(key, "api_token")) {
        snprintf(it->why, it->whylen,
                 "is not read from the config file; put it in a file of its own "
                 "(chmod 600) and name it with %s_file",
                 key);
        return DTC_EINVAL;
    }
    if (!strcmp(key, "header")) return dtc_push_dest_add_header(d, it->value, it->why, it->whylen);
    if (!strcmp(key, "header_file"))
        return dtc_push_dest_header_file(d, it->value, it->why, it->whylen);
    if (!strcmp(key, "signature_header")) return dtc_config__set(&d->signature_header, it->value);
    if (!strcmp(key, "since")) return dtc_config__set(&d->since, it->value);
    if (!strcmp(key, "event_type")) return dtc_config__set(&d->event_type, it->value);
    if (!strcmp(key, "event_provider")) return dtc_config__set(&d->event_provider, it->value);
    if (!strcmp(key, "batch_bytes")) {
        if ((rc = dtc_config__size(it, 1024, 1L << 30, &n)) == 0) d->batch_bytes = (size_t)n;
    } else if (!strcmp(key, "batch_records")) {
        if ((rc = dtc_config__int(it, 0, 10000000, &n)) == 0) d->batch_records = n;
    } else if (!strcmp(key, "timeout")) {
        if ((rc = dtc_config__duration(it, 1, 3600, &n)) == 0) d->timeout_ms = n * 1000;
    } else if (!strcmp(key, "connect_timeout")) {
        if ((rc = dtc_config__duration(it, 1, 600, &n)) == 0) d->connect_timeout_ms = n * 1000;
    } else if (!strcmp(key, "retries")) {
        if ((rc = dtc_config__int(it, 0, 100, &n)) == 0) d->retries = (int)n;
    } else if (!strcmp(key, "retry_base_ms")) {
        if ((rc = dtc_config__int(it, 1, 600000, &n)) == 0) d->retry_base_ms = (int)n;
    } else if (!strcmp(key, "dead_after")) {
        if ((rc = dtc_config__int(it, 1, 100000, &n)) == 0) d->dead_after = (int)n;
    } else {
        rc = DTC_ENOTFOUND;
    }
    return rc;
}

int dtc_push__serve_item(void *target, const dtc_config_item *it)
{
    dtc_serve_cfg *s = &((dtc_push_config *)target)->serve;
    long n = 0;
    int rc;
    if (!strcmp(it->key, "listen")) return dtc_config__set(&s->listen, it->value);
    if (!strcmp(it->key, "cron")) return dtc_config__set(&s->cron, it->value);
    if (!strcmp(it->key, "pushes")) return dtc_config__set(&s->pushes, it->value);
    if (!strcmp(it->key, "sync")) return dtc_config__bool(it, &s->sync);
    if (!strcmp(it->key, "interval")) {
        if ((rc = dtc_config__duration(it, 1, 366L * 86400, &n)) == 0) s->interval = (int)n;
        return rc;
    }
    if (!strcmp(it->key, "jitter")) {
        if ((rc = dtc_config__duration(it, 0, 86400, &n)) == 0) s->jitter = (int)n;
        return rc;
    }
    if (!strcmp(it->key, "metrics_max_series")) {
        if ((rc = dtc_config__int(it, 1, 1000000, &n)) == 0) s->metrics_max_series = (int)n;
        return rc;
    }
    return DTC_ENOTFOUND;
}

int dtc_push__config_finish(void *target, char *why, size_t whylen)
{
    dtc_push_config *c = target;
    for (size_t i = 0; i < c->ndests; i++)
        if (dtc_push_dest_check(&c->dests[i], why, whylen) != 0) return DTC_EINVAL;
    return 0;
}

void dtc_push_config_dispose(dtc_push_config *c)
{
    for (size_t i = 0; i < c->ndests; i++)
        dtc_push_dest_dispose(&c->dests[i]);
    dtc_free(c->dests);
    dtc_free(c->serve.listen);
    dtc_free(c->serve.cron);
    dtc_free(c->serve.pushes);
    memset(c, 0, sizeof(*c));
}
