/* cmd_export.c: `dtcost export`: CSV, JSON Lines or FOCUS to a file or stdout. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dtcost/config.h"
#include "dtcost/export.h"
#include "dtcost/store.h"
#include "opts.h"

static const char *db_path, *format, *out_path, *focus_version, *issuer;
static int64_t from, to;

static const opt export_opts[] = {
    {"format", OPT_CHOICE, &format, "csv|jsonl|focus", "csv, JSON Lines, or FOCUS 1.2 cost and usage CSV (default csv)"},
    {"since|from", OPT_TIME, &from, "DATE", "first day (default: the first in the database)"},
    {"until|to", OPT_TIME, &to, "DATE", "last day, inclusive (default: the last in the database)"},
    {"out", OPT_STR, &out_path, "FILE", "write here (atomically: all or nothing) instead of stdout"},
    {"db", OPT_STR, &db_path, "PATH", "SQLite database file (or DTCOST_DB; default dtcost.db)"},
    {"focus-version", OPT_STR, &focus_version, "1.2|1.3", "FOCUS version; 1.3 adds ServiceProviderName and HostProviderName (default 1.2)"},
    {"invoice-issuer", OPT_STR, &issuer, "NAME", "FOCUS InvoiceIssuerName, e.g. a reseller (default Dynatrace)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec export_spec = {
    "export", "",
    "Write one row per subscription, environment, capability and day (cost,\n"
    "usage, prices) as CSV, JSON Lines or FOCUS CSV, streaming: memory does not\n"
    "grow with the row count. FOCUS mapping: docs/focus.md.",
    export_opts,
};

int cmd_export(int argc, char **argv)
{
    db_path = format = out_path = focus_version = issuer = NULL;
    from = to = 0;
    int npos = 0;
    int code = opt_parse(&export_spec, argc, argv, &npos);
    if (code >= 0)
        return code;
    if (npos > 0)
        return opt_usage_error(&export_spec, "unexpected argument '%s'", argv[1]);
    dtc_export_opts o = {.from = from ? from / 86400 : -1, .to = to ? to / 86400 : -1, .focus_minor = 2,
                         .invoice_issuer = issuer};
    if (!format || strcmp(format, "csv") == 0)
        o.format = DTC_EXPORT_CSV;
    else if (strcmp(format, "jsonl") == 0)
        o.format = DTC_EXPORT_JSONL;
    else if (strcmp(format, "focus") == 0)
        o.format = DTC_EXPORT_FOCUS;
    else
        return opt_usage_error(&export_spec, "--format takes csv, jsonl or focus, not '%s'", format);
    if (focus_version && strcmp(focus_version, "1.2") != 0 && strcmp(focus_version, "1.3") != 0)
        return opt_usage_error(&export_spec, "--focus-version takes 1.2 or 1.3, not '%s'", focus_version);
    if (focus_version && strcmp(focus_version, "1.3") == 0)
        o.focus_minor = 3;
    if (o.from >= 0 && o.to >= 0 && o.to < o.from)
        return opt_usage_error(&export_spec, "--to is before --from");
    dtc_config_file file = {0}; /* [dtcost] database only */
    dtc_store *db = NULL;
    char err[512], tmp[4096] = "";
    int rc = dtc_config_file_load(&file, NULL);
    if (rc) {
        fprintf(stderr, "dtcost export: %s\n", file.err);
        dtc_config_file_dispose(&file);
        return opt_exit_for(rc);
    }
    db_path = dtc_config_db_path(db_path, &file);
    if ((rc = dtc_config_db_require(db_path, err, sizeof(err))) == 0)
        rc = dtc_store_open(&db, db_path, err, sizeof(err));
    if (rc) {
        dtc_config_file_dispose(&file);
        fprintf(stderr, "dtcost export: %s\n", err);
        return rc == DTC_ENOTFOUND ? DTC_EXIT_NOINPUT : opt_exit_for(rc);
    }
    FILE *out = stdout;
    if (out_path) {
        snprintf(tmp, sizeof(tmp), "%s.tmp.%d", out_path, (int)getpid());
        if (!(out = fopen(tmp, "w"))) {
            fprintf(stderr, "dtcost export: cannot write %s: %s\n", tmp, strerror(errno));
            dtc_store_close(db);
            dtc_config_file_dispose(&file);
            return DTC_EXIT_IOERR;
        }
    }
    dtc_export_stats st;
    rc = dtc_export_write(db, &o, out, &st);
    if (out_path) {
        if (fclose(out) != 0 && rc == 0)
            rc = DTC_EIO;
        if (rc == 0 && rename(tmp, out_path) != 0) {
            fprintf(stderr, "dtcost export: cannot move the file into %s: %s\n", out_path, strerror(errno));
            rc = DTC_EIO;
        }
        if (rc)
            unlink(tmp); /* nothing half-written is left behind */
    }
    if (rc == DTC_EIO)
        fprintf(stderr, "dtcost export: writing %s failed: %s\n", out_path ? out_path : "stdout", strerror(errno));
    else if (rc)
        fprintf(stderr, "dtcost export: %s\n", dtc_store_errmsg(db));
    else if (out_path)
        fprintf(stderr, "dtcost export: %ld rows (%ld corrections) to %s\n", st.rows, st.corrections, out_path);
    dtc_store_close(db);
    dtc_config_file_dispose(&file);
    return opt_exit_for(rc);
}
