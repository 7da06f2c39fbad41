/* opts.c: option tables to parser and help text. */
#include "opts.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "dtcost/errors.h"
#include "timeutil.h"

int opt_usage_error(const cmd_spec *spec, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dtcost %s: ", spec->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try 'dtcost %s --help')\n", spec->name);
    va_end(ap);
    return DTC_EXIT_USAGE;
}

const opt_exit_doc opt_exit_docs[] = {
    {DTC_EXIT_OK, "success (verify: everything reconciles)"},
    {DTC_EXIT_FAIL, "the command ran and failed (e.g. push left batches pending)"},
    {DTC_EXIT_USAGE, "usage error: an unknown command or option, a malformed value"},
    {DTC_EXIT_DATAERR, "malformed data from a server or file; verify: discrepancies found"},
    {DTC_EXIT_NOINPUT, "an input file or database is missing or holds nothing yet"},
    {DTC_EXIT_UNAVAILABLE, "a server is unreachable or an endpoint is gone"},
    {DTC_EXIT_SOFTWARE, "an internal error"},
    {DTC_EXIT_IOERR, "the database or a file could not be read or written"},
    {DTC_EXIT_TEMPFAIL, "retries exhausted (rate limits, 5xx): run again later"},
    {DTC_EXIT_PROTOCOL, "the server refused a request (HTTP 400); the message quotes it"},
    {DTC_EXIT_NOPERM, "credentials refused or a scope missing"},
    {DTC_EXIT_CONFIG, "configuration incomplete or wrong"},
    {0, NULL},
};

/* Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment), capped: words longer than 63 bytes are not typos. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return (size_t)-1;
    size_t d[64][64];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

const char *opt_suggest(const char *word, const char *const *cands)
{
    const char *best = NULL;
    size_t bd = (size_t)-1;
    for (size_t i = 0; cands[i]; i++) {
        size_t d = distance(word, cands[i]);
        if (d < bd) {
            bd = d;
            best = cands[i];
        }
    }
    return best && bd <= 2 && bd * 2 < strlen(word) ? best : NULL;
}

bool opt_is(const char *value, const char *word)
{
    return value && strcmp(value, word) == 0;
}

static const char *program = "dtcost";

void opt_set_program(const char *argv0)
{
    program = "dtcost";
    struct stat self, other;
    if (!argv0 || !strchr(argv0, '/') || stat(argv0, &self) != 0)
        return; /* found through PATH, or unknowable: the plain name */
    program = argv0;
    /* the first dtcost on PATH is the one a shell would run */
    for (const char *p = getenv("PATH"); p && *p;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        char cand[4096];
        if (n > 0 && n < sizeof(cand) - 8) {
            snprintf(cand, sizeof(cand), "%.*s/dtcost", (int)n, p);
            if (stat(cand, &other) == 0) {
                if (other.st_dev == self.st_dev && other.st_ino == self.st_ino) program = "dtcost";
                return;
            }
        }
        p = colon ? colon + 1 : NULL;
    }
}

const char *opt_program(void)
{
    return program;
}

int64_t opt_now(void)
{
    const char *e = getenv("DTCOST_NOW");
    int64_t t;
    bool relative = e && (e[0] == '-' || strcmp(e, "today") == 0 || strcmp(e, "yesterday") == 0);
    if (e && *e && !relative && dtc_parse_when(e, 0, &t) == 0) return t;
    if (e && *e)
        fprintf(stderr,
                "dtcost: warning: DTCOST_NOW '%.40s' is not a date like 2026-11-22T06:00:00Z; "
                "using the real clock\n",
                e);
    return (int64_t)time(NULL);
}

void opt_name(const opt *o, char out[64])
{
    const char *bar = strchr(o->name, '|');
    snprintf(out, 64, "%.*s", bar ? (int)(bar - o->name) : (int)strlen(o->name), o->name);
}

const char *opt_alias(const opt *o)
{
    const char *bar = strchr(o->name, '|');
    return bar ? bar + 1 : NULL;
}

