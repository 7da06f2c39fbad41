/* fuzz_license.c: the license export parser on the fuzzer's bytes, whole
 * (dtc_lic_parser_parse) and streamed in uneven pieces (feed/finish). */
#include <stdint.h>
#include <stdlib.h>

#include "dtcost/license.h"

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dtc_license_rules rules;
    dtc_license_rules_default(&rules);
    dtc_lic_parser *p = NULL;
    if (dtc_lic_parser_new(&p, &rules, true) != 0) return 0;
    const dtc_lic_doc *doc = NULL;
    (void)dtc_lic_parser_parse(p, (const char *)data, size, &doc);
    dtc_lic_parser_reset(p);
    int rc = 0;
    for (size_t off = 0, step = 1; off < size && rc == 0; off += step, step = step * 3 % 61 + 1)
        rc = dtc_lic_parser_feed(p, data + off, off + step > size ? size - off : step);
    if (rc == 0) (void)dtc_lic_parser_finish(p, &doc);
    dtc_lic_parser_free(p);
    return 0;
}
