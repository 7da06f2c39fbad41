/* Unit tests for dtc_store_put_many (store.c, store_pg.c): a batch leaves
 * the rows, revisions and counts that the same puts one by one leave in
 * SQLite, across statement boundaries, with keys repeated inside a batch,
 * text that array literals must escape, NULLs, integer keys, first-seen
 * values and reals; a failing batch leaves nothing; dtc_store_copy into the
 * back-end fails whole at each failed allocation. The back-end under test
 * is SQLite, or the PostgreSQL database named by DTCOST_TEST_PG_URL
 * (tests/scenario/postgres_put_many_matches_sqlite_row_by_row.py starts a
 * throwaway cluster and runs this program against it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "buf.h"
#include "testdb.h"
#include "dtcost/store.h"

typedef struct fixture {
    dtc_store *ref;   /* SQLite, one put at a time */
    dtc_store *sub;   /* the back-end under test, batches */
    char target[512]; /* sub's database */
    bool pg;
} fixture;

static char ref_path[256], sub_path[256];

static int setup(void **state)
{
    static int n;
    static fixture f;
    char err[256];
    const char *pg = getenv("DTCOST_TEST_PG_URL");
    f.pg = pg && *pg;
    testdb_path(ref_path, sizeof(ref_path), "store_batch_ref");
    testdb_path(sub_path, sizeof(sub_path), "store_batch");
    /* A schema per test: each starts empty. */
    if (f.pg)
        snprintf(f.target, sizeof(f.target), "%s%sschema=batch_%d", pg, strchr(pg, '?') ? "&" : "?",
                 ++n);
    else
        snprintf(f.target, sizeof(f.target), "%s", sub_path);
    assert_int_equal(dtc_store_open(&f.ref, ref_path, err, sizeof(err)), 0);
    if (dtc_store_open(&f.sub, f.target, err, sizeof(err)) != 0) fail_msg("%s", err);
    int64_t a, b;
    assert_int_equal(dtc_store_run_begin(f.ref, &a, "2026-11-22T06:00:00Z", NULL), 0);
    assert_int_equal(dtc_store_run_begin(f.sub, &b, "2026-11-22T06:00:00Z", NULL), 0);
    assert_int_equal(a, b);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dtc_store_close(f->ref);
    dtc_store_close(f->sub);
    testdb_remove(ref_path);
    testdb_remove(sub_path);
    return 0;
}

static long count_rows(dtc_store *s, const char *sql);

/* The same puts into both: ref one at a time, sub as one batch, each in a
 * transaction; the counts must agree. On PostgreSQL, when own_rows >= 0,
 * that many of the table's row versions must have been written by the
 * batch's transaction itself rather than in a savepoint, where a COPY goes
 * (store_pg.c): which way the batch took (own_sql counts them). */
static void put_both_own(fixture *f, dtc_fact fact, const dtc_val *k, const dtc_val *v,
                         const char *const *booking, size_t n, size_t nk, size_t nv,
                         const char *own_sql, long own_rows)
{
    dtc_put_counts want = {0}, got;
    assert_int_equal(dtc_store_begin(f->ref), 0);
    for (size_t i = 0; i < n; i++) {
        dtc_put r;
        assert_int_equal(
            dtc_store_put(f->ref, &r, fact, k + i * nk, v + i * nv, booking ? booking[i] : NULL),
            0);
        (*(r == DTC_PUT_INSERTED  ? &want.inserted
           : r == DTC_PUT_UPDATED ? &want.updated
                                  : &want.same))++;
    }
    assert_int_equal(dtc_store_commit(f->ref), 0);
    assert_int_equal(dtc_store_begin(f->sub), 0);
    if (dtc_store_put_many(f->sub, &got, fact, k, v, booking, n) != 0)
        fail_msg("%s", dtc_store_errmsg(f->sub));
    if (f->pg && own_sql && own_rows >= 0) assert_int_equal(count_rows(f->sub, own_sql), own_rows);
    assert_int_equal(dtc_store_commit(f->sub), 0);
    assert_int_equal(got.inserted, want.inserted);
    assert_int_equal(got.updated, want.updated);
    assert_int_equal(got.same, want.same);
}

static void put_both(fixture *f, dtc_fact fact, const dtc_val *k, const dtc_val *v,
                     const char *const *booking, size_t n, size_t nk, size_t nv)
{
    put_both_own(f, fact, k, v, booking, n, nk, nv, NULL, -1);
}

