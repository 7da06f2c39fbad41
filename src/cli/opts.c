/* opts.c: option tables to parser and help text. */
#include "opts.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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

static const char *type_metavar(const opt *o)
{
    if (o->metavar)
        return o->metavar;
    switch (o->type) {
    case OPT_INT:
    case OPT_U64: return "N";
    case OPT_DOUBLE: return "P";
    case OPT_SIZE: return "BYTES";
    case OPT_TIME: return "TIME";
    default: return "VALUE";
    }
}

static void default_of(const opt *o, char *buf, size_t n)
{
    buf[0] = '\0';
    switch (o->type) {
    case OPT_FLAG: break;
    case OPT_LIST: break;
    case OPT_STR: {
        const char *v = *(const char **)o->dst;
        if (v)
            snprintf(buf, n, "%s", v);
        break;
    }
    case OPT_INT: snprintf(buf, n, "%d", *(int *)o->dst); break;
    case OPT_U64: snprintf(buf, n, "%" PRIu64, *(uint64_t *)o->dst); break;
    case OPT_DOUBLE:
        if (*(double *)o->dst != 0)
            snprintf(buf, n, "%g", *(double *)o->dst);
        break;
    case OPT_SIZE: snprintf(buf, n, "%zu", *(size_t *)o->dst); break;
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
        char left[64], def[64];
        if (o->type == OPT_FLAG)
            snprintf(left, sizeof(left), "--%s", o->name);
        else
            snprintf(left, sizeof(left), "--%s %s", o->name, type_metavar(o));
        default_of(o, def, sizeof(def));
        if (strstr(o->help, "(default")) /* the text states it (a 0 or -1 sentinel means "not given") */
            def[0] = '\0';
        fprintf(out, "  %-28s %s", left, o->help);
        if (def[0])
            fprintf(out, " (default: %s)", def);
        fputc('\n', out);
    }
    fprintf(out, "  %-28s %s\n", "--help", "show this help and exit");
}

static int set_value(const cmd_spec *spec, const opt *o, const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case OPT_FLAG: *(bool *)o->dst = true; return -1;
    case OPT_STR: *(const char **)o->dst = v; return -1;
    case OPT_LIST: {
        opt_list *l = o->dst;
        if (l->n >= OPT_LIST_MAX)
            return opt_usage_error(spec, "--%s given more than %d times", o->name, OPT_LIST_MAX);
        l->v[l->n++] = v;
        return -1;
    }
    case OPT_INT: {
        long n = strtol(v, &end, 10);
        if (*v == '\0' || *end || errno || n < INT32_MIN || n > INT32_MAX)
            return opt_usage_error(spec, "--%s takes a whole number, not '%s'", o->name, v);
        *(int *)o->dst = (int)n;
        return -1;
    }
    case OPT_U64: {
        unsigned long long n = strtoull(v, &end, 10);
        if (*v == '\0' || *end || errno || *v == '-')
            return opt_usage_error(spec, "--%s takes a non-negative whole number, not '%s'", o->name, v);
        *(uint64_t *)o->dst = n;
        return -1;
    }
    case OPT_SIZE: {
        unsigned long long n = strtoull(v, &end, 10);
        if (*v == '\0' || errno || *v == '-')
            return opt_usage_error(spec, "--%s takes a size in bytes (K/M/G suffix allowed), not '%s'", o->name, v);
        int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : *end ? -1 : 0;
        if (shift < 0 || (shift && end[1]))
            return opt_usage_error(spec, "--%s takes a size in bytes (K/M/G suffix allowed), not '%s'", o->name, v);
        *(size_t *)o->dst = (size_t)n << shift;
        return -1;
    }
    case OPT_DOUBLE: {
        double d = strtod(v, &end);
        if (*v == '\0' || *end || errno || !isfinite(d) || d < 0 || d > 1)
            return opt_usage_error(spec, "--%s takes a probability from 0 to 1, not '%s'", o->name, v);
        *(double *)o->dst = d;
        return -1;
    }
    case OPT_TIME: {
        int64_t t;
        if (v[0] == '@') {
            long long n = strtoll(v + 1, &end, 10);
            if (*end || errno)
                return opt_usage_error(spec, "--%s takes @EPOCH_SECONDS or an ISO date, not '%s'", o->name, v);
            t = n;
        } else if (dtc_parse_datetime(v, &t) != 0) {
            return opt_usage_error(spec, "--%s takes an ISO date or date-time like 2026-11-22T06:00:00Z, not '%s'",
                                   o->name, v);
        }
        *(int64_t *)o->dst = t;
        return -1;
    }
    }
    return -1;
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
        if (a[1] != '-')
            return opt_usage_error(spec, "unknown option '%s'", a);
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const opt *o = NULL;
        for (const opt *p = spec->opts; p && p->name; p++)
            if (strlen(p->name) == nl && strncmp(p->name, name, nl) == 0)
                o = p;
        if (!o)
            return opt_usage_error(spec, "unknown option '--%.*s'", (int)nl, name);
        const char *v = NULL;
        if (o->type == OPT_FLAG) {
            if (eq)
                return opt_usage_error(spec, "--%s takes no value", o->name);
        } else if (eq) {
            v = eq + 1;
        } else if (i + 1 < argc) {
            v = argv[++i];
        } else {
            return opt_usage_error(spec, "--%s needs a value (%s)", o->name, type_metavar(o));
        }
        int rc = set_value(spec, o, v);
        if (rc >= 0)
            return rc;
    }
    return -1;
}

int opt_exit_for(int rc)
{
    switch (rc) {
    case DTC_OK: return DTC_EXIT_OK;
    case DTC_EINVAL: return DTC_EXIT_CONFIG;
    case DTC_EAUTH: return DTC_EXIT_NOPERM;
    case DTC_ENOTFOUND: return DTC_EXIT_CONFIG;
    case DTC_ERETRY: return DTC_EXIT_TEMPFAIL;
    case DTC_EPARSE: return DTC_EXIT_DATAERR;
    case DTC_EZIP: return DTC_EXIT_DATAERR;
    case DTC_EHTTP: return DTC_EXIT_UNAVAILABLE;
    case DTC_EGONE: return DTC_EXIT_UNAVAILABLE;
    case DTC_EREQUEST: return DTC_EXIT_PROTOCOL;
    case DTC_EDB: return DTC_EXIT_IOERR;
    case DTC_EDBLOST: return DTC_EXIT_UNAVAILABLE;
    case DTC_EIO: return DTC_EXIT_IOERR;
    case DTC_EBUSY: return DTC_EXIT_BUSY;
    default: return DTC_EXIT_SOFTWARE;
    }
}
