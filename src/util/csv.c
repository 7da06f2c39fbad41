/* csv.c: one CSV field, quoted when needed and neutralised against formulas. */
#include "csv.h"

#include <string.h>


int dtc_csv_field(dtc_buf *b, const char *v, bool text, bool last)
{
    int rc = 0;
    if (v) {
        bool formula = text && v[0] && strchr("=+-@\t\r", v[0]);
        if (!formula && !strpbrk(v, ",\"\r\n")) { /* the common case: copied whole */
            rc = dtc_buf_add(b, v, strlen(v));
        } else {
            rc = dtc_buf_addc(b, '"');
            if (!rc && formula)
                rc = dtc_buf_addc(b, '\'');
            for (const char *p = v; *p && !rc;) { /* spans up to and including each '"', which is doubled */
                size_t n = strcspn(p, "\"");
                rc = dtc_buf_add(b, p, n + (p[n] == '"'));
                if (!rc && p[n] == '"')
                    rc = dtc_buf_addc(b, '"');
                p += n + (p[n] == '"');
            }
            if (!rc)
                rc = dtc_buf_addc(b, '"');
        }
    }
    if (!rc)
        rc = dtc_buf_addc(b, last ? '\n' : ',');
    return rc;
}
