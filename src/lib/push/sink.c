/* sink.c: the table of push sinks and the rules every sink shares: what an
 * HTTP status means, how a run's records are cut into batches. */
#include "sink.h"

#include <string.h>

static const dtc_sink *const sinks[] = {&dtc_sink__webhook, &dtc_sink__bizevents};
#define NSINKS (sizeof(sinks) / sizeof(sinks[0]))
_Static_assert(NSINKS == DTC_SINK_COUNT, "DTC_SINK_COUNT is the table's length");

void dtc_sink__names(const char **out)
{
    for (size_t i = 0; i < NSINKS; i++)
        out[i] = sinks[i]->name;
    out[NSINKS] = NULL;
}

const dtc_sink *dtc_sink__at(int i)
{
    return i >= 0 && (size_t)i < NSINKS ? sinks[i] : NULL;
}

const dtc_sink *dtc_sink__of(dtc_push_kind kind)
{
    for (size_t i = 0; i < NSINKS; i++)
        if (sinks[i]->kind == kind) return sinks[i];
    return sinks[0];
}

const dtc_sink *dtc_sink__named(const char *name)
{
    for (size_t i = 0; i < NSINKS; i++)
        if (strcmp(sinks[i]->name, name) == 0) return sinks[i];
    return NULL;
}

dtc_sink_verdict dtc_sink__classify_http(long status, long records)
{
    if (status >= 200 && status < 300) return DTC_SINK_OK;
    if (status == 413) return records > 1 ? DTC_SINK_SPLIT : DTC_SINK_REFUSED;
    if (status == 0 || status == 408 || status == 429 || status >= 500) return DTC_SINK_RETRY;
    return DTC_SINK_REFUSED;
}

size_t dtc_sink__body_size(size_t payload, size_t n)
{
    return payload + n + 2;
}

size_t dtc_sink__cut(size_t *out, const size_t *lens, size_t n, size_t batch_bytes,
                     long batch_records)
{
    size_t nb = 0, start = 0;
    while (start < n) {
        size_t end = start, payload = 0;
        while (end < n) {
            size_t k = end - start + 1;
            if (end > start && ((batch_records > 0 && (long)k > batch_records) ||
                                dtc_sink__body_size(payload + lens[end], k) > batch_bytes))
                break;
            payload += lens[end];
            end++;
        }
        out[nb++] = end;
        start = end;
    }
    return nb;
}
