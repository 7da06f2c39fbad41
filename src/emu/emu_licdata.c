/* emu_licdata.c: synthetic ConsumptionExport documents. Every host keeps its
 * identity, RAM and monitoring mode across hours; activity varies by hour so
 * the 5-minute rule has records to decide on. Values that the contract says
 * may be null are null on a deterministic subset. */
#include "emu_licdata.h"

#include <stdio.h>

#include "dtcost/errors.h"
#include "hash.h"
#include "jw.h"

#define GIB 1073741824LL

/* The host-unit table's edges (contract 6.1): at, and one byte above. 1.6 GiB
 * is not a whole number of bytes, so "exactly" is its floor. */
static const int64_t memory_edges[] = {
    1717986918LL, 1717986919LL, 4 * GIB,  4 * GIB + 1, 8 * GIB,      8 * GIB + 1,
    16 * GIB,     16 * GIB + 1, 24 * GIB, 64 * GIB,    112 * GIB,    112 * GIB + 1,
    256 * GIB,    8538218496LL, 12 * GIB, 32 * GIB,    48 * GIB + 1,
};
#define NEDGES (int)(sizeof(memory_edges) / sizeof(memory_edges[0]))

int64_t emu_licdata_host_memory(int h)
{
    return memory_edges[h % NEDGES];
}

static void env_uuid(const emu_licscale *sc, int e, char dst[40])
{
    if (sc->env_uuid) {
        snprintf(dst, 40, "%s", sc->env_uuid[e]);
        return;
    }
    uint64_t h1 = dtc_hash4(sc->seed, 0x55u, 0xce0u + (uint64_t)sc->cluster, (uint64_t)e, 1);
    uint64_t h2 = dtc_hash4(sc->seed, 0x55u, 0xce0u + (uint64_t)sc->cluster, (uint64_t)e, 2);
    snprintf(dst, 40, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h1 >> 32),
             (unsigned)(h1 >> 16) & 0xffff, (unsigned)h1 & 0xfff,
             (unsigned)(0x8000 | ((h2 >> 48) & 0x3fff)),
             (unsigned long long)(h2 & 0xffffffffffffULL));
}

/* A signed 64-bit host id whose magnitude is beyond 2^53, negative for about
 * half the hosts (as in the contract's example). */
static int64_t osi_id(const emu_licscale *sc, int e, int h)
{
    uint64_t x = dtc_hash4(sc->seed, 0x051, (uint64_t)sc->cluster, (uint64_t)e, (uint64_t)h);
    x |= 1ULL << 61; /* |id| >= 2^61 > 2^53 */
    x &= ~(1ULL << 63);
    int64_t v = (int64_t)x;
    return (x & 2) ? -v : v;
}

/* Activity of the OS module inside the hour, as up to three [start, end)
 * offsets in seconds. Most hosts run the whole hour; some are short
 * (under, at and over 5 minutes, split into pieces); a few are off. */
static int activity(const emu_licscale *sc, int e, int h, int64_t hour, int seg[3][2])
{
    uint64_t x = dtc_hash4(sc->seed, 0xac7, (uint64_t)sc->cluster, (uint64_t)(e * 100000 + h),
                           (uint64_t)hour);
    int pattern = (h % 9 == 4) ? (int)(x % 8) : (dtc_unit(x) < 0.03 ? 7 : 0);
    switch (pattern) {
    case 1: /* 4 min 59 s: does not count */
        seg[0][0] = 600, seg[0][1] = 600 + 299;
        return 1;
    case 2: /* exactly 5 minutes: counts */
        seg[0][0] = 1200, seg[0][1] = 1500;
        return 1;
    case 3: /* 3 + 3 minutes in two records: counts */
        seg[0][0] = 0, seg[0][1] = 180, seg[1][0] = 3000, seg[1][1] = 3180;
        return 2;
    case 4: /* 2 + 2 minutes: does not count */
        seg[0][0] = 60, seg[0][1] = 180, seg[1][0] = 2000, seg[1][1] = 2120;
        return 2;
    case 5: /* starts at :23 */
        seg[0][0] = 23 * 60, seg[0][1] = 3600;
        return 1;
    case 6: /* three pieces, 1 + 2 + 2 minutes = 5: counts */
        seg[0][0] = 0, seg[0][1] = 60, seg[1][0] = 600, seg[1][1] = 720, seg[2][0] = 3480,
        seg[2][1] = 3600;
        return 3;
    case 7: /* not running this hour */
        return 0;
    default:
        seg[0][0] = 0, seg[0][1] = 3600;
        return 1;
    }
}