/* word is one of the '|'-separated words of list */
static bool in_list(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

const char *opt_metavar(const opt *o)
{
    if (o->metavar) return o->metavar;
    switch (o->type) {
    case OPT_INT:
    case OPT_U64:
        return "N";
    case OPT_DOUBLE:
        return "P";
    case OPT_SIZE:
        return "BYTES";
    case OPT_TIME:
        return "TIME";
    default:
        return "VALUE";
    }
}

void opt_default(const opt *o, char *buf, size_t n)
{
    buf[0] = '\0';
    switch (o->type) {
    case OPT_FLAG:
        break;
    case OPT_LIST:
        break;
    case OPT_CHOICE:
    case OPT_STR: {
        const char *v = *(const char **)o->dst;
        if (v) snprintf(buf, n, "%s", v);
        break;
    }
    case OPT_INT:
        snprintf(buf, n, "%d", *(int *)o->dst);
        break;
    case OPT_U64:
        snprintf(buf, n, "%" PRIu64, *(uint64_t *)o->dst);
        break;
    case OPT_DOUBLE:
        if (*(double *)o->dst != 0) snprintf(buf, n, "%g", *(double *)o->dst);
        break;
    case OPT_SIZE:
        snprintf(buf, n, "%zu", *(size_t *)o->dst);
        break;
    case OPT_TIME: {
        int64_t t = *(int64_t *)o->dst;
        if (t) {
            char d[21];
            dtc_fmt_datetime(d, t);
            snprintf(buf, n, "%s", d);
        }
        break;
    }
    }
}

void opt_help(FILE *out, const cmd_spec *spec)
{
    fprintf(out, "usage: dtcost %s [options]%s%s\n\n%s\n\noptions:\n", spec->name,
            spec->args[0] ? " " : "", spec->args, spec->summary);
    for (const opt *o = spec->opts; o && o->name; o++) {
        char left[160], def[64], nm[64];
        opt_name(o, nm);
        if (o->type == OPT_FLAG)
            snprintf(left, sizeof(left), "--%s", nm);
        else
            snprintf(left, sizeof(left), "--%s %s", nm, opt_metavar(o));
        opt_default(o, def, sizeof(def));
        /* the text states it (a 0 or -1 sentinel means "not given") */
        if (strstr(o->help, "(default") || strstr(o->help, "; default")) def[0] = '\0';
        fprintf(out, "  %-28s %s", left, o->help);
        if (def[0]) fprintf(out, " (default: %s)", def);
        if (opt_alias(o) && o->type == OPT_CHOICE)
            fprintf(out, " (--%s is --%s %s)", opt_alias(o), nm, opt_alias(o));
        else if (opt_alias(o))
            fprintf(out, " (also --%s)", opt_alias(o));
        fputc('\n', out);
    }
    fprintf(out, "  %-28s %s\n", "--help, -h", "show this help and exit");
}

static int set_value(const cmd_spec *spec, const opt *o, const char *nm, const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case OPT_FLAG:
        *(bool *)o->dst = true;
        return -1;
    case OPT_STR:
        *(const char **)o->dst = v;
        return -1;
    case OPT_CHOICE: {
        if (!in_list(o->metavar, v)) {
            char words[128];
            size_t k = 0;
            for (const char *c = o->metavar; *c && k + 3 < sizeof(words); c++) {
                if (*c == '|')
                    words[k++] = ',', words[k++] = ' ';
                else
                    words[k++] = *c;
            }
            words[k] = '\0';
            return opt_usage_error(spec, "--%s takes one of %s, not '%s'", nm, words, v);
        }
        *(const char **)o->dst = v;
        return -1;
    }
    case OPT_LIST: {
        opt_list *l = o->dst;
        if (l->n >= OPT_LIST_MAX)
            return opt_usage_error(spec, "--%s given more than %d times", nm, OPT_LIST_MAX);
        l->v[l->n++] = v;
        return -1;
    }
    case OPT_INT: {
        long n = strtol(v, &end, 10);
        if (*v == '\0' || *end || errno || n < INT32_MIN || n > INT32_MAX)
            return opt_usage_error(spec, "--%s takes a whole number, not '%s'", nm, v);
        *(int *)o->dst = (int)n;
        return -1;
    }
    case OPT_U64: {
        unsigned long long n = strtoull(v, &end, 10);
        if (*v == '\0' || *end || errno || *v == '-')
            return opt_usage_error(spec, "--%s takes a non-negative whole number, not '%s'", nm, v);
        *(uint64_t *)o->dst = n;
        return -1;
    }
    case OPT_SIZE: {
        unsigned long long n = strtoull(v, &end, 10);
        if (*v == '\0' || errno || *v == '-')
            return opt_usage_error(
                spec, "--%s takes a size in bytes (K/M/G suffix allowed), not '%s'", nm, v);
        int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : *end ? -1 : 0;
        if (shift < 0 || (shift && end[1]))
            return opt_usage_error(
                spec, "--%s takes a size in bytes (K/M/G suffix allowed), not '%s'", nm, v);
        *(size_t *)o->dst = (size_t)n << shift;
        return -1;
    }
    case OPT_DOUBLE: {
        double d = strtod(v, &end);
        if (*v == '\0' || *end || errno || !isfinite(d) || d < 0 || d > 1)
            return opt_usage_error(spec, "--%s takes a probability from 0 to 1, not '%s'", nm, v);
        *(double *)o->dst = d;
        return -1;
    }
    case OPT_TIME: {
        int64_t t;
        if (dtc_parse_when(v, opt_now(), &t) != 0)
            return opt_usage_error(
                spec,
                "--%s takes a date like 2026-11-22, 2026-11-22T06:00:00+01:00, 2026-11, "
                "today, yesterday, -30d or @EPOCH, not '%s'",
                nm, v);
        *(int64_t *)o->dst = t;
        return -1;
    }
    }
    return -1;
}

