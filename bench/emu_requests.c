/* emu_requests.c: requests per second that `dtcost emulate` serves on
 * loopback over one keep-alive connection, for a paginated v3 cost query,
 * against a baseline in the same run (a tiny admin answer on the same server
 * and connection, i.e. the HTTP stack alone).
 *
 * usage: bench_emu_requests [--dtcost PATH] [--seconds S] [--page-size N]
 * Starts the real binary (`dtcost emulate --port 0`), so what is measured is
 * what tests and users get. Every loop is bounded by time and count. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dtcost/http.h"

#define MAX_SAMPLES 2000000
#define ACCOUNT "2b236438-2a31-4872-8655-bca4fa8af917"

typedef struct result {
    const char *label;
    long requests;
    double seconds, bytes;
    double p50_ms, p99_ms;
} result;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Start the emulator; returns its pid and port, or -1. */
static pid_t start_emulator(const char *dtcost, int *port)
{
    int fd[2];
    if (pipe(fd) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) dup2(null, 2); /* the emulator's banner would interleave with the table */
        close(fd[0]);
        close(fd[1]);
        /* the workloads send page-key alone thousands of times a second: the
         * documented paging, and no rate limit, so what is measured is the
         * emulator serving pages rather than refusing them */
        execl(dtcost, dtcost, "emulate", "--port", "0", "--now", "2026-11-22T06:00:00Z", "--paging",
              "docs", "--rate-limit-rps", "0", "--rate-limit-inflight", "0", (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char line[32] = {0};
    size_t n = 0;
    while (n < sizeof(line) - 1) {
        ssize_t k = read(fd[0], line + n, 1);
        if (k <= 0 || line[n] == '\n') break;
        n++;
    }
    close(fd[0]);
    *port = atoi(line);
    if (pid < 0 || *port <= 0) {
        if (pid > 0) kill(pid, SIGKILL);
        return -1;
    }
    return pid;
}

static char *token(dtc_http *h, const char *base)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/sso/oauth2/token", base);
    const char *form = "grant_type=client_credentials&client_id=dt0s02.EMUCLI00"
                       "&client_secret=dt0s02.EMUCLI00.emulator-secret-not-for-production"
                       "&resource=urn:dtaccount:" ACCOUNT;
    dtc_http_resp r;
    if (dtc_http_post(h, &r, url, NULL, "application/x-www-form-urlencoded", form, strlen(form)) ||
        r.status != 200)
        return NULL;
    json_t *doc = json_loads(r.body, 0, NULL);
    const char *t = json_string_value(json_object_get(doc, "access_token"));
    char *out = t ? strdup(t) : NULL;
    json_decref(doc);
    return out;
}

/* First subscription's uuid. */
static char *first_sub(dtc_http *h, const char *base, const char *auth)
{
    char url[256];
    snprintf(url, sizeof(url), "%s/sub/v2/accounts/" ACCOUNT "/subscriptions", base);
    dtc_http_resp r;
    if (dtc_http_get(h, &r, url, auth) || r.status != 200) return NULL;
    json_t *doc = json_loads(r.body, 0, NULL);
    const char *u =
        json_string_value(json_object_get(json_array_get(json_object_get(doc, "data"), 0), "uuid"));
    char *out = u ? strdup(u) : NULL;
    json_decref(doc);
    return out;
}

/* Run one workload for `seconds`. paged: walk the v3 pages, starting over at
 * the end; else GET `first_url` repeatedly. Returns 0, or -1 on any non-200. */
static int run(dtc_http *h, const char *first_url, const char *page_prefix, const char *auth,
               double seconds, double *samples, result *res)
{
    char *next = NULL;
    long n = 0;
    double bytes = 0, t0 = now_s(), t = t0;
    int rc = 0;
    while (t - t0 < seconds && n < MAX_SAMPLES) {
        char url[1024];
        if (next && page_prefix) {
            char *esc = dtc_http_escape(next);
            snprintf(url, sizeof(url), "%s%s", page_prefix, esc ? esc : "");
            free(esc);
        } else {
            snprintf(url, sizeof(url), "%s", first_url);
        }
        dtc_http_resp r;
        double a = now_s();
        if (dtc_http_get(h, &r, url, auth) || r.status != 200) {
            fprintf(stderr, "bench: %s answered %ld: %s\n", url, r.status, dtc_http_errmsg(h));
            rc = -1;
            break;
        }
        t = now_s();
        samples[n++] = (t - a) * 1000.0;
        bytes += (double)r.body_len;
        free(next);
        next = NULL;
        if (page_prefix) {
            /* Only the key is needed: find it without a full parse, so the
             * client costs little next to the server. */
            const char *k =
                strstr(r.body + (r.body_len > 400 ? r.body_len - 400 : 0), "\"nextPageKey\":\"");
            if (k) {
                k += 15;
                const char *e = strchr(k, '"');
                if (e && e > k) next = strndup(k, (size_t)(e - k));
            }
        }
    }
    free(next);
    res->requests = n;
    res->seconds = t - t0;
    res->bytes = bytes;
    qsort(samples, (size_t)n, sizeof(double), cmp_double);
    res->p50_ms = n ? samples[n / 2] : 0;
    res->p99_ms = n ? samples[(size_t)((double)n * 0.99)] : 0;
    return rc;
}

static void print_result(const result *r)
{
    printf("%-52s %9ld %10.0f %8.1f %8.3f %8.3f\n", r->label, r->requests,
           (double)r->requests / r->seconds, r->bytes / r->seconds / 1e6, r->p50_ms, r->p99_ms);
}

int main(int argc, char **argv)
{
    const char *dtcost = "build/dtcost";
    double seconds = 3;
    int page_size = 100;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--dtcost") == 0)
            dtcost = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--page-size") == 0)
            page_size = atoi(argv[i + 1]);
    }
    if (seconds <= 0 || seconds > 60 || page_size <= 0) {
        fprintf(stderr, "bench: --seconds must be in (0, 60], --page-size positive\n");
        return 2;
    }
    int port = 0, status = 1;
    dtc_http *h = NULL;
    char *tok = NULL, *sub = NULL;
    double *samples = calloc(MAX_SAMPLES, sizeof(double));
    pid_t pid = start_emulator(dtcost, &port);
    if (pid < 0 || !samples) {
        fprintf(stderr, "bench: could not start %s emulate\n", dtcost);
        goto done;
    }
    char base[64], auth[256], url[512], prefix[512];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    if (dtc_http_new(&h, 64u << 20) || !(tok = token(h, base))) {
        fprintf(stderr, "bench: no token from the emulator\n");
        goto done;
    }
    snprintf(auth, sizeof(auth), "Bearer %s", tok);
    if (!(sub = first_sub(h, base, auth))) goto done;

    printf("dtcost emulate on loopback, one keep-alive connection, %.1f s per workload\n", seconds);
    printf("%-52s %9s %10s %8s %8s %8s\n", "workload", "requests", "req/s", "MB/s", "p50 ms",
           "p99 ms");
    result base_r = {.label = "baseline: GET /emu/state (HTTP stack alone)"};
    snprintf(url, sizeof(url), "%s/emu/state", base);
    if (run(h, url, NULL, NULL, seconds, samples, &base_r)) goto done;
    print_result(&base_r);

    result sub_r = {.label = "GET subscriptions (auth + small JSON)"};
    snprintf(url, sizeof(url), "%s/sub/v2/accounts/" ACCOUNT "/subscriptions", base);
    if (run(h, url, NULL, auth, seconds, samples, &sub_r)) goto done;
    print_result(&sub_r);

    char label[96];
    snprintf(label, sizeof(label), "v3 environments/cost pages, 30 days, page-size %d", page_size);
    result page_r = {.label = label};
    snprintf(url, sizeof(url),
             "%s/sub/v3/accounts/" ACCOUNT "/subscriptions/%s/environments/cost"
             "?startTime=2026-10-22T00:00:00Z&endTime=2026-11-21T00:00:00Z&page-size=%d",
             base, sub, page_size);
    snprintf(prefix, sizeof(prefix),
             "%s/sub/v3/accounts/" ACCOUNT "/subscriptions/%s/environments/cost?page-key=", base,
             sub);
    /* The token lives 300 s; a run stays far below that. */
    if (run(h, url, prefix, auth, seconds, samples, &page_r)) goto done;
    print_result(&page_r);
    printf("paginated cost query: %.0f req/s = %.2f x the baseline's rate\n",
           (double)page_r.requests / page_r.seconds,
           ((double)page_r.requests / page_r.seconds) / ((double)base_r.requests / base_r.seconds));
    printf("(%.1f KB per page on average)\n", page_r.bytes / (double)page_r.requests / 1e3);
    status = 0;
done:
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    dtc_http_free(h);
    free(tok);
    free(sub);
    free(samples);
    return status;
}
