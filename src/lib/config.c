/* config.c: the one config loader (the file read once, each section handed
 * to its owner through a table), the value parsers every owner shares, where
 * the config file and the database are, secret files, and the environment
 * and flags merged over the file into one dtc_config. */
#include "dtcost/config.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <linux/magic.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "alloc.h"
#include "config_impl.h"
#include "dtcost/chargeback.h"
#include "dtcost/license.h"
#include "dtcost/push.h"
#include "dtcost/store.h"
#include "text.h"

/* ---- value parsers shared by every section owner ---- */

int dtc_config__set(char **dst, const char *v)
{
    char *d = dtc_strdup(v);
    if (!d) return DTC_ENOMEM;
    dtc_free_secret(*dst);
    *dst = d;
    return 0;
}

/* The value parsers quote what they refuse (at most 40 bytes): they read
 * numbers and words, never a secret. */
static int refuse(const dtc_config_item *it, const char *fmt, long lo, long hi)
{
    int n = snprintf(it->why, it->whylen, "'%.40s' ", it->value);
    if (n > 0 && (size_t)n < it->whylen) snprintf(it->why + n, it->whylen - (size_t)n, fmt, lo, hi);
    return DTC_EINVAL;
}

int dtc_config__bool(const dtc_config_item *it, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"}, *const no[] = {"no", "false",
                                                                                "off", "0"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(it->value, yes[i]) == 0) return *out = true, 0;
        if (strcasecmp(it->value, no[i]) == 0) return *out = false, 0;
    }
    snprintf(it->why, it->whylen, "'%.40s' is not yes or no (true/false, on/off, 1/0)", it->value);
    return DTC_EINVAL;
}

/* A whole number with an optional unit from units (multipliers in mult), or
 * -1 when v is not one; *n stays within LONG_MAX. */
static int scaled(const char *v, const char *const *units, const long *mult, long *n)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || errno || x < 0 || *v == '-' || *v == '+' || *v == ' ') return -1;
    while (*end == ' ')
        end++;
    long m = 1;
    if (*end) {
        size_t i = 0;
        while (units[i] && strcasecmp(end, units[i]) != 0)
            i++;
        if (!units[i]) return -1;
        m = mult[i];
    }
    if (x > LONG_MAX / m) return -1;
    *n = x * m;
    return 0;
}

int dtc_config__int(const dtc_config_item *it, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(it->value, &end, 10);
    if (end == it->value || *end || errno || *it->value == ' ' || *it->value == '+' || n < lo ||
        n > hi)
        return refuse(it, "must be a whole number from %ld to %ld", lo, hi);
    *out = n;
    return 0;
}

int dtc_config__duration(const dtc_config_item *it, long lo, long hi, long *out)
{
    static const char *const units[] = {"s", "m", "h", "d", NULL};
    static const long mult[] = {1, 60, 3600, 86400};
    long n;
    if (scaled(it->value, units, mult, &n) != 0 || n < lo || n > hi)
        return refuse(it, "must be a duration from %ld to %ld seconds (90, 90s, 15m, 2h or 1d)", lo,
                      hi);
    *out = n;
    return 0;
}

int dtc_config__size(const dtc_config_item *it, long lo, long hi, long *out)
{
    static const char *const units[] = {"k", "kib", "m", "mib", "g", "gib", NULL};
    static const long mult[] = {1L << 10, 1L << 10, 1L << 20, 1L << 20, 1L << 30, 1L << 30};
    long n;
    if (scaled(it->value, units, mult, &n) != 0 || n < lo || n > hi)
        return refuse(it, "must be a size from %ld to %ld bytes (a number, or with K, M or G)", lo,
                      hi);
    *out = n;
    return 0;
}

int dtc_config__micros(const dtc_config_item *it, double hi, int64_t *out)
{
    char *end;
    errno = 0;
    double d = strtod(it->value, &end);
    if (end == it->value || *end || errno || !isfinite(d) || d < 0 || d > hi) {
        snprintf(it->why, it->whylen, "'%.40s' must be a decimal amount from 0 to %.0f", it->value,
                 hi);
        return DTC_EINVAL;
    }
    *out = (int64_t)llround(d * 1e6);
    return 0;
}

