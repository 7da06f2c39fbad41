/* The library's main entry points under allocation failure: for N = 1, 2, ...
 * the Nth allocation of the call fails (alloc.h's hook), until the call
 * makes fewer than N. Each failing call must return an error (never crash,
 * never report success with a different result), say why where its contract
 * promises a message, and leak nothing: run under the ASan build
 * (-DDTCOST_SANITIZE=ON), LeakSanitizer fails the program on any leak.
 * SQLite's own allocations are routed through the same hook
 * (SQLITE_CONFIG_MALLOC), so the store's handling of SQLITE_NOMEM is in the
 * loop too. Calls that write a destination (the store copy, the license
 * import) must also leave it as it was when they fail; the sync runs
 * against the emulator in a process of its own (forked first), so only the
 * sync's allocations fail. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sqlite3.h>
#include <unistd.h>

#include "testdb.h"
#include "alloc.h"
#include "buf.h"
#include "dtcost/chargeback.h"
#include "dtcost/config.h"
#include "dtcost/export.h"
#include "dtcost/license.h"
#include "dtcost/metrics.h"
#include "dtcost/push.h"
#include "dtcost/report.h"
#include "dtcost/sync.h"
#include "emu.h"
#include "dtcost/verify.h"
#include "facts.h"
#include "timeutil.h"

#define MAX_ALLOCATIONS 200000 /* far above any call here: the loop is bounded */

/* SQLite's allocator on top of dtc_malloc: a 16-byte header keeps the size
 * (xSize) and SQLite's 8-byte alignment. */
#define HDR 16
static void *sq_malloc(int n)
{
    char *p = dtc_malloc((size_t)n + HDR);
    if (!p) return NULL;
    memcpy(p, &n, sizeof(n));
    return p + HDR;
}
static void sq_free(void *p)
{
    if (p) dtc_free((char *)p - HDR);
}
static int sq_size(void *p)
{
    int n;
    memcpy(&n, (char *)p - HDR, sizeof(n));
    return n;
}
static void *sq_realloc(void *p, int n)
{
    char *q = dtc_realloc((char *)p - HDR, (size_t)n + HDR);
    if (!q) return NULL;
    memcpy(q, &n, sizeof(n));
    return q + HDR;
}
static int sq_roundup(int n)
{
    return (n + 7) & ~7;
}
static int sq_init(void *app)
{
    (void)app;
    return SQLITE_OK;
}
static void sq_shutdown(void *app)
{
    (void)app;
}
static const sqlite3_mem_methods sq_mem = {sq_malloc,  sq_free, sq_realloc,  sq_size,
                                           sq_roundup, sq_init, sq_shutdown, NULL};

static char db_path[256];
static dtc_store *store;

static int64_t day(const char *iso)
{
    int64_t d = 0;
    assert_int_equal(dtc_parse_date(iso, &d), 0);
    return d;
}

/* One entry point: run it once, describing its result in *out (a memstream,
 * the caller frees *out); rc as the call returned it. `why` gets the
 * message the contract promises on failure, "" when it promises none. */
typedef int (*entry_fn)(FILE *out, char *why, size_t whylen);

static int run_report(FILE *out, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    dtc_report r;
    dtc_report_opts o = {
        .today = day("2026-11-09"), .since = day("2026-11-01"), .window = 30, .threshold = 6};
    int rc = dtc_report_build(store, &r, &o);
    if (rc) return rc;
    fprintf(out,
            "budgets %zu cap %zu env %zu anomalies %zu capdays %zu alloc %zu usage %zu sync %s\n",
            r.nbudgets, r.ncap, r.nenv, r.nanomalies, r.ncapdays, r.nalloc, r.nusage, r.last_sync);
    for (size_t i = 0; i < r.nbudgets; i++)
        fprintf(out, "%s %lld %lld\n", r.budgets[i].subscription, (long long)r.budgets[i].used,
                (long long)r.budgets[i].burn30);
    for (size_t i = 0; i < r.nenv; i++)
        fprintf(out, "%s %lld\n", r.by_environment[i].key, (long long)r.by_environment[i].current);
    dtc_report_dispose(&r);
    return 0;
}