typedef struct dump {
    dtc_buf b;
    long rows;
} dump;

static int dump_row(void *ctx, const dtc_row *row)
{
    dump *d = ctx;
    dtc_buf *b = &d->b;
    int err = 0;
    d->rows++;
    for (int c = 0; c < dtc_row_columns(row); c++) {
        int64_t i;
        double r;
        const char *t;
        if (dtc_row_is_null(row, c))
            err |= dtc_buf_adds(b, "|NULL");
        else if (dtc_row_int(row, &i, c) == 0)
            err |= dtc_buf_printf(b, "|i%lld", (long long)i);
        else if (dtc_row_real(row, &r, c) == 0)
            err |= dtc_buf_printf(b, "|r%.17g", r);
        else if (dtc_row_text(row, &t, c) == 0)
            err |= dtc_buf_printf(b, "|'%s'", t);
        else
            return -1;
    }
    return err | dtc_buf_addc(b, '\n');
}

/* Every row of sql in both databases, typed, must be the same: want_rows
 * of them, or at least -want_rows when it is negative. */
static void assert_same_rows(fixture *f, const char *sql, long want_rows)
{
    dump x = {.rows = 0}, y = {.rows = 0};
    dtc_buf_init(&x.b, (size_t)256 << 20);
    dtc_buf_init(&y.b, (size_t)256 << 20);
    assert_int_equal(dtc_store_query(f->ref, sql, NULL, 0, dump_row, &x), 0);
    if (dtc_store_query(f->sub, sql, NULL, 0, dump_row, &y) != 0)
        fail_msg("%s", dtc_store_errmsg(f->sub));
    if (want_rows >= 0)
        assert_int_equal(x.rows, want_rows);
    else
        assert_true(x.rows >= -want_rows);
    const dtc_buf *a = &x.b, *b = &y.b;
    if (a->len != b->len || (a->len && memcmp(a->data, b->data, a->len) != 0)) {
        size_t i = 0;
        while (i < a->len && i < b->len && a->data[i] == b->data[i])
            i++;
        fail_msg("%s: differs at byte %zu:\n sqlite: %.200s\n tested: %.200s", sql, i,
                 a->data ? a->data + i : "", b->data ? b->data + i : "");
    }
    dtc_buf_dispose(&x.b);
    dtc_buf_dispose(&y.b);
}

/* Text an array literal must quote or escape, and the empty string (not NULL). */
static const char *const tricky[] = {"a\"b", "c\\d", "{e,f}", "NULL", " g ", "h\ni",
                                     "ü€",   "",     "x'y",   "\\\"", "}",   "plain"};
#define NTRICKY (sizeof(tricky) / sizeof(tricky[0]))

enum { COST_ROWS = 12345 }; /* more than one statement's worth (store_pg.c: BATCH_ROWS) */

/* Row i's key: unique per i, except every 997th row repeats the key of three
 * rows before, with another value. */
static size_t key_of(size_t i)
{
    return i % 997 == 5 ? i - 3 : i;
}

static void cost_rows(size_t n, size_t first, int round, dtc_val *k, dtc_val *v,
                      const char **booking, char (*day)[16], char (*env)[16], char (*cap)[24])
{
    for (size_t r = 0; r < n; r++) {
        size_t i = first + r, j = key_of(i);
        snprintf(env[r], sizeof(env[r]), "env-%zu", j % 10);
        snprintf(cap[r], sizeof(cap[r]), "CAP_%zu", (j / 10) % 20);
        snprintf(day[r], sizeof(day[r]), "2026-%02zu-%02zu", 1 + (j / 200) / 28 % 12,
                 1 + (j / 200) % 28);
        dtc_val kk[] = {DTC_TEXT(j / 200 / 336 ? "sub-2" : "sub-1"), DTC_TEXT(env[r]),
                        DTC_TEXT(cap[r]), DTC_TEXT(day[r])};
        /* The second round restates every fourth cost. */
        int64_t cost = (int64_t)i * 1000 + 7 + (round == 2 && i % 4 == 0 ? 11 : 0);
        dtc_val vv[] = {DTC_INT(cost), DTC_TEXT("USD"),
                        i % 3 ? DTC_TEXT(round == 2 ? "2026-03-01" : "2026-02-01") : DTC_NULL,
                        i % 5 ? DTC_TEXT(tricky[i % NTRICKY]) : DTC_NULL,
                        DTC_TEXT(tricky[(i / 3) % NTRICKY])};
        memcpy(k + 4 * r, kk, sizeof(kk));
        memcpy(v + 5 * r, vv, sizeof(vv));
        booking[r] = i % 3 ? vv[2].s : NULL;
    }
}

