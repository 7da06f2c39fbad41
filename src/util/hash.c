/* hash.c: splitmix64-based deterministic hashing. */
#include "hash.h"

uint64_t dtc_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

uint64_t dtc_hash4(uint64_t seed, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t h = dtc_mix64(seed);
    h = dtc_mix64(h ^ a);
    h = dtc_mix64(h ^ b);
    h = dtc_mix64(h ^ c);
    return dtc_mix64(h ^ d);
}

uint64_t dtc_hash_bytes(uint64_t seed, const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return dtc_mix64(h);
}

double dtc_unit(uint64_t h)
{
    return (double)(h >> 11) * (1.0 / 9007199254740992.0);
}
