/* Unit tests for src/lib/store/store.c + store_sqlite.c: upsert outcomes, the
 * revision log, rollback of a page, checkpoints, coverage ranges, runs left
 * running by a dead process, the back-end chosen by scheme (a PostgreSQL URL
 * with a password refused before connecting, the password never shown), typed rows that
 * refuse an unexpected type. Every read goes through dtc_store_query; raw
 * SQLite only plants what an older dtcost or another process wrote. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testdb.h"
#include "dtcost/store.h"

static char path[256];

static int setup(void **state)
{
    testdb_path(path, sizeof(path), "store");
    dtc_store *s = NULL;
    char err[256];
    assert_int_equal(dtc_store_open(&s, path, err, sizeof(err)), 0);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    dtc_store_close(*state);
    testdb_remove(path);
    return 0;
}

static int first_int(void *ctx, const dtc_row *row)
{
    return dtc_row_int(row, ctx, 0);
}

/* The integer in the first column of sql's first row (-1: no row). */
static long count(dtc_store *s, const char *sql)
{
    int64_t n = -1;
    assert_int_equal(dtc_store_query(s, sql, NULL, 0, first_int, &n), 0);
    return (long)n;
}

/* Write what an older dtcost, or a process now gone, left in the file: the
 * interface has no way to write it, by design. */