static void
test_store_batch_matches_puts_one_by_one_across_statements_and_repeated_keys(void **state)
{
    fixture *f = *state;
    size_t n = COST_ROWS;
    dtc_val *k = calloc(n * 4, sizeof(*k)), *v = calloc(n * 5, sizeof(*v));
    const char **booking = calloc(n, sizeof(*booking));
    char(*day)[16] = calloc(n, sizeof(*day)), (*env)[16] = calloc(n, sizeof(*env));
    char(*cap)[24] = calloc(n, sizeof(*cap));
    assert_non_null(k && v && booking && day && env && cap);
    /* Round 1: every row new (the repeated keys: updated, with a revision). */
    cost_rows(n, 0, 1, k, v, booking, day, env, cap);
    put_both(f, DTC_FACT_ENV_COST_DAY, k, v, booking, n, 4, 5);
    /* Round 2: the first 6000 again, every fourth restated with a booking,
     * the rest the same; then 500 new ones. */
    cost_rows(6000, 0, 2, k, v, booking, day, env, cap);
    put_both(f, DTC_FACT_ENV_COST_DAY, k, v, booking, 6000, 4, 5);
    cost_rows(500, n, 2, k, v, booking, day, env, cap);
    put_both(f, DTC_FACT_ENV_COST_DAY, k, v, booking, 500, 4, 5);
    size_t repeated = 0;
    for (size_t i = 0; i < n + 500; i++)
        repeated += key_of(i) != i;
    assert_same_rows(f,
                     "SELECT subscription_uuid, environment_id, capability_key, day, cost_micro,"
                     " currency, booking_date, cluster_id, capability_name FROM env_cost_day"
                     " ORDER BY subscription_uuid, environment_id, capability_key, day",
                     (long)(n + 500 - repeated));
    /* The revisions, in order: the repeated keys' and the restated costs'
     * (at least the 1500 restated in round 2). */
    assert_same_rows(f,
                     "SELECT id, run_id, fact, key, old_value, new_value, booking, seen_at"
                     " FROM revision ORDER BY id",
                     -1500);
    free(k);
    free(v);
    free(booking);
    free(day);
    free(env);
    free(cap);
}

