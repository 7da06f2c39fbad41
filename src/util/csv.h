/* csv.h: one CSV field (RFC 4180 quoting) with spreadsheet formula
 * neutralising, shared by every CSV writer (export, report). */
#ifndef DTC_CSV_H
#define DTC_CSV_H
#include <stdbool.h>

#include "buf.h"

/* Append field v to b followed by ',' (or '\n' when last). NULL writes an
 * empty field. Text fields (text = true) starting with '=', '+', '-', '@',
 * tab or CR get a leading "'" so a spreadsheet shows them instead of running
 * them as a formula (OWASP "CSV Injection"); numbers are written as they are.
 * A field with ',', '"', CR or LF is quoted with '"' doubled. Returns 0,
 * DTC_ENOMEM, or DTC_ETOOBIG past the buffer's cap (the field half added). */
int dtc_csv_field(dtc_buf *b, const char *v, bool text, bool last) DTC_MUST_CHECK;

#endif
