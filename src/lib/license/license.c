/* license.c: the classic licensing rules (contract section 6) and a parser
 * without a document tree that turns one ConsumptionExport into
 * per-environment figures for its hour: one set of callbacks, driven by a
 * one-pass scanner over a whole buffer or by yajl over a stream. Numbers
 * arrive as their JSON text, so osiId keeps all 64 bits and DDU decimals
 * convert exactly. */
#include "dtcost/license.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "alloc.h"
#include "jw.h"
#include "timeutil.h"

#define GIB 1073741824LL
#define MAX_DEPTH 12      /* the schema nests 7 deep */
#define MAX_HOSTS 1000000 /* per document */
#define MAX_SPANS 4000000 /* OS-module activity records per document */
#define MAX_ENVS 100000
#define MAX_TOKEN_LEN (4u << 20) /* longest string or number: ids, names and times are short */
/* Times the export may hold: 1970-01-01 up to the end of 9999 (the hour is
 * written as YYYY-MM-DDTHH:00:00Z, four digits of year). */
#define MIN_TIME_MS 0LL
#define MAX_TIME_MS 253402300799999LL

const char *const dtc_lic_pools[DTC_LIC_NPOOLS] = {"Metrics", "Log",        "Events",
                                                   "Traces",  "Serverless", "Other"};

void dtc_license_rules_default(dtc_license_rules *r)
{
    r->infra_cap = true;
    r->visits_include_replays = false;
    r->min_active_ms = 5 * 60 * 1000;
    r->free_properties = 20;
}

/* The table's rows: RAM up to and including `tenths_gib` / 10 GiB. */
static const struct {
    int64_t tenths_gib, fullstack, infra;
} hu_table[] = {
    {16, 100, 30},    {40, 250, 75},     {80, 500, 150},    {160, 1000, 300},  {320, 2000, 600},
    {480, 3000, 900}, {640, 4000, 1200}, {800, 5000, 1500}, {960, 6000, 1800}, {1120, 7000, 2100},
};

/* Integer comparisons only: bytes x 10 <= tenths x GiB. */
static int64_t hu_milli(int64_t bytes, bool infra, bool cap)
{
    if (bytes <= 0) return 0;
    for (size_t i = 0; i < sizeof(hu_table) / sizeof(hu_table[0]); i++)
        if (bytes <= hu_table[i].tenths_gib * GIB / 10 && (bytes < INT64_MAX / 10) &&
            bytes * 10 <= hu_table[i].tenths_gib * GIB) {
            int64_t v = infra ? hu_table[i].infra : hu_table[i].fullstack;
            return infra && cap && v > 1000 ? 1000 : v;
        }
    /* Above 112 GiB: one unit per started 16 GiB (n x 0.3 uncapped). */
    int64_t n = bytes / (16 * GIB) + (bytes % (16 * GIB) != 0);
    if (!infra) return n * 1000;
    return cap ? 1000 : n * 300;
}

int64_t dtc_hu_fullstack_milli(int64_t bytes)
{
    return hu_milli(bytes, false, false);
}
int64_t dtc_hu_infra_milli(int64_t bytes, bool cap)
{
    return hu_milli(bytes, true, cap);
}

static int cmp_pair(const void *a, const void *b)
{
    const int64_t *p = a, *q = b;
    return (p[0] > q[0]) - (p[0] < q[0]);
}

int64_t dtc_active_ms(int64_t *start, int64_t *end, size_t n, int64_t from, int64_t to)
{
    /* Pairs are sorted through a scratch array of (start, end). */
    if (n == 0) return 0;
    int64_t stackbuf[64], *pairs = n <= 32 ? stackbuf : dtc_malloc(n * 2 * sizeof(int64_t));
    if (!pairs) return -1;
    for (size_t i = 0; i < n; i++) {
        pairs[2 * i] = start[i];
        pairs[2 * i + 1] = end[i];
    }
    qsort(pairs, n, 2 * sizeof(int64_t), cmp_pair);
    int64_t total = 0, cur_s = 0, cur_e = 0;
    bool open = false;
    for (size_t i = 0; i < n; i++) {
        int64_t s = pairs[2 * i] < from ? from : pairs[2 * i];
        int64_t e = pairs[2 * i + 1] > to ? to : pairs[2 * i + 1];
        if (e <= s) continue;
        if (open && s <= cur_e) {
            if (e > cur_e) cur_e = e;
            continue;
        }
        if (open) total += cur_e - cur_s;
        cur_s = s;
        cur_e = e;
        open = true;
    }
    if (open) total += cur_e - cur_s;
    for (size_t i = 0; i < n; i++) {
        start[i] = pairs[2 * i];
        end[i] = pairs[2 * i + 1];
    }
    if (pairs != stackbuf) dtc_free(pairs);
    return total;
}

/* ---- the parser ---- */

typedef enum ctxkind {
    C_NONE,
    C_ROOT,
    C_ENVS,
    C_ENV,
    C_HOSTS,
    C_HOST,
    C_AGENTS,
    C_AGENT,
    C_RECS,
    C_REC,
    C_SYNS,
    C_SYN,
    C_CMS,
    C_CM,
    C_DDUS,
    C_DDU,
    C_SKIP
} ctxkind;

typedef enum keyid {
    K_OTHER,
    K_agentTypeId,
    K_agentUsageRecords,
    K_agentUsages,
    K_clusterUuid,
    K_customMetrics,
    K_davisDataUnits,
    K_endTime,
    K_environmentBillingEntries,
    K_environmentUuid,
    K_hostMemoryBytes,
    K_hostUsages,
    K_infrastructureOnly,
    K_logStorageUsageBytes,
    K_logUploadVolumeBytes,
    K_mobileSessionReplays,
    K_mobileSessions,
    K_monitorTypeId,
    K_osiId,
    K_paas,
    K_passMemoryLimit,
    K_pool,
    K_privateExecutions,
    K_publicExecutions,
    K_sessionReplays,
    K_startTime,
    K_syntheticBillingUsage,
    K_timeFrameEnd,
    K_timeFrameStart,
    K_total,
    K_totalRUMUserPropertiesUsed,
    K_trial,
    K_visits,
} keyid;

/* For messages: the field a refusal names. */
static const char *const key_names[] = {
    "?",
    "agentTypeId",
    "agentUsageRecords",
    "agentUsages",
    "clusterUuid",
    "customMetrics",
    "davisDataUnits",
    "endTime",
    "environmentBillingEntries",
    "environmentUuid",
    "hostMemoryBytes",
    "hostUsages",
    "infrastructureOnly",
    "logStorageUsageBytes",
    "logUploadVolumeBytes",
    "mobileSessionReplays",
    "mobileSessions",
    "monitorTypeId",
    "osiId",
    "paas",
    "passMemoryLimit",
    "pool",
    "privateExecutions",
    "publicExecutions",
    "sessionReplays",
    "startTime",
    "syntheticBillingUsage",
    "timeFrameEnd",
    "timeFrameStart",
    "total",
    "totalRUMUserPropertiesUsed",
    "trial",
    "visits",
};

