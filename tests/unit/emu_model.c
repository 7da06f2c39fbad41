/* Unit tests for src/emu/emu_model.c: the synthetic data's own rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "emu_pagekey.h"
#include "timeutil.h"

static emu_config cfg;
static emu_model model;

static int setup(void **state)
{
    emu_config_defaults(&cfg);
    cfg.now = dtc_days_from_civil(2026, 11, 22) * 86400 + 6 * 3600;
    return emu_model_build(&model, &cfg);
}

static int teardown(void **state)
{
    emu_model_dispose(&model);
    return 0;
}

static void test_emu_model_cost_is_usage_times_price(void **state)
{
    const emu_account *a = &model.accounts[0];
    int checked = 0;
    for (int si = 0; si < a->nsubs; si++) {
        const emu_sub *s = &a->subs[si];
        for (int ei = 0; ei < a->nenvs; ei++) {
            if (!emu_sub_has_env(s, &a->envs[ei])) continue;
            for (int c = 0; c < emu_ncaps; c++) {
                for (int64_t d = s->start_day; d < s->start_day + 40; d++) {
                    emu_rec r;
                    emu_model_record(&model, a, s, ei, c, d, cfg.now, &r);
                    if (!r.present) continue;
                    assert_int_equal(r.cost_micro, r.usage_centi * s->price4[c]);
                    assert_true(r.usage_centi > 0);
                    assert_true(r.booking_time >= (d + 1) * 86400);
                    checked++;
                }
            }
        }
    }
    assert_true(checked > 1000);
}

static void test_emu_model_late_bookings_move_values_and_booking_dates(void **state)
{
    const emu_account *a = &model.accounts[0];
    const emu_sub *s = &a->subs[0];
    int64_t day = cfg.now / 86400 - 1; /* yesterday: first booking run at 02:00 today */
    int changed = 0, present = 0;
    for (int c = 0; c < emu_ncaps; c++) {
        emu_rec first, later, settled;
        emu_model_record(&model, a, s, 0, c, day, cfg.now, &first);
        emu_model_record(&model, a, s, 0, c, day, cfg.now + 12 * 3600, &later);
        emu_model_record(&model, a, s, 0, c, day, cfg.now + 20 * 86400, &settled);
        if (!first.present) continue;
        present++;
        assert_true(later.usage_centi >= first.usage_centi);
        assert_true(later.booking_time >= first.booking_time);
        if (settled.usage_centi != first.usage_centi) {
            changed++;
            assert_true(settled.booking_time > first.booking_time);
        }
    }
    assert_true(present > 0);
    assert_true(changed > 0);
    /* Nothing is booked for today yet, nor for tomorrow. */
    emu_rec r;
    emu_model_record(&model, a, s, 0, 0, cfg.now / 86400, cfg.now, &r);
    assert_false(r.present);
}

static void test_emu_model_is_deterministic_and_seed_sensitive(void **state)
{
    emu_model other;
    assert_int_equal(emu_model_build(&other, &cfg), 0);
    assert_string_equal(other.accounts[0].subs[0].uuid, model.accounts[0].subs[0].uuid);
    assert_string_equal(other.accounts[0].envs[3].id, model.accounts[0].envs[3].id);
    assert_int_equal(other.accounts[0].subs[0].budget_micro,
                     model.accounts[0].subs[0].budget_micro);
    emu_model_dispose(&other);
    emu_config c2 = cfg;
    c2.seed = 7;
    assert_int_equal(emu_model_build(&other, &c2), 0);
    assert_string_not_equal(other.accounts[0].envs[0].id, model.accounts[0].envs[0].id);
    emu_model_dispose(&other);
}

