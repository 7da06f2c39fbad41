/* config.h: where dtcost's settings come from: an INI file (libinih), the
 * environment (DT_CLIENT_ID, DT_CLIENT_SECRET or DT_CLIENT_SECRET_FILE,
 * DT_ACCOUNT_UUID, DT_SSO_URL, DT_API_URL, DT_SCOPES, DTCOST_DB), and flags, each
 * overriding the one before. Secrets are read from the environment or from
 * files only readable by their owner, and wiped when disposed. */
#ifndef DTCOST_CONFIG_H
#define DTCOST_CONFIG_H
#include <stddef.h>

#include "dtcost/errors.h"

#define DTC_DEFAULT_SSO_URL "https://sso.dynatrace.com/sso/oauth2/token"
#define DTC_DEFAULT_API_URL "https://api.dynatrace.com"

typedef struct dtc_account_cfg {
    char *name;          /* the INI section's name, or "env" / "flags" */
    char *uuid, *client_id, *client_secret, *sso_url, *api_url;
    char *subscriptions; /* comma-separated filter, NULL for all */
    char *scopes;        /* space-separated OAuth scopes to ask for, NULL: what dtcost needs (auth.h) */
} dtc_account_cfg;

typedef struct dtc_config {
    char *database;
    int trailing_days;   /* re-pull window for late bookings (35) */
    int chunk_days;      /* a per-environment walk covers at most this many days (7) */
    int alloc_chunk_days; /* a cost-allocation walk covers at most this many days (28) */
    int page_size;       /* v3 page size asked for (50: live accounts refuse more) */
    int alloc_page_size; /* cost-allocation page size asked for (1000) */
    int concurrency;     /* requests in flight per account, at most (4) */
    dtc_account_cfg *accounts;
    size_t naccounts;
    char err[512];
} dtc_config;

/* Overrides from the command line (NULL / 0 when not given). */
typedef struct dtc_config_flags {
    const char *config_path, *database, *account_uuid, *client_id, *client_secret_file;
    const char *sso_url, *api_url, *subscriptions, *scopes;
    int trailing_days, concurrency;
} dtc_config_flags;

/* Resolve the configuration: file (flags->config_path, else $DTCOST_CONFIG,
 * else none), then environment, then flags. DTC_EINVAL with a one-line
 * message in c->err (naming the setting and how to set it) when incomplete. */
int dtc_config_resolve(dtc_config *c, const dtc_config_flags *flags) DTC_MUST_CHECK;
void dtc_config_dispose(dtc_config *c);

/* Read a secret from a file that must be a regular file not readable or
 * writable by group or others; trailing newlines are dropped. */
int dtc_read_secret_file(const char *path, char **out, char *err, size_t errlen) DTC_MUST_CHECK;

#endif
