/* buf.h: a growable byte buffer with a hard cap per use (HTTP body, JSON
 * document, ZIP entry), so hostile input cannot eat the machine. */
#ifndef DTC_BUF_H
#define DTC_BUF_H
#include <stdarg.h>
#include <stddef.h>

#include "dtcost/errors.h"

typedef struct dtc_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t alloc;
    size_t cap; /* the most len may ever reach */
} dtc_buf;

/* Named caps, one per kind of use. */
#define DTC_CAP_HTTP_BODY ((size_t)256 << 20)
#define DTC_CAP_JSON_DOC ((size_t)64 << 20)
#define DTC_CAP_SMALL ((size_t)64 << 10)

void dtc_buf_init(dtc_buf *b, size_t cap);
void dtc_buf_dispose(dtc_buf *b);
void dtc_buf_reset(dtc_buf *b);
/* Append; DTC_ETOOBIG past the cap (buffer unchanged), DTC_ENOMEM. */
int dtc_buf_add(dtc_buf *b, const void *p, size_t n) DTC_MUST_CHECK;
int dtc_buf_adds(dtc_buf *b, const char *s) DTC_MUST_CHECK;
int dtc_buf_addc(dtc_buf *b, char c) DTC_MUST_CHECK;
/* Make room for extra more bytes (and the NUL) without adding any, so a
 * writer can fill data + len itself and then raise len (keeping the NUL);
 * DTC_ETOOBIG past the cap, DTC_ENOMEM. */
int dtc_buf_reserve(dtc_buf *b, size_t extra) DTC_MUST_CHECK;
int dtc_buf_printf(dtc_buf *b, const char *fmt, ...) DTC_MUST_CHECK
    __attribute__((format(printf, 2, 3)));
int dtc_buf_vprintf(dtc_buf *b, const char *fmt, va_list ap) DTC_MUST_CHECK
    __attribute__((format(printf, 2, 0)));
/* Hand the data over to the caller (free with dtc_free); the buffer is empty after. */
char *dtc_buf_take(dtc_buf *b, size_t *len_out);

#endif
