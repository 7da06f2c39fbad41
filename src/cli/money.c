/* money.c: amounts for people (exact values go to machine formats instead). */
#include "money.h"

#include <stdio.h>
#include <string.h>

void fmt_money(char *dst, int64_t micro)
{
    int64_t cents = (micro + (micro >= 0 ? 5000 : -5000)) / 10000;
    char digits[32];
    snprintf(digits, sizeof(digits), "%lld", (long long)(cents / 100 < 0 ? -(cents / 100) : cents / 100));
    size_t n = strlen(digits), j = 0;
    if (cents < 0)
        dst[j++] = '-';
    for (size_t i = 0; i < n; i++) {
        dst[j++] = digits[i];
        if ((n - i - 1) % 3 == 0 && i + 1 < n)
            dst[j++] = ',';
    }
    snprintf(dst + j, 8, ".%02lld", (long long)((cents < 0 ? -cents : cents) % 100));
}