/* The schema's field names as numbers, looked up once per key. */
static keyid key_id(const unsigned char *s, size_t len)
{
    switch (len) {
    case 4:
        if (memcmp(s, "paas", 4) == 0) return K_paas;
        if (memcmp(s, "pool", 4) == 0) return K_pool;
        return K_OTHER;
    case 5:
        if (memcmp(s, "osiId", 5) == 0) return K_osiId;
        if (memcmp(s, "total", 5) == 0) return K_total;
        if (memcmp(s, "trial", 5) == 0) return K_trial;
        return K_OTHER;
    case 6:
        if (memcmp(s, "visits", 6) == 0) return K_visits;
        return K_OTHER;
    case 7:
        if (memcmp(s, "endTime", 7) == 0) return K_endTime;
        return K_OTHER;
    case 9:
        if (memcmp(s, "startTime", 9) == 0) return K_startTime;
        return K_OTHER;
    case 10:
        if (memcmp(s, "hostUsages", 10) == 0) return K_hostUsages;
        return K_OTHER;
    case 11:
        if (memcmp(s, "agentTypeId", 11) == 0) return K_agentTypeId;
        if (memcmp(s, "agentUsages", 11) == 0) return K_agentUsages;
        if (memcmp(s, "clusterUuid", 11) == 0) return K_clusterUuid;
        return K_OTHER;
    case 12:
        if (memcmp(s, "timeFrameEnd", 12) == 0) return K_timeFrameEnd;
        return K_OTHER;
    case 13:
        if (memcmp(s, "customMetrics", 13) == 0) return K_customMetrics;
        if (memcmp(s, "monitorTypeId", 13) == 0) return K_monitorTypeId;
        return K_OTHER;
    case 14:
        if (memcmp(s, "davisDataUnits", 14) == 0) return K_davisDataUnits;
        if (memcmp(s, "mobileSessions", 14) == 0) return K_mobileSessions;
        if (memcmp(s, "sessionReplays", 14) == 0) return K_sessionReplays;
        if (memcmp(s, "timeFrameStart", 14) == 0) return K_timeFrameStart;
        return K_OTHER;
    case 15:
        if (memcmp(s, "environmentUuid", 15) == 0) return K_environmentUuid;
        if (memcmp(s, "hostMemoryBytes", 15) == 0) return K_hostMemoryBytes;
        if (memcmp(s, "passMemoryLimit", 15) == 0) return K_passMemoryLimit;
        return K_OTHER;
    case 16:
        if (memcmp(s, "publicExecutions", 16) == 0) return K_publicExecutions;
        return K_OTHER;
    case 17:
        if (memcmp(s, "agentUsageRecords", 17) == 0) return K_agentUsageRecords;
        if (memcmp(s, "privateExecutions", 17) == 0) return K_privateExecutions;
        return K_OTHER;
    case 18:
        if (memcmp(s, "infrastructureOnly", 18) == 0) return K_infrastructureOnly;
        return K_OTHER;
    case 20:
        if (memcmp(s, "logStorageUsageBytes", 20) == 0) return K_logStorageUsageBytes;
        if (memcmp(s, "logUploadVolumeBytes", 20) == 0) return K_logUploadVolumeBytes;
        if (memcmp(s, "mobileSessionReplays", 20) == 0) return K_mobileSessionReplays;
        return K_OTHER;
    case 21:
        if (memcmp(s, "syntheticBillingUsage", 21) == 0) return K_syntheticBillingUsage;
        return K_OTHER;
    case 25:
        if (memcmp(s, "environmentBillingEntries", 25) == 0) return K_environmentBillingEntries;
        return K_OTHER;
    case 26:
        if (memcmp(s, "totalRUMUserPropertiesUsed", 26) == 0) return K_totalRUMUserPropertiesUsed;
        return K_OTHER;
    default:
        return K_OTHER;
    }
}

typedef struct host_acc {
    int64_t osi_id, memory, pass_limit;
    bool infra, paas;
    size_t span_off, nspans; /* OS-module activity in the span arrays */
    size_t env;
} host_acc;

struct dtc_lic_parser {
    dtc_license_rules rules;
    bool want_hosts;
    yajl_handle y;
    ctxkind stack[MAX_DEPTH + 1];
    uint64_t seen[MAX_DEPTH + 1]; /* the schema's keys met in the object at each level */
    int depth;
    /* The lexical guard: nesting and token length checked on the raw bytes
     * before a tokenizer sees them, so neither tokenizer works through a
     * document the schema refuses (deep nesting, huge strings). */
    int lex_depth;
    bool lex_in_str, lex_esc;
    size_t lex_tok;
    char *sbuf; /* decoded strings of the whole-buffer path */
    size_t sbufcap;
    keyid kid;
    dtc_lic_doc doc;
    bool has_from, has_to;
    /* the object being read at each level */
    host_acc host;
    size_t env_cur;
    int64_t agent_type, rec_s, rec_e;
    bool rec_has_s, rec_has_e;
    size_t agent_span_off;
    int64_t syn_type, syn_exec;
    char ddu_pool[32];
    int64_t ddu_total;
    int64_t cm_total;
    /* all hosts and OS spans of the document */
    host_acc *hosts;
    size_t nhosts, hostcap;
    int64_t *span_s, *span_e;
    size_t nspans, spancap;
    int64_t min_start; /* earliest activity, for a document without timeFrameStart */
    int err_rc;
    char err[256];
};

