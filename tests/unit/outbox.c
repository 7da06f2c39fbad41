/* Unit tests for the store's delivery half (store_outbox.c +
 * store_sqlite_outbox.c): the change scan sees new and restated records
 * once, batches keep their order, a 413 split keeps every record, dead
 * letters come back with retry_dead, delivered batches drop their bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"
#include "dtcost/store.h"

static char path[256];
#define DEST "webhook http://127.0.0.1/hook"

static int setup(void **state)
{
    testdb_path(path, sizeof(path), "outbox");
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

static void put_cost(dtc_store *s, const char *day, int64_t micro)
{
    dtc_val k[] = {DTC_TEXT("sub-1"), DTC_TEXT(day)};
    dtc_val v[] = {DTC_INT(micro), DTC_TEXT("USD"), DTC_TEXT("2026-11-20T02:00:00Z")};
    assert_int_equal(dtc_store_put(s, NULL, DTC_FACT_COST_DAY, k, v, NULL), 0);
}

typedef struct seen {
    char keys[16][80];
    char fps[16][80];
    int64_t versions[16];
    int n;
} seen;

static int on_rec(void *ctx, const dtc_push_rec *r)
{
    seen *x = ctx;
    snprintf(x->keys[x->n], 80, "%s", r->key);
    snprintf(x->fps[x->n], 80, "%s", r->fingerprint);
    x->versions[x->n++] = r->version;
    return 0;
}

/* Scan dest and enqueue what it found as one batch. */
static long scan_and_enqueue(dtc_store *s, seen *x, const char *batch_key)
{
    long n = 0;
    memset(x, 0, sizeof(*x));
    assert_int_equal(dtc_store_push_changes(s, &n, DEST, NULL, 100, on_rec, x), 0);
    if (n == 0) return 0;
    dtc_outbox_item items[16];
    char idem[16][96];
    for (int i = 0; i < x->n; i++) {
        snprintf(idem[i], sizeof(idem[i]), "%s@%lld", x->keys[i], (long long)x->versions[i]);
        items[i] = (dtc_outbox_item){x->keys[i],     x->fps[i], idem[i],
                                     x->versions[i], idem[i],   strlen(idem[i])};
    }
    int64_t id;
    assert_int_equal(dtc_store_begin(s), 0);
    assert_int_equal(
        dtc_store_outbox_add(s, &id, DEST, batch_key, "2026-11-22T06:00:00Z", items, (size_t)x->n),
        0);
    assert_int_equal(dtc_store_commit(s), 0);
    return n;
}

static void test_outbox_change_scan_sees_new_then_only_restated(void **state)
{
    dtc_store *s = *state;
    seen x;
    put_cost(s, "2026-11-20", 100);
    put_cost(s, "2026-11-21", 200);
    assert_int_equal(scan_and_enqueue(s, &x, "b1"), 2);
    assert_string_equal(x.keys[0], "cost_day/sub-1/2026-11-20"); /* oldest day first */
    assert_int_equal(x.versions[0], 1);
    assert_int_equal(scan_and_enqueue(s, &x, "b2"), 0); /* nothing changed */
    put_cost(s, "2026-11-21", 250);                     /* restated */
    put_cost(s, "2026-11-22", 300);                     /* new */
    assert_int_equal(scan_and_enqueue(s, &x, "b3"), 2);
    assert_string_equal(x.keys[0], "cost_day/sub-1/2026-11-21");
    assert_int_equal(x.versions[0], 2);
    assert_int_equal(x.versions[1], 1);
    /* Another destination has its own view: everything is new there. */
    long n = 0;
    memset(&x, 0, sizeof(x));
    assert_int_equal(dtc_store_push_changes(s, &n, "webhook other", "2026-11-21", 100, on_rec, &x),
                     0);
    assert_int_equal(n, 2); /* since 2026-11-21 */
}

typedef struct body {
    char text[512];
    int n;
} body;

static int on_item(void *ctx, const dtc_outbox_item *it)
{
    body *b = ctx;
    strncat(b->text, it->body, sizeof(b->text) - strlen(b->text) - 2);
    strcat(b->text, ";");
    b->n++;
    return 0;
}