static int export_as(FILE *out, char *why, size_t whylen, dtc_export_format format)
{
    dtc_export_opts o = {.format = format, .from = -1, .to = -1, .focus_minor = DTC_FOCUS_NEWEST};
    dtc_export_stats st;
    memset(&st, 0, sizeof(st));
    int rc = dtc_export_write(store, out, &st, &o);
    /* the contract: the detail in st->err, else (DTC_EDB) on the store */
    snprintf(why, whylen, "%s", st.err[0] || rc != DTC_EDB ? st.err : dtc_store_errmsg(store));
    if (rc == 0) fprintf(out, "rows %ld billed %lld\n", st.rows, (long long)st.billed_micro);
    return rc;
}

static int run_export_focus(FILE *out, char *why, size_t whylen)
{
    return export_as(out, why, whylen, DTC_EXPORT_FOCUS);
}

static int run_export_csv(FILE *out, char *why, size_t whylen)
{
    return export_as(out, why, whylen, DTC_EXPORT_CSV);
}

static int run_export_jsonl(FILE *out, char *why, size_t whylen)
{
    return export_as(out, why, whylen, DTC_EXPORT_JSONL);
}

static char team_a[] = "team-a", env_a[] = "env-a", env_b[] = "env-b";
static dtc_alloc_rule rules[] = {{.team = team_a, .pattern = env_a},
                                 {.team = NULL, .pattern = env_b}};

static int run_chargeback(FILE *out, char *why, size_t whylen)
{
    dtc_allocation a = {.rules = rules, .nrules = 2, .split = DTC_SPLIT_PROPORTIONAL};
    dtc_charge *rows = NULL;
    size_t n = 0;
    int rc = dtc_chargeback(&a, &rows, &n, store, day("2026-11-01"), day("2026-11-30"));
    snprintf(why, whylen, "%s", rc ? a.err : "");
    if (rc) {
        assert_null(rows);
        return rc;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%s %s %lld %lld\n", rows[i].team, rows[i].currency, (long long)rows[i].direct,
                (long long)rows[i].shared);
    dtc_free(rows);
    return 0;
}

static void on_discrepancy(void *ctx, const dtc_discrepancy *d)
{
    fprintf(ctx, "%s %s %s %lld %lld\n", d->what, d->environment, d->day, (long long)d->expected,
            (long long)d->actual);
}

static int run_verify(FILE *out, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    dtc_verify_summary sum;
    int rc = dtc_verify_run(store, &sum, on_discrepancy, out);
    if (rc == 0) fprintf(out, "discrepancies %ld\n", sum.discrepancies);
    return rc;
}

static int run_metrics(FILE *out, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    char *db_text = NULL, *counters = NULL;
    size_t n = 0;
    dtc_metrics_opts o = {.today = day("2026-11-10"), .max_cost_series = 2};
    dtc_metrics_counters c = {.cycles = 3, .version = "1.0"};
    int rc = dtc_metrics_store(store, &db_text, &n, &o);
    if (rc == 0) rc = dtc_metrics_process(&counters, &n, &c);
    if (rc == 0) fprintf(out, "%s%s", db_text, counters);
    dtc_free(db_text);
    dtc_free(counters);
    return rc;
}

static int run_config(FILE *out, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    dtc_config core;
    dtc_push_config push;
    dtc_license_config lic;
    dtc_allocation alloc;
    dtc_export_config exp;
    memset(&core, 0, sizeof(core));
    memset(&push, 0, sizeof(push));
    memset(&lic, 0, sizeof(lic));
    memset(&alloc, 0, sizeof(alloc));
    memset(&exp, 0, sizeof(exp));
    dtc_config_file f = {
        .core = &core, .push = &push, .license = &lic, .allocation = &alloc, .export = &exp};
    int rc = dtc_config_file_load(&f, DTC_TEST_DATA "/config/every-section.ini");
    if (rc == 0)
        fprintf(out, "%s accounts %zu dests %zu rules %zu %s\n", f.database, core.naccounts,
                push.ndests, alloc.nrules, core.naccounts ? core.accounts[0].sso_url : "");
    dtc_config_dispose(&core);
    dtc_push_config_dispose(&push);
    dtc_license_config_dispose(&lic);
    dtc_allocation_dispose(&alloc);
    dtc_export_config_dispose(&exp);
    dtc_config_file_dispose(&f);
    return rc;
}

