/* cmd_db.c: `dtcost db copy`, every table of one database into another
 * (SQLite to PostgreSQL and back), so moving needs no re-sync. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "dtcost/store.h"
#include "opts.h"

static const char *from, *to;

static const opt db_opts[] = {
    {"from", OPT_STR, &from, "DB",
     "the database to read: a SQLite path, sqlite:PATH or postgres://..."},
    {"to", OPT_STR, &to, "DB", "the database to write (created or migrated when needed)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec db_spec = {
    "db",
    "copy",
    "copy: every table of --from into --to: facts, the revision log and runs\n"
    "with their ids, checkpoints, coverage and the delivery outbox. A row already\n"
    "in --to is overwritten with --from's values, so copying again changes\n"
    "nothing; one transaction, so a failed copy leaves --to as it was. A server's\n"
    "password comes from ~/.pgpass, PGPASSFILE or DTCOST_DB_PASSWORD_FILE, never\n"
    "the URL. Exit 0 when copied, 74 on a database error, 69 when a server is\n"
    "unreachable, 78 on a bad target.",
    db_opts,
};

int cmd_db(int argc, char **argv)
{
    int npos = 0;
    from = to = NULL;
    int rc = opt_parse(&db_spec, argc, argv, &npos);
    if (rc >= 0) return rc;
    if (npos != 1 || strcmp(argv[1], "copy") != 0)
        return opt_usage_error(&db_spec,
                               "the only action is copy: dtcost db copy --from DB --to DB");
    if (!from || !to) return opt_usage_error(&db_spec, "copy needs --from DB and --to DB");
    if (strcmp(from, to) == 0)
        return opt_usage_error(&db_spec, "--from and --to name the same database");
    if (dtc_store_target_missing(from)) {
        fprintf(stderr, "dtcost db: %s does not exist: check --from\n", from);
        return DTC_EXIT_NOINPUT;
    }
    dtc_store *src = NULL, *dst = NULL;
    char err[512];
    if ((rc = dtc_store_open(&src, from, err, sizeof(err))) != 0 ||
        (rc = dtc_store_open(&dst, to, err, sizeof(err))) != 0) {
        fprintf(stderr, "dtcost db: %s\n", err);
        dtc_store_close(src);
        return opt_exit_for(rc);
    }
    dtc_copy_stats st;
    rc = dtc_store_copy(dst, &st, src);
    if (rc)
        fprintf(stderr, "dtcost db: copy failed, nothing written: %s\n", dtc_store_errmsg(dst));
    else
        printf("dtcost db: copied %ld rows of %ld tables\n", st.rows, st.tables);
    if (rc == 0 && st.rows > 0 && dtc_store_analyze(dst) != 0)
        fprintf(stderr, "dtcost db: warning: %s\n", dtc_store_errmsg(dst));
    dtc_store_close(src);
    dtc_store_close(dst);
    return opt_exit_for(rc);
}
