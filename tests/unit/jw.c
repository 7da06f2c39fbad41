/* Unit tests for src/util/jw.c: exact JSON text for every value kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "jw.h"

static void test_jw_writes_nested_document_compactly(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 4096);
    dtc_jw w;
    dtc_jw_init(&w, &b);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "a");
    dtc_jw_arr(&w);
    dtc_jw_int(&w, 1);
    dtc_jw_int(&w, -5174977934749450001LL);
    dtc_jw_null(&w);
    dtc_jw_bool(&w, true);
    dtc_jw_obj(&w);
    dtc_jw_obj_end(&w);
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "s");
    dtc_jw_str(&w, "x");
    dtc_jw_obj_end(&w);
    assert_int_equal(w.err, 0);
    assert_string_equal(b.data, "{\"a\":[1,-5174977934749450001,null,true,{}],\"s\":\"x\"}");
    dtc_buf_dispose(&b);
}

static void test_jw_escapes_quotes_controls_and_keeps_utf8(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 4096);
    dtc_jw w;
    dtc_jw_init(&w, &b);
    dtc_jw_str(&w, "q\"b\\n\n\x01 München");
    assert_string_equal(b.data, "\"q\\\"b\\\\n\\n\\u0001 München\"");
    dtc_buf_dispose(&b);
}

/* Bytes that are not UTF-8 (a stray continuation, a cut sequence, an
 * overlong, a surrogate, past U+10FFFF) each become U+FFFD; valid 2-, 3- and
 * 4-byte sequences around them pass unchanged. */
static void test_jw_replaces_invalid_utf8_so_output_is_valid_json(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"a\x80"
         "b",
         "\"a\xef\xbf\xbd"
         "b\""},
        {"\xc3", "\"\xef\xbf\xbd\""},                                 /* cut short at the end */
        {"\xc3(", "\"\xef\xbf\xbd(\""},                               /* cut short by ASCII */
        {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},                 /* overlong '/' */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80",
         "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* past U+10FFFF */
        {"\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\xff",
         "\"\xc3\xbc\xe2\x82\xac\xf0\x9f\x98\x80\xef\xbf\xbd\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dtc_buf b;
        dtc_buf_init(&b, 4096);
        assert_int_equal(dtc_json_quote(&b, cases[i].in, strlen(cases[i].in)), 0);
        assert_int_equal(dtc_buf_addc(&b, '\0'), 0);
        assert_string_equal(b.data, cases[i].out);
        dtc_buf_dispose(&b);
    }
}

static void test_jw_fixed_is_exact_and_trims_zeros(void **state)
{
    char out[48];
    dtc_fixed_format(out, 31450712, 6, true);
    assert_string_equal(out, "31.450712");
    dtc_fixed_format(out, 2500000, 6, true);
    assert_string_equal(out, "2.5");
    dtc_fixed_format(out, 3000000, 6, true);
    assert_string_equal(out, "3");
    dtc_fixed_format(out, -1, 6, true);
    assert_string_equal(out, "-0.000001");
    dtc_fixed_format(out, 100, 4, false);
    assert_string_equal(out, "0.0100");
    dtc_fixed_format(out, INT64_MIN, 6, true);
    assert_string_equal(out, "-9223372036854.775808");
}

static void test_jw_reports_cap_overflow(void **state)
{
    dtc_buf b;
    dtc_buf_init(&b, 8);
    dtc_jw w;
    dtc_jw_init(&w, &b);
    dtc_jw_str(&w, "far too long for the cap");
    assert_int_equal(w.err, DTC_ETOOBIG);
    dtc_buf_dispose(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jw_writes_nested_document_compactly),
        cmocka_unit_test(test_jw_escapes_quotes_controls_and_keeps_utf8),
        cmocka_unit_test(test_jw_replaces_invalid_utf8_so_output_is_valid_json),
        cmocka_unit_test(test_jw_fixed_is_exact_and_trims_zeros),
        cmocka_unit_test(test_jw_reports_cap_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