int dtc_config__choice(const dtc_config_item *it, const char *const *names, int *out)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(it->value, names[i]) == 0) return *out = i, 0;
    size_t used = (size_t)snprintf(it->why, it->whylen, "'%.40s' is not one it takes:", it->value);
    for (int i = 0; names[i] && used < it->whylen; i++)
        used += (size_t)snprintf(it->why + used, it->whylen - used, "%s %s",
                                 i == 0         ? ""
                                 : names[i + 1] ? ","
                                                : " or",
                                 names[i]);
    return DTC_EINVAL;
}

/* ---- secret files ---- */

int dtc_read_secret_file(char **out, const char *path, char *err, size_t errlen)
{
    *out = NULL;
    char *real = NULL, *buf = NULL;
    int fd = -1, rc = DTC_EINVAL;
    struct stat st;
    struct statfs sf;
    /* A Kubernetes Secret volume serves x -> ..data/x -> ..2026_.../x: follow
     * the chain, then judge the file it ends at. */
    if (!(real = realpath(path, NULL))) {
        snprintf(err, errlen, "secret file %s: %s (check the path)", path, strerror(errno));
        goto done;
    }
    static const char *const pseudo[] = {"/proc", "/sys", "/dev"};
    for (size_t i = 0; i < sizeof(pseudo) / sizeof(pseudo[0]); i++) {
        size_t n = strlen(pseudo[i]);
        if (strncmp(real, pseudo[i], n) == 0 && (real[n] == '/' || real[n] == '\0')) {
            snprintf(err, errlen,
                     "secret file %s is under %s, not a file of its own: put the secret in a "
                     "regular file (chmod 600)",
                     path, pseudo[i]);
            goto done;
        }
    }
    /* O_NONBLOCK: a FIFO opens at once instead of waiting for a writer. */
    if ((fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)) < 0) {
        snprintf(err, errlen, "secret file %s: %s", path, strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fstatfs(fd, &sf) != 0 ||
        sf.f_type == PROC_SUPER_MAGIC || sf.f_type == SYSFS_MAGIC) {
        snprintf(err, errlen,
                 "secret file %s is not a regular file: put the secret in one (chmod 600)", path);
        goto done;
    }
    if (st.st_mode & 077) {
        snprintf(err, errlen,
                 "secret file %s is accessible by group or others (mode %03o): run chmod 600 %s",
                 path, (unsigned)(st.st_mode & 0777), real);
        goto done;
    }
    if (st.st_size > DTC_SECRET_MAX_FILE) {
        snprintf(err, errlen, "secret file %s is larger than %d bytes", path, DTC_SECRET_MAX_FILE);
        goto done;
    }
    if (!(buf = dtc_malloc(DTC_SECRET_MAX_FILE + 1))) {
        rc = DTC_ENOMEM;
        goto done;
    }
    size_t n = 0;
    for (;;) { /* bounded: the file may grow, the buffer does not */
        ssize_t got = read(fd, buf + n, DTC_SECRET_MAX_FILE + 1 - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            snprintf(err, errlen, "secret file %s: %s", path, strerror(errno));
            goto done;
        }
        n += (size_t)got;
        if (got == 0 || n > DTC_SECRET_MAX_FILE) break;
    }
    if (n > DTC_SECRET_MAX_FILE) {
        snprintf(err, errlen, "secret file %s is larger than %d bytes", path, DTC_SECRET_MAX_FILE);
        goto done;
    }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
        n--;
    buf[n] = '\0';
    if (n == 0 || memchr(buf, '\0', n)) {
        snprintf(err, errlen, "secret file %s is %s", path,
                 n ? "binary (it holds a NUL byte)" : "empty");
        goto done;
    }
    rc = (*out = dtc_strdup(buf)) ? 0 : DTC_ENOMEM;
done:
    if (buf) {
        explicit_bzero(buf, DTC_SECRET_MAX_FILE + 1);
        dtc_free(buf);
    }
    if (fd >= 0) close(fd);
    free(real); /* from realpath(3) */
    return rc;
}

