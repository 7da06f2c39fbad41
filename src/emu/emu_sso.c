/* emu_sso.c: POST /sso/oauth2/token, the OAuth2 client-credentials grant. */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "emu.h"
#include "jw.h"

/* Decode one application/x-www-form-urlencoded value in place. */
static void form_decode(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (*p == '+') {
            *o++ = ' ';
        } else if (*p == '%' && p[1] && p[2]) {
            char hex[3] = {p[1], p[2], 0};
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end) {
                *o++ = *p;
                continue;
            }
            *o++ = (char)v;
            p += 2;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
}

#define NFIELDS 5
static const char *field_names[NFIELDS] = {"grant_type", "client_id", "client_secret", "scope",
                                           "resource"};

static void oauth_error(emu_req *r, const char *error, const char *desc)
{
    dtc_buf_reset(&r->out);
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "error");
    dtc_jw_str(&w, error);
    dtc_jw_key(&w, "error_description");
    dtc_jw_str(&w, desc);
    dtc_jw_obj_end(&w);
    r->status = 400;
    r->content_type = "application/json";
}

void emu_h_token(emu_req *r)
{
    char *form = dtc_strndup(r->body, r->body_len);
    char *val[NFIELDS] = {0};
    if (!form) {
        emu_error(r, 500, "out of memory");
        return;
    }
    const char *ct = emu_header(r, "Content-Type");
    if (!ct || strncmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        oauth_error(
            r, "invalid_request",
            "Invalid OAuth2 request. Content-Type must be application/x-www-form-urlencoded");
        goto done;
    }
    for (char *save = NULL, *kv = strtok_r(form, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq) continue;
        *eq = '\0';
        form_decode(kv);
        form_decode(eq + 1);
        for (int i = 0; i < NFIELDS; i++)
            if (strcmp(kv, field_names[i]) == 0) val[i] = eq + 1;
    }
    const char *grant = val[0], *id = val[1], *secret = val[2], *scope = val[3], *res = val[4];
    if (!grant || strcmp(grant, "client_credentials") != 0) {
        oauth_error(r, grant ? "unsupported_grant_type" : "invalid_request",
                    grant ? "Invalid OAuth2 request. Unsupported grant type"
                          : "Invalid OAuth2 request. grant_type is missing");
        goto done;
    }
    if (!id || !secret) {
        oauth_error(r, "invalid_request",
                    "Invalid OAuth2 request. client_id and client_secret are required");
        goto done;
    }
    const emu_account *acct = NULL;
    unsigned allowed = 0;
    for (int i = 0; i < r->model->naccounts && !acct; i++) {
        const emu_account *a = &r->model->accounts[i];
        if (strcmp(id, a->client_id) == 0 && strcmp(secret, a->client_secret) == 0) {
            acct = a;
            allowed = EMU_SCOPE_UAC_READ | EMU_SCOPE_ENV_READ | EMU_SCOPE_IDM_READ |
                      EMU_SCOPE_EVENTS_WRITE;
        } else if (strcmp(id, a->env_client_id) == 0 && strcmp(secret, a->env_client_secret) == 0) {
            acct = a;
            allowed = EMU_SCOPE_ENV_READ;
        } else if (strcmp(id, a->uac_client_id) == 0 && strcmp(secret, a->uac_client_secret) == 0) {
            acct = a;
            allowed = EMU_SCOPE_UAC_READ;
        }
    }
    if (!acct) {
        oauth_error(r, "invalid_client", "Invalid OAuth2 request. Client authentication failed");
        goto done;
    }
    char want[64];
    snprintf(want, sizeof(want), "urn:dtaccount:%s", acct->uuid);
    if (!res || strcmp(res, want) != 0) {
        oauth_error(
            r, "invalid_request",
            res ? "Invalid OAuth2 request. The resource does not match the account of the client"
                : "Invalid OAuth2 request. resource is required for this client "
                  "(urn:dtaccount:<uuid>)");
        goto done;
    }
    if (r->model->cfg->sso_require_scope && (!scope || !*scope)) {
        oauth_error(r, "invalid_request", "Invalid OAuth2 request. scope is required");
        goto done;
    }
    /* Live SSO refuses the whole request when one scope is not the client's;
     * --sso-grant-held-scopes grants the held ones and leaves the rest out. */
    bool refuse = !r->model->cfg->sso_grant_held_scopes;
    unsigned granted = allowed;
    dtc_buf missing;
    dtc_buf_init(&missing, DTC_CAP_SMALL);
    if (scope && *scope) {
        granted = 0;
        char *sc = dtc_strdup(scope);
        for (char *save = NULL, *t = sc ? strtok_r(sc, " ", &save) : NULL; t;
             t = strtok_r(NULL, " ", &save)) {
            unsigned bit = emu_scope_bit(t);
            if (bit && (allowed & bit))
                granted |= bit;
            else if (dtc_buf_printf(&missing, "%s%s", missing.len ? ", " : "", t) != 0)
                break; /* a capped list still names the first missing scopes */
        }
        dtc_free(sc);
    }
    if (!refuse && missing.len && granted == 0) {
        char desc[512];
        snprintf(desc, sizeof(desc),
                 "Invalid OAuth2 request. The client holds none of the scopes [%s]", missing.data);
        oauth_error(r, "invalid_scope", desc);
        dtc_buf_dispose(&missing);
        goto done;
    }
    if (refuse && missing.len && r->model->cfg->sso_bare_refusals) {
        oauth_error(r, "invalid_request", "Bad Request");
        dtc_buf_dispose(&missing);
        goto done;
    }
    if (refuse && missing.len) {
        char desc[512];
        snprintf(desc, sizeof(desc),
                 "Invalid OAuth2 request. UNSUCCESSFUL_OAUTH_ACCESS_TOKEN_VALIDATION_FAILED | "
                 "OAuth client is missing following scopes [%s]",
                 missing.data);
        oauth_error(r, "invalid_request", desc);
        dtc_buf_dispose(&missing);
        goto done;
    }
    dtc_buf_dispose(&missing);

    char tok[80];
    emu_token_issue(r->srv, acct, granted, tok);
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "token_type");
    dtc_jw_str(&w, "Bearer");
    dtc_jw_key(&w, "resource");
    dtc_jw_str(&w, want);
    dtc_jw_key(&w, "access_token");
    dtc_jw_str(&w, tok);
    dtc_jw_key(&w, "expires_in");
    dtc_jw_int(&w, r->model->cfg->token_ttl);
    dtc_jw_key(&w, "scope");
    static const char *names[] = {"account-uac-read", "account-env-read", "account-idm-read",
                                  "storage:events:write", "account-uac-write"};
    char sc[160] = "";
    for (int i = 0; i < 5; i++)
        if (granted & emu_scope_bit(names[i]))
            snprintf(sc + strlen(sc), sizeof(sc) - strlen(sc), "%s%s", sc[0] ? " " : "", names[i]);
    dtc_jw_str(&w, sc);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
done:
    dtc_free(form);
}
