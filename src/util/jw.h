/* jw.h: a small streaming JSON writer into a dtc_buf. Output is compact and
 * deterministic (keys in call order, fixed number formats), so the emulator's
 * answers are byte-identical for the same seed. */
#ifndef DTC_JW_H
#define DTC_JW_H
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

#define DTC_JW_MAXDEPTH 32

typedef struct dtc_jw {
    dtc_buf *out;
    int depth;
    bool first[DTC_JW_MAXDEPTH]; /* nothing written yet at this depth */
    bool after_key;
    int err; /* first error; sticky, later calls do nothing */
} dtc_jw;

void dtc_jw_init(dtc_jw *w, dtc_buf *out);
void dtc_jw_obj(dtc_jw *w);
void dtc_jw_obj_end(dtc_jw *w);
void dtc_jw_arr(dtc_jw *w);
void dtc_jw_arr_end(dtc_jw *w);
void dtc_jw_key(dtc_jw *w, const char *key);
void dtc_jw_str(dtc_jw *w, const char *s); /* NULL writes null */
void dtc_jw_strn(dtc_jw *w, const char *s, size_t n);
void dtc_jw_int(dtc_jw *w, int64_t v);
/* A decimal with a fixed number of places from a scaled integer:
 * dtc_jw_fixed(w, 31450712, 6) writes 31.450712; trailing zeros are kept off
 * ("2.5", "3"). Exact: no floating point involved. */
void dtc_jw_fixed(dtc_jw *w, int64_t scaled, int places);
void dtc_jw_bool(dtc_jw *w, bool v);
void dtc_jw_null(dtc_jw *w);
/* Write already-valid JSON text as one value. */
void dtc_jw_raw(dtc_jw *w, const char *json);

/* Append s as a JSON string literal (with quotes) to b. Bytes that are not
 * well-formed UTF-8 become U+FFFD each, so the output is always JSON. */
int dtc_json_quote(dtc_buf *b, const char *s, size_t n) DTC_MUST_CHECK;
/* Format a scaled integer as a decimal into dst (at least 32 bytes). */
void dtc_fixed_format(char *dst, int64_t scaled, int places, bool trim);

#endif
