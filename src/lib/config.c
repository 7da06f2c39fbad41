/* config.c: INI file, environment and flags merged into one dtc_config. */
#include "dtcost/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

static int set(char **dst, const char *v)
{
    char *d = dtc_strdup(v);
    if (!d)
        return DTC_ENOMEM;
    dtc_free_secret(*dst);
    *dst = d;
    return 0;
}

int dtc_read_secret_file(const char *path, char **out, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0) {
        snprintf(err, errlen, "secret file %s: %s (check DT_CLIENT_SECRET_FILE)", path, strerror(errno));
        return DTC_EINVAL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(err, errlen, "secret file %s is not a regular file", path);
        return DTC_EINVAL;
    }
    if (st.st_mode & 077) {
        close(fd);
        snprintf(err, errlen, "secret file %s is accessible by group or others (mode %03o): "
                              "run chmod 600 %s", path, (unsigned)(st.st_mode & 0777), path);
        return DTC_EINVAL;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0 || n == (ssize_t)sizeof(buf) - 1) {
        explicit_bzero(buf, sizeof(buf));
        snprintf(err, errlen, "secret file %s: %s", path, n < 0 ? strerror(errno) : "larger than 4 KiB");
        return DTC_EINVAL;
    }
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    if (n == 0) {
        snprintf(err, errlen, "secret file %s is empty", path);
        return DTC_EINVAL;
    }
    *out = dtc_strdup(buf);
    explicit_bzero(buf, sizeof(buf));
    return *out ? 0 : DTC_ENOMEM;
}

/* A whole decimal number, or -1 (which every range check then refuses). */
static int int_of(const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    return *v && !*end && errno == 0 && n >= 0 && n <= 1000000 ? (int)n : -1;
}

