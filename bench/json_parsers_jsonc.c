/* json_parsers_jsonc.c: json-c for bench/json_parsers.c, in its own file
 * because json-c and jansson both declare json_object. */
#include <json-c/json.h>
#include <stddef.h>

int bench_jsonc_parse(const char *data, size_t len);

int bench_jsonc_parse(const char *data, size_t len)
{
    json_tokener *t = json_tokener_new();
    struct json_object *o = json_tokener_parse_ex(t, data, (int)len);
    json_tokener_free(t);
    json_object_put(o);
    return o != NULL;
}
