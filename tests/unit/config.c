/* Unit tests for src/lib/config.c: precedence of file, environment and flags;
 * secret files; the message naming what is missing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dtcost/config.h"

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

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/dtcost-unit-config-%d", (int)getpid());
    mkdir(dir, 0700);
    static const char *vars[] = {"DT_ACCOUNT_UUID", "DT_CLIENT_ID", "DT_CLIENT_SECRET", "DT_CLIENT_SECRET_FILE",
                                 "DT_SSO_URL", "DT_API_URL", "DTCOST_DB", "DTCOST_CONFIG"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    return 0;
}

static void test_config_secret_file_readable_by_others_is_refused(void **state)
{
    char p[256], err[512];
    char *secret = NULL;
    write_file("open", "s3cret\n", 0644, p, sizeof(p));
    assert_int_equal(dtc_read_secret_file(p, &secret, err, sizeof(err)), DTC_EINVAL);
    assert_null(secret);
    assert_non_null(strstr(err, "chmod 600"));
    assert_null(strstr(err, "s3cret"));
    write_file("closed", "s3cret\n\n", 0600, p, sizeof(p));
    assert_int_equal(dtc_read_secret_file(p, &secret, err, sizeof(err)), 0);
    assert_string_equal(secret, "s3cret");
    free(secret);
}

static void test_config_environment_and_flags_override_the_file(void **state)
{
    char ini[256], sec[256], text[1024];
    write_file("secret", "from-file\n", 0600, sec, sizeof(sec));
    snprintf(text, sizeof(text),
             "[dtcost]\ndatabase = file.db\ntrailing_days = 10\n\n"
             "[account a]\naccount_uuid = uuid-a\nclient_id = id-a\nclient_secret_file = %s\n\n"
             "[account b]\naccount_uuid = uuid-b\nclient_id = id-b\nclient_secret_file = %s\n"
             "api_url = http://127.0.0.1:1\n", sec, sec);
    write_file("dtcost.ini", text, 0600, ini, sizeof(ini));
    dtc_config c;
    dtc_config_flags fl = {.config_path = ini};
    assert_int_equal(dtc_config_resolve(&c, &fl), 0);
    assert_int_equal(c.naccounts, 2);
    assert_string_equal(c.database, "file.db");
    assert_int_equal(c.trailing_days, 10);
    assert_string_equal(c.accounts[0].client_secret, "from-file");
    assert_string_equal(c.accounts[0].api_url, DTC_DEFAULT_API_URL);
    assert_string_equal(c.accounts[1].api_url, "http://127.0.0.1:1");
    dtc_config_dispose(&c);

    setenv("DTCOST_DB", "env.db", 1);
    setenv("DT_ACCOUNT_UUID", "uuid-b", 1);
    setenv("DT_CLIENT_SECRET", "from-env", 1);
    fl.trailing_days = 3;
    assert_int_equal(dtc_config_resolve(&c, &fl), 0);
    assert_int_equal(c.naccounts, 1); /* the named account only */
    assert_string_equal(c.accounts[0].uuid, "uuid-b");
    assert_string_equal(c.accounts[0].client_secret, "from-env");
    assert_string_equal(c.database, "env.db");
    assert_int_equal(c.trailing_days, 3);
    dtc_config_dispose(&c);
    fl.database = "flag.db";
    assert_int_equal(dtc_config_resolve(&c, &fl), 0);
    assert_string_equal(c.database, "flag.db");
    dtc_config_dispose(&c);
    unsetenv("DTCOST_DB");
    unsetenv("DT_ACCOUNT_UUID");
    unsetenv("DT_CLIENT_SECRET");
}

static void test_config_names_the_missing_setting(void **state)
{
    dtc_config c;
    assert_int_equal(dtc_config_resolve(&c, NULL), DTC_EINVAL);
    assert_non_null(strstr(c.err, "no account configured"));
    dtc_config_dispose(&c);
    setenv("DT_ACCOUNT_UUID", "uuid-x", 1);
    setenv("DT_CLIENT_ID", "id-x", 1);
    assert_int_equal(dtc_config_resolve(&c, NULL), DTC_EINVAL);
    assert_non_null(strstr(c.err, "account uuid-x: missing the OAuth client secret"));
    dtc_config_dispose(&c);
    unsetenv("DT_ACCOUNT_UUID");
    unsetenv("DT_CLIENT_ID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_config_secret_file_readable_by_others_is_refused, setup),
        cmocka_unit_test_setup(test_config_environment_and_flags_override_the_file, setup),
        cmocka_unit_test_setup(test_config_names_the_missing_setting, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