static void plant_sqlite(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static int put_cost(dtc_store *s, const char *day, int64_t micro, const char *booking, dtc_put *res)
{
    dtc_val k[] = {DTC_TEXT("sub-1"), DTC_TEXT(day)};
    dtc_val v[] = {DTC_INT(micro), DTC_TEXT("USD"), DTC_TEXT(booking)};
    return dtc_store_put(s, res, DTC_FACT_COST_DAY, k, v, booking);
}

static void test_store_put_inserts_then_keeps_then_updates_with_a_revision(void **state)
{
    dtc_store *s = *state;
    int64_t run;
    dtc_put res;
    assert_int_equal(dtc_store_run_begin(s, &run, "2026-11-23T00:00:00Z", NULL), 0);
    assert_int_equal(dtc_store_begin(s), 0);
    assert_int_equal(put_cost(s, "2026-11-20", 1500000, "2026-11-21T02:00:00Z", &res), 0);
    assert_int_equal(res, DTC_PUT_INSERTED);
    assert_int_equal(put_cost(s, "2026-11-20", 1500000, "2026-11-21T02:00:00Z", &res), 0);
    assert_int_equal(res, DTC_PUT_SAME);
    /* Only the booking date moved: an update, but not a restatement. */
    assert_int_equal(put_cost(s, "2026-11-20", 1500000, "2026-11-21T14:00:00Z", &res), 0);
    assert_int_equal(res, DTC_PUT_UPDATED);
    assert_int_equal(put_cost(s, "2026-11-20", 1750000, "2026-11-22T02:00:00Z", &res), 0);
    assert_int_equal(res, DTC_PUT_UPDATED);
    assert_int_equal(dtc_store_commit(s), 0);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM cost_day"), 1);
    assert_int_equal(count(s, "SELECT cost_micro FROM cost_day"), 1750000);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM revision"), 1);
    assert_int_equal(
        count(s, "SELECT CAST(old_value AS INTEGER) FROM revision WHERE key='sub-1|2026-11-20' "
                 "AND booking='2026-11-22T02:00:00Z'"),
        1500000);
    long restated = -1;
    assert_int_equal(dtc_store_restated_days(s, &restated, run), 0);
    assert_int_equal(restated, 1);
    dtc_run_stats st = {.requests = 3, .updated = 2, .restated_days = 1};
    assert_int_equal(dtc_store_run_end(s, run, "2026-11-23T00:01:00Z", "ok", &st, NULL), 0);
    assert_int_equal(count(s, "SELECT restated_days FROM sync_run WHERE status='ok'"), 1);
}

static void test_store_rollback_discards_the_whole_page(void **state)
{
    dtc_store *s = *state;
    dtc_put res;
    assert_int_equal(dtc_store_begin(s), 0);
    assert_int_equal(put_cost(s, "2026-11-01", 1, NULL, &res), 0);
    assert_int_equal(put_cost(s, "2026-11-02", 2, NULL, &res), 0);
    dtc_store_rollback(s);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM cost_day"), 0);
}

static void test_store_checkpoints_round_trip(void **state)
{
    dtc_store *s = *state;
    int64_t day = 0;
    int found = 1;
    assert_int_equal(dtc_store_checkpoint_get(s, &day, &found, "env_cost:sub-1"), 0);
    assert_int_equal(found, 0);
    assert_int_equal(dtc_store_checkpoint_set(s, "env_cost:sub-1", 20000), 0);
    assert_int_equal(dtc_store_checkpoint_set(s, "env_cost:sub-1", 20410), 0);
    assert_int_equal(dtc_store_checkpoint_get(s, &day, &found, "env_cost:sub-1"), 0);
    assert_int_equal(found, 1);
    assert_int_equal(day, 20410);
}

static void test_store_reopens_an_existing_database_and_refuses_a_password_in_a_url(void **state)
{
    dtc_store *s2 = NULL;
    char err[256];
    assert_int_equal(dtc_store_open(&s2, path, err, sizeof(err)), 0);
    dtc_store_close(s2);
    assert_int_equal(dtc_store_open(&s2, "postgres://user:s3cret@db/dtcost", err, sizeof(err)),
                     DTC_EINVAL);
    assert_null(s2);
    assert_non_null(strstr(err, "password in the URL"));
    assert_null(strstr(err, "s3cret")); /* the URL's password is never shown */
    assert_non_null(strstr(err, "postgres://user:***@db/dtcost"));
    /* libpq's own password parameter is a password in the URL too */
    assert_int_equal(dtc_store_open(&s2, "postgresql:///dtcost?host=/run/pg&password=s3cret&user=a",
                                    err, sizeof(err)),
                     DTC_EINVAL);
    assert_null(s2);
    assert_null(strstr(err, "s3cret"));
    assert_non_null(strstr(err, "postgresql:///dtcost?host=/run/pg&password=***&user=a"));
    assert_int_equal(dtc_store_open(&s2, "/nonexistent-dir/x.db", err, sizeof(err)), DTC_EDB);
    assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
}

static void test_store_migrates_a_version_1_database(void **state)
{
    dtc_store_close(*state);
    *state = NULL;
    unlink(path);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(
            db,
            "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "INSERT INTO meta VALUES('schema_version','1');"
            "CREATE TABLE rate_card(subscription_uuid TEXT NOT NULL, quote_number TEXT NOT NULL,"
            " capability_key TEXT NOT NULL, start_time TEXT NOT NULL, end_time TEXT, "
            "capability_name TEXT,"
            " price TEXT, quoted_price TEXT, unit TEXT, currency TEXT, deployment_type TEXT,"
            " PRIMARY KEY(subscription_uuid, quote_number, capability_key, start_time));"
            "INSERT INTO rate_card "
            "VALUES('acct-1','Q-1','CAP','2026-01-01','2027-01-01','n','1.5','1.5','u','USD',NULL)"
            ";",
            NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    dtc_store *s = NULL;
    char err[256];
    assert_int_equal(dtc_store_open(&s, path, err, sizeof(err)), 0);
    *state = s;
    assert_int_equal(count(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key='schema_version'"),
                     3);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM rate_card WHERE account_uuid='acct-1'"), 1);
    dtc_val k[] = {DTC_TEXT("acct-1"), DTC_TEXT("Q-1"), DTC_TEXT("CAP"), DTC_TEXT("2026-01-01")};
    dtc_val v[] = {DTC_TEXT("2027-01-01"), DTC_TEXT("n"),   DTC_TEXT("1.5"), DTC_TEXT("1.5"),
                   DTC_TEXT("u"),          DTC_TEXT("USD"), DTC_NULL};
    dtc_put res;
    assert_int_equal(dtc_store_put(s, &res, DTC_FACT_RATE, k, v, NULL), 0);
    assert_int_equal(res, DTC_PUT_SAME);
}

/* Does scope's coverage read exactly as the n ranges in want, and is it
 * stored as n rows (merged when added, not only when read)? */
static void assert_coverage(dtc_store *s, const char *scope, const dtc_day_range *want, size_t n)
{
    dtc_day_range *got = NULL;
    size_t ngot = 99;
    char sql[160];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM coverage WHERE scope='%s'", scope);
    assert_int_equal(count(s, sql), n);
    assert_int_equal(dtc_store_coverage_get(s, &got, &ngot, scope), 0);
    assert_int_equal(ngot, n);
    if (n == 0) assert_null(got);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(got[i].first, want[i].first);
        assert_int_equal(got[i].last, want[i].last);
    }
    free(got);
}

static void test_store_coverage_merges_overlapping_adjacent_and_contained_ranges(void **state)
{
    dtc_store *s = *state;
    const char *sc = "envcost:sub-1";
    assert_coverage(s, sc, NULL, 0);
    assert_int_equal(dtc_store_coverage_add(s, sc, 20010, 20020), 0);
    assert_int_equal(dtc_store_coverage_add(s, sc, 20030, 20040), 0); /* disjoint */
    assert_coverage(s, sc, (dtc_day_range[]){{20010, 20020}, {20030, 20040}}, 2);
    assert_int_equal(dtc_store_coverage_add(s, sc, 20021, 20025), 0); /* adjacent after */
    assert_coverage(s, sc, (dtc_day_range[]){{20010, 20025}, {20030, 20040}}, 2);
    assert_int_equal(dtc_store_coverage_add(s, sc, 20026, 20029),
                     0); /* closes the gap: adjacent both sides */
    assert_coverage(s, sc, (dtc_day_range[]){{20010, 20040}}, 1);
    assert_int_equal(dtc_store_coverage_add(s, sc, 20015, 20018), 0); /* contained */
    assert_int_equal(dtc_store_coverage_add(s, sc, 20005, 20012), 0); /* overlaps the start */
    assert_coverage(s, sc, (dtc_day_range[]){{20005, 20040}}, 1);
    /* Out of order: a late day first, then a backfill, then what lies between. */
    assert_int_equal(dtc_store_coverage_add(s, sc, 20100, 20100), 0);
    assert_int_equal(dtc_store_coverage_add(s, sc, 19900, 19950), 0);
    assert_int_equal(dtc_store_coverage_add(s, sc, 20060, 20070), 0);
    assert_coverage(
        s, sc, (dtc_day_range[]){{19900, 19950}, {20005, 20040}, {20060, 20070}, {20100, 20100}},
        4);
    assert_int_equal(dtc_store_coverage_add(s, sc, 20004, 20004), 0); /* adjacent before */
    assert_int_equal(dtc_store_coverage_add(s, sc, 20041, 20099),
                     0); /* swallows one, touches two */
    assert_coverage(s, sc, (dtc_day_range[]){{19900, 19950}, {20004, 20100}}, 2);
    assert_int_equal(dtc_store_coverage_add(s, sc, 19000, 21000), 0); /* contains everything */
    assert_coverage(s, sc, (dtc_day_range[]){{19000, 21000}}, 1);
    /* Merged in the table, not only in the answer; other scopes untouched. */
    assert_int_equal(count(s, "SELECT COUNT(*) FROM coverage"), 1);
    assert_int_equal(
        count(
            s,
            "SELECT COUNT(*) FROM coverage WHERE first_day='2022-01-08' AND last_day='2027-07-01'"),
        1);
    assert_coverage(s, "envcost:sub-2", NULL, 0);
    assert_int_equal(dtc_store_coverage_add(s, "envcost:sub-2", 20020, 20020), 0);
    assert_coverage(s, "envcost:sub-2", (dtc_day_range[]){{20020, 20020}}, 1);
    assert_coverage(s, sc, (dtc_day_range[]){{19000, 21000}}, 1);
    /* A range that ends before it starts is refused and changes nothing. */
    assert_int_equal(dtc_store_coverage_add(s, sc, 20010, 20009), DTC_EINVAL);
    assert_non_null(strstr(dtc_store_errmsg(s), sc));
    assert_coverage(s, sc, (dtc_day_range[]){{19000, 21000}}, 1);
}

static void test_store_coverage_keeps_thousands_of_ranges_apart_then_merges_them(void **state)
{
    dtc_store *s = *state;
    enum { N = 4000 };
    const char *sc = "envcost:sub-1";
    /* Every other day, in a scrambled order (7919 is prime, so k * 7919 mod N
     * visits each k once). */
    assert_int_equal(dtc_store_begin(s), 0);
    for (long i = 0; i < N; i++) {
        long k = i * 7919 % N;
        assert_int_equal(dtc_store_coverage_add(s, sc, 18000 + 2 * k, 18000 + 2 * k), 0);
    }
    assert_int_equal(dtc_store_commit(s), 0);
    dtc_day_range *got = NULL;
    size_t n = 0;
    assert_int_equal(dtc_store_coverage_get(s, &got, &n, sc), 0);
    assert_int_equal(n, N);
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(got[k].first, 18000 + 2 * (int64_t)k);
        assert_int_equal(got[k].last, 18000 + 2 * (int64_t)k);
    }
    free(got);
    /* Filling the gaps, again scrambled, leaves one range and one row. */
    assert_int_equal(dtc_store_begin(s), 0);
    for (long i = 0; i < N - 1; i++) {
        long k = i * 7919 % (N - 1);
        assert_int_equal(dtc_store_coverage_add(s, sc, 18001 + 2 * k, 18001 + 2 * k), 0);
    }
    assert_int_equal(dtc_store_commit(s), 0);
    assert_coverage(s, sc, (dtc_day_range[]){{18000, 18000 + 2 * (N - 1)}}, 1);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM coverage"), 1);
}

static void test_store_coverage_add_is_rolled_back_with_its_rows(void **state)
{
    dtc_store *s = *state;
    dtc_put res;
    assert_int_equal(dtc_store_coverage_add(s, "envcost:sub-1", 20000, 20009), 0);
    assert_int_equal(dtc_store_begin(s), 0);
    assert_int_equal(put_cost(s, "2024-10-28", 1, NULL, &res), 0);
    assert_int_equal(dtc_store_coverage_add(s, "envcost:sub-1", 20010, 20020), 0);
    dtc_store_rollback(s);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM cost_day"), 0);
    assert_coverage(s, "envcost:sub-1", (dtc_day_range[]){{20000, 20009}}, 1);
    assert_int_equal(dtc_store_begin(s), 0);
    assert_int_equal(dtc_store_coverage_add(s, "envcost:sub-1", 20010, 20020), 0);
    assert_int_equal(dtc_store_commit(s), 0);
    assert_coverage(s, "envcost:sub-1", (dtc_day_range[]){{20000, 20020}}, 1);
}

/* A pid no process has: a child that has exited and been reaped. */
static pid_t dead_pid(void)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return pid;
}