static void key_int(dtc_jw *w, const char *k, int64_t v)
{
    dtc_jw_key(w, k);
    dtc_jw_int(w, v);
}

static void key_bool(dtc_jw *w, const char *k, bool v)
{
    dtc_jw_key(w, k);
    dtc_jw_bool(w, v);
}

static void host(dtc_jw *w, const emu_licscale *sc, int e, int h, int64_t hour_ms, bool nulls)
{
    int seg[3][2];
    int nseg = activity(sc, e, h, hour_ms / 3600000, seg);
    if (nseg == 0) return;
    uint64_t x = dtc_hash4(sc->seed, 0x4057, (uint64_t)sc->cluster, (uint64_t)e, (uint64_t)h);
    int mode = h % 7; /* 3: Infrastructure only, 5: application-only (PaaS) */
    bool infra = mode == 3, paas = mode == 5;
    dtc_jw_obj(w);
    key_int(w, "osiId", osi_id(sc, e, h));
    dtc_jw_key(w, "hostName");
    if (nulls || h % 5 == 2) {
        dtc_jw_null(w);
    } else {
        char name[64];
        snprintf(name, sizeof(name), "host-%02d-%04d.emu.internal", e, h);
        dtc_jw_str(w, name);
    }
    dtc_jw_key(w, "hostCategory");
    static const char *cats[] = {"S", "M", "L", "XL"};
    dtc_jw_str(w, cats[x % 4]);
    dtc_jw_key(w, "agentUsages");
    dtc_jw_arr(w);
    dtc_jw_obj(w);
    dtc_jw_key(w, "networkTraffic");
    dtc_jw_null(w);
    key_int(w, "agentId", 2000000000LL + (int64_t)(x % 100000000));
    key_int(w, "agentTypeId", 1);
    dtc_jw_key(w, "agentUsageRecords");
    dtc_jw_arr(w);
    for (int i = 0; i < nseg; i++) {
        dtc_jw_obj(w);
        key_int(w, "startTime", hour_ms + seg[i][0] * 1000LL);
        key_int(w, "endTime", hour_ms + seg[i][1] * 1000LL);
        dtc_jw_obj_end(w);
    }
    dtc_jw_arr_end(w);
    dtc_jw_obj_end(w);
    if (!infra) { /* a code module that runs whenever the host does: not the OS module */
        dtc_jw_obj(w);
        dtc_jw_key(w, "networkTraffic");
        if (nulls)
            dtc_jw_null(w);
        else
            dtc_jw_int(w, (int64_t)(x % 1000000));
        key_int(w, "agentId", 2100000000LL + (int64_t)(x % 100000000));
        key_int(w, "agentTypeId", 6);
        dtc_jw_key(w, "agentUsageRecords");
        dtc_jw_arr(w);
        dtc_jw_obj(w);
        key_int(w, "startTime", hour_ms);
        key_int(w, "endTime", hour_ms + 3600000);
        dtc_jw_obj_end(w);
        dtc_jw_arr_end(w);
        dtc_jw_obj_end(w);
    }
    dtc_jw_arr_end(w);
    key_bool(w, "infrastructureOnly", infra);
    key_bool(w, "paas", paas);
    dtc_jw_key(w, "passMemoryLimit");
    if (paas) {
        /* Half of the PaaS hosts report a detected limit, the others none. */
        if ((h / 7) % 2 == 0)
            dtc_jw_int(w, emu_licdata_host_memory(h / 7 + 1) / 2);
        else
            dtc_jw_null(w);
    } else {
        dtc_jw_int(w, 0);
    }
    dtc_jw_key(w, "vendorTypeId");
    if (paas)
        dtc_jw_int(w, 1 + (int64_t)(x % 5));
    else
        dtc_jw_null(w);
    key_int(w, "hostMemoryBytes", emu_licdata_host_memory(h));
    key_bool(w, "premiumLogAnalytics", (x >> 8) % 3 == 0);
    key_bool(w, "hasContainers", (x >> 12) % 4 == 0);
    dtc_jw_obj_end(w);
}

