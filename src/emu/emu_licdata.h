/* emu_licdata.h: synthetic Managed-cluster license consumption, one
 * ConsumptionExport JSON document per cluster and hour (contract 5.5), a pure
 * function of the seed and the scale. Used by the cluster export endpoints and
 * by the license benchmark's generator. */
#ifndef DTC_EMU_LICDATA_H
#define DTC_EMU_LICDATA_H
#include <stdint.h>

#include "buf.h"

typedef struct emu_licscale {
    uint64_t seed;
    const char *cluster_uuid;
    int cluster;          /* index, mixes into every value */
    int envs, hosts;      /* environments, hosts per environment */
    char (*env_uuid)[40]; /* envs UUIDs, or NULL to derive them */
} emu_licscale;

/* Append the ConsumptionExport of the hour starting at hour_ms (epoch ms,
 * hour-aligned) to out. Returns 0 or DTC_ETOOBIG when out's cap is reached. */
int emu_licdata_hour(const emu_licscale *sc, int64_t hour_ms, dtc_buf *out);

/* RAM of host h, in bytes: cycles through the host-unit table's edges
 * (exactly 1.6, 4, 8, 16 GiB, one byte above each, 112 GiB and above). */
int64_t emu_licdata_host_memory(int h);

#endif
