/* record.c: result rows as JSON Lines or RFC 4180 CSV from one field list. */
#include "record.h"

#include <string.h>

#include "buf.h"
#include "jw.h"

static void csv_field(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void rec_csv_header(FILE *out, const rec_field *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', out);
        csv_field(out, f[i].key);
    }
    fputs("\r\n", out);
}

static int write_csv(FILE *out, const rec_field *f, size_t n, bool header)
{
    if (header) rec_csv_header(out, f, n);
    for (size_t i = 0; i < n; i++) {
        if (i) fputc(',', out);
        switch (f[i].kind) {
        case REC_STR:
            csv_field(out, f[i].s ? f[i].s : "");
            break;
        case REC_NUM:
            csv_field(out, f[i].s ? f[i].s : "");
            break;
        case REC_INT:
            fprintf(out, "%lld", f[i].i);
            break;
        case REC_BOOL:
            fputs(f[i].i ? "true" : "false", out);
            break;
        }
    }
    fputs("\r\n", out);
    return 0;
}

static int write_json(FILE *out, const rec_field *f, size_t n)
{
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_SMALL);
    int rc = dtc_buf_addc(&b, '{');
    for (size_t i = 0; i < n && !rc; i++) {
        if (i) rc = dtc_buf_addc(&b, ',');
        if (!rc) rc = dtc_json_quote(&b, f[i].key, strlen(f[i].key));
        if (!rc) rc = dtc_buf_addc(&b, ':');
        if (rc) break;
        switch (f[i].kind) {
        case REC_STR:
            rc = f[i].s ? dtc_json_quote(&b, f[i].s, strlen(f[i].s)) : dtc_buf_adds(&b, "null");
            break;
        case REC_NUM:
            rc = dtc_buf_adds(&b, f[i].s && *f[i].s ? f[i].s : "null");
            break;
        case REC_INT:
            rc = dtc_buf_printf(&b, "%lld", f[i].i);
            break;
        case REC_BOOL:
            rc = dtc_buf_adds(&b, f[i].i ? "true" : "false");
            break;
        }
    }
    if (!rc) rc = dtc_buf_adds(&b, "}\n");
    if (!rc) fwrite(b.data, 1, b.len, out);
    dtc_buf_dispose(&b);
    return rc ? -1 : 0;
}

int rec_write(FILE *out, const char *fmt, const rec_field *f, size_t n, bool header)
{
    return strcmp(fmt, "csv") == 0 ? write_csv(out, f, n, header) : write_json(out, f, n);
}
