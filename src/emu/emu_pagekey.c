/* emu_pagekey.c: opaque, tamper-evident page keys. A key is base64 of the
 * whole query state (so the server keeps nothing between pages) plus a
 * truncated HMAC-SHA256 under a seed-derived key; anything else is a 400. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "alloc.h"
#include "emu.h"
#include "emu_pagekey.h"
#include "hash.h"

#define MAC_LEN 10

static void mac_of(uint64_t seed, const char *text, size_t n, unsigned char out[32])
{
    unsigned char key[16];
    uint64_t a = dtc_hash4(seed, 0x9a6e, 1, 0, 0), b = dtc_hash4(seed, 0x9a6e, 2, 0, 0);
    memcpy(key, &a, 8);
    memcpy(key + 8, &b, 8);
    unsigned int len = 32;
    HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)text, n, out, &len);
}

int emu_pagekey_encode(uint64_t seed, const char *state, char **out)
{
    size_t n = strlen(state);
    unsigned char *raw = dtc_malloc(n + MAC_LEN);
    char *b64 = dtc_malloc(4 * ((n + MAC_LEN + 2) / 3) + 1);
    if (!raw || !b64) {
        dtc_free(raw);
        dtc_free(b64);
        return DTC_ENOMEM;
    }
    unsigned char mac[32];
    mac_of(seed, state, n, mac);
    memcpy(raw, state, n);
    memcpy(raw + n, mac, MAC_LEN);
    EVP_EncodeBlock((unsigned char *)b64, raw, (int)(n + MAC_LEN));
    dtc_free(raw);
    *out = b64;
    return 0;
}

int emu_pagekey_decode(uint64_t seed, const char *key, char **state_out)
{
    size_t n = strlen(key);
    if (n == 0 || n % 4 != 0 || n > 8192) return DTC_EPARSE;
    unsigned char *raw = dtc_malloc(n / 4 * 3 + 1);
    if (!raw) return DTC_ENOMEM;
    int len = EVP_DecodeBlock(raw, (const unsigned char *)key, (int)n);
    if (len < 0) {
        dtc_free(raw);
        return DTC_EPARSE;
    }
    /* EVP_DecodeBlock counts padding bytes as zeros; drop them. */
    if (n >= 1 && key[n - 1] == '=') len--;
    if (n >= 2 && key[n - 2] == '=') len--;
    if (len <= MAC_LEN) {
        dtc_free(raw);
        return DTC_EPARSE;
    }
    size_t sl = (size_t)len - MAC_LEN;
    unsigned char mac[32];
    mac_of(seed, (const char *)raw, sl, mac);
    if (CRYPTO_memcmp(mac, raw + sl, MAC_LEN) != 0 || memchr(raw, '\0', sl)) {
        dtc_free(raw);
        return DTC_EPARSE;
    }
    char *state = dtc_strndup((const char *)raw, sl);
    dtc_free(raw);
    if (!state) return DTC_ENOMEM;
    *state_out = state;
    return 0;
}