/* A ConsumptionExport hour the emulator wrote (the license fuzzer's corpus). */
static char *license_doc(size_t *len)
{
    FILE *f = fopen(DTC_TEST_DATA "/../fuzz/corpus/license/emu-67be76c0297e16cf", "rb");
    assert_non_null(f);
    char *b = malloc(1 << 16);
    assert_non_null(b);
    *len = fread(b, 1, 1 << 16, f);
    fclose(f);
    return b;
}

static void describe_doc(FILE *out, const dtc_lic_doc *d)
{
    fprintf(out, "%s envs %zu hosts %zu\n", d->cluster, d->nenvs, d->nhosts);
    for (size_t i = 0; i < d->nenvs; i++)
        fprintf(out, "%s %lld %lld\n", d->envs[i].environment, (long long)d->envs[i].fullstack_mhu,
                (long long)d->envs[i].visits);
}

static int run_license_whole(FILE *out, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    size_t len;
    char *doc = license_doc(&len);
    dtc_lic_parser *p = NULL;
    const dtc_lic_doc *d = NULL;
    int rc = dtc_lic_parser_new(&p, NULL, true);
    if (rc == 0) rc = dtc_lic_parser_parse(p, &d, doc, len);
    if (rc == 0) describe_doc(out, d);
    dtc_lic_parser_free(p);
    free(doc);
    return rc;
}

static int run_license_streaming(FILE *out, char *why, size_t whylen)
{
    (void)why, (void)whylen;
    size_t len;
    char *doc = license_doc(&len);
    dtc_lic_parser *p = NULL;
    const dtc_lic_doc *d = NULL;
    int rc = dtc_lic_parser_new(&p, NULL, true);
    for (size_t at = 0; rc == 0 && at < len; at += 1000) /* pieces across tokens */
        rc = dtc_lic_parser_feed(p, doc + at, len - at < 1000 ? len - at : 1000);
    if (rc == 0) rc = dtc_lic_parser_finish(p, &d);
    if (rc == 0) describe_doc(out, d);
    dtc_lic_parser_free(p);
    free(doc);
    return rc;
}

/* ---- a destination written under allocation failure ---- */

/* Run what follows with allocation failure held off, then armed again where
 * it was: the test's own set-up and read-back around the call under test,
 * so only the call's allocations count. */
static long hold_failure(void)
{
    long armed = dtc_alloc_fail_pending();
    dtc_alloc_fail_at(0);
    return armed;
}

/* Print the rows of sql (integer columns, or text where text is 1) to out. */
typedef struct rows_out {
    FILE *out;
    const char *types; /* per column: 'i' integer, 't' text; NULL read as "NULL" */
} rows_out;

static int print_row(void *ud, const dtc_row *row)
{
    rows_out *o = ud;
    for (int c = 0; o->types[c]; c++) {
        int64_t i;
        const char *t;
        int rc = o->types[c] == 'i' ? dtc_row_int_or(row, &i, c, -1)
                                    : dtc_row_text_or(row, &t, c, "NULL");
        if (rc) return rc;
        if (o->types[c] == 'i')
            fprintf(o->out, "%s%lld", c ? " " : "", (long long)i);
        else
            fprintf(o->out, "%s%s", c ? " " : "", t);
    }
    fputc('\n', o->out);
    return 0;
}

static void print_rows(dtc_store *s, FILE *out, const char *sql, const char *types)
{
    rows_out o = {out, types};
    int rc = dtc_store_query(s, sql, NULL, 0, print_row, &o);
    if (rc) fail_msg("%s: %s", sql, dtc_store_errmsg(s));
}

/* dtc_store_copy's destination: a database with a row of its own and one
 * whose key the source also has (sub-1, other values). Opened when NULL,
 * dropped after a copy that succeeded, so each call starts from it. */
static dtc_store *copy_to;
static char copy_path[256], *copy_seed; /* copy_seed: describe_copy_to of the seed */
static size_t copy_seedlen;
static void describe_copy_to(FILE *out);