static void environment(dtc_jw *w, const emu_licscale *sc, int e, int64_t hour_ms)
{
    int64_t hour = hour_ms / 3600000;
    uint64_t x = dtc_hash4(sc->seed, 0xe4f, (uint64_t)sc->cluster, (uint64_t)e, (uint64_t)hour);
    /* Daily rhythm: busier in the (UTC) working day. */
    int hod = (int)(hour % 24);
    double load = (hod >= 7 && hod <= 19) ? 1.0 : 0.35;
    /* One environment in three leaves optional values null every few hours. */
    bool nulls = e % 3 == 2 && hour % 4 == 0;
    char uuid[40];
    env_uuid(sc, e, uuid);
    dtc_jw_obj(w);
    dtc_jw_key(w, "environmentUuid");
    dtc_jw_str(w, uuid);
    key_int(w, "visits", (int64_t)(load * (200 + (double)(x % 400))));
    key_int(w, "mobileSessions", (int64_t)(load * (double)((x >> 10) % 150)));
    key_int(w, "totalRUMUserPropertiesUsed", 15 + (int64_t)((x >> 20) % 12));
    key_int(w, "newProblems", 0);
    dtc_jw_key(w, "hostUsages");
    dtc_jw_arr(w);
    for (int h = 0; h < sc->hosts; h++)
        host(w, sc, e, h, hour_ms, nulls);
    dtc_jw_arr_end(w);
    dtc_jw_key(w, "downloads");
    dtc_jw_arr(w);
    dtc_jw_arr_end(w);
    dtc_jw_key(w, "syntheticUsages");
    dtc_jw_arr(w);
    dtc_jw_arr_end(w);
    dtc_jw_key(w, "syntheticBillingUsage");
    dtc_jw_arr(w);
    for (int t = 0; t < 3; t++) {
        dtc_jw_obj(w);
        key_int(w, "monitorTypeId", t == 0 ? 1 : 2);
        key_int(w, "testId",
                7000000000000000000LL + (int64_t)(dtc_hash4(sc->seed, 0x7e57, (uint64_t)sc->cluster,
                                                            (uint64_t)e, (uint64_t)t) %
                                                  1000000000000LL));
        key_int(w, "publicExecutions", t == 0 ? 12 : 60);
        key_int(w, "privateExecutions", t == 2 ? 30 : 0);
        dtc_jw_obj_end(w);
    }
    dtc_jw_arr_end(w);
    dtc_jw_key(w, "customMetrics");
    if (nulls) {
        dtc_jw_null(w);
    } else {
        dtc_jw_arr(w);
        dtc_jw_obj(w);
        dtc_jw_key(w, "source");
        dtc_jw_str(w, "JMX");
        key_int(w, "total", 10 + (int64_t)(x % 7));
        dtc_jw_obj_end(w);
        dtc_jw_obj(w);
        dtc_jw_key(w, "source");
        dtc_jw_str(w, "Dynatrace API");
        key_int(w, "total", 3);
        dtc_jw_obj_end(w);
        dtc_jw_arr_end(w);
    }
    dtc_jw_key(w, "davisDataUnits");
    dtc_jw_arr(w);
    static const char *pools[] = {"Metrics", "Log", "Events", "Traces", "Serverless"};
    for (int p = 0; p < 5; p++) {
        uint64_t y = dtc_hash4(sc->seed, 0xdd0, (uint64_t)(e * 8 + p), (uint64_t)sc->cluster,
                               (uint64_t)hour);
        dtc_jw_obj(w);
        dtc_jw_key(w, "pool");
        dtc_jw_str(w, pools[p]);
        dtc_jw_key(w, "total");
        /* Up to five decimals, written exactly (no binary floating point). */
        dtc_jw_fixed(w, (int64_t)(load * (double)(y % 50000000)), 5);
        dtc_jw_obj_end(w);
    }
    dtc_jw_arr_end(w);
    key_bool(w, "trial", false);
    key_bool(w, "internalUse", e == sc->envs - 1 && sc->envs > 2);
    key_bool(w, "highAvailabilityCluster", false);
    key_int(w, "logStorageUsageBytes", (int64_t)(x % 5000000000LL));
    key_int(w, "logUploadVolumeBytes", (int64_t)(load * (double)((x >> 7) % 200000000LL)));
    key_int(w, "sessionReplays", (int64_t)(load * (double)((x >> 30) % 60)));
    key_int(w, "mobileSessionReplays", (int64_t)(load * (double)((x >> 40) % 20)));
    dtc_jw_obj_end(w);
}

int emu_licdata_hour(const emu_licscale *sc, int64_t hour_ms, dtc_buf *out)
{
    dtc_jw w;
    dtc_jw_init(&w, out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "clusterUuid");
    dtc_jw_str(&w, sc->cluster_uuid);
    key_int(&w, "timeFrameStart", hour_ms);
    key_int(&w, "timeFrameEnd", hour_ms + 3600000);
    dtc_jw_key(&w, "environmentBillingEntries");
    dtc_jw_arr(&w);
    for (int e = 0; e < sc->envs; e++)
        environment(&w, sc, e, hour_ms);
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    return w.err ? DTC_ETOOBIG : 0;
}
