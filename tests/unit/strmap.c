/* Unit tests for src/util/strmap.c: every key put is found with its value
 * (keys that share a slot, keys that differ only after a NUL, a NULL
 * value), a key never put is not, and a put that cannot allocate leaves the
 * map as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "strmap.h"

static void test_strmap_finds_each_key_put_and_no_other(void **state)
{
    (void)state;
    dtc_strmap m;
    dtc_strmap_init(&m);
    const char *v = "x";
    assert_false(dtc_strmap_get(&m, "a", 1, &v)); /* empty: nothing, no allocation */
    char key[32], val[32];
    for (int i = 0; i < 5000; i++) { /* grows from 16 slots many times */
        int n = snprintf(key, sizeof(key), "acct%d", i);
        snprintf(val, sizeof(val), "Environment %d", i);
        assert_int_equal(dtc_strmap_put(&m, key, (size_t)n, val), 0);
    }
    assert_int_equal(m.n, 5000);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(key, sizeof(key), "acct%d", i);
        snprintf(val, sizeof(val), "Environment %d", i);
        assert_true(dtc_strmap_get(&m, key, (size_t)n, &v));
        assert_string_equal(v, val);
    }
    assert_false(dtc_strmap_get(&m, "acct5000", 8, &v));
    assert_false(dtc_strmap_get(&m, "acct1", 4, &v)); /* a prefix of keys is not a key */
    assert_false(dtc_strmap_get(&m, "", 0, &v));
    dtc_strmap_dispose(&m);
    assert_false(dtc_strmap_get(&m, "acct1", 5, &v)); /* empty again */
}

/* Keys whose hashes start at the same slot of a fresh map (16 slots) are
 * probed past each other: each still finds its own value. */
static void test_strmap_keys_in_the_same_slot_keep_their_own_values(void **state)
{
    (void)state;
    char keys[6][16];
    int found = 0;
    uint64_t want = dtc_hash_bytes(0, "k0", 2) & 15;
    for (int i = 0; found < 6 && i < 100000; i++) {
        char k[16];
        int n = snprintf(k, sizeof(k), "k%d", i);
        if ((dtc_hash_bytes(0, k, (size_t)n) & 15) == want) memcpy(keys[found++], k, (size_t)n + 1);
    }
    assert_int_equal(found, 6);
    dtc_strmap m;
    dtc_strmap_init(&m);
    for (int i = 0; i < 6; i++) /* six of sixteen: no growth, all in one run of slots */
        assert_int_equal(dtc_strmap_put(&m, keys[i], strlen(keys[i]), keys[(i + 1) % 6]), 0);
    assert_int_equal(m.cap, 16);
    for (int i = 0; i < 6; i++) {
        const char *v = NULL;
        assert_true(dtc_strmap_get(&m, keys[i], strlen(keys[i]), &v));
        assert_string_equal(v, keys[(i + 1) % 6]);
    }
    const char *v = NULL;
    assert_false(dtc_strmap_get(&m, "k", 1, &v)); /* probes the run, finds an empty slot */
    dtc_strmap_dispose(&m);
}

/* Keys are bytes: an account and an environment id joined by a NUL are told
 * from the same bytes split elsewhere; a NULL value is a key without a name,
 * not a missing key; a second put replaces the value. */
static void test_strmap_keys_are_bytes_and_values_may_be_null(void **state)
{
    (void)state;
    dtc_strmap m;
    dtc_strmap_init(&m);
    assert_int_equal(dtc_strmap_put(&m, "acct\0env1", 9, "Production"), 0);
    assert_int_equal(dtc_strmap_put(&m, "acct\0env", 8, NULL), 0);
    assert_int_equal(dtc_strmap_put(&m, "acc\0tenv1", 9, "Other account"), 0);
    const char *v = "unset";
    assert_true(dtc_strmap_get(&m, "acct\0env", 8, &v));
    assert_null(v);
    assert_true(dtc_strmap_get(&m, "acct\0env1", 9, &v));
    assert_string_equal(v, "Production");
    assert_true(dtc_strmap_get(&m, "acc\0tenv1", 9, &v));
    assert_string_equal(v, "Other account");
    assert_false(dtc_strmap_get(&m, "acct", 4, &v));
    assert_int_equal(dtc_strmap_put(&m, "acct\0env1", 9, "Renamed"), 0);
    assert_int_equal(m.n, 3);
    assert_true(dtc_strmap_get(&m, "acct\0env1", 9, &v));
    assert_string_equal(v, "Renamed");
    dtc_strmap_dispose(&m);
}

/* Every allocation of a put failing in turn (the value's copy, the key's,
 * the grown table): DTC_ENOMEM, and the map holds what it held before. */
static void test_strmap_put_without_memory_leaves_the_map_as_it_was(void **state)
{
    (void)state;
    char key[32];
    for (long nth = 1;; nth++) {
        dtc_strmap m;
        dtc_strmap_init(&m);
        for (int i = 0; i < 8; i++) { /* 8 of 16 slots: the next new key grows the table */
            int n = snprintf(key, sizeof(key), "env%d", i);
            assert_int_equal(dtc_strmap_put(&m, key, (size_t)n, key), 0);
        }
        dtc_alloc_fail_at(nth);
        int rc = dtc_strmap_put(&m, "env8", 4, "Environment 8");
        bool failed = dtc_alloc_fail_pending() == 0; /* the nth came */
        dtc_alloc_fail_at(0);
        const char *v = NULL;
        if (!failed) { /* past the put's last allocation: it worked */
            assert_int_equal(rc, 0);
            assert_true(dtc_strmap_get(&m, "env8", 4, &v));
            assert_string_equal(v, "Environment 8");
            assert_int_equal(nth, 4); /* the value, the key, the grown table: three */
            dtc_strmap_dispose(&m);
            break;
        }
        assert_int_equal(rc, DTC_ENOMEM);
        assert_int_equal(m.n, 8);
        assert_int_equal(m.cap, 16);
        assert_false(dtc_strmap_get(&m, "env8", 4, &v));
        for (int i = 0; i < 8; i++) {
            int n = snprintf(key, sizeof(key), "env%d", i);
            assert_true(dtc_strmap_get(&m, key, (size_t)n, &v));
            assert_string_equal(v, key);
        }
        dtc_strmap_dispose(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strmap_finds_each_key_put_and_no_other),
        cmocka_unit_test(test_strmap_keys_in_the_same_slot_keep_their_own_values),
        cmocka_unit_test(test_strmap_keys_are_bytes_and_values_may_be_null),
        cmocka_unit_test(test_strmap_put_without_memory_leaves_the_map_as_it_was),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
