/* fuzz_config.c: the INI loaders (accounts and [dtcost] in config.c; [push
 * NAME] and [serve] in push_config.c) on the fuzzer's bytes as a file. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dtcost/config.h"
#include "dtcost/push.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("dtcost.ini", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    dtc_config c;
    dtc_config_flags fl;
    memset(&fl, 0, sizeof(fl));
    fl.config_path = path;
    if (dtc_config_resolve(&c, &fl) == 0 || 1)
        dtc_config_dispose(&c);
    dtc_push_config pc;
    (void)dtc_push_config_load(&pc, path);
    dtc_push_config_dispose(&pc);
    close(fd);
    return 0;
}
