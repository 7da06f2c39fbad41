/* emu_cluster.c: the Managed Cluster API v2 license consumption export
 * (contract 5): Api-Token auth, 400/401/422/429, the full export as a ZIP
 * holding an inner ZIP of hourly ConsumptionExport JSON files, a signature
 * and a log, and the one-hour JSON endpoint. The same seed gives the same
 * bytes: entry times are fixed and the signature is keyed from the seed. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "alloc.h"
#include "emu.h"
#include "emu_licdata.h"
#include "hash.h"
#include "timeutil.h"

#define HOUR_MS 3600000LL
/* 1980-01-01 would also do; a fixed date keeps the archive reproducible. */
#define ENTRY_MTIME ((time_t)1577836800) /* 2020-01-01T00:00:00Z */

/* The cluster whose Api-Token the request carries (header or, as older docs
 * allow, the api-token query parameter); NULL with 401 set. */
static const emu_cluster *cluster_auth(emu_req *r)
{
    const char *h = emu_header(r, "Authorization");
    const char *tok = NULL;
    if (h && strncasecmp(h, "Api-Token ", 10) == 0)
        tok = h + 10;
    else if (!h)
        tok = emu_arg(r, "api-token");
    if (!tok || !*tok) {
        emu_error(r, 401, "Missing authorization: send 'Authorization: Api-Token <cluster token>'");
        return NULL;
    }
    for (int i = 0; i < r->model->nclusters; i++)
        if (strcmp(tok, r->model->clusters[i].token) == 0) return &r->model->clusters[i];
    emu_error(r, 401, "Token authentication failed");
    return NULL;
}

/* A strict epoch-ms integer parameter. */
static bool ms_arg(emu_req *r, const char *name, bool required, int64_t *out)
{
    const char *v = emu_arg(r, name);
    if (!v) {
        if (required) emu_error(r, 400, "%s is required (epoch milliseconds)", name);
        return !required;
    }
    char *end = NULL;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < 0 || x > 32503680000000LL) {
        emu_error(r, 400, "%s must be epoch milliseconds, not '%.40s'", name, v);
        return false;
    }
    *out = x;
    return true;
}

static void scale_of(const emu_req *r, const emu_cluster *c, emu_licscale *sc)
{
    memset(sc, 0, sizeof(*sc));
    sc->seed = r->model->cfg->seed;
    sc->cluster_uuid = c->uuid;
    sc->cluster = (int)(c - r->model->clusters);
    sc->envs = c->nenvs;
    sc->hosts = r->model->cfg->hosts < 0 ? 0 : r->model->cfg->hosts;
    sc->env_uuid = c->env_uuid;
}

static bool licensing_ok(emu_req *r, const emu_cluster *c)
{
    if (c->dps) {
        emu_error(r, 422,
                  "Incompatible licensing model: cluster %s uses Dynatrace Platform "
                  "Subscription licensing; its consumption is in the Account Management API",
                  c->uuid);
        return false;
    }
    return true;
}

void emu_h_license_hour(emu_req *r)
{
    const emu_cluster *c = cluster_auth(r);
    if (!c || !licensing_ok(r, c)) return;
    int64_t start = 0;
    if (!ms_arg(r, "startTs", true, &start)) return;
    start -= start % HOUR_MS; /* the server floors to the hour; endTs is ignored */
    if (start + HOUR_MS > r->now * 1000) {
        emu_error(r, 400, "startTs is not in a completed hour (the hour ends after now)");
        return;
    }
    emu_licscale sc;
    scale_of(r, c, &sc);
    if (emu_licdata_hour(&sc, start, &r->out) != 0) {
        emu_error(r, 500, "hour too large to render");
        return;
    }
    emu_json_ok(r);
}

/* 429 while an export is "running": the first --export-busy attempts before
 * each export, and for --export-seconds after an export starts. */
