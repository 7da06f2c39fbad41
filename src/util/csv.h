/* csv.h: CSV fields that a spreadsheet reads back as the text that was
 * written: quoted when needed, and never run as a formula. */
#ifndef DTC_CSV_H
#define DTC_CSV_H
#include "buf.h"

/* Append text s to b as one CSV field (RFC 4180): in double quotes, inner
 * quotes doubled, when it holds a comma, a quote, CR or LF. Text a
 * spreadsheet would take for a formula (starting with '=', '+', '-', '@',
 * a tab or CR) gets a single quote in front, as OWASP recommends for CSV
 * injection; so numbers must not go through here. DTC_ETOOBIG, DTC_ENOMEM. */
int dtc_csv_text(dtc_buf *b, const char *s) DTC_MUST_CHECK;

#endif