static void copy_to_open(void)
{
    copy_to = testdb_open(copy_path, sizeof(copy_path), "alloc-failure-copy");
    assert_non_null(copy_to);
    dtc_val k1[] = {DTC_TEXT("sub-1")}, k2[] = {DTC_TEXT("sub-only-here")};
    dtc_val v[] = {DTC_TEXT("acc-1"),
                   DTC_TEXT("the destination's own"),
                   DTC_TEXT("DPS"),
                   DTC_TEXT("Commit"),
                   DTC_TEXT("ACTIVE"),
                   DTC_TEXT("EUR"),
                   DTC_TEXT("2026-01-01"),
                   DTC_TEXT("2026-12-31"),
                   DTC_TEXT("2026-01-01"),
                   DTC_TEXT("2026-12-31"),
                   DTC_INT(1),
                   DTC_INT(1),
                   DTC_INT(1)};
    dtc_put res;
    assert_int_equal(dtc_store_put(copy_to, &res, DTC_FACT_SUBSCRIPTION, k1, v, NULL), 0);
    assert_int_equal(dtc_store_put(copy_to, &res, DTC_FACT_SUBSCRIPTION, k2, v, NULL), 0);
    free(copy_seed);
    FILE *f = open_memstream(&copy_seed, &copy_seedlen);
    assert_non_null(f);
    describe_copy_to(f);
    fclose(f);
}

/* What a user of the destination sees: its subscriptions and how many rows
 * of cost, allocation, revisions, runs and the outbox it holds. */
static void describe_copy_to(FILE *out)
{
    print_rows(copy_to, out,
               "SELECT uuid, name, budget_total_micro FROM subscription ORDER BY uuid", "tti");
    print_rows(copy_to, out,
               "SELECT (SELECT COUNT(*) FROM cost_day), (SELECT COUNT(*) FROM env_cost_day),"
               " (SELECT COUNT(*) FROM cost_allocation), (SELECT COUNT(*) FROM environment),"
               " (SELECT COUNT(*) FROM revision), (SELECT COUNT(*) FROM sync_run),"
               " (SELECT SUM(cost_micro) FROM env_cost_day)",
               "iiiiiii");
}

static int run_store_copy(FILE *out, char *why, size_t whylen)
{
    long armed = hold_failure();
    if (!copy_to) copy_to_open();
    dtc_alloc_fail_at(armed);

    dtc_copy_stats st;
    int rc = dtc_store_copy(copy_to, &st, store);

    armed = hold_failure();
    snprintf(why, whylen, "%s", rc ? dtc_store_errmsg(copy_to) : "");
    if (rc == 0) {
        fprintf(out, "tables %ld rows %ld\n", st.tables, st.rows);
        describe_copy_to(out);
        testdb_close(copy_to, copy_path); /* the next call starts from the seed again */
        copy_to = NULL;
    } else { /* one transaction: the destination as it was */
        char *after = NULL;
        size_t afterlen = 0;
        FILE *a = open_memstream(&after, &afterlen);
        assert_non_null(a);
        describe_copy_to(a);
        fclose(a);
        if (strcmp(copy_seed, after) != 0)
            fail_msg("dtc_store_copy failed (%s) and left the destination changed:\n%s\nwas\n%s",
                     dtc_strerror(rc), after, copy_seed);
        free(after);
    }
    dtc_alloc_fail_at(armed);
    return rc;
}

/* dtc_lic_import's destination, as copy_to: an empty database, opened when
 * NULL, dropped after an import that succeeded; and the folder it may put a
 * temporary file in, which must be empty after every call. */
static dtc_store *lic_to;
static char lic_path[256], lic_tmp[256];

static void describe_lic_to(FILE *out)
{
    print_rows(
        lic_to, out,
        "SELECT (SELECT COUNT(*) FROM lic_env_hour), (SELECT COUNT(*) FROM lic_ddu_hour),"
        " (SELECT COUNT(*) FROM lic_file), (SELECT SUM(fullstack_mhu) FROM lic_env_hour),"
        " (SELECT SUM(dem_centi) FROM lic_env_hour), (SELECT SUM(ddu_micro) FROM lic_ddu_hour)",
        "iiiiii");
}