static int fail(dtc_lic_parser *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(dtc_lic_parser *p, int rc, const char *fmt, ...)
{
    if (!p->err_rc) {
        va_list ap;
        va_start(ap, fmt);
        p->err_rc = rc;
        vsnprintf(p->err, sizeof(p->err), fmt, ap);
        va_end(ap);
    }
    return 0; /* cancels the parse */
}

/* Exact integer from JSON number text; fractions are truncated. */
static bool to_int(const char *s, size_t len, int64_t *out)
{
    /* The common case: up to 19 digits, no sign or a minus. 19 digits fit
     * an unsigned 64-bit accumulator; the range check comes after. */
    size_t i = len && s[0] == '-' ? 1 : 0;
    if (len > i && len - i <= 19) {
        uint64_t v = 0;
        size_t k = i;
        while (k < len && (unsigned)(s[k] - '0') < 10)
            v = v * 10 + (uint64_t)(s[k++] - '0');
        if (k == len) {
            if (v > (uint64_t)INT64_MAX + (i ? 1 : 0)) return false;
            *out = i ? (int64_t)(0 - v) : (int64_t)v;
            return true;
        }
    }
    char buf[64];
    if (len == 0 || len >= sizeof(buf)) return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    char *end;
    long long v = strtoll(buf, &end, 10);
    if (*end == '\0' && errno == 0) {
        *out = v;
        return true;
    }
    if (errno == ERANGE) return false;
    double d = strtod(buf, &end);
    if (*end != '\0' || !isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return false;
    *out = (int64_t)d;
    return true;
}

/* Micro-units of a decimal, rounded half away from zero at the 7th digit. */
static bool to_micro(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < len && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    int64_t whole = 0, frac = 0;
    int fd = 0;
    bool digits = false, round_up = false;
    for (; i < len && isdigit((unsigned char)s[i]); i++, digits = true) {
        if (whole > (INT64_MAX / 1000000 - 9) / 10) return false;
        whole = whole * 10 + (s[i] - '0');
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len && isdigit((unsigned char)s[i]); i++, digits = true) {
            if (fd < 6)
                frac = frac * 10 + (s[i] - '0'), fd++;
            else if (fd++ == 6)
                round_up = s[i] >= '5';
        }
    }
    if (!digits) return false;
    if (i < len) { /* an exponent: rare, take the double route */
        char buf[64];
        if (len >= sizeof(buf)) return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        char *end;
        double d = strtod(buf, &end);
        if (*end || !isfinite(d) || fabs(d) > 9e12) return false;
        *out = (int64_t)llround(d * 1e6);
        return true;
    }
    while (fd < 6)
        frac *= 10, fd++;
    int64_t v = whole * 1000000 + frac + (round_up ? 1 : 0);
    *out = neg ? -v : v;
    return true;
}

/* Epoch milliseconds from "YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]" or a
 * string of digits (epoch ms written as text). */
static bool iso_ms(const char *s, size_t len, int64_t *out)
{
    char b[48];
    if (len == 0 || len >= sizeof(b)) return false;
    memcpy(b, s, len);
    b[len] = '\0';
    size_t k = 0;
    while (k < len && isdigit((unsigned char)b[k]))
        k++;
    if (k == len && len > 4) return to_int(b, len, out);
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
    if (sscanf(b, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return false;
    const char *p = b + 10;
    int64_t ms = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        int m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &m) != 2 || m != 5) return false;
        p += 1 + m;
        if (*p == ':') {
            if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2])) return false;
            sec = (p[1] - '0') * 10 + (p[2] - '0');
            p += 3;
            if (*p == '.' || *p == ',') {
                int scale = 100;
                for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
                    ms += scale > 0 ? (*p - '0') * scale : 0;
            }
        }
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        int oh, om = 0, m = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &m) == 2 && m == 5)
            ;
        else if (sscanf(p + 1, "%2d%2d%n", &oh, &om, &m) == 2 && m == 4)
            ;
        else
            return false;
        off = (oh * 60 + om) * 60000LL * (*p == '-' ? -1 : 1);
        p += 1 + m;
    }
    if (*p || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
    *out = (dtc_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) * 1000 + ms - off;
    return true;
}

static ctxkind top(const dtc_lic_parser *p)
{
    return p->depth > 0 ? p->stack[p->depth - 1] : C_NONE;
}

static dtc_lic_env *cur_env(dtc_lic_parser *p)
{
    return &p->doc.envs[p->env_cur];
}

static int push(dtc_lic_parser *p, ctxkind k)
{
    if (p->depth >= MAX_DEPTH)
        return fail(p, DTC_EPARSE, "nesting deeper than %s levels: not a license export", "12");
    p->seen[p->depth] = 0;
    p->stack[p->depth++] = k;
    p->kid = K_OTHER;
    return 1;
}

/* Byte classes for lex_guard: 0 part of a number or literal, else what the
 * byte does outside a string. */
enum { L_TOK, L_SEP, L_QUOTE, L_OPEN, L_CLOSE };
static const unsigned char lex_class[256] = {
    [' '] = L_SEP,  ['\n'] = L_SEP,  ['\r'] = L_SEP,  ['\t'] = L_SEP,
    [','] = L_SEP,  [':'] = L_SEP,   ['"'] = L_QUOTE, ['['] = L_OPEN,
    ['{'] = L_OPEN, [']'] = L_CLOSE, ['}'] = L_CLOSE,
};
/* Inside a string only the quote and the backslash matter. */
static const unsigned char lex_in_string[256] = {['"'] = 1, ['\\'] = 1};

/* Scan raw JSON bytes for nesting beyond MAX_DEPTH and strings or numbers
 * longer than MAX_TOKEN_LEN, keeping its state across pieces. Linear, a
 * table lookup per byte, and it stops at the first offence: 0 (and err set)
 * there, 1 otherwise. Malformed JSON is left to the tokenizer, which names
 * it. Notes whether any escape occurs, so strings without one are never
 * searched for escapes. */
static int lex_guard(dtc_lic_parser *p, const char *data, size_t n)
{
    const unsigned char *s = (const unsigned char *)data;
    int depth = p->lex_depth;
    bool in_str = p->lex_in_str, esc = p->lex_esc;
    size_t tok = p->lex_tok, i = 0;
    while (i < n) {
        if (in_str) {
            size_t j = i;
            if (esc) esc = false, j++;
            while (j < n && !lex_in_string[s[j]])
                j++;
            tok += j - i;
            if (tok > MAX_TOKEN_LEN)
                return fail(p, DTC_EPARSE, "a string longer than %s: not a license export",
                            "4 MiB");
            if (j >= n) break;
            if (s[j] == '\\')
                esc = true; /* the escaped byte is skipped next round */
            else
                in_str = false;
            i = j + 1;
            continue;
        }
        size_t j = i;
        while (j < n && lex_class[s[j]] == L_TOK)
            j++;
        tok += j - i;
        if (tok > MAX_TOKEN_LEN)
            return fail(p, DTC_EPARSE, "a number or literal longer than %s: not a license export",
                        "4 MiB");
        if (j >= n) break;
        switch (lex_class[s[j]]) {
        case L_QUOTE:
            in_str = true;
            break;
        case L_OPEN:
            if (++depth > MAX_DEPTH)
                return fail(p, DTC_EPARSE, "nesting deeper than %s levels: not a license export",
                            "12");
            break;
        case L_CLOSE:
            depth--;
            break;
        default:
            break;
        }
        tok = 0;
        i = j + 1;
    }
    p->lex_depth = depth;
    p->lex_in_str = in_str;
    p->lex_esc = esc;
    p->lex_tok = tok;
    return 1;
}

static int on_null(void *ud)
{
    ((dtc_lic_parser *)ud)->kid = K_OTHER;
    return 1;
}

static int on_bool(void *ud, int v)
{
    dtc_lic_parser *p = ud;
    switch (top(p)) {
    case C_ENV:
        if (p->kid == K_trial) cur_env(p)->trial = v;
        break;
    case C_HOST:
        if (p->kid == K_infrastructureOnly)
            p->host.infra = v;
        else if (p->kid == K_paas)
            p->host.paas = v;
        break;
    default:
        break;
    }
    p->kid = K_OTHER;
    return 1;
}

/* A time field, refused outside 1970..9999 (the hour is written with a
 * four-digit year; an earlier or later one would alias another hour). */
