/* replay.c: the fetch-only baseline of the sync benchmark. Reads an emulator
 * request log (--log of `dtcost emulate`), and sends the same GET requests to
 * the same emulator over one keep-alive connection without parsing or
 * storing anything: what the pages alone cost to serve and transfer.
 * Requests the log shows answered 429 (rate limit) are left out: the sync
 * sent them again, and the retry is in the log as well.
 *
 * usage: bench_replay --port PORT --log FILE
 * Prints: requests, seconds, MB, requests answered otherwise than logged.
 * Bounded by the log's length. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dtcost/http.h"

#define ACCOUNT "2b236438-2a31-4872-8655-bca4fa8af917"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Re-encode a logged (decoded) query: split on '&', then on the first '='. */
static void encode_query(const char *q, char *out, size_t n)
{
    size_t off = 0;
    out[0] = '\0';
    char *copy = strdup(q), *save = NULL;
    for (char *part = strtok_r(copy, "&", &save); part && off < n;
         part = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(part, '=');
        if (eq) *eq = '\0';
        char *k = dtc_http_escape(part), *v = eq ? dtc_http_escape(eq + 1) : NULL;
        off += (size_t)snprintf(out + off, n - off, "%s%s%s%s", off ? "&" : "", k ? k : "",
                                v ? "=" : "", v ? v : "");
        free(k);
        free(v);
    }
    free(copy);
}

int main(int argc, char **argv)
{
    const char *log = NULL;
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--log") == 0)
            log = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
    }
    if (!log || port <= 0) {
        fprintf(stderr, "usage: bench_replay --port PORT --log FILE\n");
        return 2;
    }
    FILE *f = fopen(log, "r");
    if (!f) {
        perror(log);
        return 1;
    }
    dtc_http *h = NULL;
    if (dtc_http_new(&h, 256u << 20)) {
        fclose(f);
        return 1;
    }
    char base[64], url[8192], q[8000], auth[256] = "";
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    snprintf(url, sizeof(url), "%s/sso/oauth2/token", base);
    const char *form = "grant_type=client_credentials&client_id=dt0s02.EMUCLI00"
                       "&client_secret=dt0s02.EMUCLI00.emulator-secret-not-for-production"
                       "&resource=urn:dtaccount:" ACCOUNT;
    dtc_http_resp r;
    if (dtc_http_post(h, &r, url, NULL, "application/x-www-form-urlencoded", form, strlen(form)) ||
        r.status != 200) {
        fprintf(stderr, "bench_replay: no token\n");
        return 1;
    }
    json_t *tok = json_loads(r.body, 0, NULL);
    snprintf(auth, sizeof(auth), "Bearer %s",
             json_string_value(json_object_get(tok, "access_token")));
    json_decref(tok);

    char line[16384];
    long n = 0, failed = 0;
    double bytes = 0, t0 = now_s();
    while (fgets(line, sizeof(line), f) && n < 10000000) {
        json_t *o = json_loads(line, 0, NULL);
        const char *m = json_string_value(json_object_get(o, "method"));
        const char *p = json_string_value(json_object_get(o, "path"));
        const char *qs = json_string_value(json_object_get(o, "query"));
        long want = (long)json_integer_value(json_object_get(o, "status"));
        if (m && p && strcmp(m, "GET") == 0 && strncmp(p, "/emu/", 5) != 0 && want != 429) {
            encode_query(qs ? qs : "", q, sizeof(q));
            snprintf(url, sizeof(url), "%s%s%s%s", base, p, q[0] ? "?" : "", q);
            if (dtc_http_get(h, &r, url, auth) == 0) {
                bytes += (double)r.body_len;
                if (r.status !=
                    want) /* the sync saw this status too (e.g. a 404 it warned about) */
                    failed++;
            } else {
                failed++;
            }
            n++;
        }
        json_decref(o);
    }
    double secs = now_s() - t0;
    fclose(f);
    dtc_http_free(h);
    printf("%ld %.3f %.1f %ld\n", n, secs, bytes / 1e6, failed);
    return failed ? 1 : 0;
}
