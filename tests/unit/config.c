/* Unit tests for src/lib/config.c: the one loader (sections to their owners,
 * errors with line numbers, long lines), the shared value parsers, where the
 * config file and the database are found, precedence of file, environment
 * and flags, and secret files. Config files are under tests/data/config/. */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "config_impl.h"
#include "dtcost/chargeback.h"
#include "dtcost/config.h"
#include "dtcost/license.h"
#include "dtcost/push.h"

#define DATA DTC_TEST_DATA "/config/"

static char dir[128];

static void write_file(const char *name, const char *text, mode_t mode, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", dir, name);
    FILE *f = fopen(out, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(out, mode);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* After the last test: the directory the tests wrote their files in. */
static int remove_dir(void **state)
{
    (void)state;
    if (dir[0]) nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/dtcost-unit-config-%d", (int)getpid());
    mkdir(dir, 0700);
    static const char *vars[] = {
        "DT_ACCOUNT_UUID", "DT_CLIENT_ID", "DT_CLIENT_SECRET", "DT_CLIENT_SECRET_FILE",
        "DT_SSO_URL",      "DT_API_URL",   "DTCOST_DB",        "DTCOST_CONFIG"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    setenv("XDG_CONFIG_HOME", dir, 1); /* no file there unless a test writes one */
    return 0;
}

/* Load path into every owner; the caller disposes with dispose_all. */
typedef struct all {
    dtc_config core;
    dtc_push_config push;
    dtc_license_config lic;
    dtc_allocation alloc;
    dtc_config_file f;
} all;

static int load_all(all *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    a->f.core = &a->core;
    a->f.push = &a->push;
    a->f.license = &a->lic;
    a->f.allocation = &a->alloc;
    return dtc_config_file_load(&a->f, path);
}

static void dispose_all(all *a)
{
    dtc_config_dispose(&a->core);
    dtc_push_config_dispose(&a->push);
    dtc_license_config_dispose(&a->lic);
    dtc_allocation_dispose(&a->alloc);
    dtc_config_file_dispose(&a->f);
}

static void test_config_sections_reach_their_owners(void **state)
{
    (void)state;
    all a;
    assert_int_equal(load_all(&a, DATA "every-section.ini"), 0);
    assert_string_equal(a.f.database, "shared.db");
    assert_int_equal(a.core.trailing_days, 10);
    assert_int_equal(a.core.concurrency, 2);
    assert_int_equal(a.core.naccounts, 1);
    assert_string_equal(a.core.accounts[0].name, "prod");
    assert_string_equal(a.core.accounts[0].sso_url, "http://127.0.0.1:1/sso");
    assert_int_equal(a.push.ndests, 1);
    assert_string_equal(a.push.dests[0].name, "finance");
    assert_int_equal(a.push.dests[0].timeout_ms, 120000);
    assert_int_equal(a.push.dests[0].batch_bytes, 65536);
    assert_int_equal(a.push.dests[0].format, DTC_PUSH_JSON_ARRAY);
    assert_int_equal(a.push.serve.interval, 3600);
    assert_int_equal(a.push.serve.jitter, 30);
    assert_false(a.push.serve.sync);
    assert_string_equal(a.push.serve.listen, "127.0.0.1:9999");
    assert_false(a.lic.rules.infra_cap);
    assert_int_equal(a.lic.price_fullstack, 80000);
    assert_int_equal(a.lic.price_paas, 80000); /* application-only at the Full-Stack price */
    assert_string_equal(a.lic.currency, "EUR");
    assert_int_equal(a.alloc.split, DTC_SPLIT_EVEN);
    assert_int_equal(a.alloc.nrules, 2);
    assert_string_equal(a.alloc.rules[0].team, "web");
    assert_null(a.alloc.rules[1].team);
    assert_int_equal(a.alloc.rules[1].capability, 1);
    dispose_all(&a);
}

static void test_config_sections_of_other_commands_are_skipped(void **state)
{
    (void)state;
    dtc_allocation alloc;
    dtc_config_file f = {.allocation = &alloc};
    assert_int_equal(dtc_config_file_load(&f, DATA "every-section.ini"), 0);
    assert_int_equal(alloc.nrules, 2);
    assert_string_equal(f.database, "shared.db"); /* every command may need it */
    dtc_allocation_dispose(&alloc);
    dtc_config_file_dispose(&f);
}

static void expect_error(const char *file, int rc, const char *needle)
{
    all a;
    char path[512];
    snprintf(path, sizeof(path), "%s%s", DATA, file);
    assert_int_equal(load_all(&a, path), rc);
    if (!strstr(a.f.err, needle)) fail_msg("%s: '%s' not in '%s'", file, needle, a.f.err);
    assert_non_null(strstr(a.f.err, path));
    dispose_all(&a);
}

static void test_config_errors_name_the_file_and_line(void **state)
{
    (void)state;
    expect_error("unknown-section.ini", DTC_EINVAL, "line 4: unknown section [pushes finance]");
    /* ... and the message lists every section there is, from the loader's table */
    expect_error("unknown-section.ini", DTC_EINVAL,
                 "(sections are dtcost, account NAME, push NAME, serve, license, allocation and "
                 "export; see docs/config.md)");
    expect_error("unknown-key.ini", DTC_EINVAL, "line 4: unknown setting [dtcost] concurency");
    expect_error("bad-duration.ini", DTC_EINVAL,
                 "line 2: [serve] interval: '2 fortnights' must be a duration");
    expect_error("not-ini.ini", DTC_EINVAL, "line 3: not 'key = value'");
    expect_error("unnamed-section.ini", DTC_EINVAL, "line 1: [push] needs a name");
    expect_error("secret-inline.ini", DTC_EINVAL,
                 "line 4: [account prod] client_secret: is not read");
    all a;
    assert_int_equal(load_all(&a, DATA "secret-inline.ini"), DTC_EINVAL);
    assert_null(strstr(a.f.err, "do-not-put-me-here"));
    dispose_all(&a);
}

static void test_config_reads_a_1500_byte_webhook_url(void **state)
{
    (void)state;
    all a;
    assert_int_equal(load_all(&a, DATA "long-webhook-url.ini"), 0);
    assert_int_equal(a.push.ndests, 1);
    assert_int_equal(strlen(a.push.dests[0].url), 1500);
    assert_true(strncmp(a.push.dests[0].url, "https://hooks.example.com/services/T0123ABCD/", 45) ==
                0);
    assert_int_equal(a.push.dests[0].timeout_ms, 45000); /* the line after it is read too */
    dispose_all(&a);
}

static void test_config_long_lines_keep_inline_comments_and_continuations(void **state)
{
    (void)state;
    char path[256];
    size_t n = 3000;
    char *text = dtc_malloc(3 * n + 200), *v = dtc_malloc(n + 1);
    memset(v, 'a', n);
    v[n] = '\0';
    /* inih continues a value on an indented line: a second header here */
    snprintf(text, 3 * n + 200,
             "[license]\ncluster_url = https://%s ; a comment\n[push x]\nurl = https://h.example\n"
             "header = X-A: %s\n    X-B: %s\n",
             v, v, v);
    write_file("long.ini", text, 0600, path, sizeof(path));
    all a;
    if (load_all(&a, path) != 0) fail_msg("%s", a.f.err);
    assert_int_equal(strlen(a.lic.cluster_url), n + 8);
    assert_int_equal(a.push.dests[0].nheaders, 2);
    assert_int_equal(strlen(a.push.dests[0].headers[0]), n + 5);
    assert_int_equal(strncmp(a.push.dests[0].headers[1], "X-B: aaa", 8), 0);
    assert_int_equal(strlen(a.push.dests[0].headers[1]), n + 5);
    dispose_all(&a);
    /* the last line, long and without a newline, ends where the file does */
    snprintf(text, 3 * n + 200, "[push y]\nurl = https://%s", v);
    write_file("long-last.ini", text, 0600, path, sizeof(path));
    assert_int_equal(load_all(&a, path), 0);
    assert_int_equal(strlen(a.push.dests[0].url), n + 8);
    dispose_all(&a);
    dtc_free(text);
    dtc_free(v);
}

static void test_config_refuses_lines_and_files_past_their_caps(void **state)
{
    (void)state;
    char path[256];
    size_t n = DTC_CONFIG_MAX_LINE + 1;
    char *text = dtc_malloc(n + 64);
    int len = snprintf(text, n + 64, "[push x]\nurl = ");
    memset(text + len, 'u', n);
    strcpy(text + len + n, "\n");
    write_file("huge-line.ini", text, 0600, path, sizeof(path));
    all a;
    assert_int_equal(load_all(&a, path), DTC_EINVAL);
    assert_non_null(strstr(a.f.err, "line 2: longer than 65536 bytes"));
    dispose_all(&a);
    dtc_free(text);

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("[dtcost]\n", f);
    for (int i = 0; i < DTC_CONFIG_MAX_FILE / 16 + 1; i++)
        fputs("; a comment ...\n", f);
    fclose(f);
    assert_int_equal(load_all(&a, path), DTC_EINVAL);
    assert_non_null(strstr(a.f.err, "larger than 1048576 bytes"));
    dispose_all(&a);

    write_file("nul.ini", "[dtcost]\ntrailing_days = 1\x01\n", 0600, path, sizeof(path));
    assert_int_equal(load_all(&a, path), DTC_EINVAL);
    assert_non_null(strstr(a.f.err, "line 2: holds a control character"));
    dispose_all(&a);
}

static int parse(int (*fn)(const dtc_config_item *, long, long, long *), const char *v, long lo,
                 long hi, long *out)
{
    char why[256] = "";
    dtc_config_item it = {"s", "", "k", v, why, sizeof(why)};
    int rc = fn(&it, lo, hi, out);
    if (rc) assert_true(why[0] != '\0'); /* every refusal says why */
    return rc;
}

static void test_config_int_parser_edges(void **state)
{
    (void)state;
    long n = -7;
    assert_int_equal(parse(dtc_config__int, "0", 0, 10, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(parse(dtc_config__int, "10", 0, 10, &n), 0);
    assert_int_equal(n, 10);
    assert_int_equal(parse(dtc_config__int, "11", 0, 10, &n), DTC_EINVAL);
    assert_int_equal(parse(dtc_config__int, "-1", 0, 10, &n), DTC_EINVAL);
    assert_int_equal(parse(dtc_config__int, "-1", -5, 10, &n), 0);
    assert_int_equal(n, -1);
    assert_int_equal(parse(dtc_config__int, "", 0, 10, &n), DTC_EINVAL);
    assert_int_equal(parse(dtc_config__int, "5x", 0, 10, &n), DTC_EINVAL);
    assert_int_equal(parse(dtc_config__int, "+5", 0, 10, &n), DTC_EINVAL);
    assert_int_equal(parse(dtc_config__int, "99999999999999999999", 0, 10, &n), DTC_EINVAL);
    assert_int_equal(n, -1); /* refusals leave the output alone */
}

static void test_config_duration_parser_edges(void **state)
{
    (void)state;
    long n = 0;
    static const struct {
        const char *v;
        long want;
    } ok[] = {{"90", 90},    {"90s", 90},   {"15m", 900}, {"2h", 7200},
              {"1d", 86400}, {"1D", 86400}, {"0", 0}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(parse(dtc_config__duration, ok[i].v, 0, 86400, &n), 0);
        assert_int_equal(n, ok[i].want);
    }
    static const char *const bad[] = {
        "", "s", "1w", "1.5h", "-1s", "86401", "2d", "99999999999999999d", "1 fortnight"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(dtc_config__duration, bad[i], 0, 86400, &n) != DTC_EINVAL)
            fail_msg("duration '%s' was accepted", bad[i]);
}

static void test_config_size_parser_edges(void **state)
{
    (void)state;
    long n = 0;
    static const struct {
        const char *v;
        long want;
    } ok[] = {{"1024", 1024},  {"1K", 1024},      {"64k", 65536},
              {"1M", 1048576}, {"1MiB", 1048576}, {"1G", 1L << 30}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        assert_int_equal(parse(dtc_config__size, ok[i].v, 1024, 1L << 30, &n), 0);
        assert_int_equal(n, ok[i].want);
    }
    static const char *const bad[] = {
        "1023", "2G", "1T", "1KB", "-1K", "K", "9223372036854775807K"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(dtc_config__size, bad[i], 1024, 1L << 30, &n) != DTC_EINVAL)
            fail_msg("size '%s' was accepted", bad[i]);
}

static void test_config_bool_choice_and_amount_parser_edges(void **state)
{
    (void)state;
    char why[256];
    bool b = false;
    static const char *const yes[] = {"yes", "TRUE", "On", "1"}, *const no[] = {"no", "False",
                                                                                "OFF", "0"};
    for (size_t i = 0; i < 4; i++) {
        dtc_config_item y = {"s", "", "k", yes[i], why, sizeof(why)},
                        n = {"s", "", "k", no[i], why, sizeof(why)};
        assert_int_equal(dtc_config__bool(&y, &b), 0);
        assert_true(b);
        assert_int_equal(dtc_config__bool(&n, &b), 0);
        assert_false(b);
    }
    dtc_config_item bad = {"s", "", "k", "yep", why, sizeof(why)};
    assert_int_equal(dtc_config__bool(&bad, &b), DTC_EINVAL);
    assert_string_equal(why, "'yep' is not yes or no (true/false, on/off, 1/0)");

    static const char *const names[] = {"proportional", "even", NULL};
    int i = -1;
    dtc_config_item even = {"s", "", "k", "even", why, sizeof(why)},
                    odd = {"s", "", "k", "odd", why, sizeof(why)};
    assert_int_equal(dtc_config__choice(&even, names, &i), 0);
    assert_int_equal(i, 1);
    assert_int_equal(dtc_config__choice(&odd, names, &i), DTC_EINVAL);
    assert_string_equal(why, "'odd' is not one it takes: proportional or even");

    int64_t m = 0;
    dtc_config_item price = {"s", "", "k", "0.000001", why, sizeof(why)};
    assert_int_equal(dtc_config__micros(&price, 1e9, &m), 0);
    assert_int_equal(m, 1);
    static const char *const badm[] = {"-0.5", "1e10", "nan", "inf", "", "1,5"};
    for (size_t k = 0; k < sizeof(badm) / sizeof(badm[0]); k++) {
        dtc_config_item it = {"s", "", "k", badm[k], why, sizeof(why)};
        if (dtc_config__micros(&it, 1e9, &m) != DTC_EINVAL)
            fail_msg("amount '%s' was accepted", badm[k]);
    }
}

static void test_config_file_is_found_by_flag_variable_then_xdg(void **state)
{
    (void)state;
    char err[512], *path = NULL;
    assert_int_equal(dtc_config_find(&path, NULL, err, sizeof(err)), 0);
    assert_null(path); /* nothing anywhere: no file, no error */
    assert_int_equal(dtc_config_find(&path, "/nonexistent/dtcost.ini", err, sizeof(err)),
                     DTC_ENOTFOUND);
    assert_non_null(
        strstr(err, "config /nonexistent/dtcost.ini: No such file or directory (check --config)"));
    setenv("DTCOST_CONFIG", "/nonexistent/env.ini", 1);
    assert_int_equal(dtc_config_find(&path, NULL, err, sizeof(err)), DTC_ENOTFOUND);
    assert_non_null(strstr(err, "check DTCOST_CONFIG"));

    char sub[256], xdg[300];
    snprintf(sub, sizeof(sub), "%s/dtcost", dir);
    mkdir(sub, 0700);
    write_file("dtcost/config.ini", "[dtcost]\ndatabase = xdg.db\n", 0600, xdg, sizeof(xdg));
    assert_int_equal(dtc_config_find(&path, NULL, err, sizeof(err)),
                     DTC_ENOTFOUND); /* the variable still wins */
    unsetenv("DTCOST_CONFIG");
    assert_int_equal(dtc_config_find(&path, NULL, err, sizeof(err)), 0);
    assert_string_equal(path, xdg);
    dtc_free(path);
    assert_int_equal(dtc_config_find(&path, DATA "every-section.ini", err, sizeof(err)), 0);
    assert_string_equal(path, DATA "every-section.ini");
    dtc_free(path);
    unlink(xdg);
    rmdir(sub);
}

static void test_config_database_is_flag_variable_file_then_default(void **state)
{
    (void)state;
    dtc_config_file f = {.database = "file.db"};
    assert_string_equal(dtc_config_db_path(NULL, NULL), "dtcost.db");
    assert_string_equal(dtc_config_db_path(NULL, &f), "file.db");
    setenv("DTCOST_DB", "env.db", 1);
    assert_string_equal(dtc_config_db_path(NULL, &f), "env.db");
    assert_string_equal(dtc_config_db_path("flag.db", &f), "flag.db");
    unsetenv("DTCOST_DB");
    char err[512], missing[256];
    snprintf(missing, sizeof(missing), "%s/missing.db", dir);
    assert_int_equal(dtc_config_db_require(missing, err, sizeof(err)), DTC_ENOTFOUND);
    assert_non_null(strstr(err, "does not exist: run dtcost sync first (or pass --db)"));
    assert_int_equal(access(missing, F_OK), -1); /* nothing created */
    assert_int_equal(dtc_config_db_require(DATA "every-section.ini", err, sizeof(err)), 0);
}

static void test_config_secret_file_readable_by_others_is_refused(void **state)
{
    (void)state;
    char p[256], err[512];
    char *secret = NULL;
    write_file("open", "s3cret\n", 0644, p, sizeof(p));
    assert_int_equal(dtc_read_secret_file(&secret, p, err, sizeof(err)), DTC_EINVAL);
    assert_null(secret);
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "s3cret"));
    write_file("closed", "s3cret\n\n", 0600, p, sizeof(p));
    assert_int_equal(dtc_read_secret_file(&secret, p, err, sizeof(err)), 0);
    assert_string_equal(secret, "s3cret");
    dtc_free_secret(secret);
}

static void test_config_environment_and_flags_override_the_file(void **state)
{
    (void)state;
    char ini[256], sec[256], text[1024];
    write_file("secret", "from-file\n", 0600, sec, sizeof(sec));
    snprintf(text, sizeof(text),
             "[dtcost]\ndatabase = file.db\ntrailing_days = 10\n\n"
             "[account a]\naccount_uuid = uuid-a\nclient_id = id-a\nclient_secret_file = %s\n\n"
             "[account b]\naccount_uuid = uuid-b\nclient_id = id-b\nclient_secret_file = %s\n"
             "api_url = http://127.0.0.1:1\n",
             sec, sec);
    write_file("dtcost.ini", text, 0600, ini, sizeof(ini));
    dtc_config c;
    dtc_config_file f = {.core = &c};
    dtc_config_flags fl = {.config_path = ini};
    assert_int_equal(dtc_config_file_load(&f, fl.config_path), 0);
    assert_int_equal(dtc_config_resolve(&c, &fl, &f), 0);
    assert_int_equal(c.naccounts, 2);
    assert_string_equal(c.database, "file.db");
    assert_int_equal(c.trailing_days, 10);
    assert_string_equal(c.accounts[0].client_secret, "from-file");
    assert_string_equal(c.accounts[0].api_url, DTC_DEFAULT_API_URL);
    assert_string_equal(c.accounts[1].api_url, "http://127.0.0.1:1");
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);

    setenv("DTCOST_DB", "env.db", 1);
    setenv("DT_ACCOUNT_UUID", "uuid-b", 1);
    setenv("DT_CLIENT_SECRET", "from-env", 1);
    fl.trailing_days = 3;
    assert_int_equal(dtc_config_file_load(&f, fl.config_path), 0);
    assert_int_equal(dtc_config_resolve(&c, &fl, &f), 0);
    assert_int_equal(c.naccounts, 1); /* the named account only */
    assert_string_equal(c.accounts[0].uuid, "uuid-b");
    assert_string_equal(c.accounts[0].client_secret, "from-env");
    assert_string_equal(c.database, "env.db");
    assert_int_equal(c.trailing_days, 3);
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);
    fl.database = "flag.db";
    assert_int_equal(dtc_config_file_load(&f, fl.config_path), 0);
    assert_int_equal(dtc_config_resolve(&c, &fl, &f), 0);
    assert_string_equal(c.database, "flag.db");
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);
    unsetenv("DTCOST_DB");
    unsetenv("DT_ACCOUNT_UUID");
    unsetenv("DT_CLIENT_SECRET");
}

