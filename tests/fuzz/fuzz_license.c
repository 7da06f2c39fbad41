/* fuzz_license.c: the license export parser on the fuzzer's bytes, whole
 * (dtc_lic_parser_parse, its own one-pass scanner) and streamed in uneven
 * pieces (feed/finish, yajl): both must accept and refuse the same inputs
 * and read the same figures, or the harness aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtcost/license.h"

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dtc_license_rules rules;
    dtc_license_rules_default(&rules);
    dtc_lic_parser *w = NULL, *p = NULL;
    if (dtc_lic_parser_new(&w, &rules, true) != 0) return 0;
    if (dtc_lic_parser_new(&p, &rules, true) != 0) {
        dtc_lic_parser_free(w);
        return 0;
    }
    const dtc_lic_doc *wd = NULL, *doc = NULL;
    int wrc = dtc_lic_parser_parse(w, &wd, (const char *)data, size);
    int rc = 0;
    for (size_t off = 0, step = 1; off < size && rc == 0; off += step, step = step * 3 % 61 + 1)
        rc = dtc_lic_parser_feed(p, data + off, off + step > size ? size - off : step);
    if (rc == 0) rc = dtc_lic_parser_finish(p, &doc);
    /* Out of memory is the allocator's verdict, not the parser's. */
    if (wrc != DTC_ENOMEM && rc != DTC_ENOMEM) {
        if ((wrc == 0) != (rc == 0)) abort();
        if (rc == 0 && (wd->from_ms != doc->from_ms || wd->nenvs != doc->nenvs ||
                        wd->nhosts != doc->nhosts || strcmp(wd->cluster, doc->cluster) != 0 ||
                        (wd->nenvs && memcmp(wd->envs, doc->envs, wd->nenvs * sizeof(*wd->envs)))))
            abort();
        for (size_t i = 0; rc == 0 && i < doc->nhosts; i++) {
            const dtc_lic_host *a = &wd->hosts[i], *b = &doc->hosts[i];
            if (a->env != b->env || a->osi_id != b->osi_id || a->mode != b->mode ||
                a->memory_bytes != b->memory_bytes || a->active_ms != b->active_ms ||
                a->mhu != b->mhu)
                abort();
        }
    }
    dtc_lic_parser_free(w);
    dtc_lic_parser_free(p);
    return 0;
}
