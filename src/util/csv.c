/* csv.c: CSV fields, quoted when needed and neutralised against formulas.
 * A FOCUS export writes some 300 million fields, so the common case (no
 * quoting) is one length, one scan sixteen bytes at a time and one copy. */
#include "csv.h"

#include <stdint.h>
#include <string.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Sixteen bytes compared at once (GCC/clang vector extensions: SSE2 on
 * x86-64, NEON on arm64, plain code elsewhere). */
typedef unsigned char v16 __attribute__((vector_size(16)));

/* Nonzero when one of the eight bytes of w is c (the zero-byte test of
 * w ^ c in every byte: exact as a yes/no). */
static inline uint64_t has_byte(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (ONES * c);
    return (x - ONES) & ~x & HIGHS;
}

static inline bool quotable16(const char *p)
{
    v16 w, hit;
    uint64_t h[2];
    memcpy(&w, p, 16);
    hit = (v16)((w == ',') | (w == '"') | (w == '\r') | (w == '\n'));
    memcpy(h, &hit, 16);
    return (h[0] | h[1]) != 0;
}

static inline bool quotable8(const char *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
    return (has_byte(w, ',') | has_byte(w, '"') | has_byte(w, '\r') | has_byte(w, '\n')) != 0;
}

/* True when v[0..n) holds ',', '"', CR or LF: sixteen bytes at a time, the
 * tail as the last sixteen (or eight) bytes again, overlapping. */
static bool needs_quotes(const char *v, size_t n)
{
    if (n >= 16) {
        for (size_t i = 0; i + 16 <= n; i += 16)
            if (quotable16(v + i)) return true;
        return quotable16(v + n - 16);
    }
    if (n >= 8) return quotable8(v) || quotable8(v + n - 8);
    for (size_t i = 0; i < n; i++)
        if (v[i] == ',' || v[i] == '"' || v[i] == '\r' || v[i] == '\n') return true;
    return false;
}

static bool formula_start(char c)
{
    return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r';
}

/* v (n bytes) quoted at d, inner '"' doubled, a formula's leading quote
 * inside; the end of what it wrote. */
static char *quote_into(char *d, const char *v, size_t n, bool formula)
{
    *d++ = '"';
    if (formula) *d++ = '\'';
    for (const char *p = v, *end = v + n; p < end;) { /* spans up to and including each '"' */
        const char *q = memchr(p, '"', (size_t)(end - p));
        size_t k = q ? (size_t)(q - p) + 1 : (size_t)(end - p);
        memcpy(d, p, k);
        d += k;
        if (q) *d++ = '"'; /* doubled */
        p += k;
    }
    *d++ = '"';
    return d;
}

/* v (n bytes) quoted, then sep: its room reserved once. */
static int put_quoted(dtc_buf *b, const char *v, size_t n, bool formula, const char *sep,
                      size_t sepn)
{
    size_t quotes = 0;
    for (const char *q = v; (q = memchr(q, '"', (size_t)(v + n - q))) != NULL; q++)
        quotes++;
    int rc = dtc_buf_reserve(b, n + quotes + 2 + formula + sepn);
    if (rc) return rc;
    char *d = quote_into(b->data + b->len, v, n, formula);
    memcpy(d, sep, sepn);
    b->len = (size_t)(d + sepn - b->data);
    b->data[b->len] = '\0';
    return 0;
}

/* v as one field followed by sep (sepn bytes, none when 0). */
static int put(dtc_buf *b, const char *v, bool text, const char *sep, size_t sepn)
{
    size_t n = strlen(v);
    bool formula = text && n && formula_start(v[0]);
    if (formula || needs_quotes(v, n)) return put_quoted(b, v, n, formula, sep, sepn);
    int rc = dtc_buf_reserve(b, n + sepn); /* the common case: copied whole, in one go */
    if (rc) return rc;
    char *d = b->data + b->len;
    memcpy(d, v, n);
    d[n] = sep[0]; /* "," or "\r\n" (or "" with sepn 0: the NUL that follows anyway) */
    if (sepn == 2) d[n + 1] = sep[1];
    b->len += n + sepn;
    b->data[b->len] = '\0';
    return 0;
}

int dtc_csv_text(dtc_buf *b, const char *s)
{
    return put(b, s, true, "", 0);
}

int dtc_csv_field(dtc_buf *b, const char *v, bool text, bool last)
{
    const char *sep = last ? "\r\n" : ",";
    return v ? put(b, v, text, sep, last ? 2 : 1) : dtc_buf_add(b, sep, last ? 2 : 1);
}

size_t dtc_csv_put(char *dst, const char *v, size_t n, bool text)
{
    bool formula = text && n && formula_start(v[0]);
    if (formula || needs_quotes(v, n)) return (size_t)(quote_into(dst, v, n, formula) - dst);
    memcpy(dst, v, n);
    return n;
}