static void test_config_db_retry_is_a_duration_from_the_file_or_the_flag(void **state)
{
    (void)state;
    char ini[256], text[512];
    dtc_config c;
    dtc_config_file f = {.core = &c};
    dtc_config_flags fl = {.config_path = ini};
    setenv("DT_ACCOUNT_UUID", "uuid-a", 1);
    setenv("DT_CLIENT_ID", "id-a", 1);
    setenv("DT_CLIENT_SECRET", "s", 1);
    write_file("none.ini", "[dtcost]\ntrailing_days = 10\n", 0600, ini, sizeof(ini));
    assert_int_equal(dtc_config_file_load(&f, ini), 0);
    assert_int_equal(dtc_config_resolve(&c, &fl, &f), 0);
    assert_int_equal(c.db_retry, 60); /* the default */
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);

    snprintf(text, sizeof(text), "[dtcost]\ndb_retry = 2m\n");
    write_file("retry.ini", text, 0600, ini, sizeof(ini));
    assert_int_equal(dtc_config_file_load(&f, ini), 0);
    assert_int_equal(dtc_config_resolve(&c, &fl, &f), 0);
    assert_int_equal(c.db_retry, 120);
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);
    fl.db_retry = 0; /* --db-retry 0: no retry, over the file's */
    fl.db_retry_set = true;
    assert_int_equal(dtc_config_file_load(&f, ini), 0);
    assert_int_equal(dtc_config_resolve(&c, &fl, &f), 0);
    assert_int_equal(c.db_retry, 0);
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);
    fl.db_retry = 86401;
    assert_int_equal(dtc_config_file_load(&f, ini), 0);
    assert_int_equal(dtc_config_resolve(&c, &fl, &f), DTC_EINVAL);
    assert_non_null(strstr(c.err, "--db-retry must be 0..86400 seconds"));
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);

    write_file("bad.ini", "[dtcost]\ndb_retry = 2 days\n", 0600, ini, sizeof(ini));
    assert_int_equal(dtc_config_file_load(&f, ini), DTC_EINVAL);
    assert_non_null(strstr(f.err, "line 2"));
    assert_non_null(strstr(f.err, "db_retry"));
    assert_non_null(strstr(f.err, "must be a duration from 0 to 86400 seconds"));
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);
    unsetenv("DT_ACCOUNT_UUID");
    unsetenv("DT_CLIENT_ID");
    unsetenv("DT_CLIENT_SECRET");
}

