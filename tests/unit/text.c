/* Unit tests for src/util/text.c: untrusted text on one safe line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

static const char *line(char *buf, size_t n, const char *src, size_t max, const char *secret)
{
    const char *secrets[1] = {secret};
    return dtc_text_oneline(buf, n, src, strlen(src), max, secrets, secret ? 1 : 0);
}

static void test_control_characters_and_escapes_become_single_spaces(void **state)
{
    char b[128];
    assert_string_equal(line(b, sizeof(b), "  bad\r\n\tpage\x1b[31m key\x7f ", 100, NULL), "bad page [31m key");
}

static void test_a_secret_is_replaced_before_the_cut_so_no_part_survives(void **state)
{
    char b[128];
    const char *secret = "dt0s02.ABCDEFGH.0123456789abcdef";
    char src[200];
    snprintf(src, sizeof(src), "invalid client secret %s was given", secret);
    assert_string_equal(line(b, sizeof(b), src, 200, secret), "invalid client secret *** was given");
    /* cut right inside where the secret stood: still none of it */
    line(b, sizeof(b), src, 30, secret);
    assert_null(strstr(b, "dt0s02.ABC"));
    assert_true(strlen(b) <= 30);
    assert_string_equal(b + strlen(b) - 3, "...");
}

static void test_a_cut_ends_on_a_utf8_boundary(void **state)
{
    char b[64];
    line(b, sizeof(b), "Zürich Zürich Zürich", 9, NULL); /* 6 bytes kept, then "..." */
    assert_string_equal(b, "Züric...");
    line(b, sizeof(b), "üüüüüü", 6, NULL); /* 3 bytes: half a ü is dropped */
    assert_string_equal(b, "ü...");
}

static void test_short_secrets_are_not_redacted_so_words_survive(void **state)
{
    char b[64];
    assert_string_equal(line(b, sizeof(b), "the end", 64, "the"), "the end");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_characters_and_escapes_become_single_spaces),
        cmocka_unit_test(test_a_secret_is_replaced_before_the_cut_so_no_part_survives),
        cmocka_unit_test(test_a_cut_ends_on_a_utf8_boundary),
        cmocka_unit_test(test_short_secrets_are_not_redacted_so_words_survive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