/* ---- [dtcost] and [account NAME] ---- */

static void core_init(void *target)
{
    dtc_config *c = target;
    memset(c, 0, sizeof(*c));
    c->trailing_days = 35;
    c->chunk_days = 7;
    c->alloc_chunk_days = 28;
    c->page_size = 50;
    c->alloc_page_size = 1000;
    c->concurrency = 4;
    c->db_retry = 60;
}

static int core_item(void *target, const dtc_config_item *it)
{
    static const struct {
        const char *key;
        size_t at;
        long lo, hi; /* ranges keep every later product of days and sizes far from overflow */
    } ints[] = {
        {"trailing_days", offsetof(dtc_config, trailing_days), 1, 3660},
        {"chunk_days", offsetof(dtc_config, chunk_days), 1, 366},
        {"allocation_chunk_days", offsetof(dtc_config, alloc_chunk_days), 1, 366},
        {"page_size", offsetof(dtc_config, page_size), 1, 10000},
        {"allocation_page_size", offsetof(dtc_config, alloc_page_size), 1, 10000},
        {"concurrency", offsetof(dtc_config, concurrency), 1, 32},
    };
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        if (strcmp(it->key, ints[i].key) != 0) continue;
        long n;
        int rc = dtc_config__int(it, ints[i].lo, ints[i].hi, &n);
        if (rc == 0) *(int *)(void *)((char *)target + ints[i].at) = (int)n;
        return rc;
    }
    if (strcmp(it->key, "db_retry") == 0) {
        long n = 0;
        int rc = dtc_config__duration(it, 0, DTC_DB_RETRY_MAX, &n);
        if (rc == 0) ((dtc_config *)target)->db_retry = (int)n;
        return rc;
    }
    return DTC_ENOTFOUND;
}

static dtc_account_cfg *account_named(dtc_config *c, const char *name)
{
    for (size_t i = 0; i < c->naccounts; i++)
        if (strcmp(c->accounts[i].name, name) == 0) return &c->accounts[i];
    dtc_account_cfg *grown = dtc_realloc(c->accounts, (c->naccounts + 1) * sizeof(*grown));
    if (!grown) return NULL;
    c->accounts = grown;
    dtc_account_cfg *a = &c->accounts[c->naccounts];
    memset(a, 0, sizeof(*a));
    if (!(a->name = dtc_strdup(name))) return NULL;
    c->naccounts++;
    return a;
}

static int account_item(void *target, const dtc_config_item *it)
{
    dtc_account_cfg *a = account_named(target, it->name);
    if (!a) return DTC_ENOMEM;
    static const struct {
        const char *key;
        size_t at;
    } strs[] = {
        {"account_uuid", offsetof(dtc_account_cfg, uuid)},
        {"client_id", offsetof(dtc_account_cfg, client_id)},
        {"client_secret_file", offsetof(dtc_account_cfg, secret_file)},
        {"sso_url", offsetof(dtc_account_cfg, sso_url)},
        {"api_url", offsetof(dtc_account_cfg, api_url)},
        {"subscriptions", offsetof(dtc_account_cfg, subscriptions)},
        {"scopes", offsetof(dtc_account_cfg, scopes)},
    };
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
        if (strcmp(it->key, strs[i].key) == 0)
            return dtc_config__set((char **)(void *)((char *)a + strs[i].at), it->value);
    if (strcmp(it->key, "client_secret") == 0) {
        snprintf(it->why, it->whylen,
                 "is not read from the config file; put it in a file of its own "
                 "(chmod 600) and name it with client_secret_file");
        return DTC_EINVAL;
    }
    return DTC_ENOTFOUND;
}

/* ---- the loader ---- */

