/* auth.h: OAuth2 client-credentials tokens for the Account Management API,
 * cached and refreshed before they expire. One handle may be shared by
 * several threads: every call below is thread-safe. */
#ifndef DTCOST_AUTH_H
#define DTCOST_AUTH_H
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/http.h"

typedef struct dtc_auth dtc_auth;

typedef struct dtc_auth_opts {
    const char *token_url; /* e.g. https://sso.dynatrace.com/sso/oauth2/token */
    const char *client_id;
    const char *client_secret; /* copied; wiped on free; never printed */
    const char *account_uuid;
    /* Space-separated scopes to ask for. NULL asks for what dtcost needs:
     * "account-uac-read account-env-read", then, when the SSO refuses a scope
     * the client was not granted, "account-uac-read" alone (environment
     * names are then skipped with a warning). Some SSOs refuse a request
     * without scope; others refuse scopes the client lacks: this works with
     * both. An explicit scope is sent as given, without that fallback. */
    const char *scope;
    int refresh_margin; /* seconds before expiry to refresh; default 60 */
} dtc_auth_opts;

int dtc_auth_new(dtc_auth **out, const dtc_auth_opts *opts) DTC_MUST_CHECK;
void dtc_auth_free(dtc_auth *a);

/* Copy a valid "Bearer ..." header value into out (n bytes, 4096 is ample),
 * requesting or refreshing the token as needed (through h, the caller's
 * connection; one thread fetches while the others wait). DTC_EAUTH when the
 * SSO refuses (the message names the cause and what to check), DTC_ERETRY
 * when it answered 429 or 5xx, DTC_EHTTP when it cannot be reached,
 * DTC_EPARSE for a malformed answer, DTC_ETOOBIG when out is too small. */
int dtc_auth_header(dtc_auth *a, char *out, size_t n, dtc_http *h) DTC_MUST_CHECK;
/* Forget the token of header value `used` (after a 401), so the next call
 * fetches a new one; a token already replaced by another thread is kept. */
void dtc_auth_invalidate(dtc_auth *a, const char *used);
/* Copy the last error message (never the secret or a token) into out. */
void dtc_auth_errmsg_copy(dtc_auth *a, char *out, size_t n);
/* The last error message; only for single-threaded use of the handle. */
const char *dtc_auth_errmsg(const dtc_auth *a);
/* The scopes the last token was granted (the answer's `scope`, else what
 * was asked for), "" before the first token. Copied into out. */
void dtc_auth_scopes(dtc_auth *a, char *out, size_t n);
/* Replace the client secret and the current token wherever they occur in
 * the NUL-terminated text s (e.g. a server's error message), in place. */
void dtc_auth_scrub(dtc_auth *a, char *s, size_t n);
/* How many tokens were fetched so far. */
int dtc_auth_fetches(const dtc_auth *a);

#endif
