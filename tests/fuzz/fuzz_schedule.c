/* fuzz_schedule.c: cron expressions (schedule.c) on the fuzzer's bytes,
 * and the next run times of what parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtcost/schedule.h"

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    char expr[4097];
    memcpy(expr, data, size);
    expr[size] = '\0';
    dtc_schedule s;
    char err[256];
    if (dtc_schedule_parse(&s, expr, 0, err, sizeof(err)) == 0) {
        int64_t t = 1795000000;
        for (int i = 0; i < 4 && t >= 0; i++) {
            int64_t next = dtc_schedule_next(&s, t);
            if (next >= 0 && next <= t) abort(); /* the next run must be later */
            t = next;
        }
    }
    return 0;
}
