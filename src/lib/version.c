/* version.c: the library's version, from the generated dtcost/version.h. */
#include "dtcost/version.h"

const char *dtc_version(void)
{
    return DTCOST_VERSION;
}
