/* money.c: amounts for people (exact values go to machine formats instead). */
#include "money.h"

#include <stdio.h>
#include <string.h>

void fmt_units(char *dst, int64_t value, int places, int shown)
{
    shown = shown < 0 ? 0 : shown > places ? places : shown > 9 ? 9 : shown;
    int64_t div = 1, unit = 1;
    for (int i = shown; i < places; i++)
        div *= 10;
    for (int i = 0; i < shown; i++)
        unit *= 10;
    int64_t v = (value + (value >= 0 ? div / 2 : -(div / 2))) / div; /* now in 10^-shown */
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char digits[32];
    snprintf(digits, sizeof(digits), "%llu", (unsigned long long)(mag / (uint64_t)unit));
    size_t n = strlen(digits), j = 0;
    if (v < 0) dst[j++] = '-';
    for (size_t i = 0; i < n; i++) {
        dst[j++] = digits[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n) dst[j++] = ',';
    }
    dst[j] = '\0';
    if (shown > 0) {
        char frac[32];
        snprintf(frac, sizeof(frac), "%llu",
                 (unsigned long long)(mag % (uint64_t)unit + (uint64_t)unit));
        dst[j++] = '.';
        memcpy(dst + j, frac + 1,
               (size_t)shown + 1); /* unit's leading 1 dropped: the zero padding stays */
    }
}

void fmt_money(char *dst, int64_t micro)
{
    fmt_units(dst, micro, 6, 2);
}