static int set_time(dtc_lic_parser *p, int64_t v)
{
    ctxkind t = top(p);
    int64_t *dst = NULL;
    bool *has = NULL;
    if (t == C_ROOT && p->kid == K_timeFrameStart)
        dst = &p->doc.from_ms, has = &p->has_from;
    else if (t == C_ROOT && p->kid == K_timeFrameEnd)
        dst = &p->doc.to_ms, has = &p->has_to;
    else if (t == C_REC && p->kid == K_startTime)
        dst = &p->rec_s, has = &p->rec_has_s;
    else if (t == C_REC && p->kid == K_endTime)
        dst = &p->rec_e, has = &p->rec_has_e;
    else
        return 1;
    if (v < MIN_TIME_MS || v > MAX_TIME_MS)
        return fail(p, DTC_EPARSE, "%s is outside the years 1970..9999", key_names[p->kid]);
    *dst = v;
    *has = true;
    return 1;
}

static bool is_time(const dtc_lic_parser *p, ctxkind t)
{
    return (t == C_ROOT && (p->kid == K_timeFrameStart || p->kid == K_timeFrameEnd)) ||
           (t == C_REC && (p->kid == K_startTime || p->kid == K_endTime));
}

/* acc += v for a counter: refused when v is negative or the sum leaves the
 * signed 64-bit range, rather than stored wrapped. */
static int add_count(dtc_lic_parser *p, int64_t *acc, int64_t v)
{
    if (v < 0) return fail(p, DTC_EPARSE, "%s is negative", key_names[p->kid]);
    if (__builtin_add_overflow(*acc, v, acc))
        return fail(p, DTC_EPARSE, "%s sums beyond a signed 64-bit integer", key_names[p->kid]);
    return 1;
}

static int on_number(void *ud, const char *s, size_t len)
{
    dtc_lic_parser *p = ud;
    int64_t v;
    ctxkind t = top(p);
    if (p->kid == K_OTHER || t == C_SKIP) return 1;
    int ok = 1;
    keyid k = p->kid;
    if (t == C_DDU && k == K_total) {
        if (!to_micro(s, len, &p->ddu_total))
            return fail(p, DTC_EPARSE, "DDU total out of range in %s", "davisDataUnits");
        if (p->ddu_total < 0)
            return fail(p, DTC_EPARSE, "DDU total is negative in %s", "davisDataUnits");
        p->kid = K_OTHER;
        return 1;
    }
    bool read =
        is_time(p, t) ||
        (t == C_ENV && (k == K_visits || k == K_mobileSessions || k == K_sessionReplays ||
                        k == K_mobileSessionReplays || k == K_totalRUMUserPropertiesUsed ||
                        k == K_logUploadVolumeBytes || k == K_logStorageUsageBytes)) ||
        (t == C_HOST && (k == K_osiId || k == K_hostMemoryBytes || k == K_passMemoryLimit)) ||
        (t == C_AGENT && k == K_agentTypeId) ||
        (t == C_SYN &&
         (k == K_monitorTypeId || k == K_publicExecutions || k == K_privateExecutions)) ||
        (t == C_CM && k == K_total);
    if (!read) {
        p->kid = K_OTHER;
        return 1;
    }
    /* Every figure dtcost reads must be an integer it can hold: one it cannot
     * read is refused, never billed as 0. */
    if (!to_int(s, len, &v))
        return fail(p, DTC_EPARSE, "%s is not a number within the signed 64-bit range",
                    key_names[k]);
    if (is_time(p, t)) {
        ok = set_time(p, v);
    } else if (t == C_ENV) {
        dtc_lic_env *e = cur_env(p);
        int64_t *acc = k == K_visits                       ? &e->visits
                       : k == K_mobileSessions             ? &e->mobile_sessions
                       : k == K_sessionReplays             ? &e->replays
                       : k == K_mobileSessionReplays       ? &e->mobile_replays
                       : k == K_totalRUMUserPropertiesUsed ? &e->properties
                       : k == K_logUploadVolumeBytes       ? &e->log_upload_bytes
                                                           : &e->log_storage_bytes;
        ok = add_count(p, acc, v);
    } else if (t == C_HOST) {
        if (k == K_osiId)
            p->host.osi_id = v;
        else if (v < 0)
            ok = fail(p, DTC_EPARSE, "%s is negative", key_names[k]);
        else if (k == K_hostMemoryBytes)
            p->host.memory = v;
        else
            p->host.pass_limit = v;
    } else if (t == C_AGENT) {
        p->agent_type = v;
    } else if (t == C_SYN) {
        if (k == K_monitorTypeId)
            p->syn_type = v;
        else
            ok = add_count(p, &p->syn_exec, v);
    } else if (t == C_CM) {
        ok = v < 0 ? fail(p, DTC_EPARSE, "%s is negative in customMetrics", "total")
                   : (p->cm_total = v, 1);
    }
    p->kid = K_OTHER;
    return ok;
}

/* Well-formed UTF-8 (jw.h's rule) without control characters. */
static bool clean_utf8(const unsigned char *s, size_t len)
{
    for (size_t i = 0, n; i < len; i += n)
        if (s[i] < 0x20 || s[i] == 0x7f || (n = dtc_utf8_seq(s + i, len - i)) == 0) return false;
    return true;
}

/* An identifier kept in the database: whole (no truncation that could merge
 * two), valid UTF-8, no control characters; refused otherwise. */
static int keep_ident(dtc_lic_parser *p, char *dst, size_t cap, const unsigned char *s, size_t len)
{
    if (len >= cap) return fail(p, DTC_EPARSE, "%s is longer than 63 bytes", key_names[p->kid]);
    if (!clean_utf8(s, len))
        return fail(p, DTC_EPARSE, "%s is not valid UTF-8 text (or holds control characters)",
                    key_names[p->kid]);
    memcpy(dst, s, len);
    dst[len] = '\0';
    return 1;
}

/* Strings arrive with their escapes decoded, on either path. */
static int on_string(void *ud, const unsigned char *s, size_t len)
{
    dtc_lic_parser *p = ud;
    ctxkind t = top(p);
    if (p->kid == K_OTHER || t == C_SKIP) return 1;
    int64_t v;
    int ok = 1;
    if (is_time(p, t)) {
        if (!iso_ms((const char *)s, len, &v))
            return fail(p, DTC_EPARSE, "%s is neither epoch milliseconds nor an ISO 8601 time",
                        key_names[p->kid]);
        ok = set_time(p, v);
    } else if (t == C_ROOT && p->kid == K_clusterUuid) {
        ok = keep_ident(p, p->doc.cluster, sizeof(p->doc.cluster), s, len);
    } else if (t == C_ENV && p->kid == K_environmentUuid) {
        dtc_lic_env *e = cur_env(p);
        ok = keep_ident(p, e->environment, sizeof(e->environment), s, len);
    } else if (t == C_DDU && p->kid == K_pool) {
        /* Only the known pools matter; anything longer is "Other". */
        snprintf(p->ddu_pool, sizeof(p->ddu_pool), "%.*s",
                 (int)(len < sizeof(p->ddu_pool) ? len : 0), (const char *)s);
    } else if (t == C_HOST && p->kid == K_osiId) {
        /* Some exporters quote 64-bit ids to protect them from doubles. */
        if (!to_int((const char *)s, len, &p->host.osi_id))
            return fail(p, DTC_EPARSE, "%s is not a signed 64-bit integer", "osiId");
    } else if (t == C_DDU && p->kid == K_total) {
        if (!to_micro((const char *)s, len, &p->ddu_total) || p->ddu_total < 0)
            return fail(p, DTC_EPARSE, "DDU total is not a non-negative number in %s",
                        "davisDataUnits");
    }
    p->kid = K_OTHER;
    return ok;
}