static void
test_store_batch_keeps_first_seen_nulls_integer_keys_and_reals_as_one_by_one(void **state)
{
    fixture *f = *state;
    /* A first-seen value listed again (even with another time) stays as it was. */
    dtc_val ak[] = {DTC_TEXT("acc"), DTC_TEXT("COSTCENTER"), DTC_TEXT("a\"b"),
                    DTC_TEXT("acc"), DTC_TEXT("COSTCENTER"), DTC_TEXT("{x}"),
                    DTC_TEXT("acc"), DTC_TEXT("COSTCENTER"), DTC_TEXT("a\"b")};
    dtc_val av[] = {DTC_TEXT("2026-01-01T00:00:00Z"), DTC_TEXT("2026-01-02T00:00:00Z"),
                    DTC_TEXT("2026-01-03T00:00:00Z")};
    put_both(f, DTC_FACT_ALLOC_VALUE, ak, av, NULL, 3, 3, 1);
    put_both(f, DTC_FACT_ALLOC_VALUE, ak, av + 1, NULL, 2, 3, 1);
    assert_same_rows(f, "SELECT * FROM cost_allocation_value ORDER BY alloc_key", 2);
    /* NULL and empty names, a repeated key whose name goes from NULL to text. */
    dtc_val ek[] = {DTC_TEXT("acc"), DTC_TEXT("e1"),  DTC_TEXT("acc"),
                    DTC_TEXT("e2"),  DTC_TEXT("acc"), DTC_TEXT("e1")};
    dtc_val ev[] = {DTC_NULL, DTC_INT(1),        DTC_TEXT("u\\1"), DTC_TEXT(""),    DTC_INT(0),
                    DTC_NULL, DTC_TEXT("named"), DTC_INT(1),       DTC_TEXT("u\\1")};
    put_both(f, DTC_FACT_ENVIRONMENT, ek, ev, NULL, 3, 2, 3);
    put_both(f, DTC_FACT_ENVIRONMENT, ek, ev, NULL, 3, 2, 3);
    assert_same_rows(f, "SELECT * FROM environment ORDER BY environment_id", 2);
    /* An integer key (a host's id), one repeated. */
    dtc_val hk[] = {DTC_TEXT("c"), DTC_TEXT("e"), DTC_TEXT("2026-01-01T00:00:00Z"), DTC_INT(7),
                    DTC_TEXT("c"), DTC_TEXT("e"), DTC_TEXT("2026-01-01T00:00:00Z"), DTC_INT(-3),
                    DTC_TEXT("c"), DTC_TEXT("e"), DTC_TEXT("2026-01-01T00:00:00Z"), DTC_INT(7)};
    dtc_val hv[] = {DTC_TEXT("FULL_STACK"), DTC_INT(INT64_MAX), DTC_INT(1), DTC_INT(2),
                    DTC_TEXT("INFRA"),      DTC_INT(INT64_MIN), DTC_NULL,   DTC_INT(0),
                    DTC_TEXT("INFRA"),      DTC_INT(5),         DTC_INT(1), DTC_INT(2)};
    put_both(f, DTC_FACT_LIC_HOST_HOUR, hk, hv, NULL, 3, 4, 4);
    assert_same_rows(f, "SELECT * FROM lic_host_hour ORDER BY osi_id", 2);
    /* Reals, exactly, and their restatement's new value as text. */
    double reals[] = {0.1, 5.0, 1e300, -2.5e-300, 0.30000000000000004, 123456789.125};
    dtc_val uk[6 * 4], uv[6 * 3];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 6; i++) {
            dtc_val kk[] = {DTC_TEXT("sub"), DTC_TEXT("env"), DTC_TEXT("CAP"),
                            DTC_TEXT(i % 2 ? "2026-01-01" : "2026-01-02")};
            dtc_val vv[] = {DTC_REAL(reals[i] * (round ? 3 : 1)), DTC_TEXT("GiB"), DTC_NULL};
            kk[2] = DTC_TEXT(tricky[i]);
            memcpy(uk + 4 * i, kk, sizeof(kk));
            memcpy(uv + 3 * i, vv, sizeof(vv));
        }
        put_both(f, DTC_FACT_ENV_USAGE_DAY, uk, uv, NULL, 6, 4, 3);
    }
    assert_same_rows(f, "SELECT * FROM env_usage_day ORDER BY capability_key, day", 6);
    /* old_value is the database's own text of a real (SQLite 5.0, PostgreSQL 5:
     * docs/postgres.md); the rest of each revision is the same. */
    assert_same_rows(f, "SELECT id, fact, key, new_value FROM revision ORDER BY id", 6);
}

static void test_store_batch_that_fails_leaves_nothing(void **state)
{
    fixture *f = *state;
    enum { N = 7000 };
    dtc_val *k = calloc(N * 2, sizeof(*k)), *v = calloc(N * 3, sizeof(*v));
    char(*day)[16] = calloc(N, sizeof(*day));
    assert_non_null(k && v && day);
    for (size_t i = 0; i < N; i++) {
        snprintf(day[i], sizeof(day[i]), "%04zu-01-01", 1000 + i);
        k[2 * i] = DTC_TEXT("sub");
        k[2 * i + 1] = DTC_TEXT(day[i]);
        /* cost_micro is NOT NULL: the row past the first statement is refused. */
        v[3 * i] = i == 6500 ? DTC_NULL : DTC_INT((int64_t)i);
        v[3 * i + 1] = DTC_TEXT("USD");
        v[3 * i + 2] = DTC_NULL;
    }
    dtc_put_counts c = {1, 1, 1};
    assert_int_equal(dtc_store_begin(f->sub), 0);
    assert_int_not_equal(dtc_store_put_many(f->sub, &c, DTC_FACT_COST_DAY, k, v, NULL, N), 0);
    assert_non_null(strstr(dtc_store_errmsg(f->sub), "cost_day"));
    dtc_store_rollback(f->sub);
    assert_int_equal(c.inserted + c.updated + c.same, 0);
    /* Nothing of the batch, not even its first statement's rows. */
    assert_same_rows(f, "SELECT * FROM cost_day", 0);
    free(k);
    free(v);
    free(day);
}