/* Who owns which target: defaults before the file, a check after it. */
static const struct owner {
    size_t at; /* offsetof(dtc_config_file, target) */
    void (*init)(void *target);
    int (*finish)(void *target, char *why, size_t whylen);
} owners[] = {
    {offsetof(dtc_config_file, core), core_init, NULL},
    {offsetof(dtc_config_file, push), dtc_push__config_init, dtc_push__config_finish},
    {offsetof(dtc_config_file, license), dtc_license__config_init, dtc_license__config_finish},
    {offsetof(dtc_config_file, allocation), dtc_allocation__init, NULL},
    {offsetof(dtc_config_file, export), dtc_export__config_init, NULL},
};

/* Every section a config file may hold, and its owner. */
static const struct section {
    const char *kind;
    bool named; /* [kind NAME] */
    int owner;  /* index in owners[] */
    int (*item)(void *target, const dtc_config_item *it);
    const char *doc;
} sections[] = {
    {"dtcost", false, 0, core_item, "docs/sync.md"},
    {"account", true, 0, account_item, "docs/sync.md"},
    {"push", true, 1, dtc_push__config_item, "docs/push.md"},
    {"serve", false, 1, dtc_push__serve_item, "docs/push.md"},
    {"license", false, 2, dtc_license__config_item, "docs/license.md"},
    {"allocation", false, 3, dtc_allocation__item, "docs/report.md"},
    {"export", false, 4, dtc_export__config_item, "docs/focus.md"},
};

static void *target_of(const dtc_config_file *f, int owner)
{
    return *(void **)(void *)((char *)f + owners[owner].at);
}

/* inih's parser keeps lines in a buffer of INI_MAX_LINE (200) bytes, fixed
 * when Debian built it (the ini_max_line variable it exports is not read by
 * the parser). The reader below hands inih one line per call, so inih's
 * line numbers stay true; a line too long for inih's buffer keeps its key
 * and gets a short reference in place of its value, which on_ini swaps back. */
#define LONG_REF '\x01'

typedef struct loader {
    dtc_config_file *f;
    const char *p, *end; /* the unread rest of the file */
    int line;            /* the line inih is parsing */
    int section_line;    /* where the current [section] began */
    char **longs;        /* values too long for inih's buffer */
    size_t nlongs, caplongs;
    int rc;
    char why[512];
} loader;

static int fail(loader *x, int rc, const char *fmt, const char *a, const char *b, const char *c)
{
    char msg[768];
    snprintf(msg, sizeof(msg), fmt, a, b, c);
    snprintf(x->f->err, sizeof(x->f->err), "config %s line %d: %s", x->f->path, x->line, msg);
    x->rc = rc;
    return 0;
}

