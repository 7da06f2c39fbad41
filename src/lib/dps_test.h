/* dps_test.h: what fuzzers and tests reach inside dps.c. */
#ifndef DTC_DPS_TEST_H
#define DTC_DPS_TEST_H
#include <stddef.h>

#include "dtcost/dps.h"

/* From now on the client answers each GET, without HTTP or a token, with
 * body (borrowed: keep it alive), at most `answers` times; later GETs fail
 * with DTC_EPARSE. Every parser then runs on exactly these bytes. */
void dtc_dps__canned(dtc_dps *c, const char *body, size_t len, int answers);

#endif
