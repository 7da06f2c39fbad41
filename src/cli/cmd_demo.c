/* cmd_demo.c: `dtcost demo`, the whole flow with no credentials: start the
 * emulator in-process on loopback, sync a year of its data into a local
 * database with the same code a real account uses, and show a budget
 * summary and where to go next. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "dtcost/auth.h"
#include "dtcost/dps.h"
#include "dtcost/http.h"
#include "dtcost/config.h"
#include "dtcost/store.h"
#include "dtcost/sync.h"
#include "dtcost/verify.h"
#include "emu.h"
#include "jw.h"
#include "money.h"
#include "opts.h"
#include "timeutil.h"

static struct {
    uint64_t seed;
    int64_t now;
    int days;
    const char *db;
} o;

static const opt demo_opts[] = {
    {"seed", OPT_U64, &o.seed, NULL, "seed of the emulated data"},
    {"now", OPT_TIME, &o.now, NULL, "emulated clock (default: the real clock)"},
    {"days", OPT_INT, &o.days, NULL, "days of history in the emulated account"},
    {"db", OPT_STR, &o.db, "PATH",
     "SQLite database the demo syncs into (kept; a rerun only fetches what changed)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec demo_spec = {
    "demo",
    "",
    "Start an emulated Dynatrace account on 127.0.0.1, sync a year of its\n"
    "subscriptions, budget, cost and usage into a local SQLite database with\n"
    "`dtcost sync`'s code, and show a budget summary: no credentials, no network.",
    demo_opts,
};

static void on_discrepancy(void *ctx, const dtc_discrepancy *d)
{
    (void)ctx;
    printf("verify: %s: subscription %s %s (%s)\n", d->what, d->subscription, d->day, d->table);
}

static int64_t avg_last(const dtc_cost_day *d, size_t n, size_t k)
{
    if (n == 0) return 0;
    if (k > n) k = n;
    int64_t s = 0;
    for (size_t i = n - k; i < n; i++)
        s += d[i].cost;
    return s / (int64_t)k;
}

static void summary(const dtc_subscription *s, const dtc_cost_day *cost, size_t n, int64_t today)
{
    char total[40], used[40], left[40], b7[40], b30[40];
    fmt_money(total, s->budget_total);
    fmt_money(used, s->budget_used);
    fmt_money(left, s->budget_total - s->budget_used);
    /* The last two days are still being booked: burn from the ones before. */
    size_t settled = n > 2 ? n - 2 : n;
    int64_t a7 = avg_last(cost, settled, 7), a30 = avg_last(cost, settled, 30);
    fmt_money(b7, a7);
    fmt_money(b30, a30);
    double pct = s->budget_total ? 100.0 * (double)s->budget_used / (double)s->budget_total : 0;
    char p0[11], p1[11];
    dtc_fmt_date(p0, s->period_start);
    dtc_fmt_date(p1, s->period_end);
    printf("\n%s (%s, %s)\n", s->name, s->status, s->currency);
    printf("  period        %s .. %s, %lld days remaining\n", p0, p1, (long long)s->days_remaining);
    printf("  commitment    %14s %s\n", total, s->currency);
    printf("  used          %14s %s  (%.1f%%)\n", used, s->currency, pct);
    printf("  remaining     %14s %s\n", left, s->currency);
    printf("  burn rate     %14s %s/day over 7 days, %s over 30 days\n", b7, s->currency, b30);
    if (a30 > 0 && strcmp(s->status, "ACTIVE") == 0) {
        int64_t rem = s->budget_total - s->budget_used;
        int64_t days = rem > 0 ? (rem + a30 - 1) / a30 : 0;
        char when[11];
        dtc_fmt_date(when, today + days);
        if (today + days <= s->period_end)
            printf("  projection    budget runs out on %s, %lld days before the period ends\n",
                   when, (long long)(s->period_end - today - days));
        else
            printf("  projection    budget lasts the period at the 30-day burn rate\n");
    }
}

