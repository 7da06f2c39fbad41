/* Unit tests for src/util/csv.c: RFC 4180 quoting, and text a spreadsheet
 * would run as a formula neutralised with a leading single quote (OWASP);
 * fields joined into CRLF-terminated lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "csv.h"

static void field(const char *in, const char *want)
{
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_SMALL);
    assert_int_equal(dtc_csv_text(&b, in), 0);
    assert_string_equal(b.data ? b.data : "", want);
    dtc_buf_dispose(&b);
}

static void test_csv_plain_text_is_copied_whole(void **state)
{
    (void)state;
    field("Production", "Production");
    field("", "");
    field("ステージング環境", "ステージング環境");
    field("a-b", "a-b"); /* a dash inside is no formula */
}

static void test_csv_quotes_commas_quotes_and_line_breaks(void **state)
{
    (void)state;
    field("Payments, EU", "\"Payments, EU\"");
    field("say \"hi\"", "\"say \"\"hi\"\"\"");
    field("two\nlines", "\"two\nlines\"");
}

static void test_csv_formulas_get_a_leading_quote(void **state)
{
    (void)state;
    field("=1+1", "\"'=1+1\"");
    field("+cmd", "\"'+cmd\"");
    field("-2", "\"'-2\"");
    field("@SUM(A1)", "\"'@SUM(A1)\"");
    field("\tx", "\"'\tx\"");
    field("\rx", "\"'\rx\""); /* neutralised, and quoted for the CR */
    field("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
}

/* Long fields are scanned eight bytes at a time: a byte that needs quotes
 * is found at every position, next to any other byte. */
static void test_csv_finds_a_quotable_byte_at_any_position(void **state)
{
    (void)state;
    const char specials[] = {',', '"', '\r', '\n'};
    for (size_t k = 0; k < sizeof(specials); k++)
        for (size_t len = 1; len <= 24; len++)
            for (size_t at = 0; at < len; at++) {
                char in[32], want[80];
                for (size_t i = 0; i < len; i++)
                    in[i] = (char)(i % 2 ? 0xA9 : 'a' + (char)(i + k) % 26); /* UTF-8 bytes too */
                in[at] = specials[k];
                in[len] = '\0';
                size_t w = 0;
                want[w++] = '"';
                if (at == 0 && specials[k] == '\r')
                    want[w++] = '\''; /* a leading CR is a formula */
                for (size_t i = 0; i < len; i++) {
                    want[w++] = in[i];
                    if (in[i] == '"') want[w++] = '"';
                }
                want[w++] = '"';
                want[w] = '\0';
                field(in, want);
                in[at] = '.';
                field(in, in);
            }
}

static void test_csv_stops_at_the_buffer_cap(void **state)
{
    (void)state;
    dtc_buf b;
    dtc_buf_init(&b, 4);
    assert_int_equal(dtc_csv_text(&b, "longer than four"), DTC_ETOOBIG);
    dtc_buf_dispose(&b);
}

static const char *line(dtc_buf *b, const char *const *v, const int *is_text, int n)
{
    dtc_buf_reset(b);
    for (int i = 0; i < n; i++)
        assert_int_equal(dtc_csv_field(b, v[i], is_text[i], i + 1 == n), 0);
    return b->data;
}

static void test_csv_quotes_only_what_needs_it(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 1024);
    const char *v[] = {"plain", "a,b", "say \"hi\"", NULL, "two\nlines", "ステージング環境"};
    const int t[] = {1, 1, 1, 1, 1, 1};
    assert_string_equal(line(&b, v, t, 6),
                        "plain,\"a,b\",\"say \"\"hi\"\"\",,\"two\nlines\",ステージング環境\r\n");
    dtc_buf_dispose(&b);
}

static void test_csv_neutralises_formulas_in_text_but_not_numbers(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 1024);
    const char *v[] = {
        "=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "-0.500000", "a=b"};
    const int t[] = {1, 1, 1, 1, 1, 1, 0, 1};
    assert_string_equal(
        line(&b, v, t, 8),
        "\"'=HYPERLINK(\"\"http://"
        "x\"\")\",\"'+1\",\"'-2\",\"'@SUM(A1)\",\"'\tx\",\"'\rx\",-0.500000,a=b\r\n");
    dtc_buf_dispose(&b);
}

static void test_csv_quoted_field_fits_exactly_at_the_cap(void **state)
{
    (void)state;
    dtc_buf b;
    dtc_buf_init(&b, 12); /* "'=a""b",\r\n is 10 bytes... */
    assert_int_equal(dtc_csv_field(&b, "=a\"b", true, true), 0);
    assert_string_equal(b.data, "\"'=a\"\"b\"\r\n");
    assert_int_equal(dtc_csv_field(&b, "\"", true, false), DTC_ETOOBIG); /* ...and 5 more are 15 */
    assert_string_equal(b.data, "\"'=a\"\"b\"\r\n");                     /* nothing added */
    dtc_buf_dispose(&b);
}

static void test_csv_reports_the_buffer_cap(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 8);
    assert_int_equal(dtc_csv_field(&b, "12345", true, false), 0);
    assert_int_equal(dtc_csv_field(&b, "6789", true, true), DTC_ETOOBIG);
    dtc_buf_dispose(&b);
}

/* dtc_csv_put writes what dtc_csv_field writes before its separator, for
 * text and numbers, quoted or not, and stays within DTC_CSV_ROOM (the byte
 * after is untouched), the worst case (every byte a quote, a formula) too. */
static void test_csv_put_writes_the_field_bytes_within_its_room(void **state)
{
    (void)state;
    const char *in[] = {"",          "Production",       "Payments, EU", "say \"hi\"",
                        "=1+1",      "\"\"\"\"",         "-\"\"\"",      "two\nlines",
                        "12.500000", "ステージング環境", "-0.000001"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
        for (int text = 0; text < 2; text++) {
            dtc_buf b;
            dtc_buf_init(&b, DTC_CAP_SMALL);
            assert_int_equal(dtc_csv_field(&b, in[i], text, false), 0);
            size_t n = strlen(in[i]), room = DTC_CSV_ROOM(n);
            char out[64];
            memset(out, '#', sizeof(out));
            size_t w = dtc_csv_put(out, in[i], n, text);
            assert_int_equal(w, b.len - 1); /* dtc_csv_field's bytes, its ',' aside */
            assert_memory_equal(out, b.data, w);
            assert_true(w <= room);
            assert_int_equal(out[room], '#');
            dtc_buf_dispose(&b);
        }
    char out[64];
    assert_int_equal(dtc_csv_put(out, "-\"\"\"", 4, true), DTC_CSV_ROOM(4) - 1);
    /* the room's bound is reached: a formula's quote, three doubled quotes */
    assert_memory_equal(out, "\"'-\"\"\"\"\"\"\"", 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_plain_text_is_copied_whole),
        cmocka_unit_test(test_csv_quotes_commas_quotes_and_line_breaks),
        cmocka_unit_test(test_csv_formulas_get_a_leading_quote),
        cmocka_unit_test(test_csv_finds_a_quotable_byte_at_any_position),
        cmocka_unit_test(test_csv_stops_at_the_buffer_cap),
        cmocka_unit_test(test_csv_quotes_only_what_needs_it),
        cmocka_unit_test(test_csv_neutralises_formulas_in_text_but_not_numbers),
        cmocka_unit_test(test_csv_quoted_field_fits_exactly_at_the_cap),
        cmocka_unit_test(test_csv_reports_the_buffer_cap),
        cmocka_unit_test(test_csv_put_writes_the_field_bytes_within_its_room),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
