/* text.c: untrusted text on one safe line. */
#define _GNU_SOURCE /* memmem */
#include "text.h"

#include <string.h>

#define WORK 4096 /* longer input is cut before redaction; secrets are far shorter */

static size_t redact(char *s, size_t len, const char *secret)
{
    size_t k = strlen(secret);
    if (k < 4)
        return len;
    for (char *p = s; (p = memmem(p, len - (size_t)(p - s), secret, k)) != NULL;) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + k, len - (size_t)(p - s) - k);
        len -= k - 3;
        p += 3;
    }
    return len;
}

char *dtc_text_oneline(char *dst, size_t n, const char *src, size_t len, size_t max,
                       const char *const *secrets, size_t nsecrets)
{
    char work[WORK + 1];
    size_t w = 0;
    if (n == 0)
        return dst;
    /* Control characters to spaces, runs collapsed, leading spaces dropped. */
    for (size_t i = 0; src && i < len && w < WORK; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c < 0x20 || c == 0x7f)
            c = ' ';
        if (c == ' ' && (w == 0 || work[w - 1] == ' '))
            continue;
        work[w++] = (char)c;
    }
    for (size_t i = 0; i < nsecrets; i++)
        if (secrets[i])
            w = redact(work, w, secrets[i]);
    while (w && work[w - 1] == ' ')
        w--;
    if (max > n - 1)
        max = n - 1;
    if (w <= max) {
        memcpy(dst, work, w);
        dst[w] = '\0';
        return dst;
    }
    size_t cut = max >= 3 ? max - 3 : 0;
    while (cut > 0 && ((unsigned char)work[cut] & 0xc0) == 0x80)
        cut--; /* not inside a UTF-8 sequence */
    memcpy(dst, work, cut);
    memcpy(dst + cut, "...", max - cut >= 3 ? 3 : max - cut);
    dst[cut + (max - cut >= 3 ? 3 : max - cut)] = '\0';
    return dst;
}