static int on_key(void *ud, const unsigned char *s, size_t len)
{
    dtc_lic_parser *p = ud;
    p->kid = key_id(s, len);
    /* A key twice in one object is refused: neither summing nor last-wins
     * is what the export means. */
    if (p->kid != K_OTHER && p->depth > 0 && top(p) != C_SKIP) {
        uint64_t bit = 1ULL << p->kid;
        if (p->seen[p->depth - 1] & bit)
            return fail(p, DTC_EPARSE, "the key %s appears twice in one object", key_names[p->kid]);
        p->seen[p->depth - 1] |= bit;
    }
    return 1;
}

static int on_start_map(void *ud)
{
    dtc_lic_parser *p = ud;
    ctxkind t = top(p), k = C_SKIP;
    if (p->depth == 0)
        k = C_ROOT;
    else if (t == C_ENVS) {
        if (p->doc.nenvs >= MAX_ENVS)
            return fail(p, DTC_EPARSE, "more than %s environments in one hour", "100000");
        if (p->doc.nenvs == p->doc.envcap) {
            size_t c = p->doc.envcap ? p->doc.envcap * 2 : 16;
            dtc_lic_env *g = dtc_realloc(p->doc.envs, c * sizeof(*g));
            if (!g) return fail(p, DTC_ENOMEM, "%s", "out of memory");
            p->doc.envs = g;
            p->doc.envcap = c;
        }
        p->env_cur = p->doc.nenvs++;
        memset(cur_env(p), 0, sizeof(dtc_lic_env));
        k = C_ENV;
    } else if (t == C_HOSTS) {
        memset(&p->host, 0, sizeof(p->host));
        p->host.env = p->env_cur;
        p->host.span_off = p->nspans;
        k = C_HOST;
    } else if (t == C_AGENTS) {
        p->agent_type = 0;
        p->agent_span_off = p->nspans;
        k = C_AGENT;
    } else if (t == C_RECS) {
        p->rec_has_s = p->rec_has_e = false;
        k = C_REC;
    } else if (t == C_SYNS) {
        p->syn_type = 0;
        p->syn_exec = 0;
        k = C_SYN;
    } else if (t == C_CMS) {
        p->cm_total = 0;
        k = C_CM;
    } else if (t == C_DDUS) {
        p->ddu_pool[0] = '\0';
        p->ddu_total = 0;
        k = C_DDU;
    }
    return push(p, k);
}

static int on_start_array(void *ud)
{
    dtc_lic_parser *p = ud;
    ctxkind t = top(p), k = C_SKIP;
    if (t == C_ROOT && p->kid == K_environmentBillingEntries)
        k = C_ENVS;
    else if (t == C_ENV && p->kid == K_hostUsages)
        k = C_HOSTS;
    else if (t == C_ENV && p->kid == K_syntheticBillingUsage)
        k = C_SYNS;
    else if (t == C_ENV && p->kid == K_customMetrics)
        k = C_CMS;
    else if (t == C_ENV && p->kid == K_davisDataUnits)
        k = C_DDUS;
    else if (t == C_HOST && p->kid == K_agentUsages)
        k = C_AGENTS;
    else if (t == C_AGENT && p->kid == K_agentUsageRecords)
        k = C_RECS;
    return push(p, k);
}

static int add_span(dtc_lic_parser *p, int64_t s, int64_t e)
{
    if (p->nspans >= MAX_SPANS)
        return fail(p, DTC_EPARSE, "more than %s activity records in one hour", "4000000");
    if (p->nspans == p->spancap) {
        size_t c = p->spancap ? p->spancap * 2 : 1024;
        int64_t *a = dtc_realloc(p->span_s, c * sizeof(int64_t));
        if (a) p->span_s = a;
        int64_t *b = a ? dtc_realloc(p->span_e, c * sizeof(int64_t)) : NULL;
        if (!b) return fail(p, DTC_ENOMEM, "%s", "out of memory");
        p->span_e = b;
        p->spancap = c;
    }
    p->span_s[p->nspans] = s;
    p->span_e[p->nspans++] = e;
    if (s < p->min_start) p->min_start = s;
    return 1;
}

static int end_container(dtc_lic_parser *p)
{
    if (p->depth == 0) return fail(p, DTC_EPARSE, "%s", "unbalanced JSON");
    ctxkind k = p->stack[--p->depth];
    p->kid = K_OTHER;
    switch (k) {
    case C_REC:
        if (p->rec_has_s && p->rec_has_e) return add_span(p, p->rec_s, p->rec_e);
        return 1;
    case C_AGENT:
        /* Only the OS module (agentTypeId 1) makes a host count; drop the
         * spans of other modules, read before the type was known. */
        if (p->agent_type != 1) p->nspans = p->agent_span_off;
        return 1;
    case C_HOST:
        p->host.nspans = p->nspans - p->host.span_off;
        if (p->nhosts >= MAX_HOSTS)
            return fail(p, DTC_EPARSE, "more than %s hosts in one hour", "1000000");
        if (p->nhosts == p->hostcap) {
            size_t c = p->hostcap ? p->hostcap * 2 : 256;
            host_acc *g = dtc_realloc(p->hosts, c * sizeof(*g));
            if (!g) return fail(p, DTC_ENOMEM, "%s", "out of memory");
            p->hosts = g;
            p->hostcap = c;
        }
        p->hosts[p->nhosts++] = p->host;
        return 1;
    case C_SYN: {
        dtc_lic_env *e = cur_env(p);
        int64_t *acc = p->syn_type == 1   ? &e->synthetic_browser
                       : p->syn_type == 2 ? &e->synthetic_http
                                          : &e->synthetic_other;
        p->kid = K_syntheticBillingUsage;
        return add_count(p, acc, p->syn_exec);
    }
    case C_CM:
        p->kid = K_customMetrics;
        return add_count(p, &cur_env(p)->custom_metrics, p->cm_total);
    case C_DDU: {
        int i = 0;
        while (i < DTC_LIC_NPOOLS - 1 && strcmp(dtc_lic_pools[i], p->ddu_pool) != 0)
            i++;
        p->kid = K_davisDataUnits;
        return add_count(p, &cur_env(p)->ddu_micro[i], p->ddu_total);
    }
    default:
        return 1;
    }
}

