/* fuzz_pagekey.c: the emulator's page keys (emu_pagekey.c): any bytes as a
 * key are decoded or refused, and a state of the size the emulator makes
 * encodes to a key that decodes to the same state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "emu_pagekey.h"

/* libFuzzer calls it; declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    char *state = NULL, *key = NULL, *back = NULL;
    if (emu_pagekey_decode(42, s, &state) == 0) dtc_free(state);
    /* states the emulator makes: 1..4096 bytes (decode takes keys up to 8192) */
    size_t len = strlen(s);
    if (len >= 1 && len <= 4096 && emu_pagekey_encode(42, s, &key) == 0) {
        if (emu_pagekey_decode(42, key, &back) != 0 || strcmp(back, s) != 0)
            abort(); /* a key the emulator issued must come back */
        dtc_free(back);
        dtc_free(key);
    }
    free(s);
    return 0;
}
