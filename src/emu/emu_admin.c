/* emu_admin.c: /emu/... endpoints for tests and demos: the emulated clock,
 * the injected spikes, the received business events. Not part of Dynatrace;
 * no auth, no faults. */
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "jw.h"
#include "timeutil.h"

void emu_h_admin_state(emu_req *r)
{
    const emu_model *m = r->model;
    char now[21];
    dtc_fmt_datetime(now, r->now);
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "now");
    dtc_jw_str(&w, now);
    dtc_jw_key(&w, "seed");
    dtc_jw_int(&w, (int64_t)m->cfg->seed);
    dtc_jw_key(&w, "accounts");
    dtc_jw_arr(&w);
    for (int i = 0; i < m->naccounts; i++) {
        const emu_account *a = &m->accounts[i];
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "uuid");
        dtc_jw_str(&w, a->uuid);
        dtc_jw_key(&w, "clientId");
        dtc_jw_str(&w, a->client_id);
        dtc_jw_key(&w, "envReadClientId");
        dtc_jw_str(&w, a->env_client_id);
        dtc_jw_key(&w, "uacReadClientId");
        dtc_jw_str(&w, a->uac_client_id);
        dtc_jw_key(&w, "subscriptions");
        dtc_jw_arr(&w);
        for (int s = 0; s < a->nsubs; s++)
            dtc_jw_str(&w, a->subs[s].uuid);
        dtc_jw_arr_end(&w);
        dtc_jw_key(&w, "environments");
        dtc_jw_arr(&w);
        for (int e = 0; e < a->nenvs; e++)
            dtc_jw_str(&w, a->envs[e].id);
        dtc_jw_arr_end(&w);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    dtc_jw_key(&w, "clusters");
    dtc_jw_arr(&w);
    for (int i = 0; i < m->nclusters; i++) {
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "uuid");
        dtc_jw_str(&w, m->clusters[i].uuid);
        dtc_jw_key(&w, "licensing");
        dtc_jw_str(&w, m->clusters[i].dps ? "DPS" : "CLASSIC");
        dtc_jw_key(&w, "environments");
        dtc_jw_arr(&w);
        for (int e = 0; e < m->clusters[i].nenvs; e++)
            dtc_jw_str(&w, m->clusters[i].env_uuid[e]);
        dtc_jw_arr_end(&w);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_arr_end(&w);
    /* Per account: the most requests it had in flight at once, how many were
     * answered 429 by the rate limit, and how many were admitted. */
    dtc_jw_key(&w, "rateLimit");
    dtc_jw_obj(&w);
    for (int i = 0; i < m->naccounts; i++) {
        emu_rlstate st;
        emu_ratelimit_stats(r->srv, i, &st);
        dtc_jw_key(&w, m->accounts[i].uuid);
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "peakInflight");
        dtc_jw_int(&w, st.peak_inflight);
        dtc_jw_key(&w, "limited");
        dtc_jw_int(&w, (int64_t)st.limited);
        dtc_jw_key(&w, "requests");
        dtc_jw_int(&w, (int64_t)st.admitted);
        dtc_jw_obj_end(&w);
    }
    dtc_jw_obj_end(&w);
    dtc_jw_obj_end(&w);
    emu_json_ok(r);
}

/* POST /emu/clock?advance=SECONDS or ?bookingRuns=N (12 hours each). */
void emu_h_admin_clock(emu_req *r)
{
    const char *adv = emu_arg(r, "advance"), *runs = emu_arg(r, "bookingRuns");
    char *end = NULL;
    long long n = 0;
    if (adv)
        n = strtoll(adv, &end, 10);
    else if (runs)
        n = strtoll(runs, &end, 10) * 12 * 3600;
    if (!end || *end || n < 0) {
        emu_error(r, 400, "use ?advance=SECONDS or ?bookingRuns=N (non-negative)");
        return;
    }
    emu_clock_advance(r->srv, n);
    r->now += n;
    emu_h_admin_state(r);
}

void emu_h_admin_spikes(emu_req *r)
{
    const emu_model *m = r->model;
    dtc_jw w;
    dtc_jw_init(&w, &r->out);
    dtc_jw_arr(&w);
    int64_t today = r->now / 86400;
    for (int ai = 0; ai < m->naccounts; ai++) {
        const emu_account *a = &m->accounts[ai];
        for (int ei = 0; ei < a->nenvs; ei++) {
            for (int c = 0; c < emu_ncaps; c++) {
                if (!((a->envs[ei].capmask >> c) & 1)) continue;
                for (int64_t d = today - m->cfg->days; d < today; d++) {
                    double f;
                    if (!emu_model_spike(m, a, ei, c, d, &f)) continue;
                    char day[11];
                    dtc_fmt_date(day, d);
                    dtc_jw_obj(&w);
                    dtc_jw_key(&w, "account");
                    dtc_jw_str(&w, a->uuid);
                    dtc_jw_key(&w, "environmentId");
                    dtc_jw_str(&w, a->envs[ei].id);
                    dtc_jw_key(&w, "capabilityKey");
                    dtc_jw_str(&w, emu_caps[c].key);
                    dtc_jw_key(&w, "date");
                    dtc_jw_str(&w, day);
                    dtc_jw_key(&w, "factor");
                    dtc_jw_fixed(&w, (int64_t)(f * 100 + 0.5), 2);
                    dtc_jw_obj_end(&w);
                }
            }
        }
    }
    dtc_jw_arr_end(&w);
    emu_json_ok(r);
}

void emu_h_admin_bizevents(emu_req *r)
{
    if (emu_bizevents_snapshot(r->srv, &r->out) != 0) {
        emu_error(r, 500, "out of memory");
        return;
    }
    emu_json_ok(r);
}

void emu_h_admin_bizevents_clear(emu_req *r)
{
    emu_bizevents_clear(r->srv);
    r->status = 204;
}