/* cost_day rows for the COPY test: row i's day is unique, its cost i, or
 * i + 1000 when restated (with a booking). */
static void copy_rows(dtc_val *k, dtc_val *v, const char **booking, char (*day)[16], size_t at,
                      size_t i, bool restated)
{
    snprintf(day[at], sizeof(day[at]), "%04zu-02-03", 1000 + i);
    k[2 * at] = DTC_TEXT("sub-copy");
    k[2 * at + 1] = DTC_TEXT(day[at]);
    v[3 * at] = DTC_INT((int64_t)i + (restated ? 1000 : 0));
    v[3 * at + 1] = DTC_TEXT(i % 7 ? "USD" : "a\tb\\c\nd\re");
    v[3 * at + 2] = i % 5 ? DTC_TEXT("2026-01-0\\1") : DTC_NULL;
    booking[at] = restated ? "2026-03-04" : NULL;
}

/* On PostgreSQL a batch of new rows goes by COPY (in a savepoint). One that
 * meets a stored row is refused there, rolled back to the savepoint (the
 * rows it had copied gone) and redone by the merge; the merge goes on until
 * one of its batches inserts every row, then COPY again. Every way, the same
 * rows, counts and revisions as puts one by one. */
static void test_store_batch_copy_meeting_a_stored_row_falls_back_to_the_merge(void **state)
{
    fixture *f = *state;
    enum { N = 300 };
    static const char own[] = "SELECT day FROM cost_day WHERE xmin = pg_current_xact_id()::xid";
    dtc_val k[N * 2], v[N * 3];
    const char *booking[N];
    char day[N][16];
    /* New rows: COPY, so none written by the transaction itself. */
    for (size_t i = 0; i < N; i++)
        copy_rows(k, v, booking, day, i, i, false);
    put_both_own(f, DTC_FACT_COST_DAY, k, v, booking, N, 2, 3, own, 0);
    /* New rows and, last, a stored one restated: the COPY copies all but
     * that one, is refused, and the merge inserts them and updates it. */
    for (size_t i = 0; i < N - 1; i++)
        copy_rows(k, v, booking, day, i, N + i, false);
    copy_rows(k, v, booking, day, N - 1, 100, true);
    put_both_own(f, DTC_FACT_COST_DAY, k, v, booking, N, 2, 3, own, N);
    /* Stored rows unchanged: the merge, nothing written. */
    for (size_t i = 0; i < N; i++)
        copy_rows(k, v, booking, day, i, i, i == 100);
    put_both_own(f, DTC_FACT_COST_DAY, k, v, booking, N, 2, 3, own, 0);
    /* New rows: still the merge, which inserts them all; so the next new
     * rows go by COPY again. */
    for (size_t i = 0; i < N; i++)
        copy_rows(k, v, booking, day, i, 2 * N + i, false);
    put_both_own(f, DTC_FACT_COST_DAY, k, v, booking, N, 2, 3, own, N);
    for (size_t i = 0; i < N; i++)
        copy_rows(k, v, booking, day, i, 3 * N + i, false);
    put_both_own(f, DTC_FACT_COST_DAY, k, v, booking, N, 2, 3, own, 0);
    assert_same_rows(f, "SELECT * FROM cost_day ORDER BY day", 4 * N - 1);
    assert_same_rows(f,
                     "SELECT id, run_id, fact, key, old_value, new_value, booking, seen_at"
                     " FROM revision ORDER BY id",
                     1);
}

/* A second writer putting the same new rows while the first has not committed. */
typedef struct writer {
    dtc_store *s;
    const dtc_val *k, *v;
    size_t n;
    int rc;
    char err[512];
} writer;

static void *second_writer(void *arg)
{
    writer *w = arg;
    dtc_put_counts c;
    w->rc = dtc_store_begin(w->s);
    if (w->rc == 0) w->rc = dtc_store_put_many(w->s, &c, DTC_FACT_COST_DAY, w->k, w->v, NULL, w->n);
    snprintf(w->err, sizeof(w->err), "%s", dtc_store_errmsg(w->s));
    if (w->rc == 0)
        w->rc = dtc_store_commit(w->s);
    else
        dtc_store_rollback(w->s);
    return NULL;
}

