/* licfetch.c: `dtcost license fetch`: the Cluster API v2 license export,
 * chunk by chunk, each archive streamed to a temporary file and renamed
 * into place once complete, so a rerun fetches only what is missing. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "alloc.h"
#include "dtcost/http.h"
#include "dtcost/license.h"
#include "dtcost/retry.h"
#include "timeutil.h"

#define HOUR_MS 3600000LL
#define MAX_WAIT_S (30L * 86400)

/* A complete archive already on disk from an earlier run. */
static bool complete_zip(const char *path)
{
    int err = 0;
    zip_t *za = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!za) return false;
    bool ok = zip_get_num_entries(za, 0) > 0;
    zip_discard(za);
    return ok;
}

/* The server's message, on one line and short, for an error. */
static void server_message(char *dst, size_t n, const dtc_http_resp *r)
{
    size_t k = 0;
    for (size_t i = 0; i < r->body_len && k + 1 < n && k < 160; i++) {
        char c = r->body[i];
        dst[k++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : (c < 0x20 ? '?' : c);
    }
    dst[k] = '\0';
}

static int add_file(dtc_lic_fetch_stats *st, const char *path)
{
    char **g = dtc_realloc(st->files, (st->nfiles + 1) * sizeof(*g));
    if (!g) return DTC_ENOMEM;
    st->files = g;
    if (!(g[st->nfiles] = dtc_strdup(path))) return DTC_ENOMEM;
    st->nfiles++;
    return 0;
}

static int fetch_chunk(dtc_http *h, const dtc_lic_fetch_opts *o, dtc_lic_fetch_stats *st, int64_t a,
                       int64_t b, const char *path, int64_t *waited_ms)
{
    char url[2048], part[4200], auth[1024], d1[24], d2[24];
    snprintf(url, sizeof(url),
             "%s/api/cluster/v2/license/consumption?startTs=%" PRId64 "&endTs=%" PRId64,
             o->cluster_url, a, b);
    snprintf(auth, sizeof(auth), "Api-Token %s", o->token);
    snprintf(part, sizeof(part), "%s.part", path);
    dtc_fmt_datetime(d1, a / 1000);
    dtc_fmt_datetime(d2, b / 1000);
    /* No jitter: one client waits for the cluster's one export queue.
     * Doubling from 2 s to a minute; the cluster's Retry-After is obeyed as
     * it stands; a wait beyond the budget (--max-wait, clamped to 30 days
     * so the arithmetic stays far from overflow) ends the fetch at once. */
    int64_t total =
        (o->wait_total_s > 0 ? (o->wait_total_s < MAX_WAIT_S ? o->wait_total_s : MAX_WAIT_S)
                             : 900) *
        1000LL;
    dtc_backoff bo;
    dtc_backoff_init(&bo, o->wait_base_ms > 0 ? o->wait_base_ms : 2000, 60000,
                     DTC_RETRY_AFTER_MAX_S * 1000LL, DTC_JITTER_NONE, 0);
    bo.retry_after_exact = true;
    int transient = 0, waits = 0, rc = 0;
    for (;;) {
        FILE *f = fopen(part, "wb");
        if (!f) {
            snprintf(st->err, sizeof(st->err), "%.300s: cannot write: %s (check --out)", part,
                     strerror(errno));
            rc = DTC_EIO;
            break;
        }
        dtc_http_req rq = {.method = "GET",
                           .url = url,
                           .authorization = auth,
                           .accept = "application/octet-stream",
                           .sink = f,
                           .sink_cap = o->archive_cap ? o->archive_cap : (4ULL << 30),
                           .timeout_ms = 3600000L};
        dtc_http_resp resp;
        st->requests++;
        rc = dtc_http_send(h, &resp, &rq);
        if (fclose(f) != 0 && rc == 0) {
            snprintf(st->err, sizeof(st->err), "%.300s: writing failed (disk full?)", part);
            rc = DTC_EIO;
        }
        if (rc == DTC_ETOOBIG || rc == DTC_EIO || rc == DTC_ENOMEM) {
            if (rc != DTC_EIO || !st->err[0])
                snprintf(st->err, sizeof(st->err), "export %s .. %s: %s", d1, d2,
                         dtc_http_errmsg(h));
            break;
        }
        long status = rc == 0 ? resp.status : 0;
        if (status >= 200 && status < 300) {
            if (!complete_zip(part)) {
                if (++transient <= 3) /* cut short on the way: try again */
                    continue;
                snprintf(st->err, sizeof(st->err),
                         "export %s .. %s: the cluster answered %ld but not a complete "
                         "ZIP archive, three times",
                         d1, d2, status);
                rc = DTC_EZIP;
                break;
            }
            if (rename(part, path) != 0) {
                snprintf(st->err, sizeof(st->err), "%.300s: %s", path, strerror(errno));
                rc = DTC_EIO;
                break;
            }
            st->downloaded++;
            st->bytes += rq.sink_len;
            return add_file(st, path);
        }
        char msg[200];
        server_message(msg, sizeof(msg), &resp);
        if (status == 429 || status == 0 || status >= 500) {
            /* 429: an export is already running on the cluster; 5xx and
             * dropped connections: a few tries. */
            if (status != 429 && ++transient > 3) {
                snprintf(st->err, sizeof(st->err),
                         "export %s .. %s: %s; tried 4 times, run again later", d1, d2,
                         status ? "the cluster answered 5xx" : dtc_http_errmsg(h));
                rc = DTC_ERETRY;
                break;
            }
            /* Retry-After saturates at a day (retry.c) and the comparison
             * subtracts, so no server number can overflow past --max-wait. */
            int64_t w = dtc_backoff_next(&bo, waits++, status ? resp.retry_after : -1);
            if (w > total - *waited_ms) {
                snprintf(st->err, sizeof(st->err),
                         "export %s .. %s: the cluster kept answering 429 (an export is "
                         "already running) for %" PRId64 " s; run again when it is done",
                         d1, d2, *waited_ms / 1000);
                rc = DTC_ERETRY;
                break;
            }
            if (status == 429) st->busy_waits++;
            dtc_sleep_ms(w, NULL);
            *waited_ms += w;
            continue;
        }
        if (status == 422)
            snprintf(st->err, sizeof(st->err),
                     "%s is on DPS licensing (422 incompatible licensing model): its "
                     "cost comes from the Account Management API; use dtcost sync",
                     o->cluster_url);
        else if (status == 400)
            snprintf(st->err, sizeof(st->err),
                     "the cluster refused the range %s .. %s (400: %s); check --from/--to "
                     "or use a smaller --chunk-hours",
                     d1, d2, msg);
        else if (status == 401 || status == 403)
            snprintf(st->err, sizeof(st->err),
                     "the cluster refused the token (%ld): it needs the "
                     "ServiceProviderAPI permission (set DT_CLUSTER_TOKEN or --token-file)",
                     status);
        else if (status == 404)
            snprintf(st->err, sizeof(st->err),
                     "%s has no license export API (404): give the Managed cluster's "
                     "address, e.g. https://cluster.example.com",
                     o->cluster_url);
        else
            snprintf(st->err, sizeof(st->err), "export %s .. %s: unexpected HTTP %ld: %s", d1, d2,
                     status, msg);
        rc = status == 401 || status == 403   ? DTC_EAUTH
             : status == 400 || status == 422 ? DTC_EINVAL
                                              : DTC_EHTTP;
        break;
    }
    unlink(part);
    return rc;
}

int dtc_lic_fetch(dtc_lic_fetch_stats *st, const dtc_lic_fetch_opts *o)
{
    memset(st, 0, sizeof(*st));
    int64_t from = o->from_ms - ((o->from_ms % HOUR_MS) + HOUR_MS) % HOUR_MS;
    int64_t to = o->to_ms + (HOUR_MS - ((o->to_ms % HOUR_MS) + HOUR_MS) % HOUR_MS) % HOUR_MS;
    int64_t last = ((int64_t)time(NULL) * 1000) / HOUR_MS * HOUR_MS; /* never ask for the future */
    if (to > last) to = last;
    if (to <= from) {
        snprintf(st->err, sizeof(st->err),
                 "nothing to fetch: --from must be before --to and in the past");
        return DTC_EINVAL;
    }
    const char *dir = o->out_dir ? o->out_dir : ".";
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(st->err, sizeof(st->err), "%s: cannot create it: %s (check --out)", dir,
                 strerror(errno));
        return DTC_EIO;
    }
    dtc_http *h = NULL;
    if (dtc_http_new(&h, 1 << 20) != 0) {
        snprintf(st->err, sizeof(st->err), "out of memory");
        return DTC_ENOMEM;
    }
    int64_t step = (o->chunk_hours > 0 ? o->chunk_hours : 168) * HOUR_MS;
    int64_t waited = 0;
    int rc = 0;
    for (int64_t a = from; a < to && rc == 0; a += step) {
        int64_t b = a + step < to ? a + step : to;
        char path[4096];
        snprintf(path, sizeof(path), "%s/license-%" PRId64 "-%" PRId64 ".zip", dir, a, b);
        st->chunks++;
        if (complete_zip(path)) {
            st->reused++;
            rc = add_file(st, path);
            continue;
        }
        rc = fetch_chunk(h, o, st, a, b, path, &waited);
    }
    dtc_http_free(h);
    return rc;
}

void dtc_lic_fetch_stats_dispose(dtc_lic_fetch_stats *st)
{
    for (size_t i = 0; i < st->nfiles; i++)
        dtc_free(st->files[i]);
    dtc_free(st->files);
    st->files = NULL;
    st->nfiles = 0;
}
