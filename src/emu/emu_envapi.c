/* emu_envapi.c: environment management API: environment lists (v2 and v1)
 * and the Managed clusters of an account. */
#include <string.h>

#include "emu.h"
#include "jw.h"

/* Environment lists take account-env-read (v1 also account-idm-read). */
static bool env_auth(emu_req *r, bool v1)
{
    if (v1) {
        const emu_account *a = NULL;
        if (emu_bearer_has_scope(r, "account-idm-read", &a) && strcmp(a->uuid, r->seg[0]) == 0) {
            r->account = a;
            return true;
        }
    }
    return emu_auth_bearer(r, r->seg[0], "account-env-read");
}

void emu_h_environments_v2(emu_req *r)
{
    if (!env_auth(r, false)) return;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "data");
    dtc_jw_arr(&w);
    for (int i = 0; i < r->account->nenvs; i++) {
        const emu_env *e = &r->account->envs[i];
        char url[96];
        snprintf(url, sizeof(url), "https://%s.live.dynatrace.com", e->id);
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "id");
        dtc_jw_str(&w, e->id);
        if (e->name) {
            dtc_jw_key(&w, "name");
            dtc_jw_str(&w, e->name);
        }
        dtc_jw_key(&w, "active");
        dtc_jw_bool(&w, strcmp(r->account->subs[e->sub].status, "ACTIVE") == 0);
        dtc_jw_key(&w, "url");
        dtc_jw_str(&w, url);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}

void emu_h_environments_v1(emu_req *r)
{
    if (!env_auth(r, true)) return;
    static const char *zones[] = {"frontend", "backend", "mobile app only"};
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "tenantResources");
    dtc_jw_arr(&w);
    for (int i = 0; i < r->account->nenvs; i++) {
        const emu_env *e = &r->account->envs[i];
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "name");
        dtc_jw_str(&w, e->name ? e->name : e->id); /* v1 requires a name */
        dtc_jw_key(&w, "id");
        dtc_jw_str(&w, e->id);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "managementZoneResources");
    dtc_jw_arr(&w);
    for (int i = 0; i < r->account->nenvs; i++) {
        for (int z = 0; z < 3; z++) {
            char id[32];
            snprintf(id, sizeof(id), "%llu",
                     (unsigned long long)(1542402564450174ULL + (unsigned long long)i * 1000 + z));
            dtc_jw_obj(&w);
            dtc_jw_key(&w, "parent");
            dtc_jw_str(&w, r->account->envs[i].id);
            dtc_jw_key(&w, "name");
            dtc_jw_str(&w, zones[z]);
            dtc_jw_key(&w, "id");
            dtc_jw_str(&w, id);
            dtc_jw_obj_end(&w);
        }
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}

void emu_h_clusters(emu_req *r)
{
    if (!emu_auth_bearer(r, r->seg[0], "account-env-read")) return;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "data");
    dtc_jw_arr(&w);
    /* The emulated Managed clusters belong to the first account. */
    for (int i = 0; r->account == &r->model->accounts[0] && i < r->model->nclusters; i++) {
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "clusterId");
        dtc_jw_str(&w, r->model->clusters[i].uuid);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}