static void test_outbox_split_mark_dead_and_retry(void **state)
{
    dtc_store *s = *state;
    seen x;
    const char *days[] = {"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05"};
    for (int i = 0; i < 5; i++)
        put_cost(s, days[i], 100 + i);
    assert_int_equal(scan_and_enqueue(s, &x, "big"), 5);
    dtc_outbox_batch b;
    int found = 0;
    assert_int_equal(dtc_store_outbox_next(s, &b, &found, DEST, 0), 0);
    assert_true(found);
    assert_string_equal(b.key, "big");
    assert_int_equal(b.records, 5);
    int64_t a, c;
    assert_int_equal(dtc_store_begin(s), 0);
    assert_int_equal(
        dtc_store_outbox_split(s, &a, &c, b.id, "big.a", "big.b", "2026-11-22T06:00:00Z"), 0);
    assert_int_equal(dtc_store_commit(s), 0);
    body ba = {0}, bb = {0};
    assert_int_equal(dtc_store_outbox_items(s, a, on_item, &ba), 0);
    assert_int_equal(dtc_store_outbox_items(s, c, on_item, &bb), 0);
    assert_int_equal(ba.n, 2);
    assert_int_equal(bb.n, 3);
    assert_non_null(strstr(ba.text, "2026-11-01@1;cost_day/sub-1/2026-11-02@1;"));
    assert_non_null(strstr(bb.text, "2026-11-05@1;"));
    /* The split batch is no longer pending; the halves are, in order. */
    assert_int_equal(dtc_store_outbox_next(s, &b, &found, DEST, 0), 0);
    assert_string_equal(b.key, "big.a");
    assert_int_equal(b.bytes, (int64_t)strlen(ba.text) - 2);
    assert_int_equal(dtc_store_outbox_mark(s, a, "delivered", 0, 200, NULL, "2026-11-22T06:00:01Z"),
                     0);
    body gone = {0};
    assert_int_equal(dtc_store_outbox_items(s, a, on_item, &gone), DTC_EDB); /* bodies dropped */
    assert_int_equal(
        dtc_store_outbox_mark(s, c, "dead", 3, 503, "HTTP 503", "2026-11-22T06:00:02Z"), 0);
    assert_int_equal(dtc_store_outbox_next(s, &b, &found, DEST, 0), 0);
    assert_false(found);
    long n = 0;
    assert_int_equal(dtc_store_outbox_retry_dead(s, &n, DEST), 0);
    assert_int_equal(n, 1);
    assert_int_equal(dtc_store_outbox_next(s, &b, &found, DEST, 0), 0);
    assert_true(found);
    assert_string_equal(b.key, "big.b");
    assert_int_equal(b.attempts, 0);
    /* One record cannot be split. */
    assert_int_equal(dtc_store_outbox_mark(s, c, "delivered", 0, 200, NULL, "2026-11-22T06:00:03Z"),
                     0);
    put_cost(s, "2026-11-06", 1);
    assert_int_equal(scan_and_enqueue(s, &x, "one"), 1);
    assert_int_equal(dtc_store_outbox_next(s, &b, &found, DEST, 0), 0);
    assert_int_equal(dtc_store_outbox_split(s, &a, &c, b.id, "one.a", "one.b", "t"), DTC_EINVAL);
}

static int count_rows(void *ctx, const dtc_row *row)
{
    return dtc_row_int(row, ctx, 0);
}

static void test_outbox_query_is_read_only(void **state)
{
    dtc_store *s = *state;
    put_cost(s, "2026-11-20", 100);
    int64_t got = -1;
    dtc_val p[] = {DTC_TEXT("2026-11-20")};
    assert_int_equal(
        dtc_store_query(s, "SELECT COUNT(*) FROM cost_day WHERE day=?", p, 1, count_rows, &got), 0);
    assert_int_equal(got, 1);
    assert_int_equal(dtc_store_query(s, "DELETE FROM cost_day", NULL, 0, count_rows, &got),
                     DTC_EINVAL);
    assert_int_equal(dtc_store_query(s, "SELECT nonsense FROM", NULL, 0, count_rows, &got),
                     DTC_EDB);
}

static void test_store_lock_is_held_by_one_handle_per_name(void **state)
{
    dtc_store *s = *state, *other = NULL;
    char err[256];
    assert_int_equal(dtc_store_open(&other, path, err, sizeof(err)), 0);
    assert_int_equal(dtc_store_lock(s, "push to " DEST, 0, NULL), 0);
    /* the same name from another handle: refused after the wait (100 ms here), naming it */
    assert_int_equal(dtc_store_lock(other, "push to " DEST, 100, NULL), DTC_EBUSY);
    assert_non_null(
        strstr(dtc_store_errmsg(other), "push to " DEST " is locked by another dtcost"));
    /* a cancelled wait ends at once, also busy */
    volatile sig_atomic_t cancel = 1;
    assert_int_equal(dtc_store_lock(other, "push to " DEST, 60000, &cancel), DTC_EBUSY);
    /* another name is free */
    assert_int_equal(dtc_store_lock(other, "sync of account a", 0, NULL), 0);
    dtc_store_unlock(s, "push to " DEST);
    assert_int_equal(dtc_store_lock(other, "push to " DEST, 0, NULL), 0);
    /* closing a handle releases what it holds */
    dtc_store_close(other);
    assert_int_equal(dtc_store_lock(s, "sync of account a", 0, NULL), 0);
    dtc_store_unlock(s, "sync of account a");
    char pattern[400];
    glob_t g;
    snprintf(pattern, sizeof(pattern), "%s-lock-*.lock", path);
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    assert_int_equal(g.gl_pathc, 2); /* one lock file per name, beside the database */
    for (size_t i = 0; i < g.gl_pathc; i++)
        unlink(g.gl_pathv[i]);
    globfree(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outbox_change_scan_sees_new_then_only_restated, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_outbox_split_mark_dead_and_retry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outbox_query_is_read_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_lock_is_held_by_one_handle_per_name, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
