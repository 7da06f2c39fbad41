/* record.h: a command's result rows written as JSON (one object per line) or
 * CSV (RFC 4180: a header row, quoting where needed, CRLF line ends) from one
 * list of fields, so the two formats cannot disagree. */
#ifndef DTC_CLI_RECORD_H
#define DTC_CLI_RECORD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum rec_kind {
    REC_STR, /* text, quoted; NULL is JSON null and an empty CSV field */
    REC_INT, /* a whole number */
    REC_NUM, /* a number already written as text, e.g. exact money or seconds */
    REC_BOOL,
} rec_kind;

typedef struct rec_field {
    const char *key; /* snake_case: the JSON key and the CSV column */
    rec_kind kind;
    const char *s; /* REC_STR, REC_NUM */
    long long i;   /* REC_INT, REC_BOOL */
} rec_field;

#define REC_S(k, v)                                                                                \
    {                                                                                              \
        (k), REC_STR, (v), 0                                                                       \
    }
#define REC_I(k, v)                                                                                \
    {                                                                                              \
        (k), REC_INT, NULL, (long long)(v)                                                         \
    }
#define REC_N(k, text)                                                                             \
    {                                                                                              \
        (k), REC_NUM, (text), 0                                                                    \
    }
#define REC_B(k, v)                                                                                \
    {                                                                                              \
        (k), REC_BOOL, NULL, (v) ? 1 : 0                                                           \
    }

/* Write one record in fmt ("json" or "csv") to out; for CSV the header row
 * (the keys) first when header is set. Returns 0, or -1 when out of memory. */
int rec_write(FILE *out, const char *fmt, const rec_field *f, size_t n, bool header);
/* The CSV header row alone, for a table that has no rows. */
void rec_csv_header(FILE *out, const rec_field *f, size_t n);

#endif