static int unknown_option(const cmd_spec *spec, const char *name, size_t nl)
{
    const char *cands[2 * 64 + 2];
    size_t n = 0;
    char word[64];
    snprintf(word, sizeof(word), "%.*s", (int)nl, name);
    char names[64][64];
    size_t k = 0;
    for (const opt *p = spec->opts; p && p->name && k < 64; p++, k++) {
        opt_name(p, names[k]);
        cands[n++] = names[k];
        if (opt_alias(p)) cands[n++] = opt_alias(p);
    }
    cands[n++] = "help";
    cands[n] = NULL;
    const char *near = opt_suggest(word, cands);
    if (near)
        return opt_usage_error(spec, "unknown option '--%s'; did you mean '--%s'?", word, near);
    return opt_usage_error(spec, "unknown option '--%s'", word);
}

int opt_parse(const cmd_spec *spec, int argc, char **argv, int *npos)
{
    *npos = 0;
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') {
            argv[1 + (*npos)++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            opt_help(stdout, spec);
            return DTC_EXIT_OK;
        }
        if (a[1] != '-') return opt_usage_error(spec, "unknown option '%s'", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const opt *o = NULL;
        bool by_alias = false;
        char nm[64];
        for (const opt *p = spec->opts; p && p->name; p++) {
            opt_name(p, nm);
            const char *al = opt_alias(p);
            if (strlen(nm) == nl && strncmp(nm, name, nl) == 0)
                o = p, by_alias = false;
            else if (al && strlen(al) == nl && strncmp(al, name, nl) == 0)
                o = p, by_alias = true;
        }
        if (!o) return unknown_option(spec, name, nl);
        opt_name(o, nm);
        if (by_alias && o->type == OPT_CHOICE) { /* --json: --format json */
            if (eq) return opt_usage_error(spec, "--%s takes no value", opt_alias(o));
            *(const char **)o->dst = opt_alias(o);
            continue;
        }
        const char *v = NULL;
        if (o->type == OPT_FLAG) {
            if (eq) return opt_usage_error(spec, "--%s takes no value", nm);
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            return opt_usage_error(spec, "--%s needs a value (%s)", nm, opt_metavar(o));
        }
        int rc = set_value(spec, o, nm, v);
        if (rc >= 0) return rc;
    }
    return -1;
}

int opt_exit_for(int rc)
{
    switch (rc) {
    case DTC_OK:
        return DTC_EXIT_OK;
    case DTC_EINVAL:
        return DTC_EXIT_CONFIG;
    case DTC_EAUTH:
        return DTC_EXIT_NOPERM;
    case DTC_ENOTFOUND:
        return DTC_EXIT_CONFIG;
    case DTC_ERETRY:
        return DTC_EXIT_TEMPFAIL;
    case DTC_EPARSE:
        return DTC_EXIT_DATAERR;
    case DTC_EZIP:
        return DTC_EXIT_DATAERR;
    case DTC_EHTTP:
        return DTC_EXIT_UNAVAILABLE;
    case DTC_EGONE:
        return DTC_EXIT_UNAVAILABLE;
    case DTC_EREQUEST:
        return DTC_EXIT_PROTOCOL;
    case DTC_EDB:
        return DTC_EXIT_IOERR;
    case DTC_EDBLOST:
        return DTC_EXIT_UNAVAILABLE;
    case DTC_EIO:
        return DTC_EXIT_IOERR;
    case DTC_EBUSY:
        return DTC_EXIT_BUSY;
    default:
        return DTC_EXIT_SOFTWARE;
    }
}
