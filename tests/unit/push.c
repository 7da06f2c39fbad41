/* Unit tests for push batching and splitting (push.c, sink.c): batches keep
 * within batch_bytes and batch_records, and a receiver's 413 halves a batch
 * until it fits, each record sent in exactly one delivered batch. Cases are
 * the files tests/data/push/cut.txt and splits.txt; the receiver is a local
 * libmicrohttpd server that counts the records of each body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testdb.h"
#include "dtcost/push.h"
#include "dtcost/store.h"
#include "push/sink.h"

#define MAX_RECORDS 64

/* ---- test data ---- */

/* The next case line of f (comments and blank lines skipped), split at '|'
 * into `parts` parts (2 or 3); 0 at the end of the file. */
static int next_case(FILE *f, char *line, size_t n, char *part[3], int parts, int *lineno)
{
    while (fgets(line, (int)n, f)) {
        (*lineno)++;
        if (line[0] == '#' || line[0] == '\n') continue;
        part[0] = strtok(line, "|");
        part[1] = strtok(NULL, parts == 2 ? "|\n" : "|");
        part[2] = parts == 2 ? NULL : strtok(NULL, "|\n");
        if (!part[parts - 1])
            fail_msg("line %d of a test data file has fewer than %d parts", *lineno, parts);
        return 1;
    }
    return 0;
}

static size_t numbers(const char *s, size_t *out, size_t max)
{
    size_t n = 0;
    char *end;
    for (;;) {
        unsigned long long v = strtoull(s, &end, 10);
        if (end == s) return n;
        assert_true(n < max);
        out[n++] = (size_t)v;
        s = end;
    }
}

static FILE *data(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/push/%s", DTC_TEST_DATA, name);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    return f;
}

/* ---- cutting a run into batches ---- */

static void test_push_batches_respect_batch_bytes_and_batch_records(void **state)
{
    (void)state;
    FILE *f = data("cut.txt");
    char line[1024], *part[3];
    int lineno = 0, cases = 0;
    while (next_case(f, line, sizeof(line), part, 3, &lineno)) {
        size_t limits[2], lens[MAX_RECORDS], want[MAX_RECORDS], ends[MAX_RECORDS];
        assert_int_equal(numbers(part[0], limits, 2), 2);
        size_t n = numbers(part[1], lens, MAX_RECORDS), nwant = numbers(part[2], want, MAX_RECORDS);
        size_t nb = dtc_sink__cut(ends, lens, n, limits[0], (long)limits[1]);
        /* What any cut must hold: batches in order, none empty, the last ends
         * at the last record, each within the limits unless one record alone
         * is larger, and none could have taken the next record. */
        size_t start = 0;
        for (size_t b = 0; b < nb; b++) {
            assert_true(ends[b] > start);
            size_t payload = 0, k = ends[b] - start;
            for (size_t i = start; i < ends[b]; i++)
                payload += lens[i];
            if (k > 1) {
                assert_true(dtc_sink__body_size(payload, k) <= limits[0]);
                assert_true(limits[1] == 0 || k <= limits[1]);
            }
            if (ends[b] < n)
                assert_true(dtc_sink__body_size(payload + lens[ends[b]], k + 1) > limits[0] ||
                            (limits[1] > 0 && k + 1 > limits[1]));
            start = ends[b];
        }
        assert_int_equal(start, n);
        if (nb != nwant || memcmp(ends, want, nb * sizeof(*ends)) != 0)
            fail_msg("cut.txt line %d: %zu batches, expected %zu", lineno, nb, nwant);
        cases++;
    }
    fclose(f);
    assert_true(cases >= 5);
}

/* ---- a receiver that refuses large bodies ---- */

typedef struct receiver {
    struct MHD_Daemon *mhd;
    int port;
    long limit; /* 413 beyond this many records */
    pthread_mutex_t mu;
    int got[MAX_RECORDS]; /* per day index: records delivered with a 2xx */
    long sizes[256];      /* records of each request, in order */
    int nreq;
} receiver;

