/* hash.h: deterministic 64-bit mixing, the source of all "random" data in the
 * emulator, so the same seed always gives the same bytes. */
#ifndef DTC_HASH_H
#define DTC_HASH_H
#include <stddef.h>
#include <stdint.h>

/* splitmix64 finaliser. */
uint64_t dtc_mix64(uint64_t x);
/* Hash of a seed and up to four integers (order matters). */
uint64_t dtc_hash4(uint64_t seed, uint64_t a, uint64_t b, uint64_t c, uint64_t d);
/* FNV-1a over bytes, then mixed. */
uint64_t dtc_hash_bytes(uint64_t seed, const void *p, size_t n);
/* Uniform double in [0, 1) from a hash. */
double dtc_unit(uint64_t h);

#endif