static int on_end(void *ud)
{
    return end_container(ud);
}

static const yajl_callbacks callbacks = {
    on_null,      on_bool, NULL,   NULL,           on_number, on_string,
    on_start_map, on_key,  on_end, on_start_array, on_end,
};

int dtc_lic_parser_new(dtc_lic_parser **out, const dtc_license_rules *rules, bool hosts)
{
    dtc_lic_parser *p = dtc_calloc(1, sizeof(*p));
    if (!p) return DTC_ENOMEM;
    if (rules)
        p->rules = *rules;
    else
        dtc_license_rules_default(&p->rules);
    p->want_hosts = hosts;
    *out = p;
    dtc_lic_parser_reset(p);
    return p->y ? 0 : (dtc_lic_parser_free(p), *out = NULL, DTC_ENOMEM);
}

void dtc_lic_parser_reset(dtc_lic_parser *p)
{
    if (p->y) yajl_free(p->y);
    p->y = yajl_alloc(&callbacks, NULL, p);
    /* UTF-8 is checked on the strings kept (keep_ident), the same on both
     * paths; the rest is never read. */
    if (p->y) yajl_config(p->y, yajl_dont_validate_strings, 1);
    p->lex_depth = 0;
    p->lex_in_str = p->lex_esc = false;
    p->lex_tok = 0;
    p->depth = 0;
    p->stack[0] = C_NONE;
    p->kid = K_OTHER;
    p->doc.cluster[0] = '\0';
    p->doc.from_ms = p->doc.to_ms = 0;
    p->doc.nenvs = p->doc.nhosts = 0;
    p->has_from = p->has_to = false;
    p->nhosts = p->nspans = 0;
    p->min_start = INT64_MAX;
    p->err_rc = 0;
    p->err[0] = '\0';
}

void dtc_lic_parser_free(dtc_lic_parser *p)
{
    if (!p) return;
    if (p->y) yajl_free(p->y);
    dtc_free(p->doc.envs);
    dtc_free(p->doc.hosts);
    dtc_free(p->hosts);
    dtc_free(p->span_s);
    dtc_free(p->span_e);
    dtc_free(p->sbuf);
    dtc_free(p);
}

const char *dtc_lic_parser_errmsg(const dtc_lic_parser *p)
{
    return p->err;
}

static int yajl_failed(dtc_lic_parser *p, const unsigned char *data, size_t len)
{
    if (p->err_rc) return p->err_rc;
    unsigned char *msg = yajl_get_error(p->y, 0, data, len);
    snprintf(p->err, sizeof(p->err), "not valid JSON: %s", msg ? (const char *)msg : "parse error");
    for (char *c = p->err; *c; c++)
        if (*c == '\n' || *c == '\r') *c = ' ';
    if (msg) yajl_free_error(p->y, msg);
    return p->err_rc = DTC_EPARSE;
}

int dtc_lic_parser_feed(dtc_lic_parser *p, const void *data, size_t len)
{
    if (p->err_rc) return p->err_rc;
    if (!p->y) return DTC_ENOMEM;
    if (!lex_guard(p, data, len)) return p->err_rc;
    if (yajl_parse(p->y, data, len) != yajl_status_ok) return yajl_failed(p, data, len);
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static long hex4(const char *v)
{
    long u = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(v[k]);
        if (h < 0) return -1;
        u = u * 16 + h;
    }
    return u;
}

/* A JSON string's escapes decoded to UTF-8 in p->sbuf, as yajl hands them
 * to the streaming path: the same text whichever path reads a document. A
 * bad escape is refused. */
static int decode_str(dtc_lic_parser *p, const char *v, size_t len, const unsigned char **out,
                      size_t *outlen)
{
    if (!memchr(v, '\\', len)) {
        *out = (const unsigned char *)v;
        *outlen = len;
        return 1;
    }
    if (len + 1 > p->sbufcap) {
        char *g = dtc_realloc(p->sbuf, len + 1);
        if (!g) return fail(p, DTC_ENOMEM, "%s", "out of memory");
        p->sbuf = g;
        p->sbufcap = len + 1;
    }
    unsigned char *o = (unsigned char *)p->sbuf;
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] != '\\') {
            o[k++] = (unsigned char)v[i];
            continue;
        }
        if (++i >= len) return fail(p, DTC_EPARSE, "%s", "a string ends inside an escape");
        char c = v[i];
        if (c != 'u') {
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            const char *at = strchr(from, c);
            if (!at || !c) return fail(p, DTC_EPARSE, "%s", "a string holds an unknown escape");
            o[k++] = (unsigned char)to[at - from];
            continue;
        }
        long u = i + 4 < len ? hex4(v + i + 1) : -1;
        if (u < 0) return fail(p, DTC_EPARSE, "%s", "a string holds a bad \\u escape");
        i += 4;
        /* Surrogates as yajl (the streaming path) decodes them, so both
         * paths agree: a high one pairs with the \\u escape after it, or
         * becomes '?' when none follows; a lone low one is encoded as is,
         * and keep_ident then refuses it as invalid UTF-8. */
        if (u >= 0xd800 && u <= 0xdbff) {
            long lo = i + 6 < len && v[i + 1] == '\\' && v[i + 2] == 'u' ? hex4(v + i + 3) : -1;
            if (lo < 0) {
                o[k++] = '?';
                continue;
            }
            u = ((u & 0x3f) << 10) | ((((u >> 6) & 0xf) + 1) << 16) | (lo & 0x3ff);
            i += 6;
        }
        if (u < 0x80) {
            o[k++] = (unsigned char)u;
        } else if (u < 0x800) {
            o[k++] = (unsigned char)(0xc0 | (u >> 6));
            o[k++] = (unsigned char)(0x80 | (u & 0x3f));
        } else if (u < 0x10000) {
            o[k++] = (unsigned char)(0xe0 | (u >> 12));
            o[k++] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
            o[k++] = (unsigned char)(0x80 | (u & 0x3f));
        } else {
            o[k++] = (unsigned char)(0xf0 | (u >> 18));
            o[k++] = (unsigned char)(0x80 | ((u >> 12) & 0x3f));
            o[k++] = (unsigned char)(0x80 | ((u >> 6) & 0x3f));
            o[k++] = (unsigned char)(0x80 | (u & 0x3f));
        }
    }
    *out = o;
    *outlen = k;
    return 1;
}

/* The whole-buffer path: one pass over the bytes that checks the grammar,
 * the nesting (push() refuses the 13th level as it opens) and the token
 * lengths as it goes, and hands each value to the callbacks yajl drives, so
 * there is one set of rules. No token array, no second scan. 1 when the
 * document was read; 0 when a callback refused it (p->err_rc set) or the
 * bytes are not JSON (err_rc unset: yajl then reads it and names the
 * error). */

/* Bytes that end the plain run of a string: the quote, the backslash and
 * the control characters JSON forbids unescaped (yajl refuses them too). */