/* Where inih would end a value: at ';' after whitespace (its inline comment). */
static size_t value_len(const char *v, size_t n)
{
    size_t i = 0;
    while (i < n && !(v[i] == ';' && i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t')))
        i++;
    while (i > 0 && (v[i - 1] == ' ' || v[i - 1] == '\t' || v[i - 1] == '\r'))
        i--;
    return i;
}

/* How many of the n bytes at s are (in = true) or are not in set. */
static size_t span(const char *s, size_t n, const char *set, bool in)
{
    size_t i = 0;
    while (i < n && (strchr(set, s[i]) != NULL) == in)
        i++;
    return i;
}

static char *read_line(char *str, int num, void *stream)
{
    loader *x = stream;
    if (x->rc || x->p >= x->end) return NULL;
    const char *s = x->p, *nl = memchr(s, '\n', (size_t)(x->end - s));
    size_t n = (size_t)((nl ? nl : x->end) - s);
    x->p = nl ? nl + 1 : x->end;
    x->line++;
    if (n > DTC_CONFIG_MAX_LINE)
        return fail(x, DTC_EINVAL, "longer than %s bytes", "65536", "", ""), NULL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\t' && s[i] != '\r')
            return fail(x, DTC_EINVAL, "holds a control character (not a text file?)", "", "", ""),
                   NULL;
    size_t lead = span(s, n, " \t", true);
    if (lead < n && s[lead] == '[') x->section_line = x->line;
    if (n + 2 <= (size_t)num) {
        memcpy(str, s, n);
        memcpy(str + n, "\n", 2);
        return str;
    }
    if (lead == n || s[lead] == ';' || s[lead] == '#') {
        memcpy(str, "\n", 2); /* a long comment */
        return str;
    }
    if (s[lead] == '[')
        return fail(x, DTC_EINVAL, "a section name this long is not one dtcost knows", "", "", ""),
               NULL;
    /* key = value (or a continuation, which keeps its indent): the value moves out */
    size_t key = lead ? 0 : span(s, n, "=:", false);
    if (!lead && (key >= n || key + 24 > (size_t)num))
        return fail(x, DTC_EINVAL, "is not 'key = value' (or the key is too long)", "", "", ""),
               NULL;
    const char *v = s + (lead ? lead : key + 1);
    v += span(v, (size_t)(s + n - v), " \t", true);
    char *copy = dtc_strndup(v, value_len(v, (size_t)(s + n - v)));
    char **grown = copy ? dtc_grow(x->longs, &x->caplongs, x->nlongs, sizeof(*grown)) : NULL;
    if (!grown) {
        dtc_free(copy);
        x->rc = DTC_ENOMEM;
        return NULL;
    }
    x->longs = grown;
    x->longs[x->nlongs] = copy;
    if (lead)
        snprintf(str, (size_t)num, " %c%zu\n", LONG_REF, x->nlongs++);
    else
        snprintf(str, (size_t)num, "%.*s= %c%zu\n", (int)key, s, LONG_REF, x->nlongs++);
    return str;
}

static int on_ini(void *ud, const char *section, const char *key, const char *value)
{
    loader *x = ud;
    dtc_config_file *f = x->f;
    if (x->rc) return 0;
    if (value[0] == LONG_REF) value = x->longs[strtoul(value + 1, NULL, 10)];
    if (!*section) return fail(x, DTC_EINVAL, "%s= comes before any [section]", key, "", "");
    const struct section *sec = NULL;
    const char *name = "";
    int line = x->line;
    x->line = x->section_line; /* a section's own errors are on its line */
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]) && !sec; i++) {
        size_t n = strlen(sections[i].kind);
        if (strncmp(section, sections[i].kind, n) != 0) continue;
        if (!sections[i].named && section[n] == '\0')
            sec = &sections[i];
        else if (sections[i].named && section[n] == ' ' && section[n + 1])
            sec = &sections[i], name = section + n + 1;
        else if (sections[i].named && section[n] == '\0')
            return fail(x, DTC_EINVAL, "[%s] needs a name: [%s NAME]", section, section, "");
    }
    if (!sec) {
        char known[256];
        size_t off = 0, n = sizeof(sections) / sizeof(sections[0]);
        for (size_t i = 0; i < n && off < sizeof(known); i++)
            off += (size_t)snprintf(known + off, sizeof(known) - off, "%s%s%s",
                                    i == 0       ? ""
                                    : i + 1 == n ? " and "
                                                 : ", ",
                                    sections[i].kind, sections[i].named ? " NAME" : "");
        return fail(x, DTC_EINVAL, "unknown section [%s] (sections are %s; see docs/config.md)",
                    section, known, "");
    }
    x->line = line;
    int rc;
    if (sec->item == core_item && strcmp(key, "database") == 0) {
        rc = dtc_config__set(&f->database, value); /* every command may need it */
    } else {
        void *target = target_of(f, sec->owner);
        if (!target) return 1; /* another command's section */
        x->why[0] = '\0';
        dtc_config_item it = {section, name, key, value, x->why, sizeof(x->why)};
        rc = sec->item(target, &it);
    }
    /* The value may be a secret or sit next to one: name the key, not the value. */
    if (rc == DTC_ENOTFOUND)
        return fail(x, DTC_EINVAL, "unknown setting [%s] %s (see %s)", section, key, sec->doc);
    if (rc == DTC_EINVAL)
        return fail(x, rc, "[%s] %s: %s", section, key, x->why[0] ? x->why : "bad value");
    if (rc) return fail(x, rc, "[%s] %s: out of memory", section, key, "");
    return 1;
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int dtc_config_find(char **out, const char *flag_path, char *err, size_t errlen)
{
    *out = NULL;
    const char *named = flag_path ? flag_path : env("DTCOST_CONFIG");
    if (named) {
        if (access(named, F_OK) != 0) {
            snprintf(err, errlen, "config %s: %s (check %s)", named, strerror(errno),
                     flag_path ? "--config" : "DTCOST_CONFIG");
            return DTC_ENOTFOUND;
        }
        return (*out = dtc_strdup(named)) ? 0 : DTC_ENOMEM;
    }
    char user[PATH_MAX];
    const char *xdg = env("XDG_CONFIG_HOME"), *home = env("HOME");
    int n = xdg && xdg[0] == '/' ? snprintf(user, sizeof(user), "%s/dtcost/config.ini", xdg)
            : home ? snprintf(user, sizeof(user), "%s/.config/dtcost/config.ini", home)
                   : -1;
    if (n > 0 && (size_t)n < sizeof(user) && access(user, F_OK) == 0)
        return (*out = dtc_strdup(user)) ? 0 : DTC_ENOMEM;
    if (access("/etc/dtcost/config.ini", F_OK) == 0)
        return (*out = dtc_strdup("/etc/dtcost/config.ini")) ? 0 : DTC_ENOMEM;
    return 0;
}