static long count_rows(dtc_store *s, const char *sql)
{
    dump d = {.rows = 0};
    dtc_buf_init(&d.b, DTC_CAP_SMALL);
    if (dtc_store_query(s, sql, NULL, 0, dump_row, &d) != 0) fail_msg("%s", dtc_store_errmsg(s));
    dtc_buf_dispose(&d.b);
    return d.rows;
}

static long sum_cost(dtc_store *s)
{
    dump d = {.rows = 0};
    dtc_buf_init(&d.b, DTC_CAP_SMALL);
    assert_int_equal(
        dtc_store_query(s, "SELECT COUNT(*), SUM(cost_micro) FROM cost_day", NULL, 0, dump_row, &d),
        0);
    long n = 0, sum = 0;
    assert_int_equal(sscanf(d.b.data, "|i%ld|i%ld", &n, &sum), 2);
    dtc_buf_dispose(&d.b);
    return n == 3 ? sum : -1;
}

/* SQLite: the second writer waits for the first's commit, then updates its
 * rows. PostgreSQL: it waits too, then fails whole with a message saying so
 * and what to do (the per-account lock keeps two syncs apart; this is the
 * case it did not cover). Either way no row is duplicated or half-written. */
static void test_store_batch_second_writer_of_the_same_new_rows_waits_or_fails_whole(void **state)
{
    fixture *f = *state;
    dtc_store *other = NULL;
    char err[256];
    if (dtc_store_open(&other, f->target, err, sizeof(err)) != 0) fail_msg("%s", err);
    dtc_val k[] = {DTC_TEXT("s"),          DTC_TEXT("2026-01-01"), DTC_TEXT("s"),
                   DTC_TEXT("2026-01-02"), DTC_TEXT("s"),          DTC_TEXT("2026-01-03")};
    dtc_val mine[] = {DTC_INT(1), DTC_TEXT("USD"), DTC_NULL,        DTC_INT(2), DTC_TEXT("USD"),
                      DTC_NULL,   DTC_INT(3),      DTC_TEXT("USD"), DTC_NULL};
    dtc_val theirs[] = {DTC_INT(10), DTC_TEXT("USD"), DTC_NULL,        DTC_INT(20), DTC_TEXT("USD"),
                        DTC_NULL,    DTC_INT(30),     DTC_TEXT("USD"), DTC_NULL};
    dtc_put_counts c;
    assert_int_equal(dtc_store_begin(f->sub), 0);
    assert_int_equal(dtc_store_put_many(f->sub, &c, DTC_FACT_COST_DAY, k, mine, NULL, 3), 0);
    assert_int_equal(c.inserted, 3);
    writer w = {other, k, theirs, 3, -1, ""};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, second_writer, &w), 0);
    /* Commit once the second writer waits on the first's rows: PostgreSQL
     * shows it in pg_stat_activity (at most 10 s); SQLite waits in its begin,
     * whenever it gets there, with the same outcome. */
    struct timespec pause = {0, 50 * 1000000L};
    for (int i = 0; i < (f->pg ? 200 : 6); i++) {
        nanosleep(&pause, NULL);
        if (f->pg && count_rows(f->sub, "SELECT pid FROM pg_stat_activity WHERE wait_event_type ="
                                        " 'Lock' AND datname = current_database()") > 0)
            break;
    }
    assert_int_equal(dtc_store_commit(f->sub), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    if (f->pg) {
        assert_int_not_equal(w.rc, 0);
        if (!strstr(w.err, "another writer stored some of these rows") ||
            !strstr(w.err, "run again"))
            fail_msg("message: %s", w.err);
        assert_int_equal(sum_cost(f->sub), 6);
    } else {
        if (w.rc != 0) fail_msg("%s", w.err);
        assert_int_equal(sum_cost(f->sub), 60);
    }
    dtc_store_close(other);
}

/* Coverage merges to the same table rows on both back-ends: disjoint,
 * adjacent on either side, contained, overlapping, out of order, inside the
 * caller's transaction and in one of its own, two scopes side by side. */
