/* csv.h: CSV fields that a spreadsheet reads back as the text that was
 * written (RFC 4180 quoting) and never runs as a formula; shared by every CSV
 * writer (export, report). Every CSV line dtcost writes ends in CRLF. */
#ifndef DTC_CSV_H
#define DTC_CSV_H
#include <stdbool.h>

#include "buf.h"

/* Append text s to b as one CSV field, no separator. A field holding ',',
 * '"', CR or LF is quoted with inner '"' doubled. Text a spreadsheet would
 * take for a formula (starting with '=', '+', '-', '@', tab or CR) gets a
 * single quote in front and is quoted, as OWASP recommends against CSV
 * injection; so numbers must not go through here. 0, DTC_ENOMEM, or
 * DTC_ETOOBIG past the buffer's cap (nothing added). */
int dtc_csv_text(dtc_buf *b, const char *s) DTC_MUST_CHECK;

/* Append field v to b followed by ',' (or CRLF when last). NULL writes an
 * empty field; text fields (text = true) go through dtc_csv_text's rule,
 * numbers are written as they are. Returns as dtc_csv_text. */
int dtc_csv_field(dtc_buf *b, const char *v, bool text, bool last) DTC_MUST_CHECK;

/* The most bytes dtc_csv_put writes for a field of n bytes: every byte a
 * doubled quote, the two quotes around and a formula's leading quote. */
#define DTC_CSV_ROOM(n) (2 * (size_t)(n) + 3)

/* Write field v (n bytes, its NULs part of it) at dst as dtc_csv_field
 * would, without the separator and without a NUL after: for a writer that
 * reserves a whole line's room (DTC_CSV_ROOM of each field) once. Returns
 * the bytes written. */
size_t dtc_csv_put(char *dst, const char *v, size_t n, bool text);

#endif