/* The whole file, at most DTC_CONFIG_MAX_FILE bytes, into *out (dtc_free). */
static int slurp(dtc_config_file *f, char **out, size_t *len)
{
    char *buf = NULL;
    int rc = 0;
    struct stat st;
    FILE *in = fopen(f->path, "re");
    if (!in || fstat(fileno(in), &st) != 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
        snprintf(f->err, sizeof(f->err), "config %s: %s (check --config / DTCOST_CONFIG)", f->path,
                 in ? "not a regular file" : strerror(errno));
        rc = DTC_EINVAL;
        goto done;
    }
    if (!(buf = dtc_malloc(DTC_CONFIG_MAX_FILE + 1))) {
        rc = DTC_ENOMEM;
        goto done;
    }
    *len = fread(buf, 1, DTC_CONFIG_MAX_FILE + 1, in);
    if (ferror(in)) {
        snprintf(f->err, sizeof(f->err), "config %s: %s", f->path, strerror(errno));
        rc = DTC_EIO;
    } else if (*len > DTC_CONFIG_MAX_FILE) {
        snprintf(f->err, sizeof(f->err), "config %s is larger than %d bytes: is it the right file?",
                 f->path, DTC_CONFIG_MAX_FILE);
        rc = DTC_EINVAL; /* a config problem (exit 78), like any other in the file */
    }
done:
    if (in) fclose(in);
    if (rc && buf) explicit_bzero(buf, *len);
    if (rc)
        dtc_free(buf);
    else
        *out = buf;
    return rc;
}

int dtc_config_file_load(dtc_config_file *f, const char *flag_path)
{
    f->path = f->database = NULL;
    f->err[0] = '\0';
    for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++)
        if (target_of(f, (int)i)) owners[i].init(target_of(f, (int)i));
    loader x = {.f = f};
    char *text = NULL;
    size_t len = 0;
    int rc = dtc_config_find(&f->path, flag_path, f->err, sizeof(f->err));
    if (rc) goto done;
    if (f->path) {
        if ((rc = slurp(f, &text, &len)) != 0) goto done;
        x.p = text;
        x.end = text + len;
        int line = ini_parse_stream(read_line, &x, on_ini, &x);
        if ((rc = x.rc) != 0) goto done;
        if (line != 0) {
            snprintf(f->err, sizeof(f->err),
                     "config %s line %d: not 'key = value', '[section]' or a comment", f->path,
                     line);
            rc = DTC_EINVAL;
            goto done;
        }
    }
    for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]) && !rc; i++) {
        void *target = target_of(f, (int)i);
        char why[512];
        if (owners[i].finish && target && (rc = owners[i].finish(target, why, sizeof(why))) != 0)
            snprintf(f->err, sizeof(f->err), "config %s: %s", f->path ? f->path : "(none)", why);
    }
