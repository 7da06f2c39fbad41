/* json_parsers.c: how fast each JSON library in Debian 12 reads the license
 * export's hour files, the measurement behind license.c's choice (see
 * docs/performance.md). Reads every .json entry of the inner archive into
 * memory once, then parses all of them with each library in turn, doing the
 * least each allows: yajl with empty callbacks (streaming, no tree), jsmn
 * tokenizing into a reused token array, and the tree builders jansson, json-c
 * and cJSON building and freeing their document.
 *
 * usage: bench_json_parsers INNER.zip [MAX_FILES]
 * Prints one line per library: MB/s and seconds, best of three runs. */
#include <cjson/cJSON.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yajl/yajl_parse.h>
#include <zip.h>

#define JSMN_STATIC
#include <jsmn.h>

typedef struct doc {
    char *data;
    size_t len;
} doc;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int y_null(void *c)
{
    return (void)c, 1;
}
static int y_bool(void *c, int b)
{
    return (void)c, (void)b, 1;
}
static int y_num(void *c, const char *s, size_t l)
{
    return (void)c, (void)s, (void)l, 1;
}
static int y_str(void *c, const unsigned char *s, size_t l)
{
    return (void)c, (void)s, (void)l, 1;
}
static int y_evt(void *c)
{
    return (void)c, 1;
}
static const yajl_callbacks ycb = {y_null, y_bool, NULL,  NULL,  y_num, y_str,
                                   y_evt,  y_str,  y_evt, y_evt, y_evt};

static int run_yajl(const doc *d)
{
    yajl_handle h = yajl_alloc(&ycb, NULL, NULL);
    int ok = yajl_parse(h, (const unsigned char *)d->data, d->len) == yajl_status_ok &&
             yajl_complete_parse(h) == yajl_status_ok;
    yajl_free(h);
    return ok;
}

static jsmntok_t *toks;
static size_t ntoks;

static int run_jsmn(const doc *d)
{
    for (;;) {
        jsmn_parser p;
        jsmn_init(&p);
        int n = jsmn_parse(&p, d->data, d->len, toks, (unsigned)ntoks);
        if (n >= 0) return 1;
        if (n != JSMN_ERROR_NOMEM) return 0;
        ntoks = ntoks ? ntoks * 2 : 65536;
        toks = realloc(toks, ntoks * sizeof(*toks));
    }
}

static int run_jansson(const doc *d)
{
    json_error_t e;
    json_t *j = json_loadb(d->data, d->len, 0, &e);
    json_decref(j);
    return j != NULL;
}

int bench_jsonc_parse(const char *data, size_t len); /* json_parsers_jsonc.c */

static int run_jsonc(const doc *d)
{
    return bench_jsonc_parse(d->data, d->len);
}

static int run_cjson(const doc *d)
{
    cJSON *c = cJSON_ParseWithLength(d->data, d->len);
    cJSON_Delete(c);
    return c != NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_json_parsers INNER.zip [MAX_FILES]\n");
        return 2;
    }
    long max = argc > 2 ? atol(argv[2]) : 200;
    int err;
    zip_t *za = zip_open(argv[1], ZIP_RDONLY, &err);
    if (!za) {
        fprintf(stderr, "%s: not a ZIP archive\n", argv[1]);
        return 1;
    }
    doc *docs = calloc((size_t)max, sizeof(doc));
    long n = 0;
    size_t total = 0;
    for (zip_int64_t i = 0; i < zip_get_num_entries(za, 0) && n < max; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) || !strstr(st.name, ".json")) continue;
        zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)i, 0);
        docs[n].data = malloc(st.size + 1);
        docs[n].len = (size_t)zip_fread(f, docs[n].data, st.size);
        docs[n].data[docs[n].len] = '\0';
        zip_fclose(f);
        total += docs[n++].len;
    }
    zip_discard(za);
    const struct {
        const char *name;
        int (*fn)(const doc *);
    } libs[] = {{"yajl 2.1 (streaming callbacks)", run_yajl},
                {"jsmn 1.1 (tokens only)", run_jsmn},
                {"jansson 2.14 (tree)", run_jansson},
                {"json-c 0.16 (tree)", run_jsonc},
                {"cJSON 1.7 (tree)", run_cjson}};
    printf("%ld hour files, %.1f MB of JSON\n", n, (double)total / 1e6);
    for (size_t l = 0; l < sizeof(libs) / sizeof(libs[0]); l++) {
        double best = 1e9;
        for (int rep = 0; rep < 3; rep++) {
            double t0 = now();
            for (long i = 0; i < n; i++)
                if (!libs[l].fn(&docs[i])) {
                    fprintf(stderr, "%s failed on file %ld\n", libs[l].name, i);
                    return 1;
                }
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("%-32s %8.0f MB/s %8.3f s\n", libs[l].name, (double)total / 1e6 / best, best);
    }
    for (long i = 0; i < n; i++)
        free(docs[i].data);
    free(docs);
    free(toks);
    return 0;
}
