/* csv.c: CSV fields, quoted when needed and neutralised against formulas. */
#include "csv.h"

#include <string.h>

static int put(dtc_buf *b, const char *v, bool text)
{
    bool formula = text && v[0] && strchr("=+-@\t\r", v[0]);
    if (!formula && !strpbrk(v, ",\"\r\n")) /* the common case: copied whole */
        return dtc_buf_add(b, v, strlen(v));
    int rc = dtc_buf_addc(b, '"');
    if (!rc && formula) rc = dtc_buf_addc(b, '\'');
    for (const char *p = v; *p && !rc;) { /* spans up to and including each '"', which is doubled */
        size_t n = strcspn(p, "\"");
        rc = dtc_buf_add(b, p, n + (p[n] == '"'));
        if (!rc && p[n] == '"') rc = dtc_buf_addc(b, '"');
        p += n + (p[n] == '"');
    }
    return rc ? rc : dtc_buf_addc(b, '"');
}

int dtc_csv_text(dtc_buf *b, const char *s)
{
    return put(b, s, true);
}

int dtc_csv_field(dtc_buf *b, const char *v, bool text, bool last)
{
    int rc = v ? put(b, v, text) : 0;
    return rc ? rc : dtc_buf_adds(b, last ? "\r\n" : ",");
}