static bool export_busy(emu_req *r, int cluster)
{
    const emu_config *cfg = r->model->cfg;
    emu_exportstate *st = emu_exportstate_of(r->srv, cluster);
    int64_t now = dtc_mono_ms();
    bool busy = false;
    emu_lock(r->srv);
    if (now < st->busy_until_ms) {
        busy = true;
    } else if (cfg->export_busy > 0 && st->attempts++ % (unsigned long)(cfg->export_busy + 1) <
                                           (unsigned long)cfg->export_busy) {
        busy = true;
    } else if (cfg->export_seconds > 0) {
        st->busy_until_ms = now + (int64_t)cfg->export_seconds * 1000;
    }
    emu_unlock(r->srv);
    if (busy)
        emu_error(r, 429,
                  "An export is already in progress on this cluster; wait for it to finish");
    return busy;
}

/* Finish an in-memory archive and copy its bytes into out. */
static int zip_finish(zip_t *za, zip_source_t *src, dtc_buf *out)
{
    int rc = DTC_EZIP;
    zip_stat_t st;
    if (zip_close(za) != 0) {
        zip_discard(za);
        return DTC_EZIP;
    }
    if (zip_source_stat(src, &st) != 0 || zip_source_open(src) != 0) return DTC_EZIP;
    char chunk[65536];
    zip_int64_t n, total = 0;
    while ((n = zip_source_read(src, chunk, sizeof(chunk))) > 0) {
        if (dtc_buf_add(out, chunk, (size_t)n) != 0) {
            rc = DTC_ETOOBIG;
            goto done;
        }
        total += n;
    }
    rc = (n < 0 || (zip_uint64_t)total != st.size) ? DTC_EZIP : 0;
done:
    zip_source_close(src);
    return rc;
}

/* Add a copy of data as entry name with the fixed time; the archive frees it. */
static int zip_put(zip_t *za, const char *name, const void *data, size_t len)
{
    void *copy = dtc_malloc(len ? len : 1);
    if (!copy) return DTC_ENOMEM;
    memcpy(copy, data, len);
    zip_source_t *s = zip_source_buffer(za, copy, len, 1);
    if (!s) {
        dtc_free(copy);
        return DTC_EZIP;
    }
    zip_int64_t idx = zip_file_add(za, name, s, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(s);
        return DTC_EZIP;
    }
    if (zip_file_set_mtime(za, (zip_uint64_t)idx, ENTRY_MTIME, 0) != 0) return DTC_EZIP;
    return 0;
}

static int zip_new(zip_t **za, zip_source_t **src)
{
    zip_error_t err;
    zip_error_init(&err);
    *src = zip_source_buffer_create(NULL, 0, 0, &err);
    if (!*src) {
        zip_error_fini(&err);
        return DTC_ENOMEM;
    }
    *za = zip_open_from_source(*src, ZIP_TRUNCATE, &err);
    zip_error_fini(&err);
    if (!*za) {
        zip_source_free(*src);
        *src = NULL;
        return DTC_EZIP;
    }
    zip_source_keep(*src);
    return 0;
}

