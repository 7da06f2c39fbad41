/* text.c: untrusted text on one safe line, and URLs in a form safe to show. */
#define _GNU_SOURCE /* memmem */
#include "text.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define WORK 4096       /* longer input is cut before redaction; secrets are far shorter */
#define SECRET_MAX 1024 /* longer secrets are redacted verbatim only */

static size_t redact(char *s, size_t len, const char *secret, size_t k)
{
    if (k < 4) return len;
    for (char *p = s; (p = memmem(p, len - (size_t)(p - s), secret, k)) != NULL;) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + k, len - (size_t)(p - s) - k);
        len -= k - 3;
        p += 3;
    }
    return len;
}

/* secret as a form or URL encoder writes it: every byte outside
 * ALPHA / DIGIT / "-._~" as %XX (upper or lower hex), a space as '+' when
 * form is set. Returns the length, 0 when it would not differ or not fit. */
static size_t encode(char *dst, size_t n, const char *secret, bool lower, bool form)
{
    const char *hex = lower ? "0123456789abcdef" : "0123456789ABCDEF";
    size_t w = 0;
    bool differs = false;
    for (const unsigned char *p = (const unsigned char *)secret; *p; p++) {
        if (w + 4 > n) return 0;
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            dst[w++] = (char)*p;
        } else if (form && *p == ' ') {
            dst[w++] = '+';
            differs = true;
        } else {
            dst[w++] = '%';
            dst[w++] = hex[*p >> 4];
            dst[w++] = hex[*p & 15];
            differs = true;
        }
    }
    dst[w] = '\0';
    return differs ? w : 0;
}

char *dtc_text_oneline(char *dst, size_t n, const char *src, size_t len, size_t max,
                       const char *const *secrets, size_t nsecrets)
{
    char work[WORK + 1];
    size_t w = 0;
    if (n == 0) return dst;
    /* Control characters (C0, DEL, and C1 as UTF-8: U+0080..U+009F, which
     * terminals read as CSI and friends) to spaces, runs collapsed, leading
     * spaces dropped. */
    for (size_t i = 0; src && i < len && w < WORK; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == 0xc2 && i + 1 < len && (unsigned char)src[i + 1] >= 0x80 &&
            (unsigned char)src[i + 1] <= 0x9f) {
            i++;
            c = ' ';
        }
        if (c < 0x20 || c == 0x7f) c = ' ';
        if (c == ' ' && (w == 0 || work[w - 1] == ' ')) continue;
        work[w++] = (char)c;
    }
    /* Each secret as written and as an encoder would have sent it (an SSO
     * may echo the form-encoded request body). */
    char enc[3 * SECRET_MAX + 1];
    for (size_t i = 0; i < nsecrets; i++) {
        if (!secrets[i]) continue;
        size_t k = strlen(secrets[i]);
        w = redact(work, w, secrets[i], k);
        if (k > SECRET_MAX) continue;
        for (int v = 0; v < 3; v++) {
            size_t e = encode(enc, sizeof(enc), secrets[i], v == 1, v == 2);
            if (e) w = redact(work, w, enc, e);
        }
    }
    while (w && work[w - 1] == ' ')
        w--;
    if (max > n - 1) max = n - 1;
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

/* A path segment reads like a word: at most 3 characters (too short to be a
 * secret: "v2", "e"), at most 8 lowercase letters and digits (an
 * environment id such as "abc12345"), or 4..24 letters, '-', '_' and '.'
 * with at most one uppercase letter in four. */
static bool wordlike(const char *s, size_t n)
{
    size_t upper = 0;
    if (n == 0 || n > 24) return false;
    if (n <= 3) return true;
    bool lowdigit = n <= 8;
    for (size_t i = 0; lowdigit && i < n; i++)
        lowdigit = islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]);
    if (lowdigit) return true;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalpha(c) || c == '-' || c == '_' || c == '.')) return false;
        upper += isupper(c) != 0;
    }
    return upper * 4 <= n;
}

typedef struct out {
    char *dst;
    size_t n, w;
} out;

static void put(out *o, const char *s, size_t k)
{
    for (size_t i = 0; i < k && o->w + 1 < o->n; i++)
        o->dst[o->w++] = s[i];
    o->dst[o->w] = '\0';
}

char *dtc_text_url_redact(char *dst, size_t n, const char *url)
{
    out o = {dst, n, 0};
    if (n == 0) return dst;
    dst[0] = '\0';
    if (!url) return dst;
    const char *p = url, *scheme = strstr(url, "://");
    if (scheme && (size_t)(scheme - url) <= 16) {
        put(&o, url, (size_t)(scheme - url) + 3);
        p = scheme + 3;
    }
    /* authority: userinfo goes, host and port stay */
    size_t auth = strcspn(p, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < auth; i++)
        if (p[i] == '@') at = p + i;
    if (at) {
        put(&o, "***@", 4);
        put(&o, at + 1, (size_t)(p + auth - at - 1));
    } else {
        put(&o, p, auth);
    }
    p += auth;
    /* path: each segment that does not read like a word becomes *** */
    while (*p == '/') {
        put(&o, "/", 1);
        p++;
        size_t seg = strcspn(p, "/?#");
        if (wordlike(p, seg))
            put(&o, p, seg);
        else if (seg)
            put(&o, "***", 3);
        p += seg;
    }
    /* query: names stay when they read like words, every value goes */
    if (*p == '?') {
        p++;
        put(&o, "?", 1);
        bool first = true;
        while (*p && *p != '#') {
            size_t pair = strcspn(p, "&#");
            size_t name = strcspn(p, "=&#");
            if (!first) put(&o, "&", 1);
            first = false;
            if (wordlike(p, name))
                put(&o, p, name);
            else
                put(&o, "***", 3);
            if (name < pair) put(&o, "=***", 4);
            p += pair;
            if (*p == '&') p++;
        }
    }
    if (*p == '#') put(&o, "#***", 4); /* fragments are never sent; shown only as present */
    return dst;
}

bool dtc_text_url_has_userinfo(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    p = p ? p + 3 : url;
    if (!p) return false;
    size_t auth = strcspn(p, "/?#");
    return memchr(p, '@', auth) != NULL;
}