static int run_license_import(FILE *out, char *why, size_t whylen)
{
    long armed = hold_failure();
    if (!lic_to) {
        lic_to = testdb_open(lic_path, sizeof(lic_path), "alloc-failure-lic");
        assert_non_null(lic_to);
    }
    dtc_alloc_fail_at(armed);

    dtc_lic_import_opts o = {.threads = 2, .tmpdir = lic_tmp};
    dtc_license_rules_default(&o.rules);
    dtc_lic_import_stats st;
    memset(&st, 0, sizeof(st));
    int rc = dtc_lic_import(&st, lic_to, DTC_TEST_DATA "/license/export.zip", &o);

    armed = hold_failure();
    snprintf(why, whylen, "%s", rc ? st.err : "");
    DIR *d = opendir(lic_tmp); /* no temporary file left behind, whatever happened */
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            fail_msg("dtc_lic_import left %s/%s behind (%s)", lic_tmp, e->d_name,
                     rc ? dtc_strerror(rc) : "success");
    closedir(d);
    if (rc == 0) {
        fprintf(out, "files %ld documents %ld env_hours %ld inserted %ld updated %ld\n", st.files,
                st.documents, st.env_hours, st.inserted, st.updated);
        describe_lic_to(out);
        testdb_close(lic_to, lic_path);
        lic_to = NULL;
    } else { /* one transaction: nothing of it written */
        char *after = NULL;
        size_t afterlen = 0;
        FILE *a = open_memstream(&after, &afterlen);
        assert_non_null(a);
        describe_lic_to(a);
        fclose(a);
        if (strcmp(after, "0 0 0 -1 -1 -1\n") != 0)
            fail_msg("dtc_lic_import failed (%s) and wrote: %s", dtc_strerror(rc), after);
        free(after);
    }
    dtc_alloc_fail_at(armed);
    return rc;
}

/* ---- dtc_sync_run against the emulator in a process of its own ---- */

/* The emulator runs in a child process forked before anything else, so
 * its allocations are not the ones failed here: one account, one
 * subscription, environment and capability, 30 days. */
static pid_t emu_pid = -1;
static int emu_port;
static emu_config emu_cfg;
static char emu_acct[64], emu_client_id[128], emu_client_secret[128];

