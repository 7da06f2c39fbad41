/* cmd_doctor.c: `dtcost doctor`: checks configuration, database, token
 * request, scopes and reachability, one line each, and says what to fix. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dtcost/auth.h"
#include "dtcost/config.h"
#include "dtcost/dps.h"
#include "dtcost/http.h"
#include "dtcost/store.h"
#include "opts.h"

static dtc_config_flags fl;

static const opt doctor_opts[] = {
    {"config", OPT_STR, &fl.config_path, "FILE", "INI file (or DTCOST_CONFIG)"},
    {"db", OPT_STR, &fl.database, "PATH", OPT_DB_HELP},
    {"account", OPT_STR, &fl.account_uuid, "UUID", "account UUID (or DT_ACCOUNT_UUID)"},
    {"client-id", OPT_STR, &fl.client_id, "ID", "OAuth client id (or DT_CLIENT_ID)"},
    {"client-secret-file", OPT_STR, &fl.client_secret_file, "FILE",
     "file holding the OAuth client secret, mode 600"},
    {"sso-url", OPT_STR, &fl.sso_url, "URL", "token endpoint (or DT_SSO_URL)"},
    {"api-url", OPT_STR, &fl.api_url, "URL", "Account Management API (or DT_API_URL)"},
    {"scopes", OPT_STR, &fl.scopes, "LIST",
     "OAuth scopes to ask for, space-separated (or DT_SCOPES; default: what dtcost needs)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec doctor_spec = {
    "doctor",
    "",
    "Check what `dtcost sync` needs, in order: configuration, database, token\n"
    "request, the account-uac-read scope (subscriptions and cost) and the\n"
    "account-env-read scope (environment names). One line per check; a failed\n"
    "check says what to fix. Exit code 0 when everything works, otherwise the\n"
    "code `dtcost sync` would end with.",
    doctor_opts,
};

static void line(const char *check, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void line(const char *check, bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("  %-13s %-4s ", check, ok ? "ok" : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static int check_account(const dtc_account_cfg *a)
{
    dtc_http *http = NULL;
    dtc_auth *auth = NULL;
    dtc_dps *dps = NULL;
    dtc_subscription *subs = NULL;
    dtc_environment *envs = NULL;
    size_t n = 0, ne = 0;
    int code = DTC_EXIT_OK, rc;
    printf("account %s (%s):\n", a->uuid, a->name);
    dtc_auth_opts ao = {.token_url = a->sso_url,
                        .client_id = a->client_id,
                        .client_secret = a->client_secret,
                        .account_uuid = a->uuid,
                        .scope = a->scopes};
    if (dtc_http_new(&http, (size_t)64 << 20) || dtc_auth_new(&auth, &ao)) {
        code = DTC_EXIT_SOFTWARE;
        goto done;
    }
    char hdr[8200], scopes[256];
    rc = dtc_auth_header(auth, hdr, sizeof(hdr), http);
    explicit_bzero(hdr, sizeof(hdr));
    if (rc) {
        line("token", false, "%s", dtc_auth_errmsg(auth));
        code = opt_exit_for(rc);
        goto done;
    }
    dtc_auth_scopes(auth, scopes, sizeof(scopes));
    line("token", true, "%s issued a token to %s with scopes: %s", a->sso_url, a->client_id,
         scopes);
    if (!strstr(scopes, "account-uac-read")) {
        line("scopes", false,
             "the token lacks account-uac-read, which cost and usage need: grant it to the "
             "OAuth client in Account Management");
        code = DTC_EXIT_NOPERM;
    } else if (!strstr(scopes, "account-env-read"))
        printf("  note  without account-env-read, environments keep their ids (no names)\n");
    dtc_dps_opts po = {.api_url = a->api_url,
                       .account_uuid = a->uuid,
                       .auth = auth,
                       .http = http,
                       .retry_attempts = 2,
                       .retry_seconds = 10};
    if ((rc = dtc_dps_new(&dps, &po)) != 0) {
        code = DTC_EXIT_SOFTWARE;
        goto done;
    }
    if ((rc = dtc_dps_list_subscriptions(dps, &subs, &n)) != 0) {
        line("cost API", false, "%s", dtc_dps_errmsg(dps));
        code = opt_exit_for(rc);
        goto done;
    }
    line("cost API", true, "%s answers: %zu subscription%s (scope account-uac-read)", a->api_url, n,
         n == 1 ? "" : "s");
    if ((rc = dtc_dps_environments(dps, &envs, &ne)) != 0) {
        line("environments", false, "%s; sync still works, environments keep their ids",
             dtc_dps_errmsg(dps));
        if (code == DTC_EXIT_OK) code = opt_exit_for(rc);
        goto done;
    }
    line("environments", true, "%zu environment%s (scope account-env-read)", ne,
         ne == 1 ? "" : "s");
done:
    dtc_free(subs);
    dtc_free(envs);
    dtc_dps_free(dps);
    dtc_auth_free(auth);
    dtc_http_free(http);
    return code;
}

int cmd_doctor(int argc, char **argv)
{
    memset(&fl, 0, sizeof(fl));
    int npos = 0;
    int code = opt_parse(&doctor_spec, argc, argv, &npos);
    if (code >= 0) return code;
    if (npos > 0) return opt_usage_error(&doctor_spec, "unexpected argument '%s'", argv[1]);
    dtc_config cfg;
    dtc_config_file file = {.core = &cfg};
    printf("dtcost doctor:\n");
    int rc = dtc_config_file_load(&file, fl.config_path);
    if (rc || (rc = dtc_config_resolve(&cfg, &fl, &file)) != 0) {
        line("config", false, "%s", file.err[0] ? file.err : cfg.err);
        dtc_config_file_dispose(&file);
        dtc_config_dispose(&cfg);
        return opt_exit_for(rc);
    }
    line("config", true, "%zu account%s, trailing window %d days; file %s", cfg.naccounts,
         cfg.naccounts == 1 ? "" : "s", cfg.trailing_days,
         file.path ? file.path : "none (environment and flags)");
    dtc_config_file_dispose(&file);
    dtc_store *db = NULL;
    char err[512];
    code = DTC_EXIT_OK;
    if (dtc_config_db_require(cfg.database, err, sizeof(err)) != 0) { /* doctor creates nothing */
        line("database", true, "%s does not exist yet; dtcost sync creates it", cfg.database);
    } else if ((rc = dtc_store_open(&db, cfg.database, err, sizeof(err))) != 0) {
        line("database", false, "%s", err);
        code = opt_exit_for(rc);
    } else {
        line("database", true, "%s opens (SQLite, WAL)", cfg.database);
        dtc_store_close(db);
    }
    for (size_t i = 0; i < cfg.naccounts; i++) {
        int c = check_account(&cfg.accounts[i]);
        if (code == DTC_EXIT_OK) code = c;
    }
    printf(code == DTC_EXIT_OK ? "everything dtcost sync needs works\n"
                               : "fix the FAIL lines above, then run dtcost doctor again\n");
    dtc_config_dispose(&cfg);
    return code;
}