static void test_config_names_the_missing_setting(void **state)
{
    (void)state;
    dtc_config c;
    dtc_config_file f = {.core = &c};
    assert_int_equal(dtc_config_file_load(&f, NULL), 0);
    assert_int_equal(dtc_config_resolve(&c, NULL, &f), DTC_EINVAL);
    assert_non_null(strstr(c.err, "no account configured"));
    dtc_config_dispose(&c);
    setenv("DT_ACCOUNT_UUID", "uuid-x", 1);
    setenv("DT_CLIENT_ID", "id-x", 1);
    assert_int_equal(dtc_config_file_load(&f, NULL), 0);
    assert_int_equal(dtc_config_resolve(&c, NULL, &f), DTC_EINVAL);
    assert_non_null(strstr(c.err, "account uuid-x: missing the OAuth client secret"));
    dtc_config_dispose(&c);
    dtc_config_file_dispose(&f);
    unsetenv("DT_ACCOUNT_UUID");
    unsetenv("DT_CLIENT_ID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config_sections_reach_their_owners, setup),
        cmocka_unit_test_setup(test_config_sections_of_other_commands_are_skipped, setup),
        cmocka_unit_test_setup(test_config_errors_name_the_file_and_line, setup),
        cmocka_unit_test_setup(test_config_reads_a_1500_byte_webhook_url, setup),
        cmocka_unit_test_setup(test_config_long_lines_keep_inline_comments_and_continuations,
                               setup),
        cmocka_unit_test_setup(test_config_refuses_lines_and_files_past_their_caps, setup),
        cmocka_unit_test_setup(test_config_int_parser_edges, setup),
        cmocka_unit_test_setup(test_config_duration_parser_edges, setup),
        cmocka_unit_test_setup(test_config_size_parser_edges, setup),
        cmocka_unit_test_setup(test_config_bool_choice_and_amount_parser_edges, setup),
        cmocka_unit_test_setup(test_config_file_is_found_by_flag_variable_then_xdg, setup),
        cmocka_unit_test_setup(test_config_database_is_flag_variable_file_then_default, setup),
        cmocka_unit_test_setup(test_config_secret_file_readable_by_others_is_refused, setup),
        cmocka_unit_test_setup(test_config_environment_and_flags_override_the_file, setup),
        cmocka_unit_test_setup(test_config_db_retry_is_a_duration_from_the_file_or_the_flag, setup),
        cmocka_unit_test_setup(test_config_names_the_missing_setting, setup),
    };
    return cmocka_run_group_tests(tests, NULL, remove_dir);
}
