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
    assert_string_equal(line(b, sizeof(b), "  bad\r\n\tpage\x1b[31m key\x7f ", 100, NULL),
                        "bad page [31m key");
}

static void test_a_secret_is_replaced_before_the_cut_so_no_part_survives(void **state)
{
    char b[128];
    const char *secret = "dt0s02.ABCDEFGH.0123456789abcdef";
    char src[200];
    snprintf(src, sizeof(src), "invalid client secret %s was given", secret);
    assert_string_equal(line(b, sizeof(b), src, 200, secret),
                        "invalid client secret *** was given");
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

static void test_a_secret_echoed_url_or_form_encoded_is_redacted_too(void **state)
{
    char b[256];
    const char *secret = "dt0s02.ABC/DEF+g h=i";
    /* curl's escape (upper hex), lower hex, and a form body's '+' for space */
    assert_string_equal(
        line(b, sizeof(b), "bad client_secret=dt0s02.ABC%2FDEF%2Bg%20h%3Di&x", 200, secret),
        "bad client_secret=***&x");
    assert_string_equal(line(b, sizeof(b), "echo dt0s02.ABC%2fDEF%2bg%20h%3di", 200, secret),
                        "echo ***");
    assert_string_equal(line(b, sizeof(b), "echo dt0s02.ABC%2FDEF%2Bg+h%3Di", 200, secret),
                        "echo ***");
}

static void test_c1_controls_in_utf8_become_spaces(void **state)
{
    char b[64];
    assert_string_equal(line(b, sizeof(b),
                             "a\xc2\x9b"
                             "31mb \xc3\xa9",
                             64, NULL),
                        "a 31mb \xc3\xa9");
}

static const char *shown(char *buf, size_t n, const char *url)
{
    return dtc_text_url_redact(buf, n, url);
}

static void test_url_redaction_hides_userinfo_path_tokens_and_query_values(void **state)
{
    char b[512];
    assert_string_equal(
        shown(b, sizeof(b), "https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
        "https://hooks.slack.com/services/***/***/***");
    assert_string_equal(
        shown(b, sizeof(b), "https://user:pa55@example.com:8443/hook?token=abc123&team=x#frag"),
        "https://***@example.com:8443/hook?token=***&team=***#***");
    assert_string_equal(
        shown(b, sizeof(b),
              "https://x.webhook.office.com/webhookb2/0f8fad5b-d9cb-469f-a165-"
              "70867728950e@1b4e28ba/IncomingWebhook/9d5f3c0a1b2e4d6f8a7b6c5d4e3f2a1b/"
              "6ba7b810"),
        "https://x.webhook.office.com/***/***/IncomingWebhook/***/6ba7b810");
    /* what is not a token stays: words, short segments, environment ids */
    assert_string_equal(
        shown(b, sizeof(b),
              "https://abc12345.live.dynatrace.com/e/abc12345/api/v2/bizevents/ingest"),
        "https://abc12345.live.dynatrace.com/e/abc12345/api/v2/bizevents/ingest");
    assert_string_equal(shown(b, sizeof(b), "http://127.0.0.1:8080/emu/webhook/s"),
                        "http://127.0.0.1:8080/emu/webhook/s");
    /* a random-looking word of letters only */
    assert_string_equal(shown(b, sizeof(b), "https://h/hook/qWeRtYuIoPaS"), "https://h/hook/***");
    /* cut short, never overflowing */
    assert_string_equal(shown(b, 12, "https://example.com/x"), "https://exa");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_control_characters_and_escapes_become_single_spaces),
        cmocka_unit_test(test_a_secret_is_replaced_before_the_cut_so_no_part_survives),
        cmocka_unit_test(test_a_cut_ends_on_a_utf8_boundary),
        cmocka_unit_test(test_short_secrets_are_not_redacted_so_words_survive),
        cmocka_unit_test(test_a_secret_echoed_url_or_form_encoded_is_redacted_too),
        cmocka_unit_test(test_c1_controls_in_utf8_become_spaces),
        cmocka_unit_test(test_url_redaction_hides_userinfo_path_tokens_and_query_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
