/* push_config.c: push destinations and `dtcost serve` settings: defaults,
 * header lines, checks, the destination's identity in the outbox, and the
 * [push NAME] / [serve] sections of the config file (libinih). */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "dtcost/push.h"
#include "timeutil.h"

static int set(char **dst, const char *v)
{
    char *d = dtc_strdup(v);
    if (!d)
        return DTC_ENOMEM;
    dtc_free_secret(*dst);
    *dst = d;
    return 0;
}

int dtc_push_dest_init(dtc_push_dest *d, dtc_push_kind kind, const char *name)
{
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->format = DTC_PUSH_JSONL;
    d->batch_bytes = kind == DTC_PUSH_BIZEVENTS ? DTC_PUSH_BIZEVENTS_BATCH_BYTES : DTC_PUSH_WEBHOOK_BATCH_BYTES;
    d->batch_records = kind == DTC_PUSH_BIZEVENTS ? 0 : DTC_PUSH_WEBHOOK_BATCH_RECORDS;
    d->timeout_ms = 30000;
    d->connect_timeout_ms = 10000;
    d->retries = 5;
    d->retry_base_ms = 500;
    d->dead_after = 10;
    if (set(&d->name, name) || set(&d->signature_header, DTC_PUSH_SIGNATURE_HEADER) ||
        set(&d->event_type, "dtcost.cost") || set(&d->event_provider, "dtcost")) {
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
        snprintf(err, errlen, "header %zu is not \"Name: value\" (letters, digits and '-' in the name)",
                 d->nheaders + 1);
        return DTC_EINVAL;
    }
    char **grown = dtc_realloc(d->headers, (d->nheaders + 1) * sizeof(*grown));
    if (!grown)
        return DTC_ENOMEM;
    d->headers = grown;
    if (!(d->headers[d->nheaders] = dtc_strdup(line)))
        return DTC_ENOMEM;
    d->nheaders++;
    return 0;
}

int dtc_push_dest_header_file(dtc_push_dest *d, const char *path, char *err, size_t errlen)
{
    char *text = NULL;
    int rc = dtc_read_secret_file(path, &text, err, errlen);
    if (rc)
        return rc;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n && line[n - 1] == '\r')
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        if ((rc = dtc_push_dest_add_header(d, line, err, errlen)) == DTC_EINVAL)
            snprintf(err, errlen, "header file %s: a line is not \"Name: value\"", path);
    }
    dtc_free_secret(text);
    return rc;
}

int dtc_push_dest_check(const dtc_push_dest *d, char *err, size_t errlen)
{
    const char *what = d->kind == DTC_PUSH_BIZEVENTS ? "environment URL" : "webhook URL";
    if (!d->url || !*d->url) {
        snprintf(err, errlen, "push %s: no %s given", d->name, what);
        return DTC_EINVAL;
    }
    if (strncmp(d->url, "http://", 7) != 0 && strncmp(d->url, "https://", 8) != 0) {
        snprintf(err, errlen, "push %s: the %s must start with https:// (or http://)", d->name, what);
        return DTC_EINVAL;
    }
    const char *host = strstr(d->url, "://") + 3;
    size_t hl = strcspn(host, "/?#");
    if (memchr(host, '@', hl)) {
        snprintf(err, errlen, "push %s: the %s carries credentials; put them in a header "
                              "(--header-file) instead", d->name, what);
        return DTC_EINVAL;
    }
    if (d->batch_bytes < 1024 || d->batch_records < 0 || d->retries < 0 || d->dead_after < 1 ||
        d->timeout_ms < 1 || d->retry_base_ms < 1) {
        snprintf(err, errlen, "push %s: batch bytes must be at least 1024, retries non-negative, "
                              "dead-after, timeout and retry base positive", d->name);
        return DTC_EINVAL;
    }
    int64_t day;
    if (d->since && dtc_parse_date(d->since, &day) != 0) {
        snprintf(err, errlen, "push %s: since must be a date like 2026-01-01", d->name);
        return DTC_EINVAL;
    }
    return 0;
}

