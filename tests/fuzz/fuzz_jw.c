/* fuzz_jw.c: the JSON writer (jw.c) round trip: the fuzzer's bytes as
 * strings and keys, numbers as integers and fixed decimals, written, then
 * read back with jansson: the document must parse and hold the same values
 * (strings that are valid UTF-8 come back byte for byte). */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jw.h"

static int64_t i64(const uint8_t *d, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < 8 && i < n; i++)
        v = v << 8 | d[i];
    return (int64_t)v;
}

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t half = size / 2;
    const char *a = (const char *)data, *b = (const char *)data + half;
    size_t alen = strnlen(a, half), blen = strnlen(b, size - half);
    char *key = strndup(a, alen);
    if (!key) return 0;
    int64_t n = i64(data, size);
    dtc_buf out;
    dtc_buf_init(&out, (size_t)1 << 24);
    dtc_jw w;
    dtc_jw_init(&w, &out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, key);
    dtc_jw_strn(&w, b, blen);
    dtc_jw_key(&w, "n");
    dtc_jw_int(&w, n);
    dtc_jw_key(&w, "f");
    dtc_jw_fixed(&w, n, (int)(size % 7));
    dtc_jw_key(&w, "a");
    dtc_jw_arr(&w);
    dtc_jw_str(&w, key);
    dtc_jw_null(&w);
    dtc_jw_bool(&w, size & 1);
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    json_error_t err;
    json_t *doc = out.data ? json_loadb(out.data, out.len, 0, &err) : NULL;
    if (out.data && !doc) abort(); /* the writer wrote something that is not JSON */
    if (doc) {
        if (json_integer_value(json_object_get(doc, "n")) != n) abort();
        /* valid UTF-8 comes back byte for byte (jansson refuses anything else) */
        json_t *probe = json_stringn(b, blen), *kprobe = json_string(key);
        bool ours =
            strcmp(key, "n") && strcmp(key, "f") && strcmp(key, "a"); /* not a later key's */
        if (probe && kprobe && ours && !json_equal(probe, json_object_get(doc, key))) abort();
        json_decref(probe);
        json_decref(kprobe);
        json_decref(doc);
    }
    dtc_buf_dispose(&out);
    free(key);
    return 0;
}