static dtc_account_cfg *account_named(dtc_config *c, const char *name)
{
    for (size_t i = 0; i < c->naccounts; i++)
        if (strcmp(c->accounts[i].name, name) == 0)
            return &c->accounts[i];
    dtc_account_cfg *grown = dtc_realloc(c->accounts, (c->naccounts + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    c->accounts = grown;
    dtc_account_cfg *a = &c->accounts[c->naccounts];
    memset(a, 0, sizeof(*a));
    a->name = dtc_strdup(name);
    if (!a->name)
        return NULL;
    c->naccounts++;
    return a;
}

typedef struct ini_ctx {
    dtc_config *c;
    const char *path;
    int rc;
} ini_ctx;

static int on_ini(void *ud, const char *section, const char *key, const char *value)
{
    ini_ctx *x = ud;
    dtc_config *c = x->c;
    if (x->rc)
        return 0;
    if (strcmp(section, "serve") == 0 || strncmp(section, "push ", 5) == 0)
        return 1; /* read by push.c (dtc_push_config_load) */
    if (strcmp(section, "allocation") == 0 || strcmp(section, "license") == 0 || strcmp(section, "export") == 0)
        return 1; /* read by chargeback.c, license.c and export.c */
    if (strcmp(section, "dtcost") == 0) {
        if (strcmp(key, "database") == 0)
            x->rc = set(&c->database, value);
        else if (strcmp(key, "trailing_days") == 0)
            c->trailing_days = int_of(value);
        else if (strcmp(key, "chunk_days") == 0)
            c->chunk_days = int_of(value);
        else if (strcmp(key, "allocation_chunk_days") == 0)
            c->alloc_chunk_days = int_of(value);
        else if (strcmp(key, "page_size") == 0)
            c->page_size = int_of(value);
        else if (strcmp(key, "allocation_page_size") == 0)
            c->alloc_page_size = int_of(value);
        else if (strcmp(key, "concurrency") == 0)
            c->concurrency = int_of(value);
        else
            goto unknown;
        return 1;
    }
    if (strncmp(section, "account ", 8) == 0 && section[8]) {
        dtc_account_cfg *a = account_named(c, section + 8);
        if (!a) {
            x->rc = DTC_ENOMEM;
            return 0;
        }
        if (strcmp(key, "account_uuid") == 0)
            x->rc = set(&a->uuid, value);
        else if (strcmp(key, "client_id") == 0)
            x->rc = set(&a->client_id, value);
        else if (strcmp(key, "client_secret_file") == 0) {
            char *sec = NULL;
            x->rc = dtc_read_secret_file(value, &sec, c->err, sizeof(c->err));
            if (!x->rc) {
                dtc_free_secret(a->client_secret);
                a->client_secret = sec;
            }
        } else if (strcmp(key, "sso_url") == 0)
            x->rc = set(&a->sso_url, value);
        else if (strcmp(key, "api_url") == 0)
            x->rc = set(&a->api_url, value);
        else if (strcmp(key, "subscriptions") == 0)
            x->rc = set(&a->subscriptions, value);
        else if (strcmp(key, "scopes") == 0)
            x->rc = set(&a->scopes, value);
        else if (strcmp(key, "client_secret") == 0) {
            snprintf(c->err, sizeof(c->err), "config %s: [%s] client_secret is not read from the config "
                                             "file; put it in a file of its own (chmod 600) and name it "
                                             "with client_secret_file", x->path, section);
            x->rc = DTC_EINVAL;
        } else
            goto unknown;
        return 1;
    }
unknown:
    snprintf(c->err, sizeof(c->err), "config %s: unknown setting [%s] %s (see docs/sync.md)", x->path,
             section, key);
    x->rc = DTC_EINVAL;
    return 0;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int dtc_config_resolve(dtc_config *c, const dtc_config_flags *fl)
{
    dtc_config_flags none = {0};
    if (!fl)
        fl = &none;
    memset(c, 0, sizeof(*c));
    c->trailing_days = 35;
    c->chunk_days = 7;
    c->alloc_chunk_days = 28;
    c->page_size = 50;
    c->alloc_page_size = 1000;
    c->concurrency = 4;
    int rc = 0;
    const char *path = fl->config_path ? fl->config_path : env("DTCOST_CONFIG");
    if (path) {
        ini_ctx x = {c, path, 0};
        FILE *f = fopen(path, "r");
        if (!f) {
            snprintf(c->err, sizeof(c->err), "config %s: %s (check --config / DTCOST_CONFIG)", path,
                     strerror(errno));
            return DTC_EINVAL;
        }
        int line = ini_parse_file(f, on_ini, &x);
        fclose(f);
        if (x.rc)
            return x.rc;
        if (line != 0) {
            snprintf(c->err, sizeof(c->err), "config %s: line %d is not valid INI", path, line);
            return DTC_EINVAL;
        }
    }
    /* Environment and flags describe one account; they override a config
     * section with the same account UUID, or stand alone. */
    const char *uuid = fl->account_uuid ? fl->account_uuid : env("DT_ACCOUNT_UUID");
    const char *cid = fl->client_id ? fl->client_id : env("DT_CLIENT_ID");
    const char *secret_file = fl->client_secret_file ? fl->client_secret_file : env("DT_CLIENT_SECRET_FILE");
    const char *secret = fl->client_secret_file ? NULL : env("DT_CLIENT_SECRET");
    const char *sso = fl->sso_url ? fl->sso_url : env("DT_SSO_URL");
    const char *api = fl->api_url ? fl->api_url : env("DT_API_URL");
    const char *scopes = fl->scopes ? fl->scopes : env("DT_SCOPES");
    if (uuid || cid || secret || secret_file) {
        dtc_account_cfg *a = NULL;
        for (size_t i = 0; uuid && i < c->naccounts; i++)
            if (c->accounts[i].uuid && strcmp(c->accounts[i].uuid, uuid) == 0)
                a = &c->accounts[i];
        if (!a && !(a = account_named(c, "environment")))
            return DTC_ENOMEM;
        if ((uuid && (rc = set(&a->uuid, uuid))) || (cid && (rc = set(&a->client_id, cid))))
            return rc;
        if (secret_file) {
            char *sec = NULL;
            if ((rc = dtc_read_secret_file(secret_file, &sec, c->err, sizeof(c->err))) != 0)
                return rc;
            dtc_free_secret(a->client_secret);
            a->client_secret = sec;
        } else if (secret && (rc = set(&a->client_secret, secret))) {
            return rc;
        }
        if (uuid) { /* only the named account runs */
            dtc_account_cfg keep = *a;
            for (size_t i = 0; i < c->naccounts; i++) {
                if (&c->accounts[i] == a)
                    continue;
                dtc_account_cfg *o = &c->accounts[i];
                dtc_free(o->name), dtc_free(o->uuid), dtc_free(o->client_id), dtc_free_secret(o->client_secret);
                dtc_free(o->sso_url), dtc_free(o->api_url), dtc_free(o->subscriptions), dtc_free(o->scopes);
            }
            c->accounts[0] = keep;
            c->naccounts = 1;
        }
    }
    for (size_t i = 0; i < c->naccounts; i++) {
        dtc_account_cfg *a = &c->accounts[i];
        if ((sso && (rc = set(&a->sso_url, sso))) || (api && (rc = set(&a->api_url, api))) ||
            (fl->subscriptions && (rc = set(&a->subscriptions, fl->subscriptions))) ||
            (scopes && (rc = set(&a->scopes, scopes))))
            return rc;
        if ((!a->sso_url && (rc = set(&a->sso_url, DTC_DEFAULT_SSO_URL))) ||
            (!a->api_url && (rc = set(&a->api_url, DTC_DEFAULT_API_URL))))
            return rc;
        const char *missing = !a->uuid ? "the account UUID (DT_ACCOUNT_UUID, --account or account_uuid=)"
                              : !a->client_id ? "the OAuth client id (DT_CLIENT_ID, --client-id or client_id=)"
                              : !a->client_secret ? "the OAuth client secret (DT_CLIENT_SECRET, "
                                                    "DT_CLIENT_SECRET_FILE or client_secret_file=)"
                                                  : NULL;
        if (missing) {
            snprintf(c->err, sizeof(c->err), "account %s: missing %s", a->uuid ? a->uuid : a->name, missing);
            return DTC_EINVAL;
        }
    }
    if (c->naccounts == 0) {
        snprintf(c->err, sizeof(c->err), "no account configured: set DT_ACCOUNT_UUID, DT_CLIENT_ID and "
                                         "DT_CLIENT_SECRET_FILE, or give --config FILE (see docs/sync.md)");
        return DTC_EINVAL;
    }
    const char *db = fl->database ? fl->database : env("DTCOST_DB");
    if ((db && (rc = set(&c->database, db))) || (!c->database && (rc = set(&c->database, "dtcost.db"))))
        return rc;
    if (fl->trailing_days > 0)
        c->trailing_days = fl->trailing_days;
    if (fl->concurrency > 0)
        c->concurrency = fl->concurrency;
    /* Ranges keep every later product of days and sizes far from overflow. */
    const char *bad = c->trailing_days < 1 || c->trailing_days > 3660 ? "trailing_days must be 1..3660"
                      : c->chunk_days < 1 || c->chunk_days > 366 ? "chunk_days must be 1..366"
                      : c->alloc_chunk_days < 1 || c->alloc_chunk_days > 366 ? "allocation_chunk_days must be 1..366"
                      : c->page_size < 1 || c->page_size > 10000 ? "page_size must be 1..10000 (live accounts allow 50)"
                      : c->alloc_page_size < 1 || c->alloc_page_size > 10000 ? "allocation_page_size must be 1..10000"
                      : c->concurrency < 1 || c->concurrency > 32 ? "concurrency must be 1..32"
                                                                  : NULL;
    if (bad) {
        snprintf(c->err, sizeof(c->err), "%s (see docs/sync.md)", bad);
        return DTC_EINVAL;
    }
    return 0;
}

void dtc_config_dispose(dtc_config *c)
{
    for (size_t i = 0; i < c->naccounts; i++) {
        dtc_account_cfg *a = &c->accounts[i];
        dtc_free(a->name);
        dtc_free(a->uuid);
        dtc_free(a->client_id);
        dtc_free_secret(a->client_secret);
        dtc_free(a->sso_url);
        dtc_free(a->api_url);
        dtc_free(a->subscriptions);
        dtc_free(a->scopes);
    }
    dtc_free(c->accounts);
    dtc_free(c->database);
    memset(c, 0, sizeof(*c));
}
