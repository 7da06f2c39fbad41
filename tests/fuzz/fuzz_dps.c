/* fuzz_dps.c: every Account Management answer parser of dps.c on the
 * fuzzer's bytes (each GET answered with them, a few times for page walks). */
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "dps_test.h"

static int on_records(void *ctx, const dtc_record *recs, size_t n)
{
    (void)ctx, (void)recs, (void)n;
    return 0;
}

static int on_allocs(void *ctx, const dtc_cost_allocation *recs, size_t n)
{
    (void)ctx, (void)recs, (void)n;
    return 0;
}

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *uuid = "de29f0c4-c3c7-4116-9503-92f6413066dd";
    dtc_dps_opts o = {.api_url = "http://fuzz.invalid", .account_uuid = uuid, .retry_attempts = 1};
    for (int which = 0; which < 13; which++) {
        dtc_dps *c = NULL;
        if (dtc_dps_new(&c, &o) != 0) return 0;
        dtc_dps__canned(c, (const char *)data, size, 3);
        void *out = NULL;
        char(*booking)[32] = NULL;
        size_t n = 0;
        int used_v2 = 0;
        int rc = 0; /* a refusal is fine: the harness looks for faults, not answers */
        dtc_subscription sub;
        dtc_subscription_detail det;
        dtc_forecast fc;
        switch (which) {
        case 0:
            rc = dtc_dps_list_subscriptions(c, (dtc_subscription **)&out, &n);
            break;
        case 1:
            rc = dtc_dps_get_subscription(c, &sub, uuid);
            break;
        case 2:
            rc = dtc_dps_cost(c, (dtc_cost_day **)&out, &n, uuid);
            break;
        case 3:
            if (dtc_dps_get_detail(c, &det, uuid) == 0) dtc_dps_detail_dispose(&det);
            break;
        case 4:
            rc = dtc_dps_cost_booked(c, (dtc_cost_day **)&out, &booking, &n, uuid);
            break;
        case 5:
            rc = dtc_dps_usage(c, (dtc_record **)&out, &n, uuid);
            break;
        case 6:
            rc = dtc_dps_env_records(c, uuid, 1, 20600, 20607, 50, on_records, NULL, &used_v2);
            break;
        case 7:
            rc = dtc_dps_env_records(c, uuid, 0, 20600, 20607, 50, on_records, NULL, &used_v2);
            break;
        case 8:
            rc = dtc_dps_environments(c, (dtc_environment **)&out, &n);
            break;
        case 9:
            rc = dtc_dps_forecast(c, &fc);
            break;
        case 10:
            rc = dtc_dps_rate_cards(c, (dtc_rate **)&out, &n);
            break;
        case 11:
            rc = dtc_dps_events(c, (dtc_event **)&out, &n, 20600, 20607);
            break;
        case 12:
            rc = dtc_dps_cost_allocation(c, uuid, "abc12345", "COSTCENTER", 20600, 20607, 0,
                                         on_allocs, NULL);
            rc = dtc_dps_alloc_values(c, (dtc_alloc_value **)&out, &n, "costcenters");
            break;
        }
        (void)rc;
        dtc_free(out);
        dtc_free(booking);
        dtc_dps_free(c);
    }
    return 0;
}