done:
    for (size_t i = 0; i < x.nlongs; i++)
        dtc_free_secret(x.longs[i]);
    dtc_free(x.longs);
    if (text) /* a header line may hold a token */
        explicit_bzero(text, len);
    dtc_free(text);
    return rc;
}

void dtc_config_file_dispose(dtc_config_file *f)
{
    dtc_free(f->path);
    dtc_free(f->database);
    f->path = f->database = NULL;
}

/* ---- the database ---- */

const char *dtc_config_db_path(const char *flag, const dtc_config_file *file)
{
    return flag                     ? flag
           : env("DTCOST_DB")       ? env("DTCOST_DB")
           : file && file->database ? file->database
                                    : DTC_DEFAULT_DATABASE;
}

int dtc_config_db_require(const char *path, char *err, size_t errlen)
{
    if (!dtc_store_target_missing(path)) return 0; /* a server's URL is for the store to judge */
    snprintf(err, errlen, "database %s does not exist: run dtcost sync first (or pass --db)", path);
    return DTC_ENOTFOUND;
}

/* ---- environment and flags over the file ---- */

static void account_dispose(dtc_account_cfg *a)
{
    dtc_free(a->name);
    dtc_free(a->uuid);
    dtc_free(a->client_id);
    dtc_free_secret(a->client_secret);
    dtc_free(a->secret_file);
    dtc_free(a->sso_url);
    dtc_free(a->api_url);
    dtc_free(a->subscriptions);
    dtc_free(a->scopes);
}