typedef struct upload {
    char *body;
    size_t len;
} upload;

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *data,
                              size_t *size, void **con_cls)
{
    receiver *rv = cls;
    (void)url, (void)method, (void)version;
    upload *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload));
        return *con_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        char *grown = realloc(u->body, u->len + *size + 1);
        if (!grown) return MHD_NO;
        u->body = grown;
        memcpy(u->body + u->len, data, *size);
        u->len += *size;
        u->body[u->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    long records = 0;
    for (const char *p = u->body; p && (p = strstr(p, "\"recordKey\":")); p++)
        records++;
    unsigned status = records > rv->limit ? 413 : 200;
    pthread_mutex_lock(&rv->mu);
    if (rv->nreq < 256) rv->sizes[rv->nreq++] = records;
    for (const char *p = u->body; status == 200 && p && (p = strstr(p, "\"day\":\"2026-10-"));
         p++) {
        int day = atoi(p + 15);
        if (day >= 1 && day < MAX_RECORDS) rv->got[day]++;
    }
    pthread_mutex_unlock(&rv->mu);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ok = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return ok;
}

static void done_request(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode t)
{
    (void)cls, (void)c, (void)t;
    upload *u = *con_cls;
    if (u) free(u->body);
    free(u);
    *con_cls = NULL;
}

static void receiver_start(receiver *rv, long limit)
{
    memset(rv, 0, sizeof(*rv));
    rv->limit = limit;
    pthread_mutex_init(&rv->mu, NULL);
    rv->mhd =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, answer,
                         rv, MHD_OPTION_NOTIFY_COMPLETED, done_request, NULL, MHD_OPTION_END);
    assert_non_null(rv->mhd);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(rv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    rv->port = info->port;
}

static void receiver_stop(receiver *rv)
{
    MHD_stop_daemon(rv->mhd);
    pthread_mutex_destroy(&rv->mu);
}

/* ---- a database with n days of cost ---- */

static char dbpath[256];

static dtc_store *store_with_days(int n)
{
    testdb_path(dbpath, sizeof(dbpath), "push");
    dtc_store *s = NULL;
    char err[256], day[32];
    assert_int_equal(dtc_store_open(&s, dbpath, err, sizeof(err)), 0);
    for (int i = 1; i <= n; i++) {
        snprintf(day, sizeof(day), "2026-10-%02d", i);
        dtc_val k[] = {DTC_TEXT("sub-1"), DTC_TEXT(day)};
        dtc_val v[] = {DTC_INT(1000000 + i), DTC_TEXT("USD"), DTC_TEXT("2026-11-20T02:00:00Z")};
        assert_int_equal(dtc_store_put(s, NULL, DTC_FACT_COST_DAY, k, v, NULL), 0);
    }
    return s;
}

static void store_drop(dtc_store *s)
{
    dtc_store_close(s);
    testdb_remove(dbpath);
}

static void quiet(void *ctx, const char *msg)
{
    (void)ctx, (void)msg;
}

/* ---- 413 splitting ---- */

