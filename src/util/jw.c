/* jw.c: streaming JSON writer. */
#include "jw.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void dtc_jw_init(dtc_jw *w, dtc_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->first[0] = true;
}

static void put(dtc_jw *w, const char *s, size_t n)
{
    if (!w->err) w->err = dtc_buf_add(w->out, s, n);
}

/* Separator before a value (or key) at the current depth. */
static void sep(dtc_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth]) put(w, ",", 1);
    w->first[w->depth] = false;
}

static void open(dtc_jw *w, char c)
{
    sep(w);
    put(w, &c, 1);
    if (w->depth + 1 >= DTC_JW_MAXDEPTH) {
        if (!w->err) w->err = DTC_ETOOBIG;
        return;
    }
    w->depth++;
    w->first[w->depth] = true;
}

static void close_(dtc_jw *w, char c)
{
    if (w->depth > 0) w->depth--;
    put(w, &c, 1);
}

void dtc_jw_obj(dtc_jw *w)
{
    open(w, '{');
}
void dtc_jw_obj_end(dtc_jw *w)
{
    close_(w, '}');
}
void dtc_jw_arr(dtc_jw *w)
{
    open(w, '[');
}
void dtc_jw_arr_end(dtc_jw *w)
{
    close_(w, ']');
}

size_t dtc_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xc2 && c <= 0xdf   ? 2
                 : c >= 0xe0 && c <= 0xef ? 3
                 : c >= 0xf0 && c <= 0xf4 ? 4
                                          : 0;
    if (len == 0 || len > n) return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xc0) != 0x80) return 0;
    unsigned c1 = s[1];
    if ((c == 0xe0 && c1 < 0xa0) || (c == 0xed && c1 > 0x9f) || (c == 0xf0 && c1 < 0x90) ||
        (c == 0xf4 && c1 > 0x8f))
        return 0;
    return len;
}

int dtc_json_quote(dtc_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = dtc_buf_addc(b, '"');
    size_t run = 0; /* start of the pending run of plain bytes */
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                u[0] = '\\';
                u[1] = 'u';
                u[2] = '0';
                u[3] = '0';
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                u[6] = '\0';
                esc = u;
            } else if (c >= 0x80) {
                size_t len = dtc_utf8_seq((const unsigned char *)s + i, n - i);
                if (len == 0) {
                    esc = "\xef\xbf\xbd"; /* U+FFFD for a byte that starts no valid sequence */
                } else {
                    i += len - 1; /* a whole valid sequence stays in the run */
                    continue;
                }
            }
        }
        if (esc) {
            rc = dtc_buf_add(b, s + run, i - run);
            if (!rc) rc = dtc_buf_adds(b, esc);
            run = i + 1;
        }
    }
    if (!rc) rc = dtc_buf_add(b, s + run, n - run);
    if (!rc) rc = dtc_buf_addc(b, '"');
    return rc;
}

void dtc_jw_key(dtc_jw *w, const char *key)
{
    sep(w);
    if (!w->err) w->err = dtc_json_quote(w->out, key, strlen(key));
    put(w, ":", 1);
    w->after_key = true;
}

void dtc_jw_strn(dtc_jw *w, const char *s, size_t n)
{
    sep(w);
    if (!w->err) w->err = dtc_json_quote(w->out, s, n);
}

void dtc_jw_str(dtc_jw *w, const char *s)
{
    if (!s)
        dtc_jw_null(w);
    else
        dtc_jw_strn(w, s, strlen(s));
}

void dtc_jw_int(dtc_jw *w, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    sep(w);
    put(w, tmp, (size_t)n);
}

void dtc_fixed_format(char *dst, int64_t scaled, int places, bool trim)
{
    uint64_t mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
    if (places < 0) places = 0;
    if (places > 18) places = 18;
    uint64_t div = 1;
    for (int i = 0; i < places; i++)
        div *= 10;
    uint64_t ip = mag / div, fp = mag % div;
    int n = sprintf(dst, "%s%" PRIu64, scaled < 0 ? "-" : "", ip);
    if (places > 0 && (fp || !trim)) {
        char frac[32];
        for (int i = places - 1; i >= 0; i--, fp /= 10)
            frac[i] = (char)('0' + fp % 10);
        int fl = places;
        while (trim && fl > 0 && frac[fl - 1] == '0')
            fl--;
        frac[fl] = '\0';
        sprintf(dst + n, ".%s", frac);
    }
}

void dtc_jw_fixed(dtc_jw *w, int64_t scaled, int places)
{
    char tmp[48];
    dtc_fixed_format(tmp, scaled, places, true);
    sep(w);
    put(w, tmp, strlen(tmp));
}

void dtc_jw_bool(dtc_jw *w, bool v)
{
    sep(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void dtc_jw_null(dtc_jw *w)
{
    sep(w);
    put(w, "null", 4);
}

void dtc_jw_raw(dtc_jw *w, const char *json)
{
    sep(w);
    put(w, json, strlen(json));
}