int dtc_config_resolve(dtc_config *c, const dtc_config_flags *fl, const dtc_config_file *file)
{
    dtc_config_flags none = {0};
    if (!fl) fl = &none;
    int rc = 0;
    /* Environment and flags describe one account; they override a config
     * section with the same account UUID, or stand alone. */
    const char *uuid = fl->account_uuid ? fl->account_uuid : env("DT_ACCOUNT_UUID");
    const char *cid = fl->client_id ? fl->client_id : env("DT_CLIENT_ID");
    const char *secret_file =
        fl->client_secret_file ? fl->client_secret_file : env("DT_CLIENT_SECRET_FILE");
    const char *secret = fl->client_secret_file ? NULL : env("DT_CLIENT_SECRET");
    const char *sso = fl->sso_url ? fl->sso_url : env("DT_SSO_URL");
    const char *api = fl->api_url ? fl->api_url : env("DT_API_URL");
    const char *scopes = fl->scopes ? fl->scopes : env("DT_SCOPES");
    if (uuid || cid || secret || secret_file) {
        dtc_account_cfg *a = NULL;
        for (size_t i = 0; uuid && i < c->naccounts; i++)
            if (c->accounts[i].uuid && strcmp(c->accounts[i].uuid, uuid) == 0) a = &c->accounts[i];
        if (!a && !(a = account_named(c, "environment"))) return DTC_ENOMEM;
        if ((uuid && (rc = dtc_config__set(&a->uuid, uuid))) ||
            (cid && (rc = dtc_config__set(&a->client_id, cid))))
            return rc;
        if (secret_file && (rc = dtc_config__set(&a->secret_file, secret_file))) return rc;
        if (!secret_file && secret) {
            dtc_free(a->secret_file);
            a->secret_file = NULL;
            if ((rc = dtc_config__set(&a->client_secret, secret))) return rc;
        }
        if (uuid) { /* only the named account runs */
            dtc_account_cfg keep = *a;
            for (size_t i = 0; i < c->naccounts; i++)
                if (&c->accounts[i] != a) account_dispose(&c->accounts[i]);
            c->accounts[0] = keep;
            c->naccounts = 1;
        }
    }
    for (size_t i = 0; i < c->naccounts; i++) {
        dtc_account_cfg *a = &c->accounts[i];
        if ((sso && (rc = dtc_config__set(&a->sso_url, sso))) ||
            (api && (rc = dtc_config__set(&a->api_url, api))) ||
            (fl->subscriptions && (rc = dtc_config__set(&a->subscriptions, fl->subscriptions))) ||
            (scopes && (rc = dtc_config__set(&a->scopes, scopes))))
            return rc;
        if ((!a->sso_url && (rc = dtc_config__set(&a->sso_url, DTC_DEFAULT_SSO_URL))) ||
            (!a->api_url && (rc = dtc_config__set(&a->api_url, DTC_DEFAULT_API_URL))))
            return rc;
        if (dtc_text_url_has_userinfo(a->sso_url) || dtc_text_url_has_userinfo(a->api_url)) {
            /* The URL is not repeated here: it holds the credentials. */
            snprintf(c->err, sizeof(c->err),
                     "account %s: the %s carries credentials (user:password@); remove "
                     "them, dtcost signs in with the OAuth client",
                     a->uuid ? a->uuid : a->name,
                     dtc_text_url_has_userinfo(a->sso_url)
                         ? "SSO URL (DT_SSO_URL, --sso-url or sso_url=)"
                         : "API URL (DT_API_URL, --api-url or api_url=)");
            return DTC_EINVAL;
        }
        if (a->secret_file) { /* read only now, for the accounts that run */
            char *sec = NULL;
            if ((rc = dtc_read_secret_file(&sec, a->secret_file, c->err, sizeof(c->err))) != 0)
                return rc;
            dtc_free_secret(a->client_secret);
            a->client_secret = sec;
        }
        const char *missing =
            !a->uuid            ? "the account UUID (DT_ACCOUNT_UUID, --account or account_uuid=)"
            : !a->client_id     ? "the OAuth client id (DT_CLIENT_ID, --client-id or client_id=)"
            : !a->client_secret ? "the OAuth client secret (DT_CLIENT_SECRET, "
                                  "DT_CLIENT_SECRET_FILE or client_secret_file=)"
                                : NULL;
        if (missing) {
            snprintf(c->err, sizeof(c->err), "account %s: missing %s", a->uuid ? a->uuid : a->name,
                     missing);
            return DTC_EINVAL;
        }
    }
    if (c->naccounts == 0) {
        snprintf(c->err, sizeof(c->err),
                 "no account configured: set DT_ACCOUNT_UUID, DT_CLIENT_ID and "
                 "DT_CLIENT_SECRET_FILE, or give --config FILE (see docs/config.md)");
        return DTC_EINVAL;
    }
    if ((rc = dtc_config__set(&c->database, dtc_config_db_path(fl->database, file)))) return rc;
    if (fl->trailing_days > 0) c->trailing_days = fl->trailing_days;
    if (fl->concurrency > 0) c->concurrency = fl->concurrency;
    if (fl->db_retry_set) c->db_retry = fl->db_retry;
    const char *bad = c->trailing_days > 3660 ? "--trailing-days must be 1..3660"
                      : c->concurrency > 32   ? "--concurrency must be 1..32"
                      : c->db_retry < 0 || c->db_retry > DTC_DB_RETRY_MAX
                          ? "--db-retry must be 0..86400 seconds"
                          : NULL;
    if (bad) {
        snprintf(c->err, sizeof(c->err), "%s (see docs/sync.md)", bad);
        return DTC_EINVAL;
    }
    return 0;
}

void dtc_config_dispose(dtc_config *c)
{
    for (size_t i = 0; i < c->naccounts; i++)
        account_dispose(&c->accounts[i]);
    dtc_free(c->accounts);
    dtc_free(c->database);
    memset(c, 0, sizeof(*c));
}