static void test_emu_model_has_the_promised_cast(void **state)
{
    const emu_account *a = &model.accounts[0];
    assert_int_equal(a->nsubs, 3);
    assert_string_equal(a->subs[1].status, "EXPIRED");
    assert_true(a->subs[1].end_day < cfg.now / 86400);
    assert_string_equal(a->subs[2].currency, "EUR");
    int unnamed = 0, non_ascii = 0;
    for (int i = 0; i < a->nenvs; i++) {
        if (!a->envs[i].name)
            unnamed++;
        else
            for (const char *p = a->envs[i].name; *p; p++)
                if ((unsigned char)*p >= 0x80) {
                    non_ascii++;
                    break;
                }
    }
    assert_int_equal(unnamed, 1);
    assert_true(non_ascii >= 2);
    assert_true(model.nclusters == 2 && !model.clusters[0].dps && model.clusters[1].dps);
}

static void test_emu_model_spikes_exist_and_are_large(void **state)
{
    const emu_account *a = &model.accounts[0];
    int spikes = 0;
    for (int ei = 0; ei < a->nenvs; ei++)
        for (int c = 0; c < emu_ncaps; c++)
            for (int64_t d = cfg.now / 86400 - cfg.days; d < cfg.now / 86400; d++) {
                double f;
                if (emu_model_spike(&model, a, ei, c, d, &f)) {
                    assert_true(f >= 3.0 && f < 6.0);
                    spikes++;
                }
            }
    assert_true(spikes >= 3);
}

/* Live behaviour is the default; every account has three clients whose
 * secrets start with their id (the documented pattern). */
static void test_emu_model_defaults_are_live_with_three_clients(void **state)
{
    assert_true(emu_paging_live(&cfg));
    assert_int_equal(cfg.v3_page_size_limit, 50);
    assert_true(cfg.page_size_default > 0);
    assert_string_equal(cfg.error_envelope, "live");
    assert_int_equal(cfg.rl_inflight, 6);
    assert_int_equal(cfg.rl_rps, 300);
    assert_int_equal(cfg.rl_retry_after, 1);
    assert_int_equal(cfg.latency_ms, 0);
    const emu_account *a = &model.accounts[0];
    assert_string_equal(a->uac_client_id, "dt0s02.EMUUAC00");
    assert_string_equal(a->uac_client_secret, "dt0s02.EMUUAC00.emulator-secret-uac-read-only");
    assert_string_not_equal(a->uac_client_id, a->client_id);
    assert_string_not_equal(a->uac_client_id, a->env_client_id);
    emu_config docs = cfg;
    docs.paging = "docs";
    assert_false(emu_paging_live(&docs));
}

static void test_emu_pagekey_round_trips_and_rejects_tampering(void **state)
{
    char *key = NULL, *state_out = NULL;
    assert_int_equal(emu_pagekey_encode(42, "v3|c|0|0|1|2|3|100|200|||", &key), 0);
    assert_int_equal(emu_pagekey_decode(42, key, &state_out), 0);
    assert_string_equal(state_out, "v3|c|0|0|1|2|3|100|200|||");
    free(state_out);
    assert_int_equal(emu_pagekey_decode(43, key, &state_out), DTC_EPARSE); /* other seed */
    key[5] = key[5] == 'A' ? 'B' : 'A';
    assert_int_equal(emu_pagekey_decode(42, key, &state_out), DTC_EPARSE);
    assert_int_equal(emu_pagekey_decode(42, "not base64!", &state_out), DTC_EPARSE);
    assert_int_equal(emu_pagekey_decode(42, "", &state_out), DTC_EPARSE);
    assert_int_equal(emu_pagekey_decode(42, "AAAA", &state_out), DTC_EPARSE);
    free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_emu_model_cost_is_usage_times_price),
        cmocka_unit_test(test_emu_model_late_bookings_move_values_and_booking_dates),
        cmocka_unit_test(test_emu_model_is_deterministic_and_seed_sensitive),
        cmocka_unit_test(test_emu_model_has_the_promised_cast),
        cmocka_unit_test(test_emu_model_spikes_exist_and_are_large),
        cmocka_unit_test(test_emu_model_defaults_are_live_with_three_clients),
        cmocka_unit_test(test_emu_pagekey_round_trips_and_rejects_tampering),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