static void test_store_batch_coverage_merges_the_ranges_sqlite_merges(void **state)
{
    fixture *f = *state;
    static const int64_t add[][2] = {{20010, 20020}, {20030, 20040}, {20021, 20025},
                                     {20026, 20029}, {20015, 20018}, {20005, 20012},
                                     {20100, 20100}, {19900, 19950}, {20060, 20070},
                                     {20004, 20004}, {20041, 20099}, {19000, 19000}};
    for (size_t i = 0; i < sizeof(add) / sizeof(add[0]); i++) {
        dtc_store *both[] = {f->ref, f->sub};
        for (int b = 0; b < 2; b++) {
            bool tx = i % 2 == 0;
            if (tx) assert_int_equal(dtc_store_begin(both[b]), 0);
            if (dtc_store_coverage_add(both[b], i % 3 ? "alloc:s:e:F" : "env_cost:s", add[i][0],
                                       add[i][1]) != 0)
                fail_msg("%s", dtc_store_errmsg(both[b]));
            if (tx) assert_int_equal(dtc_store_commit(both[b]), 0);
        }
        assert_same_rows(
            f, "SELECT scope, first_day, last_day FROM coverage ORDER BY scope, first_day", -1);
    }
    /* env_cost:s 20004, 20010-20020, 20026-20029, 20100; alloc:s:e:F 19000,
     * 19900-19950, 20005-20012, 20015-20018, 20021-20025 and 20030-20099
     * (which swallowed 20060-20070 and touched 20030-20040) */
    assert_same_rows(f, "SELECT scope, first_day, last_day FROM coverage ORDER BY scope, first_day",
                     10);
}

/* A writer handle: on PostgreSQL another connection whose restatements are
 * logged under the first handle's run and whose commits the first sees; on
 * SQLite none (a second writer would only wait for the first). */
static void test_store_batch_writer_handle_logs_under_the_run_or_is_none_on_sqlite(void **state)
{
    fixture *f = *state;
    dtc_store *w = NULL;
    if (dtc_store_open_writer(f->sub, &w) != 0) fail_msg("%s", dtc_store_errmsg(f->sub));
    if (!f->pg) {
        assert_null(w);
        return;
    }
    assert_non_null(w);
    dtc_val k[] = {DTC_TEXT("s"), DTC_TEXT("2026-01-01")};
    dtc_val first[] = {DTC_INT(1), DTC_TEXT("USD"), DTC_NULL};
    dtc_val second[] = {DTC_INT(2), DTC_TEXT("USD"), DTC_NULL};
    const char *booking[] = {"2026-01-05"};
    dtc_put_counts c;
    assert_int_equal(dtc_store_begin(w), 0);
    assert_int_equal(dtc_store_put_many(w, &c, DTC_FACT_COST_DAY, k, first, NULL, 1), 0);
    assert_int_equal(dtc_store_put_many(w, &c, DTC_FACT_COST_DAY, k, second, booking, 1), 0);
    /* not visible to the first handle before the writer commits */
    assert_int_equal(count_rows(f->sub, "SELECT day FROM cost_day"), 0);
    assert_int_equal(dtc_store_commit(w), 0);
    dtc_store_close(w);
    assert_int_equal(count_rows(f->sub, "SELECT day FROM cost_day WHERE cost_micro = 2"), 1);
    assert_int_equal(count_rows(f->sub, "SELECT id FROM revision WHERE fact = 'cost_day' AND run_id"
                                        " = (SELECT MAX(id) FROM sync_run) AND old_value = '1' AND"
                                        " new_value = '2' AND booking = '2026-01-05' AND seen_at ="
                                        " '2026-11-22T06:00:00Z'"),
                     1);
}

/* Every row of sql in s, typed, into *out (the caller frees it). */
static char *rows_text(dtc_store *s, const char *sql)
{
    dump d = {.rows = 0};
    dtc_buf_init(&d.b, (size_t)64 << 20);
    if (dtc_store_query(s, sql, NULL, 0, dump_row, &d) != 0) fail_msg("%s", dtc_store_errmsg(s));
    char *out = strdup(d.b.data ? d.b.data : "");
    dtc_buf_dispose(&d.b);
    assert_non_null(out);
    return out;
}

static const char *const copied[] = {
    "SELECT * FROM env_cost_day ORDER BY subscription_uuid, environment_id, capability_key, day",
    "SELECT * FROM environment ORDER BY account_uuid, environment_id",
    "SELECT * FROM revision ORDER BY id",
    "SELECT * FROM sync_run ORDER BY id",
};
#define NCOPIED (sizeof(copied) / sizeof(copied[0]))

