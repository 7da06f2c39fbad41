/* emu_pagekey.h: opaque, tamper-evident pagination keys. */
#ifndef DTC_EMU_PAGEKEY_H
#define DTC_EMU_PAGEKEY_H
#include <stdint.h>

#include "dtcost/errors.h"

/* Encode a state string into a base64 key (caller frees *out). */
int emu_pagekey_encode(uint64_t seed, const char *state, char **out) DTC_MUST_CHECK;
/* Decode and verify; DTC_EPARSE for anything not made by encode. */
int emu_pagekey_decode(uint64_t seed, const char *key, char **state_out) DTC_MUST_CHECK;

#endif
