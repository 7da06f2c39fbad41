/* auth.h: OAuth2 client-credentials tokens for the Account Management API,
 * cached and refreshed before they expire. */
#ifndef DTCOST_AUTH_H
#define DTCOST_AUTH_H
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/http.h"

typedef struct dtc_auth dtc_auth;

typedef struct dtc_auth_opts {
    const char *token_url;     /* e.g. https://sso.dynatrace.com/sso/oauth2/token */
    const char *client_id;
    const char *client_secret; /* copied; wiped on free; never printed */
    const char *account_uuid;
    const char *scope;         /* space-separated; NULL sends none (all granted) */
    int refresh_margin;        /* seconds before expiry to refresh; default 60 */
} dtc_auth_opts;

int dtc_auth_new(dtc_auth **out, const dtc_auth_opts *opts) DTC_MUST_CHECK;
void dtc_auth_free(dtc_auth *a);

/* A valid "Bearer ..." header value, requested or refreshed as needed. The
 * string stays valid until the next call. DTC_EAUTH when the SSO refuses
 * (message names the cause and what to check), DTC_EHTTP on transport errors. */
int dtc_auth_header(dtc_auth *a, dtc_http *h, const char **out) DTC_MUST_CHECK;
/* Forget the cached token (after a 401), so the next call fetches a new one. */
void dtc_auth_invalidate(dtc_auth *a);
/* Last error message; never contains the secret or a token. */
const char *dtc_auth_errmsg(const dtc_auth *a);
/* How many tokens were fetched so far. */
int dtc_auth_fetches(const dtc_auth *a);

#endif