int cmd_demo(int argc, char **argv)
{
    emu_config cfg;
    emu_config_defaults(&cfg);
    o.seed = cfg.seed;
    o.days = 365;
    o.now = 0;
    o.db = "dtcost-demo.db";
    int npos, rc = opt_parse(&demo_spec, argc, argv, &npos);
    if (rc >= 0) return rc;
    if (npos) return opt_usage_error(&demo_spec, "unexpected argument '%s'", argv[1]);
    if (o.days < 30 || o.days > 3700) return opt_usage_error(&demo_spec, "--days takes 30 to 3700");
    cfg.seed = o.seed;
    /* A day more of history than is asked: Dynatrace books yesterday at
     * 02:00 UTC (the emulator too), so before then the last booked day is
     * the day before, and a year would be 364 days. */
    cfg.days = o.days + 1;
    cfg.now = o.now ? o.now : (int64_t)time(NULL);
    cfg.port = 0;
    signal(SIGPIPE, SIG_IGN);

    emu_model model;
    emu_server *srv = NULL;
    dtc_http *http = NULL;
    dtc_auth *auth = NULL;
    dtc_dps *dps = NULL;
    dtc_subscription *subs = NULL;
    size_t nsubs = 0;
    int port = 0, exit_code = DTC_EXIT_FAIL;
    bool model_built = false;
    dtc_config sc;
    dtc_store *db = NULL;
    memset(&sc, 0, sizeof(sc));

    if (emu_model_build(&model, &cfg) != 0) {
        fprintf(stderr, "dtcost demo: out of memory building the emulated account\n");
        return DTC_EXIT_SOFTWARE;
    }
    model_built = true;
    if (emu_server_start(&srv, &model, &cfg, &port) != 0) {
        fprintf(stderr,
                "dtcost demo: cannot listen on 127.0.0.1 (is loopback networking available?)\n");
        exit_code = DTC_EXIT_UNAVAILABLE;
        goto done;
    }
    const emu_account *acct = &model.accounts[0];
    char base[64], token_url[96];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
    snprintf(token_url, sizeof(token_url), "%s/sso/oauth2/token", base);
    char nowbuf[21];
    dtc_fmt_datetime(nowbuf, cfg.now);
    printf("dtcost demo: an emulated Dynatrace account is running on %s\n", base);
    printf("  (emulated now %s, seed %llu, %d days of history; no credentials needed)\n", nowbuf,
           (unsigned long long)cfg.seed, o.days);

    dtc_auth_opts ao = {.token_url = token_url,
                        .client_id = acct->client_id,
                        .client_secret = acct->client_secret,
                        .account_uuid = acct->uuid,
                        .scope = "account-uac-read account-env-read"};
    if (dtc_http_new(&http, DTC_CAP_HTTP_BODY) || dtc_auth_new(&auth, &ao)) {
        fprintf(stderr, "dtcost demo: out of memory\n");
        goto done;
    }
    dtc_dps_opts po = {.api_url = base, .account_uuid = acct->uuid, .auth = auth, .http = http};
    if (dtc_dps_new(&dps, &po)) {
        fprintf(stderr, "dtcost demo: out of memory\n");
        goto done;
    }
    if (dtc_dps_list_subscriptions(dps, &subs, &nsubs)) {
        fprintf(stderr, "dtcost demo: %s\n", dtc_dps_errmsg(dps));
        goto done;
    }
    printf("\nAccount %s has %zu subscriptions:\n", acct->uuid, nsubs);
    for (size_t i = 0; i < nsubs; i++)
        printf("  %s  %-8s %s\n", subs[i].uuid, subs[i].status, subs[i].name);

    int64_t today = cfg.now / 86400;

    /* The real sync, configured as a user would for this account. */
    char err[512];
    sc.accounts = calloc(1, sizeof(*sc.accounts));
    sc.database = strdup(o.db);
    if (!sc.accounts || !sc.database) {
        fprintf(stderr, "dtcost demo: out of memory\n");
        goto done;
    }
    sc.naccounts = 1;
    sc.trailing_days = 35;
    sc.chunk_days = 7;
    sc.alloc_chunk_days = 28;
    sc.page_size = 50;
    sc.alloc_page_size = 1000;
    sc.concurrency = 4;
    dtc_account_cfg *ac = &sc.accounts[0];
    ac->name = strdup("demo");
    ac->uuid = strdup(acct->uuid);
    ac->client_id = strdup(acct->client_id);
    ac->client_secret = strdup(acct->client_secret);
    ac->sso_url = strdup(token_url);
    ac->api_url = strdup(base);
    if (!ac->name || !ac->uuid || !ac->client_id || !ac->client_secret || !ac->sso_url ||
        !ac->api_url) {
        fprintf(stderr, "dtcost demo: out of memory\n");
        goto done;
    }
    if (dtc_store_open(&db, o.db, err, sizeof(err)) != 0) {
        fprintf(stderr, "dtcost demo: %s (choose another file with --db)\n", err);
        exit_code = DTC_EXIT_IOERR;
        goto done;
    }
    dtc_sync_opts so = {.cfg = &sc, .store = db, .today = today, .since = -1, .until = -1};
    dtc_sync_result sr;
    int64_t t0 = dtc_mono_ms();
    if ((rc = dtc_sync_run(&sr, &so)) != 0) {
        fprintf(stderr, "dtcost demo: sync failed: %s\n", sr.err);
        exit_code = opt_exit_for(rc);
        goto done;
    }
    printf("\nSynced into %s in %.1f s: %ld requests, %ld rows inserted, %ld updated, %ld pages.\n",
           o.db, (double)(dtc_mono_ms() - t0) / 1000.0, sr.stats.requests, sr.stats.inserted,
           sr.stats.updated, sr.pages);

    for (size_t i = 0; i < nsubs; i++) {
        dtc_subscription s;
        dtc_cost_day *cost = NULL;
        size_t ncost = 0;
        if (dtc_dps_get_subscription(dps, &s, subs[i].uuid) ||
            dtc_dps_cost(dps, &cost, &ncost, subs[i].uuid)) {
            fprintf(stderr, "dtcost demo: %s\n", dtc_dps_errmsg(dps));
            dtc_free(cost);
            goto done;
        }
        summary(&s, cost, ncost, today);
        dtc_free(cost);
    }
    printf("\n%ld API requests for this summary, %d token request(s).\n", dtc_dps_requests(dps),
           dtc_auth_fetches(auth));

    /* The database must reconcile, as `dtcost verify` checks it. */
    dtc_verify_summary vs;
    if (dtc_verify_run(db, &vs, on_discrepancy, NULL) != 0) {
        fprintf(stderr, "dtcost demo: verify: %s\n", dtc_store_errmsg(db));
        exit_code = DTC_EXIT_IOERR;
        goto done;
    }
    printf("verify: %ld checks over %ld subscriptions and %ld days of %s: %s\n", vs.checks,
           vs.subscriptions, vs.days, o.db,
           vs.discrepancies ? "DISCREPANCIES (above)" : "everything reconciles");
    if (vs.discrepancies) {
        exit_code = DTC_EXIT_DATAERR;
        goto done;
    }
    /* the binary the user ran, so each line works when pasted */
    const char *me = opt_program();
    printf("\nNext:\n"
           "  %s report --db %s --html report.html   budget burn, anomalies and charts\n"
           "  %s export --db %s --format focus       a FOCUS file for FinOps tools\n"
           "  %s sync --help              the same sync against your account (docs/sync.md)\n"
           "  %s doctor                   check credentials, scopes and reachability first\n"
           "  %s emulate --port 8319      serve this emulated account for your own tools\n",
           me, o.db, me, o.db, me, me, me);
    exit_code = DTC_EXIT_OK;
done:
    dtc_store_close(db);
    dtc_config_dispose(&sc);
    dtc_free(subs);
    dtc_dps_free(dps);
    dtc_auth_free(auth);
    dtc_http_free(http);
    emu_server_stop(srv);
    if (model_built) emu_model_dispose(&model);
    return exit_code;
}