static int emu_fork(void)
{
    int fds[2];
    if (pipe(fds) != 0) return -1;
    emu_config_defaults(&emu_cfg);
    emu_cfg.now = dtc_days_from_civil(2026, 11, 22) * 86400 + 6 * 3600;
    emu_cfg.port = 0;
    emu_cfg.days = 30;
    emu_cfg.subscriptions = 1;
    emu_cfg.environments = 1;
    emu_cfg.capabilities = 1;
    emu_cfg.rl_rps = emu_cfg.rl_inflight = 0; /* the loop asks faster than an account may */
    emu_pid = fork();
    if (emu_pid < 0) return -1;
    if (emu_pid == 0) { /* the emulator: serves until the test program ends */
        close(fds[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* it ends with the test, however that ends */
        if (getppid() == 1) _exit(1);
        signal(SIGPIPE, SIG_IGN);
        emu_model m;
        emu_server *srv = NULL;
        int port = 0;
        if (emu_model_build(&m, &emu_cfg) != 0 || emu_server_start(&srv, &m, &emu_cfg, &port))
            port = -1;
        char line[512];
        int n = snprintf(line, sizeof(line), "%d %s %s %s\n", port, m.accounts[0].uuid,
                         m.accounts[0].client_id, m.accounts[0].client_secret);
        if (write(fds[1], line, (size_t)n) != n) _exit(1);
        close(fds[1]);
        for (;;)
            pause();
    }
    close(fds[1]);
    char line[512] = "";
    ssize_t n = read(fds[0], line, sizeof(line) - 1);
    close(fds[0]);
    if (n <= 0 ||
        sscanf(line, "%d %63s %127s %127s", &emu_port, emu_acct, emu_client_id,
               emu_client_secret) != 4 ||
        emu_port <= 0)
        return -1;
    return 0;
}

static void emu_kill(void)
{
    if (emu_pid > 0) {
        kill(emu_pid, SIGKILL);
        waitpid(emu_pid, NULL, 0);
    }
}

static dtc_store *sync_to;
static char sync_path[256];

static int run_sync(FILE *out, char *why, size_t whylen)
{
    long armed = hold_failure();
    if (!sync_to) {
        sync_to = testdb_open(sync_path, sizeof(sync_path), "alloc-failure-sync");
        assert_non_null(sync_to);
    }
    char base[64], token[96];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", emu_port);
    snprintf(token, sizeof(token), "%s/sso/oauth2/token", base);
    dtc_account_cfg ac = {.name = "unit",
                          .uuid = emu_acct,
                          .client_id = emu_client_id,
                          .client_secret = emu_client_secret,
                          .sso_url = token,
                          .api_url = base};
    dtc_config cfg = {.trailing_days = 35,
                      .chunk_days = 7,
                      .alloc_chunk_days = 28,
                      .page_size = 50,
                      .alloc_page_size = 1000,
                      .concurrency = 1,
                      .accounts = &ac,
                      .naccounts = 1};
    int64_t today = emu_cfg.now / 86400;
    dtc_sync_opts so = {.cfg = &cfg,
                        .store = sync_to,
                        .today = today,
                        .since = today - 1,
                        .until = today - 1,
                        .retry_attempts = 1,
                        .retry_base_ms = 1,
                        .lock_seconds = 1};
    dtc_sync_result sr;
    memset(&sr, 0, sizeof(sr));
    dtc_alloc_fail_at(armed);
    int rc = dtc_sync_run(&sr, &so);
    armed = hold_failure();
    snprintf(why, whylen, "%s", rc ? sr.err : "");
    if (rc == 0) {
        print_rows(sync_to, out,
                   "SELECT (SELECT COUNT(*) FROM subscription), (SELECT COUNT(*) FROM cost_day),"
                   " (SELECT SUM(cost_micro) FROM cost_day), (SELECT COUNT(*) FROM env_cost_day),"
                   " (SELECT SUM(cost_micro) FROM env_cost_day),"
                   " (SELECT COUNT(*) FROM env_usage_day), (SELECT COUNT(*) FROM cost_allocation),"
                   " (SELECT COUNT(*) FROM rate_card), (SELECT COUNT(*) FROM environment)",
                   "iiiiiiiii");
        testdb_close(sync_to, sync_path);
        sync_to = NULL;
    }
    dtc_alloc_fail_at(armed);
    return rc;
}

/* Run fn once with no failure (the reference), then with the Nth allocation
 * failing for N = 1.. until the call makes fewer than N. */
static void fail_each_allocation(entry_fn fn, const char *name, int want_why)
{
    char *ref = NULL, *got = NULL, why[1024];
    size_t reflen = 0, gotlen = 0;
    int64_t t0 = dtc_mono_ms();
    FILE *out = open_memstream(&ref, &reflen);
    assert_non_null(out);
    assert_int_equal(fn(out, why, sizeof(why)), 0);
    fclose(out);
    assert_true(reflen > 0);
    long n = 1, failures = 0;
    for (; n <= MAX_ALLOCATIONS; n++) {
        out = open_memstream(&got, &gotlen);
        assert_non_null(out);
        why[0] = '\0';
        dtc_alloc_fail_at(n);
        int rc = fn(out, why, sizeof(why));
        long pending = dtc_alloc_fail_pending();
        dtc_alloc_fail_at(0);
        fclose(out);
        if (pending > 0) { /* the call made fewer than n allocations: done */
            assert_int_equal(rc, 0);
            assert_string_equal(got, ref);
            free(got);
            break;
        }
        if (rc == 0) {
            /* An allocation that failed was survived: only if nothing changed. */
            if (strcmp(got, ref) != 0)
                fail_msg("%s: allocation %ld failed, the call said success but its result differs",
                         name, n);
        } else {
            failures++;
            if (rc > 0 || dtc_strerror(rc)[0] == '\0')
                fail_msg("%s: allocation %ld failed, the call returned %d, not an error code", name,
                         n, rc);
            if (want_why && !why[0])
                fail_msg("%s: allocation %ld failed (%s) without the message its contract promises",
                         name, n, dtc_strerror(rc));
        }
        free(got);
        got = NULL;
    }
    assert_true(n <= MAX_ALLOCATIONS);
    assert_true(failures > 0); /* the hook reached the call at all */
    print_message("%s: %ld allocations, each failed once: %ld errors, %.1f s\n", name, n - 1,
                  failures, (double)(dtc_mono_ms() - t0) / 1000);
    free(ref);
}

static int setup(void **state)
{
    (void)state;
    store = testdb_open(db_path, sizeof(db_path), "alloc-failure");
    assert_non_null(store);
    assert_int_equal(facts_load(store, "metrics/small.facts"), 0);
    assert_int_equal(facts_load(store, "verify/one_of_each.facts"), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    testdb_close(store, db_path);
    return 0;
}

static void test_report_build_fails_cleanly_at_each_allocation(void **state)
{
    (void)state;
    fail_each_allocation(run_report, "dtc_report_build", 0);
}

static void test_focus_export_fails_cleanly_at_each_allocation_with_a_reason(void **state)
{
    (void)state;
    fail_each_allocation(run_export_focus, "dtc_export_write FOCUS", 1);
}

static void test_csv_and_jsonl_export_fail_cleanly_at_each_allocation(void **state)
{
    (void)state;
    fail_each_allocation(run_export_csv, "dtc_export_write CSV", 1);
    fail_each_allocation(run_export_jsonl, "dtc_export_write JSONL", 1);
}

static void test_chargeback_fails_cleanly_at_each_allocation_with_a_reason(void **state)
{
    (void)state;
    fail_each_allocation(run_chargeback, "dtc_chargeback", 1);
}

static void test_verify_fails_cleanly_at_each_allocation(void **state)
{
    (void)state;
    fail_each_allocation(run_verify, "dtc_verify_run", 0);
}

static void test_metrics_fail_cleanly_at_each_allocation(void **state)
{
    (void)state;
    fail_each_allocation(run_metrics, "dtc_metrics_store+process", 0);
}

static void test_config_load_fails_cleanly_at_each_allocation(void **state)
{
    (void)state;
    fail_each_allocation(run_config, "dtc_config_file_load", 0);
}

static void test_store_copy_fails_cleanly_at_each_allocation_leaving_the_destination(void **state)
{
    (void)state;
    fail_each_allocation(run_store_copy, "dtc_store_copy", 1);
    if (copy_to) testdb_close(copy_to, copy_path);
    copy_to = NULL;
    free(copy_seed);
    copy_seed = NULL;
}

static void test_license_import_fails_cleanly_at_each_allocation_writing_nothing(void **state)
{
    (void)state;
    snprintf(lic_tmp, sizeof(lic_tmp), "/tmp/dtcost-unit-alloc-lic-%d", (int)getpid());
    rmdir(lic_tmp);
    assert_int_equal(mkdir(lic_tmp, 0700), 0);
    fail_each_allocation(run_license_import, "dtc_lic_import", 1);
    if (lic_to) testdb_close(lic_to, lic_path);
    lic_to = NULL;
    assert_int_equal(rmdir(lic_tmp), 0);
}

static void test_sync_fails_cleanly_at_each_allocation_with_a_reason(void **state)
{
    (void)state;
    fail_each_allocation(run_sync, "dtc_sync_run", 1);
    if (sync_to) testdb_close(sync_to, sync_path); /* with the account lock's file */
    sync_to = NULL;
}

static void test_license_parsing_fails_cleanly_at_each_allocation(void **state)
{
    (void)state;
    fail_each_allocation(run_license_whole, "dtc_lic_parser_parse", 0);
    fail_each_allocation(run_license_streaming, "dtc_lic_parser_feed", 0);
}

int main(void)
{
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &sq_mem) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_LOOKASIDE, 0, 0) != SQLITE_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_build_fails_cleanly_at_each_allocation),
        cmocka_unit_test(test_focus_export_fails_cleanly_at_each_allocation_with_a_reason),
        cmocka_unit_test(test_csv_and_jsonl_export_fail_cleanly_at_each_allocation),
        cmocka_unit_test(test_chargeback_fails_cleanly_at_each_allocation_with_a_reason),
        cmocka_unit_test(test_verify_fails_cleanly_at_each_allocation),
        cmocka_unit_test(test_metrics_fail_cleanly_at_each_allocation),
        cmocka_unit_test(test_config_load_fails_cleanly_at_each_allocation),
        cmocka_unit_test(test_license_parsing_fails_cleanly_at_each_allocation),
        cmocka_unit_test(test_store_copy_fails_cleanly_at_each_allocation_leaving_the_destination),
        cmocka_unit_test(test_license_import_fails_cleanly_at_each_allocation_writing_nothing),
        cmocka_unit_test(test_sync_fails_cleanly_at_each_allocation_with_a_reason),
    };
    if (emu_fork() != 0) {
        emu_kill();
        return 1;
    }
    int failed = cmocka_run_group_tests(tests, setup, teardown);
    emu_kill();
    return failed;
}
