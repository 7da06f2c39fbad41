/* csv.c: CSV text fields, quoted and neutralised against formulas. */
#include "csv.h"

#include <stdbool.h>
#include <string.h>

int dtc_csv_text(dtc_buf *b, const char *s)
{
    bool formula = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    int rc = 0;
    if (quote && (rc = dtc_buf_addc(b, '"')) != 0)
        return rc;
    if (formula && (rc = dtc_buf_addc(b, '\'')) != 0)
        return rc;
    for (const char *p = s; *p; p++) {
        if (*p == '"' && (rc = dtc_buf_addc(b, '"')) != 0)
            return rc;
        if ((rc = dtc_buf_addc(b, *p)) != 0)
            return rc;
    }
    return quote ? dtc_buf_addc(b, '"') : 0;
}