/* dtc_store_copy from SQLite into the back-end under test while its Nth
 * allocation fails, N = 1, 2, ... until the copy makes fewer: each failing
 * copy says why and leaves every table as it was (and frees its batch: the
 * sanitizer build's LeakSanitizer fails the program on a leak); the copy
 * that succeeds gives the source's rows. The source's 300 cost rows go by
 * COPY into PostgreSQL, its environment over one the target holds with
 * another name by the merge, its revision and run as a plain table's rows. */
static void test_store_batch_copy_failing_any_allocation_leaves_the_target_as_it_was(void **state)
{
    fixture *f = *state;
    enum { N = 300 };
    dtc_val k[N * 4], v[N * 5];
    const char *booking[N];
    char day[N][16], env[N][16], cap[N][24];
    cost_rows(N, 0, 1, k, v, booking, day, env, cap);
    dtc_put_counts c;
    assert_int_equal(dtc_store_begin(f->ref), 0);
    assert_int_equal(dtc_store_put_many(f->ref, &c, DTC_FACT_ENV_COST_DAY, k, v, booking, N), 0);
    dtc_val ek[] = {DTC_TEXT("acc"), DTC_TEXT("e1")};
    dtc_val ev[] = {DTC_TEXT("ref's\tname"), DTC_INT(1), DTC_NULL};
    dtc_val sv[] = {DTC_TEXT("the target's"), DTC_INT(0), DTC_TEXT("u")};
    dtc_put r;
    assert_int_equal(dtc_store_put(f->ref, &r, DTC_FACT_ENVIRONMENT, ek, ev, NULL), 0);
    assert_int_equal(dtc_store_commit(f->ref), 0);
    assert_int_equal(dtc_store_put(f->sub, &r, DTC_FACT_ENVIRONMENT, ek, sv, NULL), 0);
    char *seed[NCOPIED];
    for (size_t i = 0; i < NCOPIED; i++)
        seed[i] = rows_text(f->sub, copied[i]);
    int rc = -1;
    long nth;
    for (nth = 1; nth < 100000 && rc != 0; nth++) {
        dtc_copy_stats st;
        dtc_alloc_fail_at(nth);
        rc = dtc_store_copy(f->sub, &st, f->ref);
        long pending = dtc_alloc_fail_pending();
        dtc_alloc_fail_at(0);
        if (rc == 0) {
            assert_true(pending > 0); /* no allocation failed: none went unnoticed */
            assert_int_equal(st.rows,
                             N - 1 + 3); /* a key repeats; an environment, a revision, a run */
            break;
        }
        if (pending != 0)
            fail_msg("copy failed without a failed allocation: %s", dtc_store_errmsg(f->sub));
        char why[512];
        snprintf(why, sizeof(why), "%s", dtc_store_errmsg(f->sub));
        if (!why[0]) fail_msg("allocation %ld failed without a message", nth);
        for (size_t i = 0; i < NCOPIED; i++) {
            char *now = rows_text(f->sub, copied[i]);
            if (strcmp(now, seed[i]) != 0)
                fail_msg("allocation %ld failed (%s) and %s changed:\n%.300s\nwas\n%.300s", nth,
                         why, copied[i], now, seed[i]);
            free(now);
        }
    }
    assert_int_equal(rc, 0);
    assert_true(nth > 20); /* the loop reached into the copy's own allocations */
    for (size_t i = 0; i < NCOPIED; i++) {
        assert_same_rows(f, copied[i], -1);
        free(seed[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_store_batch_matches_puts_one_by_one_across_statements_and_repeated_keys, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_store_batch_keeps_first_seen_nulls_integer_keys_and_reals_as_one_by_one, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_store_batch_that_fails_leaves_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_store_batch_second_writer_of_the_same_new_rows_waits_or_fails_whole, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_store_batch_writer_handle_logs_under_the_run_or_is_none_on_sqlite, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_store_batch_coverage_merges_the_ranges_sqlite_merges,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_batch_copy_meeting_a_stored_row_falls_back_to_the_merge, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_batch_copy_failing_any_allocation_leaves_the_target_as_it_was, setup,
            teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