static void test_store_run_begin_marks_runs_of_dead_processes_interrupted(void **state)
{
    dtc_store *s = *state;
    char host[256], sql[2048];
    assert_int_equal(gethostname(host, sizeof(host)), 0);
    host[sizeof(host) - 1] = '\0';
    pid_t dead = dead_pid();
    snprintf(
        sql, sizeof(sql),
        "INSERT INTO sync_run(id,started_at,status,pid,host) VALUES"
        "(1,'2026-11-20T00:00:00Z','running',%d,'%s'),"   /* killed: interrupted */
        "(2,'2026-11-20T01:00:00Z','running',%d,'%s'),"   /* this process: left alone */
        "(3,'2026-11-20T02:00:00Z','running',NULL,NULL)," /* an older version: interrupted */
        "(4,'2026-11-20T03:00:00Z','running',%d,'another-host.example')," /* cannot tell: left */
        "(5,'2026-11-20T04:00:00Z','ok',%d,'%s')",                        /* finished: left */
        (int)dead, host, (int)getpid(), host, (int)dead, (int)dead, host);
    plant_sqlite(sql);
    long n = -1;
    assert_int_equal(dtc_store_runs_interrupted(s, &n), 0);
    assert_int_equal(n, 0);
    int64_t run;
    assert_int_equal(dtc_store_run_begin(s, &run, "2026-11-23T00:00:00Z", NULL), 0);
    assert_int_equal(dtc_store_runs_interrupted(s, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(
        count(s, "SELECT COUNT(*) FROM sync_run WHERE status='interrupted' AND id IN (1,3)"
                 " AND finished_at IS NULL AND message LIKE 'interrupted: %killed or crashed%'"),
        2);
    assert_int_equal(
        count(s, "SELECT COUNT(*) FROM sync_run WHERE status='running' AND id IN (2,4)"), 2);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM sync_run WHERE id=5 AND status='ok'"), 1);
    /* The new run names its process, so the next one can tell it is alive. */
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM sync_run WHERE id=%lld AND status='running' AND pid=%d"
             " AND host='%s'",
             (long long)run, (int)getpid(), host);
    assert_int_equal(count(s, sql), 1);
    int64_t run2;
    assert_int_equal(dtc_store_run_begin(s, &run2, "2026-11-23T01:00:00Z", NULL), 0);
    assert_int_equal(dtc_store_runs_interrupted(s, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM sync_run WHERE status='running'"), 4);
}

static void test_store_adds_pid_and_host_to_an_older_sync_run(void **state)
{
    dtc_store_close(*state);
    *state = NULL;
    unlink(path);
    plant_sqlite(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT INTO meta VALUES('schema_version','2');"
        "CREATE TABLE sync_run(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL,"
        " finished_at TEXT, status TEXT NOT NULL, requests INTEGER, retries INTEGER, inserted "
        "INTEGER,"
        " updated INTEGER, restated_days INTEGER, warnings INTEGER, message TEXT);"
        "INSERT INTO sync_run(started_at,status) VALUES('2026-11-20T00:00:00Z','running');");
    dtc_store *s = NULL;
    char err[256];
    for (int i = 0; i < 2; i++) { /* opening again finds the columns and leaves them */
        dtc_store_close(s);
        assert_int_equal(dtc_store_open(&s, path, err, sizeof(err)), 0);
    }
    *state = s;
    assert_int_equal(
        count(s, "SELECT COUNT(*) FROM pragma_table_info('sync_run') WHERE name IN ('pid','host')"),
        2);
    int64_t run;
    long n = -1;
    assert_int_equal(dtc_store_run_begin(s, &run, "2026-11-23T00:00:00Z", NULL), 0);
    assert_int_equal(dtc_store_runs_interrupted(s, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM sync_run WHERE status='interrupted'"), 1);
}

static void test_store_alloc_value_listed_again_is_the_same(void **state)
{
    dtc_store *s = *state;
    dtc_put res;
    dtc_val k[] = {DTC_TEXT("acct-1"), DTC_TEXT("COSTCENTER"), DTC_TEXT("CC-100")};
    assert_int_equal(dtc_store_put(s, &res, DTC_FACT_ALLOC_VALUE, k,
                                   (dtc_val[]){DTC_TEXT("2026-11-20T00:00:00Z")}, NULL),
                     0);
    assert_int_equal(res, DTC_PUT_INSERTED);
    assert_int_equal(dtc_store_put(s, &res, DTC_FACT_ALLOC_VALUE, k,
                                   (dtc_val[]){DTC_TEXT("2026-11-23T00:00:00Z")}, NULL),
                     0);
    assert_int_equal(res, DTC_PUT_SAME);
    dtc_val p[] = {DTC_TEXT("acct-1"), DTC_TEXT("PRODUCT"), DTC_TEXT("CC-100")};
    assert_int_equal(dtc_store_put(s, &res, DTC_FACT_ALLOC_VALUE, p,
                                   (dtc_val[]){DTC_TEXT("2026-11-23T00:00:00Z")}, NULL),
                     0);
    assert_int_equal(res, DTC_PUT_INSERTED);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM cost_allocation_value"), 2);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM cost_allocation_value WHERE field='COSTCENTER'"
                              " AND first_seen_at='2026-11-20T00:00:00Z'"),
                     1);
    assert_int_equal(count(s, "SELECT COUNT(*) FROM revision"), 0);
}

typedef struct typed {
    int64_t i;
    double r;
    const char *t;
    int rc[4];
} typed;

/* Columns: integer, real, text, NULL; each read with the accessor of another
 * type (rc[0..2]) and the NULL with a strict one (rc[3]). */
static int read_crossed(void *ctx, const dtc_row *row)
{
    typed *x = ctx;
    assert_int_equal(dtc_row_columns(row), 4);
    assert_int_equal(dtc_row_int(row, &x->i, 0), 0);
    assert_int_equal(dtc_row_real(row, &x->r, 1), 0);
    assert_int_equal(dtc_row_text(row, &x->t, 2), 0);
    double widened;
    assert_int_equal(dtc_row_real(row, &widened, 0), 0); /* the one conversion */
    assert_true(widened == 7.0);
    int64_t i;
    double r;
    const char *t;
    x->rc[0] = dtc_row_int(row, &i, 2);
    x->rc[1] = dtc_row_int(row, &i, 1);
    x->rc[2] = dtc_row_text(row, &t, 0);
    x->rc[3] = dtc_row_int(row, &i, 3);
    assert_true(dtc_row_is_null(row, 3));
    assert_int_equal(dtc_row_int_or(row, &i, 3, -5), 0);
    assert_int_equal(i, -5);
    assert_int_equal(dtc_row_text_or(row, &t, 3, "none"), 0);
    assert_string_equal(t, "none");
    assert_int_equal(dtc_row_real_or(row, &r, 3, 0.5), 0);
    assert_true(r == 0.5);
    assert_int_equal(dtc_row_int(row, &i, 4), DTC_EDB); /* no such column */
    return 0;
}

static void test_store_rows_refuse_an_unexpected_type_or_null(void **state)
{
    dtc_store *s = *state;
    typed x = {0};
    dtc_val p[] = {DTC_INT(7), DTC_TEXT("x")};
    assert_int_equal(dtc_store_query(s, "SELECT ?, 2.5, ?, NULL", p, 2, read_crossed, &x), 0);
    assert_int_equal(x.i, 7);
    assert_true(x.r == 2.5);
    for (int i = 0; i < 4; i++)
        assert_int_equal(x.rc[i], DTC_EDB);
    /* The message names the column and both types. */
    int64_t n;
    assert_int_equal(dtc_store_query(s, "SELECT 'abc'", NULL, 0, first_int, &n), DTC_EDB);
    assert_non_null(strstr(dtc_store_errmsg(s), "column 1 is text, expected an integer"));
    /* A sum that is not an integer is an error, not 0. */
    assert_int_equal(
        dtc_store_query(s, "SELECT SUM(x) FROM (SELECT 1.5 AS x)", NULL, 0, first_int, &n),
        DTC_EDB);
    assert_non_null(strstr(dtc_store_errmsg(s), "is a real"));
}

static void test_store_query_checks_placeholders_and_refuses_writes(void **state)
{
    dtc_store *s = *state;
    int64_t n = -1;
    dtc_val p[] = {DTC_TEXT("it's ? here")};
    /* A ? inside a quoted string is not a placeholder. */
    assert_int_equal(dtc_store_query(s, "SELECT COUNT(*) FROM cost_day WHERE day = ? OR day = '?'",
                                     p, 1, first_int, &n),
                     0);
    assert_int_equal(n, 0);
    assert_int_equal(
        dtc_store_query(s, "SELECT COUNT(*) FROM cost_day WHERE day = ?", NULL, 0, first_int, &n),
        DTC_EINVAL);
    assert_non_null(strstr(dtc_store_errmsg(s), "1 placeholders, 0 values"));
    assert_int_equal(dtc_store_query(s, "DELETE FROM cost_day", NULL, 0, first_int, &n),
                     DTC_EINVAL);
    assert_int_equal(dtc_store_query(s, "SELECT nonsense FROM", NULL, 0, first_int, &n), DTC_EDB);
}

static void test_store_picks_the_back_end_by_scheme(void **state)
{
    dtc_store *s = *state;
    dtc_put res;
    assert_int_equal(put_cost(s, "2026-11-20", 42, NULL, &res), 0);
    dtc_store *again = NULL;
    char err[256], target[300];
    snprintf(target, sizeof(target), "sqlite:%s", path);
    assert_int_equal(dtc_store_open(&again, target, err, sizeof(err)), 0);
    assert_int_equal(count(again, "SELECT cost_micro FROM cost_day"), 42); /* the same file */
    dtc_store_close(again);
}

/* Every form of a password in a URL that libpq reads as one is refused
 * before connecting, and the refusal shows the URL with the secret starred
 * out: a ? or & inside the user info (libpq reads it up to the first @
 * before the first /), a percent-encoded keyword, sslpassword (the client
 * key's passphrase). */
static void test_store_refuses_every_form_of_a_password_in_a_url_without_showing_it(void **state)
{
    (void)state;
    static const struct {
        const char *url, *shown;
    } cases[] = {
        {"postgres://user:pa?ss3cret@db/dtcost", "postgres://user:***@db/dtcost"},
        {"postgres://user:s3cret?x=1@db/dtcost?sslmode=require",
         "postgres://user:***@db/dtcost?sslmode=require"},
        {"postgresql://user:a&b=s3cret@db/dtcost", "postgresql://user:***@db/dtcost"},
        {"postgresql:///dtcost?host=/run/pg&pass%77ord=s3cret&user=a",
         "postgresql:///dtcost?host=/run/pg&pass%77ord=***&user=a"},
        {"postgresql:///dtcost?%70assword=s3cret", "postgresql:///dtcost?%70assword=***"},
        {"postgresql://db/dtcost?sslpassword=s3cret&sslmode=verify-full",
         "postgresql://db/dtcost?sslpassword=***&sslmode=verify-full"},
        {"postgresql://db/dtcost?ssl%70assword=s3cret", "postgresql://db/dtcost?ssl%70assword=***"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dtc_store *s2 = NULL;
        char err[512];
        assert_int_equal(dtc_store_open(&s2, cases[i].url, err, sizeof(err)), DTC_EINVAL);
        assert_null(s2);
        if (strstr(err, "s3cret")) fail_msg("%s: the message shows the password", cases[i].shown);
        if (!strstr(err, "password in the URL") || !strstr(err, cases[i].shown))
            fail_msg("%s: %s", cases[i].shown, err);
    }
}

/* Reconnecting is for a server's connection: a SQLite file has none, and
 * the call says so without touching what the handle holds. */
static void test_store_sqlite_has_no_connection_to_reconnect(void **state)
{
    dtc_store *s = *state;
    dtc_put res;
    assert_int_equal(dtc_store_lock(s, "sync of account a", 0, NULL), 0);
    int committed = -1;
    assert_int_equal(dtc_store_reconnect(s, &committed, 1000, 1000, NULL), DTC_EINVAL);
    assert_int_equal(committed, 0);
    assert_non_null(strstr(dtc_store_errmsg(s), "no connection to re-establish"));
    assert_int_equal(put_cost(s, "2026-11-20", 42, NULL, &res), 0);
    assert_int_equal(res, DTC_PUT_INSERTED);
    assert_int_equal(dtc_store_lock(s, "sync of account a", 0, NULL), 0); /* still held */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_store_put_inserts_then_keeps_then_updates_with_a_revision, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_rollback_discards_the_whole_page, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_checkpoints_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_reopens_an_existing_database_and_refuses_a_password_in_a_url, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_store_migrates_a_version_1_database, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_coverage_merges_overlapping_adjacent_and_contained_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_coverage_keeps_thousands_of_ranges_apart_then_merges_them, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_coverage_add_is_rolled_back_with_its_rows, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_store_run_begin_marks_runs_of_dead_processes_interrupted, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_adds_pid_and_host_to_an_older_sync_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_alloc_value_listed_again_is_the_same, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_rows_refuse_an_unexpected_type_or_null, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_query_checks_placeholders_and_refuses_writes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_picks_the_back_end_by_scheme, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_sqlite_has_no_connection_to_reconnect, setup,
                                        teardown),
        cmocka_unit_test(test_store_refuses_every_form_of_a_password_in_a_url_without_showing_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