static const unsigned char str_stop[256] = {
    [0] = 1,  [1] = 1,  [2] = 1,  [3] = 1,  [4] = 1,  [5] = 1,   [6] = 1,    [7] = 1,  [8] = 1,
    [9] = 1,  [10] = 1, [11] = 1, [12] = 1, [13] = 1, [14] = 1,  [15] = 1,   [16] = 1, [17] = 1,
    [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1,  [24] = 1,   [25] = 1, [26] = 1,
    [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1, ['"'] = 1, ['\\'] = 1,
};

static bool json_ws(unsigned char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* The first byte from s[i] on that str_stop marks, or n. Eight bytes at a
 * time where the machine is little-endian: a byte equal to the quote or the
 * backslash, or below 0x20, sets its top bit in the mask (the lowest set
 * bit is always exact), so the plain runs of ids and names cost an eighth
 * of the lookups. */
static size_t plain_run(const unsigned char *s, size_t n, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
        uint64_t m = ((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w);
        m &= highs;
        if (m) return i + (size_t)(__builtin_ctzll(m) >> 3);
        i += 8;
    }
#endif
    while (i < n && !str_stop[s[i]])
        i++;
    return i;
}

/* The string whose opening quote is at s[i - 1]: its closing quote's index
 * in *end, whether it holds an escape in *esc. 1, or 0 when it is not a
 * JSON string (err_rc unset) or is too long (err_rc set). */
static int scan_string(dtc_lic_parser *p, const unsigned char *s, size_t n, size_t i, size_t *end,
                       bool *esc)
{
    size_t from = i;
    for (;;) {
        i = plain_run(s, n, i);
        if (i - from > MAX_TOKEN_LEN)
            return fail(p, DTC_EPARSE, "a string longer than %s: not a license export", "4 MiB");
        if (i >= n || s[i] < 0x20) return 0;
        if (s[i] == '"') break;
        /* A backslash: one of JSON's escapes, \u with four hex digits. */
        *esc = true;
        if (++i >= n) return 0;
        if (s[i] == 'u') {
            if (i + 4 >= n || hex4((const char *)s + i + 1) < 0) return 0;
            i += 5;
        } else if (s[i] && strchr("\"\\/bfnrt", s[i])) {
            i++;
        } else {
            return 0;
        }
    }
    *end = i;
    return 1;
}

/* The first byte from s[i] on that is not a decimal digit, or n. Eight
 * bytes at a time where the machine is little-endian: a byte is a digit
 * when its high nibble is 3 both as it is and with 6 added (0x30..0x39); a
 * carry out of a byte only comes from one that is no digit, so the lowest
 * flagged byte is exact. Ids, times and sizes are 10-19 digits long. */
static size_t digit_run(const unsigned char *s, size_t n, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ULL, nibbles = 0xF0F0F0F0F0F0F0F0ULL;
    while (n - i >= 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t m = ((w & nibbles) ^ (ones * 0x30)) | (((w + ones * 6) & nibbles) ^ (ones * 0x30));
        if (m) return i + (size_t)(__builtin_ctzll(m) >> 3);
        i += 8;
    }
#endif
    while (i < n && (unsigned)(s[i] - '0') <= 9)
        i++;
    return i;
}

/* A number by JSON's grammar from s[i]: its end, or 0 when it is none. */
static size_t scan_number(const unsigned char *s, size_t n, size_t i)
{
    if (i < n && s[i] == '-') i++;
    if (i >= n || (unsigned)(s[i] - '0') > 9) return 0;
    i = s[i] == '0' ? i + 1 : digit_run(s, n, i);
    if (i < n && s[i] == '.') {
        size_t d = ++i;
        i = digit_run(s, n, i);
        if (i == d) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t d = i;
        i = digit_run(s, n, i);
        if (i == d) return 0;
    }
    return i;
}

static int parse_whole(dtc_lic_parser *p, const char *data, size_t n)
{
    const unsigned char *s = (const unsigned char *)data;
    char open[MAX_DEPTH + 1]; /* '{' or '[' for each container open */
    int d = 0;
    size_t i = 0, e;
    bool esc;
value:
    while (i < n && json_ws(s[i]))
        i++;
    if (i >= n) return 0;
    switch (s[i]) {
    case '{':
        if (!on_start_map(p) || d >= MAX_DEPTH) return 0; /* push() refuses past MAX_DEPTH */
        open[d++] = '{';
        for (i++; i < n && json_ws(s[i]); i++)
            ;
        if (i < n && s[i] == '}') {
            i++;
            goto close;
        }
        goto key;
    case '[':
        if (!on_start_array(p) || d >= MAX_DEPTH) return 0;
        open[d++] = '[';
        for (i++; i < n && json_ws(s[i]); i++)
            ;
        if (i < n && s[i] == ']') {
            i++;
            goto close;
        }
        goto value;
    case '"': {
        esc = false;
        if (!scan_string(p, s, n, i + 1, &e, &esc)) return 0;
        const char *v = data + i + 1;
        size_t len = e - i - 1;
        i = e + 1;
        if (p->kid == K_OTHER || !esc) { /* a value not read is left undecoded */
            if (!on_string(p, (const unsigned char *)v, len)) return 0;
        } else {
            const unsigned char *str;
            size_t slen;
            if (!decode_str(p, v, len, &str, &slen) || !on_string(p, str, slen)) return 0;
        }
        goto after;
    }
    case 't':
        if (n - i < 4 || memcmp(s + i, "true", 4) != 0 || !on_bool(p, 1)) return 0;
        i += 4;
        goto after;
    case 'f':
        if (n - i < 5 || memcmp(s + i, "false", 5) != 0 || !on_bool(p, 0)) return 0;
        i += 5;
        goto after;
    case 'n':
        if (n - i < 4 || memcmp(s + i, "null", 4) != 0 || !on_null(p)) return 0;
        i += 4;
        goto after;
    default:
        if (!(e = scan_number(s, n, i))) return 0;
        if (e - i > MAX_TOKEN_LEN)
            return fail(p, DTC_EPARSE, "a number or literal longer than %s: not a license export",
                        "4 MiB");
        if (!on_number(p, data + i, e - i)) return 0;
        i = e;
        goto after;
    }
key:
    if (i >= n || s[i] != '"') return 0;
    esc = false;
    if (!scan_string(p, s, n, i + 1, &e, &esc)) return 0;
    {
        const unsigned char *k = s + i + 1;
        size_t klen = e - i - 1;
        if (esc && !decode_str(p, (const char *)k, klen, &k, &klen)) return 0;
        if (!on_key(p, k, klen)) return 0;
    }
    for (i = e + 1; i < n && json_ws(s[i]); i++)
        ;
    if (i >= n || s[i] != ':') return 0;
    i++;
    goto value;
after:
    while (i < n && json_ws(s[i]))
        i++;
    if (d == 0) return i == n;
    if (i >= n) return 0;
    if (s[i] == ',') {
        for (i++; i < n && json_ws(s[i]); i++)
            ;
        if (open[d - 1] == '{') goto key;
        goto value;
    }
    if (s[i] != (open[d - 1] == '{' ? '}' : ']')) return 0;
    i++;
close:
    d--;
    if (!on_end(p)) return 0;
    goto after;
}

static int finalize(dtc_lic_parser *p);

int dtc_lic_parser_parse(dtc_lic_parser *p, const dtc_lic_doc **doc, const char *data, size_t len)
{
    dtc_lic_parser_reset(p);
    if (parse_whole(p, data, len) && p->depth == 0 && p->stack[0] == C_ROOT && !p->err_rc) {
        int rc = finalize(p);
        if (rc) return p->err_rc = rc;
        *doc = &p->doc;
        return 0;
    }
    if (p->err_rc) /* the schema's own refusal: nesting, a bad time or id */
        return p->err_rc;
    /* Not valid JSON (or not an object): yajl reads it again and names the
     * error precisely. */
    dtc_lic_parser_reset(p);
    int rc = dtc_lic_parser_feed(p, data, len);
    return rc ? rc : dtc_lic_parser_finish(p, doc);
}

static int cmp_env_name(const void *a, const void *b)
{
    return strcmp((*(const dtc_lic_env *const *)a)->environment,
                  (*(const dtc_lic_env *const *)b)->environment);
}

/* An environment listed twice in one hour is refused (which entry would be
 * the hour's?). Sorted pointers: n log n however many environments. */
static int unique_envs(dtc_lic_parser *p)
{
    dtc_lic_doc *d = &p->doc;
    if (d->nenvs < 2) return 0;
    const dtc_lic_env **v = dtc_malloc(d->nenvs * sizeof(*v));
    if (!v) {
        snprintf(p->err, sizeof(p->err), "out of memory");
        return DTC_ENOMEM;
    }
    for (size_t i = 0; i < d->nenvs; i++)
        v[i] = &d->envs[i];
    qsort(v, d->nenvs, sizeof(*v), cmp_env_name);
    int rc = 0;
    for (size_t i = 1; i < d->nenvs && !rc; i++)
        if (strcmp(v[i - 1]->environment, v[i]->environment) == 0) {
            snprintf(p->err, sizeof(p->err),
                     "environment %s appears twice in environmentBillingEntries",
                     v[i]->environment[0] ? v[i]->environment : "(without environmentUuid)");
            rc = DTC_EPARSE;
        }
    dtc_free(v);
    return rc;
}

/* Host units and DEM, once the hour's bounds are known. Sets err on failure. */
static int finalize(dtc_lic_parser *p)
{
    dtc_lic_doc *d = &p->doc;
    if (!p->has_from && p->min_start != INT64_MAX)
        d->from_ms = p->min_start - ((p->min_start % 3600000) + 3600000) % 3600000,
        p->has_from = true;
    if (!p->has_to) d->to_ms = d->from_ms + 3600000;
    if (!p->has_from) d->from_ms = -1; /* no time at all: the caller skips the document */
    if (p->want_hosts && p->nhosts > d->hostcap) {
        dtc_lic_host *g = dtc_realloc(d->hosts, p->nhosts * sizeof(*g));
        if (!g) return snprintf(p->err, sizeof(p->err), "out of memory"), DTC_ENOMEM;
        d->hosts = g;
        d->hostcap = p->nhosts;
    }
    const dtc_license_rules *r = &p->rules;
    for (size_t i = 0; i < p->nhosts; i++) {
        host_acc *h = &p->hosts[i];
        if (h->env >= d->nenvs) continue;
        dtc_lic_env *e = &d->envs[h->env];
        int64_t active = h->nspans ? dtc_active_ms(p->span_s + h->span_off, p->span_e + h->span_off,
                                                   h->nspans, d->from_ms, d->to_ms)
                                   : 0; /* no spans: no arrays allocated to point into */
        if (active < 0) return snprintf(p->err, sizeof(p->err), "out of memory"), DTC_ENOMEM;
        char mode = h->infra ? 'I' : h->paas ? 'P' : 'F';
        int64_t mem = mode == 'P' && h->pass_limit > 0 ? h->pass_limit : h->memory;
        int64_t mhu =
            mode == 'I' ? dtc_hu_infra_milli(mem, r->infra_cap) : dtc_hu_fullstack_milli(mem);
        bool counts = active >= r->min_active_ms && mhu > 0;
        if (!counts)
            e->hosts_idle++;
        else if (mode == 'I')
            e->infra_mhu += mhu, e->hosts_infra++;
        else if (mode == 'P')
            e->paas_mhu += mhu, e->hosts_paas++;
        else
            e->fullstack_mhu += mhu, e->hosts_fullstack++;
        if (p->want_hosts)
            d->hosts[d->nhosts++] =
                (dtc_lic_host){h->env, h->osi_id, mode, mem, active, counts ? mhu : 0};
    }
    for (size_t i = 0; i < d->nenvs; i++) {
        dtc_lic_env *e = &d->envs[i];
        int64_t sessions, replays, a, b, c, dem = 0;
        /* 0.25 per session, 1.0 per replay session; when visits already holds
         * the replays, each replay adds the 0.75 difference. Every step is
         * checked: counters near INT64_MAX are refused, not stored wrapped. */
        bool over = __builtin_add_overflow(e->visits, e->mobile_sessions, &sessions) ||
                    __builtin_add_overflow(e->replays, e->mobile_replays, &replays) ||
                    __builtin_mul_overflow(sessions, 25, &a) ||
                    __builtin_mul_overflow(replays, r->visits_include_replays ? 75 : 100, &b) ||
                    __builtin_add_overflow(a, b, &dem) ||
                    __builtin_mul_overflow(e->synthetic_browser, 100, &a) ||
                    __builtin_mul_overflow(e->synthetic_http, 10, &b) ||
                    __builtin_add_overflow(dem, a, &dem) || __builtin_add_overflow(dem, b, &dem);
        if (!over && e->properties > r->free_properties)
            over = __builtin_mul_overflow(e->properties - r->free_properties, sessions, &c) ||
                   __builtin_add_overflow(dem, c, &dem);
        if (over) {
            snprintf(p->err, sizeof(p->err),
                     "DEM units of environment %s overflow a signed 64-bit integer "
                     "(visits, sessions or executions out of range)",
                     e->environment);
            return DTC_EPARSE;
        }
        e->dem_centi = dem;
    }
    return unique_envs(p);
}

int dtc_lic_parser_finish(dtc_lic_parser *p, const dtc_lic_doc **doc)
{
    if (p->err_rc) return p->err_rc;
    if (yajl_complete_parse(p->y) != yajl_status_ok)
        return yajl_failed(p, (const unsigned char *)"", 0);
    if (p->depth != 0 || p->stack[0] != C_ROOT) {
        snprintf(p->err, sizeof(p->err), "not a ConsumptionExport object");
        return p->err_rc = DTC_EPARSE;
    }
    int rc = finalize(p);
    if (rc) return p->err_rc = rc;
    *doc = &p->doc;
    return 0;
}