static void test_push_413_halves_a_batch_and_each_record_arrives_once(void **state)
{
    (void)state;
    FILE *f = data("splits.txt");
    char line[1024], *part[3];
    int lineno = 0, cases = 0;
    while (next_case(f, line, sizeof(line), part, 2, &lineno)) {
        size_t in[2], want[3];
        char rcword[32];
        assert_int_equal(numbers(part[0], in, 2), 2);
        assert_int_equal(numbers(part[1], want, 3), 3);
        assert_int_equal(sscanf(part[1], "%*u %*u %*u %31s", rcword), 1);
        int records = (int)in[0];
        receiver rv;
        receiver_start(&rv, (long)in[1]);
        dtc_store *s = store_with_days(records);
        dtc_push_dest d;
        assert_int_equal(dtc_push_dest_init(&d, DTC_PUSH_WEBHOOK, "unit"), 0);
        char url[128];
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", rv.port);
        assert_non_null(d.url = strdup(url));
        d.batch_records = records; /* the whole run in one batch, so only 413s cut it */
        d.retries = 0;
        dtc_push_opts o = {
            .store = s, .dest = &d, .now = 1795000000, .warn = quiet, .lock_wait_ms = 1000};
        dtc_push_result r;
        int rc = dtc_push_run(&r, &o);

        if (strcmp(rcword, "ok") == 0) {
            if (rc != 0) fail_msg("splits.txt line %d: rc %d: %s", lineno, rc, r.err);
        } else {
            assert_int_equal(rc, DTC_EHTTP);
            assert_non_null(strstr(r.err, "HTTP 413"));
        }
        if ((size_t)r.split_batches != want[0] || (size_t)rv.nreq != want[1] ||
            (size_t)r.delivered_batches != want[2])
            fail_msg("splits.txt line %d: %ld splits, %d requests, %ld delivered batches; expected "
                     "%zu, %zu, %zu",
                     lineno, r.split_batches, rv.nreq, r.delivered_batches, want[0], want[1],
                     want[2]);
        assert_int_equal(r.requests, rv.nreq);
        /* A split halves: each request after a 413 of k records carries
         * floor(k/2) or ceil(k/2); and what was delivered is every record once. */
        for (int i = 0; i < rv.nreq; i++) {
            assert_true(rv.sizes[i] >= 1);
            assert_true(rv.sizes[i] <= records);
            if (i > 0) assert_true(rv.sizes[i] <= (records + 1) / 2);
        }
        long delivered = 0;
        for (int day = 1; day <= records; day++) {
            int expect = strcmp(rcword, "ok") == 0 ? 1 : 0;
            if (rv.got[day] != expect)
                fail_msg("splits.txt line %d: day %d arrived %d times", lineno, day, rv.got[day]);
            delivered += rv.got[day];
        }
        assert_int_equal(r.delivered_records, delivered);
        dtc_push_dest_dispose(&d);
        store_drop(s);
        receiver_stop(&rv);
        cases++;
    }
    fclose(f);
    assert_true(cases >= 4);
}

/* ---- the whole pipeline: a dry run's bodies within the limits ---- */

typedef struct shown {
    size_t max_body;
    long batches, records;
    size_t limit;
} shown;

static void on_show(void *ctx, const char *summary, const char *body, size_t len)
{
    shown *s = ctx;
    (void)body;
    /* "POST URL  Idempotency-Key: K  Content-Type: T  N records, M bytes" */
    const char *p = strstr(summary, " records,");
    assert_non_null(p);
    while (p > summary && p[-1] >= '0' && p[-1] <= '9')
        p--;
    long n = atol(p);
    s->batches++;
    s->records += n;
    if (len > s->max_body) s->max_body = len;
}

static void test_push_bodies_stay_within_batch_bytes_and_batch_records(void **state)
{
    (void)state;
    dtc_store *s = store_with_days(30);
    static const struct {
        size_t bytes;
        long records;
        long batches;
    } cases[] = {
        {1024, 0, 0}, {2048, 0, 0}, {1 << 20, 7, 5}, {1 << 20, 0, 1}, {1500, 3, 0},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        dtc_push_dest d;
        assert_int_equal(dtc_push_dest_init(&d, DTC_PUSH_BIZEVENTS, "unit"), 0);
        assert_non_null(d.url = strdup("https://abc123.live.dynatrace.com"));
        d.batch_bytes = cases[c].bytes;
        d.batch_records = cases[c].records;
        shown sh = {0, 0, 0, cases[c].bytes};
        dtc_push_opts o = {.store = s,
                           .dest = &d,
                           .now = 1795000000,
                           .dry_run = true,
                           .show = on_show,
                           .ctx = &sh,
                           .warn = quiet};
        dtc_push_result r;
        assert_int_equal(dtc_push_run(&r, &o), 0);
        assert_int_equal(sh.records, 30); /* nothing lost */
        assert_int_equal(r.enqueued_records, 30);
        assert_true(sh.max_body <= cases[c].bytes);
        if (cases[c].records > 0)
            assert_true(sh.batches >= (30 + cases[c].records - 1) / cases[c].records);
        if (cases[c].batches > 0)
            assert_int_equal(sh.batches, cases[c].batches);
        else
            assert_true(sh.batches > 1);
        dtc_push_dest_dispose(&d);
    }
    store_drop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_batches_respect_batch_bytes_and_batch_records),
        cmocka_unit_test(test_push_413_halves_a_batch_and_each_record_arrives_once),
        cmocka_unit_test(test_push_bodies_stay_within_batch_bytes_and_batch_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
