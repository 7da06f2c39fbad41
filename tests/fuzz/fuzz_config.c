/* fuzz_config.c: the config loader (config.c, dispatching every section to
 * its owner) and the resolution of [dtcost] and the accounts, on the
 * fuzzer's bytes as a file. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dtcost/chargeback.h"
#include "dtcost/config.h"
#include "dtcost/export.h"
#include "dtcost/license.h"
#include "dtcost/push.h"

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("dtcost.ini", MFD_CLOEXEC);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    dtc_config c;
    dtc_push_config pc;
    dtc_license_config lc;
    dtc_allocation al;
    dtc_export_config ec;
    memset(&c, 0, sizeof(c));
    memset(&pc, 0, sizeof(pc));
    memset(&lc, 0, sizeof(lc));
    memset(&al, 0, sizeof(al));
    memset(&ec, 0, sizeof(ec));
    dtc_config_file f = {.core = &c, .push = &pc, .license = &lc, .allocation = &al, .export = &ec};
    dtc_config_flags fl;
    memset(&fl, 0, sizeof(fl));
    fl.config_path = path;
    int rc = dtc_config_file_load(&f, path);
    if (rc == 0) rc = dtc_config_resolve(&c, &fl, &f);
    (void)rc; /* a refusal is fine: the harness looks for faults, not answers */
    dtc_config_dispose(&c);
    dtc_push_config_dispose(&pc);
    dtc_license_config_dispose(&lc);
    dtc_allocation_dispose(&al);
    dtc_export_config_dispose(&ec);
    dtc_config_file_dispose(&f);
    close(fd);
    return 0;
}