void dtc_push_dest_id(const dtc_push_dest *d, char *out, size_t n)
{
    char url[2048];
    const char *kind = d->kind == DTC_PUSH_BIZEVENTS ? "bizevents" : "webhook";
    if (d->kind == DTC_PUSH_BIZEVENTS)
        dtc_push_ingest_url(d, url, sizeof(url));
    else
        snprintf(url, sizeof(url), "%s", d->url ? d->url : "");
    size_t plain = strcspn(url, "?#");
    if (url[plain] == '\0') {
        snprintf(out, n, "%s %s", kind, url);
        return;
    }
    /* A query may carry a token: keep a digest of the whole URL instead. */
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    EVP_Digest(url, strlen(url), md, &mdlen, EVP_sha256(), NULL);
    char hex[17];
    for (int i = 0; i < 8; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(out, n, "%s %.*s?#%s", kind, (int)plain, url, hex);
}

/* ---- the config file ---- */

typedef struct ini_ctx {
    dtc_push_config *c;
    const char *path;
    int rc;
} ini_ctx;

static dtc_push_dest *dest_named(dtc_push_config *c, const char *name, int *rc)
{
    for (size_t i = 0; i < c->ndests; i++)
        if (strcmp(c->dests[i].name, name) == 0)
            return &c->dests[i];
    dtc_push_dest *grown = dtc_realloc(c->dests, (c->ndests + 1) * sizeof(*grown));
    if (!grown) {
        *rc = DTC_ENOMEM;
        return NULL;
    }
    c->dests = grown;
    if ((*rc = dtc_push_dest_init(&c->dests[c->ndests], DTC_PUSH_WEBHOOK, name)) != 0)
        return NULL;
    return &c->dests[c->ndests++];
}

static int number(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (*v == '\0' || *end || errno || n < lo || n > hi)
        return DTC_EINVAL;
    *out = n;
    return 0;
}

static int boolean(const char *v, bool *out)
{
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
        *out = true;
    else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off"))
        *out = false;
    else
        return DTC_EINVAL;
    return 0;
}

static int push_key(ini_ctx *x, dtc_push_dest *d, const char *key, const char *v)
{
    dtc_push_config *c = x->c;
    long n = 0;
    if (!strcmp(key, "type")) {
        if (!strcmp(v, "webhook") || !strcmp(v, "bizevents")) {
            dtc_push_kind k = v[0] == 'w' ? DTC_PUSH_WEBHOOK : DTC_PUSH_BIZEVENTS;
            if (k != d->kind) { /* limits follow the kind unless set explicitly later */
                d->kind = k;
                d->batch_bytes = k == DTC_PUSH_BIZEVENTS ? DTC_PUSH_BIZEVENTS_BATCH_BYTES
                                                         : DTC_PUSH_WEBHOOK_BATCH_BYTES;
                d->batch_records = k == DTC_PUSH_BIZEVENTS ? 0 : DTC_PUSH_WEBHOOK_BATCH_RECORDS;
            }
            return 0;
        }
        return DTC_EINVAL;
    }
    if (!strcmp(key, "url") || !strcmp(key, "environment"))
        return set(&d->url, v);
    if (!strcmp(key, "format")) {
        if (!strcmp(v, "jsonl") || !strcmp(v, "json")) {
            d->format = v[4] == 'l' ? DTC_PUSH_JSONL : DTC_PUSH_JSON_ARRAY;
            return 0;
        }
        return DTC_EINVAL;
    }
    if (!strcmp(key, "secret_file")) {
        char *sec = NULL;
        int rc = dtc_read_secret_file(v, &sec, c->err, sizeof(c->err));
        if (rc == 0) {
            dtc_free_secret(d->secret);
            d->secret = sec;
        }
        return rc ? -100 : 0; /* -100: c->err already says why */
    }
    if (!strcmp(key, "api_token_file")) {
        char *tok = NULL;
        int rc = dtc_read_secret_file(v, &tok, c->err, sizeof(c->err));
        if (rc == 0) {
            dtc_free_secret(d->api_token);
            d->api_token = tok;
        }
        return rc ? -100 : 0;
    }
    if (!strcmp(key, "secret") || !strcmp(key, "api_token")) {
        snprintf(c->err, sizeof(c->err), "config %s: [push %s] %s is not read from the config file; put it "
                                         "in a file of its own (chmod 600) and name it with %s_file",
                 x->path, d->name, key, key);
        return -100;
    }
    if (!strcmp(key, "header")) {
        int rc = dtc_push_dest_add_header(d, v, c->err, sizeof(c->err));
        return rc == DTC_EINVAL ? DTC_EINVAL : rc;
    }
    if (!strcmp(key, "header_file"))
        return dtc_push_dest_header_file(d, v, c->err, sizeof(c->err)) ? -100 : 0;
    if (!strcmp(key, "signature_header"))
        return set(&d->signature_header, v);
    if (!strcmp(key, "since"))
        return set(&d->since, v);
    if (!strcmp(key, "event_type"))
        return set(&d->event_type, v);
    if (!strcmp(key, "event_provider"))
        return set(&d->event_provider, v);
    if (!strcmp(key, "batch_bytes") && !number(v, 1024, 1L << 30, &n))
        return d->batch_bytes = (size_t)n, 0;
    if (!strcmp(key, "batch_records") && !number(v, 0, 10000000, &n))
        return d->batch_records = n, 0;
    if (!strcmp(key, "timeout") && !number(v, 1, 3600, &n))
        return d->timeout_ms = n * 1000, 0;
    if (!strcmp(key, "connect_timeout") && !number(v, 1, 600, &n))
        return d->connect_timeout_ms = n * 1000, 0;
    if (!strcmp(key, "retries") && !number(v, 0, 100, &n))
        return d->retries = (int)n, 0;
    if (!strcmp(key, "retry_base_ms") && !number(v, 1, 600000, &n))
        return d->retry_base_ms = (int)n, 0;
    if (!strcmp(key, "dead_after") && !number(v, 1, 100000, &n))
        return d->dead_after = (int)n, 0;
    return DTC_EINVAL;
}

static int serve_key(ini_ctx *x, const char *key, const char *v)
{
    dtc_serve_cfg *s = &x->c->serve;
    long n = 0;
    if (!strcmp(key, "listen"))
        return set(&s->listen, v);
    if (!strcmp(key, "cron"))
        return set(&s->cron, v);
    if (!strcmp(key, "pushes"))
        return set(&s->pushes, v);
    if (!strcmp(key, "interval") && !number(v, 1, 366L * 86400, &n))
        return s->interval = (int)n, 0;
    if (!strcmp(key, "jitter") && !number(v, 0, 86400, &n))
        return s->jitter = (int)n, 0;
    if (!strcmp(key, "metrics_max_series") && !number(v, 1, 1000000, &n))
        return s->metrics_max_series = (int)n, 0;
    if (!strcmp(key, "sync"))
        return boolean(v, &s->sync);
    return DTC_EINVAL;
}

static int on_ini(void *ud, const char *section, const char *key, const char *value)
{
    ini_ctx *x = ud;
    dtc_push_config *c = x->c;
    if (x->rc)
        return 0;
    int rc = 0;
    if (!strcmp(section, "dtcost")) {
        if (!strcmp(key, "database"))
            rc = set(&c->database, value);
    } else if (!strcmp(section, "serve")) {
        rc = serve_key(x, key, value);
    } else if (!strncmp(section, "push ", 5) && section[5]) {
        dtc_push_dest *d = dest_named(c, section + 5, &rc);
        if (d)
            rc = push_key(x, d, key, value);
    }
    if (rc == DTC_EINVAL)
        /* The value may be a secret's neighbour: name the key, not the value. */
        snprintf(c->err, sizeof(c->err), "config %s: [%s] %s: unknown setting or bad value (see docs/push.md)",
                 x->path, section, key);
    x->rc = rc == -100 ? DTC_EINVAL : rc;
    return x->rc == 0;
}

int dtc_push_config_load(dtc_push_config *c, const char *path)
{
    memset(c, 0, sizeof(*c));
    c->serve.sync = true;
    c->serve.interval = 0;
    c->serve.jitter = -1; /* not set */
    if (!path)
        return 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(c->err, sizeof(c->err), "config %s: %s (check --config / DTCOST_CONFIG)", path, strerror(errno));
        return DTC_EINVAL;
    }
    ini_ctx x = {c, path, 0};
    int line = ini_parse_file(f, on_ini, &x);
    fclose(f);
    if (x.rc)
        return x.rc;
    if (line != 0) {
        snprintf(c->err, sizeof(c->err), "config %s: line %d is not valid INI", path, line);
        return DTC_EINVAL;
    }
    for (size_t i = 0; i < c->ndests; i++)
        if (dtc_push_dest_check(&c->dests[i], c->err, sizeof(c->err)) != 0)
            return DTC_EINVAL;
    return 0;
}

void dtc_push_config_dispose(dtc_push_config *c)
{
    for (size_t i = 0; i < c->ndests; i++)
        dtc_push_dest_dispose(&c->dests[i]);
    dtc_free(c->dests);
    dtc_free(c->database);
    dtc_free(c->serve.listen);
    dtc_free(c->serve.cron);
    dtc_free(c->serve.pushes);
    memset(c, 0, sizeof(*c));
}
