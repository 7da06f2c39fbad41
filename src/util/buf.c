/* buf.c: growable, capped byte buffer. */
#include "buf.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

void dtc_buf_init(dtc_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void dtc_buf_dispose(dtc_buf *b)
{
    dtc_free(b->data);
    b->data = NULL;
    b->len = b->alloc = 0;
}

void dtc_buf_reset(dtc_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

static int grow(dtc_buf *b, size_t extra)
{
    if (extra > b->cap || b->len > b->cap - extra) return DTC_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->alloc) return 0;
    size_t n = b->alloc ? b->alloc : 256;
    while (n < need)
        n = n > ((size_t)-1) / 2 ? need : n * 2;
    char *p = dtc_realloc(b->data, n);
    if (!p) return DTC_ENOMEM;
    b->data = p;
    b->alloc = n;
    return 0;
}

int dtc_buf_reserve(dtc_buf *b, size_t extra)
{
    return grow(b, extra);
}

int dtc_buf_add(dtc_buf *b, const void *p, size_t n)
{
    int rc = grow(b, n);
    if (rc) return rc;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int dtc_buf_adds(dtc_buf *b, const char *s)
{
    return dtc_buf_add(b, s, strlen(s));
}

int dtc_buf_addc(dtc_buf *b, char c)
{
    return dtc_buf_add(b, &c, 1);
}

int dtc_buf_vprintf(dtc_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) return DTC_EINVAL;
    int rc = grow(b, (size_t)n);
    if (rc) return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int dtc_buf_printf(dtc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = dtc_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *dtc_buf_take(dtc_buf *b, size_t *len_out)
{
    char *d = b->data;
    if (len_out) *len_out = b->len;
    if (!d) d = dtc_strdup("");
    b->data = NULL;
    b->len = b->alloc = 0;
    return d;
}
