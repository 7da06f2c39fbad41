/* config.h: where dtcost's settings come from. One loader reads the INI file
 * once per command and hands each section to the module that owns it
 * ([dtcost] and [account NAME] here, [push NAME] and [serve] to push.h,
 * [license] to license.h, [allocation] to chargeback.h); then the environment
 * (DT_CLIENT_ID, DT_CLIENT_SECRET or DT_CLIENT_SECRET_FILE, DT_ACCOUNT_UUID,
 * DT_SSO_URL, DT_API_URL, DT_SCOPES, DTCOST_DB) and flags override it, in that
 * order. Secrets are read from the environment or from files only readable by
 * their owner, and wiped when disposed. The reference is docs/config.md. */
#ifndef DTCOST_CONFIG_H
#define DTCOST_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

#include "dtcost/errors.h"

#define DTC_DEFAULT_SSO_URL "https://sso.dynatrace.com/sso/oauth2/token"
#define DTC_DEFAULT_API_URL "https://api.dynatrace.com"
#define DTC_DEFAULT_DATABASE "dtcost.db"

/* Caps on what the loader reads: a 1,500-byte webhook URL fits with room to
 * spare, a runaway or hostile file is refused before it costs memory. */
#define DTC_CONFIG_MAX_LINE (64 * 1024)
#define DTC_CONFIG_MAX_FILE (1024 * 1024)
/* The longest --db-retry / db_retry, in seconds: a day. */
#define DTC_DB_RETRY_MAX 86400
/* A secret file (client secret, token, webhook key, header file). */
#define DTC_SECRET_MAX_FILE 4096

typedef struct dtc_account_cfg {
    char *name; /* the INI section's name, or "environment" */
    char *uuid, *client_id, *client_secret, *sso_url, *api_url;
    char *secret_file;   /* client_secret_file=, read by dtc_config_resolve */
    char *subscriptions; /* comma-separated filter, NULL for all */
    char *scopes; /* space-separated OAuth scopes to ask for, NULL: what dtcost needs (auth.h) */
} dtc_account_cfg;

/* The [dtcost] and [account NAME] sections, merged with environment and flags. */
typedef struct dtc_config {
    char *database;       /* set by dtc_config_resolve (dtc_config_db_path) */
    int trailing_days;    /* re-pull window for late bookings (35) */
    int chunk_days;       /* a per-environment walk covers at most this many days (7) */
    int alloc_chunk_days; /* a cost-allocation walk covers at most this many days (28) */
    int page_size;        /* v3 page size asked for (50: live accounts refuse more) */
    int alloc_page_size;  /* cost-allocation page size asked for (1000) */
    int concurrency;      /* requests in flight per account, at most (4) */
    int db_retry;         /* seconds a sync waits for a lost database connection to come back, per
                           * outage (60; 0: none; at most DTC_DB_RETRY_MAX) */
    dtc_account_cfg *accounts;
    size_t naccounts;
    char err[512];
} dtc_config;

/* Overrides from the command line (NULL / 0 when not given). */
typedef struct dtc_config_flags {
    const char *config_path, *database, *account_uuid, *client_id, *client_secret_file;
    const char *sso_url, *api_url, *subscriptions, *scopes;
    int trailing_days, concurrency;
    int db_retry; /* --db-retry, when db_retry_set (0 is a value: no retry) */
    bool db_retry_set;
} dtc_config_flags;

/* One read of the config file. The caller points at the sections it reads
 * and leaves the others NULL: their sections are still recognised (one file
 * serves every command) but skipped, so reading a file never reads a secret a
 * command does not need. Every non-NULL target is given its defaults, also
 * when there is no file. The caller disposes each target with its owner's
 * _dispose and the file with dtc_config_file_dispose. */
typedef struct dtc_config_file {
    dtc_config *core;                   /* [dtcost], [account NAME] */
    struct dtc_push_config *push;       /* [push NAME], [serve] (push.h) */
    struct dtc_license_config *license; /* [license] (license.h) */
    struct dtc_allocation *allocation;  /* [allocation] (chargeback.h) */
    struct dtc_export_config *export;   /* [export] (export.h) */
    char *path;                         /* out: the file read, NULL when none */
    char *database;                     /* out: [dtcost] database, NULL when not set */
    char err[1024];                     /* out: one line naming the file, line, section and key */
} dtc_config_file;

/* The config file a command reads, the first of: flag_path (--config),
 * $DTCOST_CONFIG, $XDG_CONFIG_HOME/dtcost/config.ini (default
 * ~/.config/dtcost/config.ini), /etc/dtcost/config.ini. A file named by the
 * flag or the variable must exist; the implicit ones are skipped when
 * missing. *out (dtc_free) is NULL when there is none. DTC_ENOTFOUND when a
 * named file is missing, with the reason in err. */
int dtc_config_find(char **out, const char *flag_path, char *err, size_t errlen) DTC_MUST_CHECK;

/* Find (dtc_config_find) and read the file, at most DTC_CONFIG_MAX_FILE bytes
 * and DTC_CONFIG_MAX_LINE per line, dispatching each section to its owner.
 * An unknown section or key, a bad value, a line that is not INI, or a line
 * or file past its cap is DTC_EINVAL with f->err naming the file and line
 * (never a value that may be or sit next to a secret); a missing named file
 * DTC_ENOTFOUND. The targets hold what was read so far either way. */
int dtc_config_file_load(dtc_config_file *f, const char *flag_path) DTC_MUST_CHECK;
void dtc_config_file_dispose(dtc_config_file *f);

/* The database a command opens, the first of: flag (--db), $DTCOST_DB, the
 * config file's [dtcost] database (file may be NULL), DTC_DEFAULT_DATABASE.
 * The result points into its inputs or the environment. */
const char *dtc_config_db_path(const char *flag, const dtc_config_file *file);

/* For commands that only read: 0 when the database exists, else
 * DTC_ENOTFOUND with "database PATH does not exist: run dtcost sync first
 * (or pass --db)" in err. Nothing is created. */
int dtc_config_db_require(const char *path, char *err, size_t errlen) DTC_MUST_CHECK;

/* Merge environment and flags into c (loaded through dtc_config_file_load
 * with core = c), read the remaining accounts' secret files, take the
 * database from dtc_config_db_path, and check ranges. DTC_EINVAL with a
 * one-line message in c->err (naming the setting and how to set it) when
 * incomplete. */
int dtc_config_resolve(dtc_config *c, const dtc_config_flags *flags,
                       const dtc_config_file *file) DTC_MUST_CHECK;
void dtc_config_dispose(dtc_config *c);

/* Read a secret from a file: symlinks are followed (a Kubernetes Secret
 * volume is a chain of them), and the final target must be a regular file
 * outside /proc, /sys and /dev, at most DTC_SECRET_MAX_FILE bytes, not
 * readable or writable by group or others. The file is opened without
 * blocking and checked on the open descriptor before a byte is read, so a
 * FIFO or a device cannot hang the caller. Trailing newlines are dropped;
 * *out is freed with dtc_free_secret. DTC_EINVAL with the reason in err
 * (never the content). */
int dtc_read_secret_file(char **out, const char *path, char *err, size_t errlen) DTC_MUST_CHECK;

#endif