void emu_h_license_export(emu_req *r)
{
    zip_t *inner = NULL, *outer = NULL;
    zip_source_t *inner_src = NULL, *outer_src = NULL;
    dtc_buf hourdoc, innerbytes, log;
    dtc_buf_init(&hourdoc, DTC_CAP_JSON_DOC);
    dtc_buf_init(&innerbytes, DTC_CAP_HTTP_BODY);
    dtc_buf_init(&log, DTC_CAP_SMALL * 4);
    int rc = DTC_ENOMEM;

    const emu_cluster *c = cluster_auth(r);
    if (!c || !licensing_ok(r, c)) goto done;
    int64_t start = 0, end = 0;
    if (!ms_arg(r, "startTs", true, &start) || !ms_arg(r, "endTs", true, &end)) goto done;
    int64_t now_ms = r->now * 1000, max_ms = (int64_t)r->model->cfg->export_max_days * 86400000LL;
    if (end <= start) {
        emu_error(r, 400, "endTs must be after startTs");
        goto done;
    }
    if (end - start > max_ms) {
        emu_error(r, 400, "The time range is too long: at most %d days per export",
                  r->model->cfg->export_max_days);
        goto done;
    }
    int64_t h0 = start - start % HOUR_MS;
    int64_t h1 = end % HOUR_MS ? end - end % HOUR_MS + HOUR_MS : end;
    int64_t last = now_ms - now_ms % HOUR_MS; /* completed hours end here */
    if (h1 > last) h1 = last;
    if (h0 >= h1) {
        emu_error(r, 400, "The time range holds no completed hour (it starts in the future)");
        goto done;
    }
    if (export_busy(r, (int)(c - r->model->clusters))) goto done;

    emu_licscale sc;
    scale_of(r, c, &sc);
    if ((rc = zip_new(&inner, &inner_src)) != 0) goto fail;
    char name[160], ts[32];
    dtc_fmt_datetime(ts, r->now);
    if (dtc_buf_printf(&log,
                       "%s INFO license consumption export for cluster %s\n"
                       "%s INFO requested startTs=%lld endTs=%lld\n",
                       ts, c->uuid, ts, (long long)start, (long long)end))
        goto fail;
    for (int64_t h = h0; h < h1; h += HOUR_MS) {
        dtc_buf_reset(&hourdoc);
        if ((rc = emu_licdata_hour(&sc, h, &hourdoc)) != 0) goto fail;
        snprintf(name, sizeof(name), "%lld.json", (long long)h);
        if ((rc = zip_put(inner, name, hourdoc.data, hourdoc.len)) != 0) goto fail;
        if (dtc_buf_printf(&log, "%s INFO exported %s (%zu bytes, %d environments)\n", ts, name,
                           hourdoc.len, sc.envs)) {
            rc = DTC_ENOMEM;
            goto fail;
        }
    }
    rc = zip_finish(inner, inner_src, &innerbytes);
    inner = NULL;
    if (rc) goto fail;

    /* Signature: HMAC-SHA256 of the inner archive, keyed from the seed. */
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned maclen = 0;
    uint64_t key[2] = {dtc_hash4(r->model->cfg->seed, 0x5167, 1, 0, 0),
                       dtc_hash4(r->model->cfg->seed, 0x5167, 2, 0, 0)};
    if (!HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)innerbytes.data,
              innerbytes.len, mac, &maclen)) {
        rc = DTC_EIO;
        goto fail;
    }
    char sig[2 * EVP_MAX_MD_SIZE + 64];
    int off = snprintf(sig, sizeof(sig), "HMAC-SHA256 ");
    for (unsigned i = 0; i < maclen; i++)
        off += snprintf(sig + off, sizeof(sig) - (size_t)off, "%02x", mac[i]);
    snprintf(sig + off, sizeof(sig) - (size_t)off, "\n");
    if (dtc_buf_printf(&log, "%s INFO %lld hours exported, signed\n", ts,
                       (long long)((h1 - h0) / HOUR_MS))) {
        rc = DTC_ENOMEM;
        goto fail;
    }

    char base[128];
    snprintf(base, sizeof(base), "license-consumption-%s-%lld-%lld", c->uuid, (long long)h0,
             (long long)h1);
    if ((rc = zip_new(&outer, &outer_src)) != 0) goto fail;
    snprintf(name, sizeof(name), "%s.zip", base);
    if ((rc = zip_put(outer, name, innerbytes.data, innerbytes.len)) != 0) goto fail;
    snprintf(name, sizeof(name), "%s.signature", base);
    if ((rc = zip_put(outer, name, sig, strlen(sig))) != 0) goto fail;
    snprintf(name, sizeof(name), "%s.log", base);
    if ((rc = zip_put(outer, name, log.data, log.len)) != 0) goto fail;
    dtc_buf_reset(&r->out);
    rc = zip_finish(outer, outer_src, &r->out);
    outer = NULL;
    if (rc) goto fail;
    if (emu_fault_truncate(r)) r->out.len = r->out.len * 2 / 3; /* cut short, still 200 */
    r->status = 200;
    r->content_type = "application/octet-stream";
    char disp[200];
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s-export.zip\"", base);
    emu_set_header(r, "Content-Disposition", disp);
    goto done;
fail:
    emu_error(r, 500, "export failed (%s)",
              rc == DTC_ENOMEM    ? "out of memory"
              : rc == DTC_ETOOBIG ? "archive too large"
                                  : "archive error");
done:
    if (inner) zip_discard(inner);
    if (outer) zip_discard(outer);
    zip_source_free(inner_src);
    zip_source_free(outer_src);
    dtc_buf_dispose(&hourdoc);
    dtc_buf_dispose(&innerbytes);
    dtc_buf_dispose(&log);
}
